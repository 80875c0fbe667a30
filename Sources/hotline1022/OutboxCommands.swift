import Foundation
import HotlineServices
import Gateway
import HotlineCore
import HotlineStore
import HotlineDesk

let outboxCommands = Command.group("outbox", "Tin nhắn gửi người dân (SMS/Zalo): gửi đi, xem tin chưa gửi được.", [
    outboxRunCommand,
    outboxListCommand,
])

/// Where messages go: an SMS/Zalo gateway's webhook, or (the default) a log file with the numbers masked.
struct DeliverySettings {
    var webhook = ""
    var token = ""
    var messagesLog = "./var/messages.log"
    var intervalSeconds = 5

    static let help = "[--webhook URL [--webhook-token T]] [--messages-log FILE] [--interval SECONDS]"

    mutating func apply(_ args: inout Arguments) throws {
        if let v = try args.option("--webhook") { webhook = v }
        if let v = try args.option("--webhook-token") { token = v }
        if let v = try args.option("--messages-log") { messagesLog = v }
        if let v = try args.intOption("--interval") { intervalSeconds = v }
        try validate()
    }

    func validate() throws {
        guard (1...3600).contains(intervalSeconds) else { throw UsageError("--interval phải từ 1 đến 3600 giây") }
        if let problem = Self.webhookProblem(webhook) { throw UsageError("--webhook: \(problem)") }
    }

    /// Why a webhook address is unusable; nil when it is empty (no webhook) or an http(s) URL.
    static func webhookProblem(_ webhook: String) -> String? {
        guard !webhook.isEmpty else { return nil }
        guard let url = URL(string: webhook), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            return "cần một URL http(s), nhận được '\(webhook)'"
        }
        return nil
    }

    func sender() -> NotificationSender {
        if !webhook.isEmpty, let url = URL(string: webhook) {
            return WebhookSender(url: url, token: token.isEmpty ? nil : token)
        }
        return LogFileSender(path: messagesLog)
    }

    var destination: String { webhook.isEmpty ? "log:\(messagesLog)" : "webhook:\(URL(string: webhook)?.host ?? "")" }
}

let outboxRunCommand = Command.leaf(
    "run", "Gửi các tin đang chờ cho đến khi bị dừng (SIGINT/SIGTERM), hoặc một lượt với --once.",
    help: """
        [--once] \(DeliverySettings.help) [--db PATH]

        `serve` chạy cùng bộ gửi này; chỉ chạy riêng lệnh này khi cổng điện thoại không chạy trên máy này. Lần
        gửi lỗi được thử lại sau 30 giây, 2 phút, 10 phút, 1 giờ và 6 giờ, sau đó đánh dấu thất bại (`outbox list
        --failed`). Không có --webhook thì tin nhắn được ghi thêm vào --messages-log (mặc định ./var/messages.log),
        số điện thoại được che bớt.
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let once = args.flag("--once")
    var delivery = DeliverySettings()
    try delivery.apply(&args)
    try args.finish()
    guard FileManager.default.fileExists(atPath: db) else { throw CommandFailure("không có cơ sở dữ liệu tại \(db) (dùng --db PATH)") }
    let logger = StderrLogger(minimum: .info)
    let service = try OutboxService(database: db, sender: delivery.sender(), intervalSeconds: delivery.intervalSeconds, logger: logger)
    if once {
        guard service.mayDeliver() else {
            throw CommandFailure("một tiến trình khác (tổng đài đang chạy) đang gửi tin nhắn từ cơ sở dữ liệu này; không gửi gì thêm")
        }
        guard let r = service.round() else { throw CommandFailure("lượt gửi không thực hiện được (xem dòng nhật ký phía trên)") }
        service.stop()
        print("Đã gửi \(r.sent), chờ gửi lại \(r.retrying), thất bại \(r.failed).")
        return
    }
    logger.log(.info, "outbox-started", [("to", delivery.destination), ("interval", "\(delivery.intervalSeconds)s")])
    let stop = StopSignal()
    service.start()
    stop.wait()
    service.stop()
    logger.log(.info, "outbox-stopped", [])
}

let outboxListCommand = Command.leaf(
    "list", "Hộp thư đi, mới nhất trước: tin đã gửi, tin chờ gửi lại, tin gửi thất bại.",
    help: """
        [--failed] [--limit N] [--json] \(CaseOptions.help)

        --failed chỉ hiện các tin đã thử lại hết lượt vẫn không gửi được, kèm lỗi cuối. Số điện thoại được che
        bớt, trừ khi dùng --json (giám sát viên dùng để gửi lại thủ công).
        """
) { args in
    let failed = args.flag("--failed")
    let limit = try args.intOption("--limit") ?? 200
    try onListing(&args) { w, json in
        let messages = try w.desk.outbox(failedOnly: failed, limit: limit, as: w.user)
        if json { return try printJSON(messages) }
        guard !messages.isEmpty else { return print(failed ? "Không có tin nhắn gửi thất bại." : "Hộp thư đi trống.") }
        print(renderTable(["#", "Mã số", "Loại", "Đến", "Trạng thái", "Lần gửi", "Lỗi cuối"], messages.map { m in
            [String(m.id), m.trackingCode, m.kind.rawValue, LogFileSender.mask(m.recipient),
             m.sentAt.map { "đã gửi \(vietnamTime($0))" } ?? (m.failedAt != nil ? "THẤT BẠI" : "chờ gửi"),
             String(m.attempts), m.lastError ?? ""]
        }))
    }
}
