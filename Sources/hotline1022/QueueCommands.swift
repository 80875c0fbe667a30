import Foundation
import HotlineCore
import HotlineDesk

let queueCommands = Command.group("queue", "Hàng chờ gọi trực tiếp tới tổng đài viên: nhật ký, số liệu trong ngày và danh sách cần gọi lại.", [
    queueLogCommand,
    queueStatsCommand,
    queueCallbacksCommand,
    queueCallbackCommand,
])

let queueLogCommand = Command.leaf(
    "log", "Nhật ký hàng chờ: vào hàng chờ, đổ chuông không ai nghe, nối máy, kết thúc, bỏ máy, rời bằng phím, hết giờ chờ, đề nghị gọi lại.",
    help: """
        [--since DATE[THH:MM]] [--format text|csv|json] \(CaseOptions.help)

        --since mặc định là 0 giờ hôm nay (giờ Việt Nam). Mỗi dòng: thời điểm, sự kiện, cuộc gọi, số gọi đến,
        tổng đài viên, vị trí trong hàng chờ, số giây chờ, số giây đàm thoại, phím, kết quả gọi lại, mã số phản ánh.
        --format csv in bảng CSV (dòng đầu là tên cột) cho bảng tính; json in mảng JSON cho các script.
        """
) { args in
    let options = try CaseOptions(&args)
    let since = try args.option("--since").map { try parseVietnamDate($0, option: "--since") }
    let format = try args.option("--format") ?? "text"
    guard ["text", "csv", "json"].contains(format) else { throw UsageError("--format là text, csv hoặc json, không phải '\(format)'") }
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    let from = since ?? QueueStats.dayStart(of: Date())
    let lines = try w.desk.queueLog(since: from, as: w.user)
    if format == "json" { return try printJSON(lines) }
    let header = ["at", "kind", "call", "caller", "agent", "position", "wait_s", "talk_s", "key", "outcome", "ticket"]
    let rows = lines.map { l -> [String] in
        let r = l.record
        func n(_ v: Int?) -> String { v.map(String.init) ?? "" }
        return [vietnamTime(l.at), r.kind.rawValue, r.call, r.callerNumber, r.agent ?? "", n(r.position), n(r.waitSeconds),
                n(r.talkSeconds), r.key ?? "", r.outcome ?? "", r.ticketCode ?? ""]
    }
    if format == "csv" {
        print(([header] + rows).map(ReportRenderer.csvLine).joined(separator: "\n"))
        return
    }
    if rows.isEmpty {
        print("Chưa có sự kiện nào trong hàng chờ từ \(vietnamTime(from)).")
        return
    }
    print(renderTable(["Thời điểm", "Sự kiện", "Cuộc gọi", "Số gọi đến", "Tổng đài viên", "Vị trí", "Chờ (s)", "Đàm thoại (s)",
                       "Phím", "Kết quả", "Mã số"], rows))
}

let queueStatsCommand = Command.leaf(
    "stats", "Số liệu hàng chờ hôm nay: người đang chờ, trạng thái tổng đài viên, cuộc gọi đến, nghe máy, bỏ máy, mức phục vụ.",
    help: """
        [--json] \(CaseOptions.help)

        Mức phục vụ là số cuộc được nghe máy trong 20 giây chia cho số cuộc được nghe máy (và, ở dòng thứ hai,
        cộng cả số cuộc bỏ máy sau 5 giây). ASA là thời gian chờ trung bình tới khi được nghe máy. Người đang chờ
        và trạng thái tổng đài viên lấy từ các máy chủ tổng đài đang chạy (cập nhật mỗi giây).
        --json in các trường waiting, longestWaitSeconds, agents {ready, break, wrapUp, ringing, onCall, offline},
        offered, answered, abandoned, serviceLevel, asaSeconds, abandonmentRate, callbacksDue.
        """
) { args in
    try onListing(&args) { w, json in
        let s = try w.desk.queueStats(as: w.user)
        if json { return try printJSON(s) }
        func percent(_ v: Double?) -> String { v.map { String(format: "%.0f%%", $0 * 100) } ?? "—" }
        print("""
            Đang chờ: \(s.waiting) (lâu nhất \(s.longestWaitSeconds) giây)
            Tổng đài viên: sẵn sàng \(s.agents.ready), tạm nghỉ \(s.agents.break), hoàn tất cuộc gọi \(s.agents.wrapUp), \
            đổ chuông \(s.agents.ringing), đang nghe máy \(s.agents.onCall), không trực \(s.agents.offline)
            Hôm nay: \(s.offered) cuộc vào hàng chờ, \(s.answered) được nghe máy, \(s.abandoned) bỏ máy (\(percent(s.abandonmentRate)))
            Mức phục vụ (nghe máy trong 20 giây): \(percent(s.serviceLevel)); tính cả cuộc bỏ máy: \(percent(s.serviceLevelWithAbandoned))
            Thời gian chờ trung bình tới khi nghe máy (ASA): \(s.asaSeconds.map { String(format: "%.0f giây", $0) } ?? "—")
            Cần gọi lại: \(s.callbacksDue)
            """)
        for agent in s.agentStates { print("  \(agent.name): \(agent.label) từ \(vietnamTime(agent.since))") }
    }
}

