import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let unitWorkCommands = Command.group("unit", "Việc của đơn vị xử lý: phản ánh được giao, và từng bước tới kết quả có minh chứng.", [
    unitInboxCommand,
    unitStepCommand("accept", "Tiếp nhận phản ánh Tổng đài hoặc đơn vị khác chuyển tới đơn vị của bạn.", help: "CODE") { _ in .accept },
    unitStepCommand("progress", "Báo tiến độ xử lý phản ánh (ghi chú hiện trong `ticket show` và khi Tổng đài xem xét kết quả).",
                    help: "CODE --note TEXT [--evidence FILE]...") { args in
        .progress(note: try args.requiredOption("--note"))
    },
    unitStepCommand("extend", "Cam kết hạn muộn hơn: báo tiến độ, minh chứng và ngày cam kết (sau thời điểm hiện tại, không quá 15 ngày kể từ khi tiếp nhận, Art. 8.2e).",
                    help: "CODE --until DATE[THH:MM] --note TEXT --evidence FILE...") { args in
        let until = try parseCommitment(try args.requiredOption("--until"), option: "--until")
        return .extend(until: until, note: try args.requiredOption("--note"))
    },
    unitStepCommand("resolve", "Báo kết quả: đã làm gì (gửi tới người phản ánh) và ít nhất một tệp minh chứng (Art. 8.1c).",
                    help: "CODE --note TEXT --evidence FILE...") { args in
        .resolve(result: try args.requiredOption("--note"))
    },
    unitStepCommand("transfer", "Chuyển phản ánh không thuộc thẩm quyền của đơn vị bạn tới đơn vị có thẩm quyền (trong 1 ngày làm việc, 2 ngày nếu có --field-check; Art. 8.2f).",
                    help: "CODE --to UNIT --reason TEXT [--field-check]") { args in
        .transfer(to: try args.requiredOption("--to"), reason: try args.requiredOption("--reason"),
                  fieldCheck: args.flag("--field-check"))
    },
    unitStepCommand("return", "Trả phản ánh về Tổng đài, kèm lý do và kết quả xác minh (Art. 8.1a).",
                    help: "CODE --reason TEXT [--evidence FILE]...") { args in
        .giveBack(reason: try args.requiredOption("--reason"))
    },
])

let unitInboxCommand = Command.leaf(
    "inbox", "Phản ánh đơn vị bạn đang xử lý, theo thời hạn, và phản ánh chờ Tổng đài xác nhận kết quả.",
    help: """
        [UNIT] [--json] \(CaseOptions.help)

        Không có UNIT: đơn vị của bạn. Mã đơn vị gõ chữ hoa hay chữ thường đều được. Thành viên đơn vị chỉ xem
        được phản ánh của đơn vị mình. Mỗi dòng: mã số, trạng thái, thời gian còn lại của bước hiện tại (đánh
        dấu nếu quá hạn), hạn trả lời của đơn vị, lĩnh vực, địa bàn, tóm tắt, số minh chứng đính kèm.
        """
) { args in
    // Options first: a positional is the first word no option took.
    let options = try CaseOptions(&args)
    let json = args.flag("--json")
    let unit = args.positional()
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    let items = try w.desk.inbox(unit, as: w.user)
    if json { return try printJSON(items) }
    guard !items.isEmpty else {
        print("Đơn vị \(unit ?? w.user.unitCode ?? "") không có phản ánh nào đang xử lý.")
        return
    }
    let now = Date()
    print(renderTable(["Mã số", "Trạng thái", "Thời hạn", "Hạn trả lời", "Lĩnh vực", "Địa bàn", "Minh chứng", "Tóm tắt"],
                      items.map(workRow(now))))
    print("\nTổng số: \(items.count) phản ánh.")
}

func workRow(_ now: Date) -> (WorkItem) -> [String] {
    { i in
        [i.trackingCode, i.status.label + (i.awaitingGuidance ? " (chờ hướng dẫn)" : ""),
         i.status == .resolved ? "chờ Tổng đài xác nhận" : timeLeft(i.dueAt, now: now),
         i.responseDueAt.map(vietnamTime) ?? "", i.category.map(\.label) ?? "", i.confidential ? "(bảo mật)" : i.ward,
         String(i.evidenceCount), i.confidential ? "(bảo mật)" : i.summary]
    }
}

/// One step a unit member takes on a ticket: parses the step's own options with `make`; the desk copies the
/// evidence files into the store's folder and takes the step in one transaction.
func unitStepCommand(_ name: String, _ summary: String, help: String,
                     make: @escaping @Sendable (inout Arguments) throws -> UnitStep) -> Command {
    Command.leaf(name, summary, help: """
        \(help) \(CaseOptions.help)

        Chạy với tư cách thành viên của đơn vị xử lý phản ánh. Tệp minh chứng được chép vào cạnh cơ sở dữ
        liệu (evidence/CODE/) kèm SHA-256; ảnh và video tính là hình ảnh, tệp khác là tài liệu. Bước mà Quy
        chế không cho phép sẽ bị từ chối, nêu rõ điều khoản không cho phép.
        """
    ) { args in
        let options = try CaseOptions(&args)
        let evidence = try args.options("--evidence")
        // The step's own options before the code: a positional is the first word no option took.
        let step = try make(&args)
        let code = try trackingCodeArgument(&args)
        try args.finish()
        let w = try options.open()
        defer { w.close() }
        let t = try w.desk.unitStep(UnitStepRequest(code: code, step: step, evidence: evidence), as: w.user)
        print("\(code): \(t.status.label)" + (t.dueAt.map { "; hạn \(vietnamTime($0))" } ?? "") + ".")
    }
}
