import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let ticketCommands = Command.group("ticket", "Xem một phản ánh: mọi trường, hoặc nhật ký thao tác.", [
    ticketShowCommand,
    ticketHistoryCommand,
    ticketFindCommand,
])

let ticketShowCommand = Command.leaf(
    "show", "Xem phản ánh: trạng thái, thời hạn, người phản ánh, đơn vị, liên kết, tệp đính kèm.",
    help: """
        CODE [--json] [--public] \(CaseOptions.help)

        CODE là mã số phản ánh, ví dụ 20260610-0134036. --public chỉ hiện phần được công khai (Art. 9.2:
        không có dữ liệu cá nhân; khi có yêu cầu bảo mật thì ẩn cả địa bàn và nội dung) và không cần người
        dùng. Toàn bộ phản ánh chỉ dành cho Tổng đài và thành viên đơn vị xử lý phản ánh (--as).
        --json in cùng nội dung cho các script.
        """
) { args in
    let options = try CaseOptions(&args)
    let json = args.flag("--json")
    let publicOnly = args.flag("--public")
    let code = try trackingCodeArgument(&args)
    try args.finish()
    let now = Date()
    if publicOnly {
        let desk = try options.openDesk()
        defer { try? desk.store.close() }
        let view = try desk.publicView(code)
        if json { return try printJSON(view) }
        printFields([
            ("Mã số", view.trackingCode), ("Trạng thái", view.statusLabel + (view.overdue ? " (quá hạn)" : "")),
            ("Lĩnh vực", view.category?.label ?? "chưa phân loại"), ("Chuyên mục", view.topic?.label ?? ""),
            ("Địa bàn", view.ward ?? "(không công khai)"), ("Nội dung tóm tắt", view.summary ?? "(không công khai)"),
            ("Đơn vị xử lý", view.unitCode ?? ""), ("Tiếp nhận", vietnamTime(view.receivedAt)),
            ("Hoàn thành", view.completedAt.map(vietnamTime) ?? ""), ("Lý do từ chối", view.refusalReason ?? ""),
        ])
        return
    }
    let w = try options.open()
    defer { w.close() }
    let view = try w.desk.readTicket(code, as: w.user)
    let t = view.ticket
    if json { return try printJSON(t, transcript: try w.desk.transcript(code, as: w.user)) }
    let units = try w.desk.unitDirectory()
    let overdue = t.isOverdue(at: now)
    printFields([
        ("Mã số", t.trackingCode),
        ("Trạng thái", t.status.label + (overdue ? " — QUÁ HẠN" : "")),
        ("Hạn bước hiện tại", t.dueAt.map(vietnamTime) ?? "không có"),
        ("Hạn trả lời của đơn vị", t.responseDueAt.map(vietnamTime) ?? ""),
        ("Kênh", t.channel.label),
        ("Lĩnh vực", t.category?.label ?? "chưa phân loại"),
        ("Chuyên mục", t.topic?.label ?? ""),
        ("Người phản ánh", t.reporter.name),
        ("Số điện thoại", view.reporterWithheld ? "(bảo mật)" : t.reporter.phone.isEmpty ? "(ẩn số)" : t.reporter.phone),
        ("Địa chỉ", t.reporter.address),
        ("Thư điện tử", t.reporter.email),
        ("Yêu cầu bảo mật", t.confidential ? "có" : "không"),
        ("Địa bàn", t.ward),
        ("Nội dung tóm tắt", t.summary),
        ("Nội dung", t.content),
        ("Đơn vị xử lý", t.unitCode.map { "\(units.unit($0)?.name ?? $0) (\($0))" } ?? ""),
        ("Chờ Văn phòng UBND TP hướng dẫn", t.awaitingGuidance ? "có" : ""),
        ("Thông tin người phản ánh", view.reporterWithheld ? "không hiển thị: người phản ánh yêu cầu bảo mật (Art. 10)" : ""),
        ("Tiếp nhận", vietnamTime(t.receivedAt)),
        ("Đơn vị báo đã xử lý", t.resolvedAt.map(vietnamTime) ?? ""),
        ("Hoàn thành", t.completedAt.map(vietnamTime) ?? ""),
        ("Trùng với", t.duplicateOf ?? ""),
        ("Tái diễn của", t.recurrenceOf ?? ""),
        ("Lý do từ chối", t.refusalReason ?? ""),
        ("Kết quả xử lý", t.resultText ?? ""),
        ("Đánh giá", t.rating.map { "\($0)/5 " + (t.ratingComment ?? "") } ?? ""),
    ])
    printNotes(view.notes)
    if !t.attachments.isEmpty {
        print("\nTệp đính kèm:")
        print(renderTable(["Loại", "Thời lượng", "SHA-256", "Đường dẫn"], t.attachments.map {
            [attachmentLabel($0.kind), $0.durationMs.map(formatDuration) ?? "", $0.sha256 ?? "", $0.path]
        }))
    }
}

let ticketHistoryCommand = Command.leaf(
    "history", "Xem nhật ký thao tác của phản ánh: ai làm gì, lúc nào, trước và sau.",
    help: """
        CODE [--json] \(CaseOptions.help)

        Nhật ký thao tác chỉ ghi thêm, không sửa, không xóa; dữ liệu cá nhân thay đổi chỉ hiện là đã thay đổi,
        không hiện giá trị. Dành cho Tổng đài và thành viên đơn vị xử lý phản ánh.
        """
) { args in
    let json = args.flag("--json")
    try onTicket(&args) { w, code in
        let entries = try w.desk.history(code, as: w.user)
        if json { return try printJSON(entries) }
        print(renderTable(["Thời điểm", "Người thực hiện", "Thao tác", "Trước", "Sau"], entries.map {
            [vietnamTime($0.at), $0.actor, $0.action, $0.before ?? "", $0.after ?? ""]
        }))
    }
}

/// Label: value lines, empty values left out.
func printFields(_ fields: [(String, String)]) {
    let shown = fields.filter { !$0.1.isEmpty }
    let width = shown.map(\.0.count).max() ?? 0
    for (label, value) in shown {
        print(label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
    }
}

func attachmentLabel(_ kind: AttachmentKind) -> String {
    switch kind {
    case .recording: "Ghi âm"
    case .photo: "Hình ảnh"
    case .document: "Tài liệu"
    }
}