let queueCallbacksCommand = Command.leaf(
    "callbacks", "Danh sách cần gọi lại hôm nay: người bỏ máy sau 5 giây chờ hoặc bấm phím 2, hạn 60 phút, số lần đã gọi.",
    help: """
        [--json] \(CaseOptions.help)

        Mỗi số một mục trong ngày (giờ Việt Nam), việc còn lại trước, hạn gần nhất trước. Mục xong khi đã gặp
        người dân, khi sai số, hoặc sau 3 lần gọi. Ghi kết quả một lần gọi bằng `queue callback SỐ --outcome …`.
        """
) { args in
    try onListing(&args) { w, json in
        let items = try w.desk.callbacks(as: w.user)
        if json { return try printJSON(items) }
        if items.isEmpty { return print("Chưa có ai cần gọi lại hôm nay.") }
        let now = Date()
        print(renderTable(["Số", "Lý do", "Từ lúc", "Hạn", "Đã gọi", "Lần gần nhất"], items.map { item in
            [item.callerNumber, item.requested ? "đề nghị gọi lại" : "bỏ máy khi chờ", vietnamTime(item.since),
             item.isDone ? "xong" : timeLeft(item.dueAt, now: now), "\(item.attempts)/\(QueueCallback.maxAttempts)",
             item.lastOutcome.map { (CallbackOutcome(rawValue: $0)?.label ?? $0) + (item.lastAgent.map { " (\($0))" } ?? "") } ?? ""]
        }))
    }
}

let queueCallbackCommand = Command.leaf(
    "callback", "Gọi lại một người dân trong danh sách cần gọi lại qua tổng đài, hoặc ghi kết quả một lần đã gọi.",
    help: """
        SỐ [--outcome reached|no-answer|wrong-number] \(CaseOptions.help)

        Không có --outcome: tổng đài đổ chuông điện thoại của bạn (đặt bằng `users phone`) trong vài giây; nhấc máy,
        tổng đài gọi người dân qua trung kế (serve --callback-trunk), nối hai bên và ghi âm; kết quả được ghi tự
        động theo cuộc gọi.
        Có --outcome, khi bạn đã gọi bằng máy khác: reached: đã gặp người dân; no-answer: không ai nghe máy;
        wrong-number: sai số. Tối đa 3 lần cho một số trong ngày; ghi vào nhật ký hàng chờ (callback-attempted)
        với tên người gọi.
        """
) { args in
    let options = try CaseOptions(&args)
    let outcomeText = try args.option("--outcome")
    guard let number = args.positional() else { throw UsageError("thiếu số điện thoại cần gọi lại") }
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    guard let outcomeText else {
        try w.desk.placeCallback(to: number, as: w.user)
        print("Đã gửi yêu cầu gọi lại \(number): điện thoại của bạn sẽ đổ chuông trong vài giây (\(Int(CallbackRequest.lapseSeconds)) giây "
              + "không có tổng đài nào nhận thì yêu cầu hết hạn).")
        return
    }
    guard let outcome = CallbackOutcome(rawValue: outcomeText) else {
        throw UsageError("--outcome là reached, no-answer hoặc wrong-number")
    }
    let item = try w.desk.recordCallbackAttempt(number: number, outcome: outcome, as: w.user)
    print("\(number): lần gọi lại thứ \(item.attempts)/\(QueueCallback.maxAttempts), \(outcome.label)\(item.isDone ? "; mục đã xong" : "").")
}
