import Foundation
import HotlineCore
import HotlineStore

let reviewCommands = Command.group("review", "The hotline confirms units' results, or sends them back (Art. 8.5).", [
    reviewPendingCommand,
    reviewConfirmCommand,
    reviewRejectCommand,
    reviewReopenCommand,
    reviewRateCommand,
])

let reviewReopenCommand = Command.leaf(
    "reopen", "Reopen a completed ticket the citizen is not satisfied with: back to the unit (Art. 8.5b).",
    help: "CODE --reason TEXT \(CaseOptions.help)"
) { args in
    let reason = try reasonOption(&args, "say what the citizen found wrong with the result (Art. 8.5b)")
    try onTicket(&args) { w, code in
        try Permissions.check(w.user, .review)
        let t = try w.store.perform(.reopen(reason: reason), on: code, by: w.user.actor, at: Date(), context: try w.context())
        print("Đã mở lại \(code); \(t.unitCode ?? "đơn vị") xử lý tiếp.")
    }
}

let reviewRateCommand = Command.leaf(
    "rate", "Record the citizen's satisfaction (1–5) with a completed result, given by phone or SMS reply.",
    help: """
        CODE --score 1-5 [--comment TEXT] \(CaseOptions.help)

        A new rating replaces the old one; the audit log keeps both, with who typed it in.
        """
) { args in
    guard let score = try args.intOption("--score") else { throw UsageError("missing required option --score (1–5)") }
    guard (1...5).contains(score) else { throw UsageError("--score must be 1–5, got \(score)") }
    let comment = try args.option("--comment") ?? ""
    try onTicket(&args) { w, code in
        try Permissions.check(w.user, .review)
        try w.store.rate(code, score: score, comment: comment, at: Date(), recordedBy: w.user.actor)
        print("Đã ghi nhận mức hài lòng \(score)/5 cho \(code).")
    }
}

let reviewPendingCommand = Command.leaf(
    "pending", "Results the units resolved, waiting for the hotline's confirmation, oldest first.",
    help: "[--json] \(CaseOptions.help)"
) { args in
    try onListing(&args) { w, json in
        let items = try w.store.pendingReview(by: w.user)
        if json { return try printJSON(items) }
        guard !items.isEmpty else { return print("Không có kết quả nào chờ xác nhận.") }
        print(renderTable(["Mã số", "Đơn vị", "Báo xử lý lúc", "Đúng hạn", "Minh chứng", "Tóm tắt"], items.map { i in
            [i.trackingCode, i.unitCode ?? "", i.resolvedAt.map(vietnamTime) ?? "",
             i.resolvedAt.flatMap { r in i.responseDueAt.map { r <= $0 ? "có" : "QUÁ HẠN" } } ?? "có", String(i.evidenceCount),
             i.confidential ? "(bảo mật)" : i.summary]
        }))
        print("\nTổng số: \(items.count) kết quả chờ xác nhận. Xem minh chứng: hotline1022 ticket show CODE")
    }
}

let reviewConfirmCommand = Command.leaf(
    "confirm", "Confirm a unit's result: the ticket is completed and the citizen gets the result message.",
    help: "CODE \(CaseOptions.help)"
) { args in
    try onTicket(&args) { w, code in
        _ = try w.store.review(code, confirm: true, by: w.user, at: Date(), context: try w.context())
        print("Đã xác nhận hoàn thành \(code); kết quả sẽ được gửi tới người phản ánh.")
    }
}

let reviewRejectCommand = Command.leaf(
    "reject", "Send a result back to the unit, with the reason.",
    help: "CODE --reason TEXT \(CaseOptions.help)"
) { args in
    let reason = try reasonOption(&args, "the unit must know what is missing (Art. 8.5)")
    try onTicket(&args) { w, code in
        let t = try w.store.review(code, confirm: false, reason: reason, by: w.user, at: Date(), context: try w.context())
        print("Đã trả \(code) về \(t.unitCode ?? "đơn vị") xử lý tiếp.")
    }
}

let overdueCommand = Command.leaf(
    "overdue", "What is overdue, or due within the hour, per unit (the list the city office reads on Thursdays).",
    help: """
        [--within MINUTES] [--json] \(CaseOptions.help)

        Every open ticket whose current step's deadline has passed or falls within --within minutes (default
        60), grouped by the unit that owes the step (the hotline for drafts and returned tickets).
        """
) { args in
    let within = try args.intOption("--within") ?? 60
    guard within >= 0 else { throw UsageError("--within must be 0 or more minutes") }
    try onListing(&args) { w, json in
        let now = Date()
        let items = try w.store.watchList(now: now, within: TimeInterval(within * 60), by: w.user)
        if json { return try printJSON(items) }
        guard !items.isEmpty else { return print("Không có phản ánh nào quá hạn hoặc sắp đến hạn trong \(within) phút.") }
        let names = Dictionary(uniqueKeysWithValues: try w.store.unitDirectory().units.map { ($0.code, $0.name) })
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
