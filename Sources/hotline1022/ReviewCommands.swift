import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let reviewCommands = Command.group("review", "Tổng đài xác nhận kết quả của đơn vị, hoặc trả lại (Art. 8.5).", [
    reviewPendingCommand,
    reviewConfirmCommand,
    reviewRejectCommand,
    reviewReopenCommand,
    reviewRateCommand,
])

let reviewReopenCommand = reasonStepCommand(
    "reopen", "Mở lại phản ánh đã hoàn thành mà người phản ánh không hài lòng: trả về đơn vị (Art. 8.5b).",
    help: "CODE --reason TEXT \(CaseOptions.help)"
) { w, code, reason in
    let t = try w.desk.reopen(code, reason: reason, as: w.user)
    return "Đã mở lại \(code); \(t.unitCode ?? "đơn vị") xử lý tiếp."
}

let reviewRateCommand = Command.leaf(
    "rate", "Ghi nhận mức hài lòng (1–5) của người phản ánh với kết quả đã hoàn thành, nhận qua điện thoại hoặc tin nhắn trả lời.",
    help: """
        CODE --score 1-5 [--comment TEXT] \(CaseOptions.help)

        Mỗi kết quả chỉ đánh giá một lần: lần thứ hai bị từ chối, kèm điểm của lần đầu; mở lại phản ánh khi
        người dân không hài lòng sẽ xóa đánh giá, để đánh giá kết quả tiếp theo. Nhật ký thao tác giữ mọi lần
        đánh giá, kèm người nhập.
        """
) { args in
    guard let score = try args.intOption("--score") else { throw UsageError("thiếu --score (mức hài lòng 1–5)") }
    let comment = try args.option("--comment") ?? ""
    try onTicket(&args) { w, code in
        try w.desk.rate(code, score: score, comment: comment, as: w.user)
        print("Đã ghi nhận mức hài lòng \(score)/5 cho \(code).")
    }
}

let reviewPendingCommand = Command.leaf(
    "pending", "Kết quả đơn vị đã báo xử lý xong, chờ Tổng đài xác nhận, cũ nhất trước.",
    help: "[--json] \(CaseOptions.help)"
) { args in
    try onListing(&args) { w, json in
        let results = try w.desk.pendingReview(as: w.user)
        if json { return try printJSON(results) }
        guard !results.isEmpty else { return print("Không có kết quả nào chờ xác nhận.") }
        print(renderTable(["Mã số", "Đơn vị", "Báo xử lý lúc", "Đúng hạn", "Minh chứng", "Tóm tắt", "Kết quả"], results.map { r in
            let i = r.item
            return [i.trackingCode, i.unitCode ?? "", i.resolvedAt.map(vietnamTime) ?? "",
                    i.resolvedAt.flatMap { d in i.responseDueAt.map { d <= $0 ? "có" : "QUÁ HẠN" } } ?? "có",
                    String(i.evidenceCount), i.confidential ? "(bảo mật)" : i.summary, r.resultText ?? ""]
        }))
        let items = results
        print("\nTổng số: \(items.count) kết quả chờ xác nhận. Xem minh chứng: hotline1022 ticket show CODE")
    }
}

let reviewConfirmCommand = Command.leaf(
    "confirm", "Xác nhận kết quả của đơn vị: phản ánh hoàn thành và người phản ánh nhận tin báo kết quả.",
    help: "CODE \(CaseOptions.help)"
) { args in
    try onTicket(&args) { w, code in
        _ = try w.desk.confirm(code, as: w.user)
        print("Đã xác nhận hoàn thành \(code); kết quả sẽ được gửi tới người phản ánh.")
    }
}

let reviewRejectCommand = reasonStepCommand(
    "reject", "Trả kết quả về đơn vị, kèm lý do.", help: "CODE --reason TEXT \(CaseOptions.help)"
) { w, code, reason in
    let t = try w.desk.reject(code, reason: reason, as: w.user)
    return "Đã trả \(code) về \(t.unitCode ?? "đơn vị") xử lý tiếp."
}

let overdueCommand = Command.leaf(
    "overdue", "Phản ánh quá hạn hoặc đến hạn trong vòng một giờ, theo đơn vị (danh sách Văn phòng UBND TP xem mỗi thứ Năm).",
    help: """
        [--within MINUTES] [--json] \(CaseOptions.help)

        Mọi phản ánh đang mở có hạn của bước hiện tại đã qua hoặc rơi vào --within phút tới (mặc định 60), nhóm
        theo đơn vị phải làm bước đó (Tổng đài với phản ánh mới và phản ánh bị trả lại).
        """
) { args in
    let within = try args.intOption("--within") ?? 60
    guard within >= 0 else { throw UsageError("--within là số phút, từ 0 trở lên") }
    try onListing(&args) { w, json in
        let now = Date()
        let items = try w.desk.overdue(within: TimeInterval(within * 60), as: w.user)
        if json { return try printJSON(items) }
        guard !items.isEmpty else { return print("Không có phản ánh nào quá hạn hoặc sắp đến hạn trong \(within) phút.") }
        let names = Dictionary(uniqueKeysWithValues: try w.desk.unitDirectory().units.map { ($0.code, $0.name) })
        let byUnit = Dictionary(grouping: items) { i in
            [.draft, .returned].contains(i.status) ? "Tổng đài 1022 HP" : i.unitCode.map { names[$0] ?? $0 } ?? "Tổng đài 1022 HP"
        }
        for unit in byUnit.keys.sorted() {
            let list = byUnit[unit]!
            let late = list.filter { ($0.dueAt ?? .distantFuture) < now }.count
            print("\(unit): \(late) quá hạn, \(list.count - late) sắp đến hạn")
            print(renderTable(["Mã số", "Trạng thái", "Hạn", "Thời hạn"], list.map {
                [$0.trackingCode, $0.status.label, $0.dueAt.map(vietnamTime) ?? "", timeLeft($0.dueAt, now: now)]
            }).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            print("")
        }
        print("Tổng số: \(items.count).")
    }
}
