import Foundation
import Gateway
import HotlineCore
import HotlineStore
import HotlineDesk

let outboxCommands = Command.group("outbox", "Messages to citizens (SMS/Zalo): deliver them, see what did not leave.", [
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
        guard (1...3600).contains(intervalSeconds) else { throw UsageError("--interval must be 1–3600 seconds") }
        if !webhook.isEmpty {
            guard let url = URL(string: webhook), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw UsageError("--webhook must be an http(s) URL, got '\(webhook)'")
            }
        }
    }

    func sender() -> NotificationSender {
        if !webhook.isEmpty, let url = URL(string: webhook) {
            return WebhookSender(url: url, token: token.isEmpty ? nil : token)
        }
        return LogFileSender(path: messagesLog)
    }

    var destination: String { webhook.isEmpty ? "log:\(messagesLog)" : "webhook:\(URL(string: webhook)?.host ?? "")" }
}

/// Runs the outbox worker on its own queue and database connection, every `intervalSeconds`; used by `serve`
/// and by `outbox run`. Delivery never runs on the gateway's or PJSIP's threads.
final class OutboxService: @unchecked Sendable {
    private let queue = DispatchQueue(label: "hotline1022.outbox")
    private var timer: DispatchSourceTimer?
    private let store: TicketStore
    private let worker: OutboxWorker
    private let logger: GatewayLogger
    private let interval: Int
    /// Where the delivery lock lives: beside the database, so one process at a time delivers (several
    /// gateways share a database; when the one delivering dies, the next round of another takes over).
    private let lockFolder: String

    init(database: String, delivery: DeliverySettings, logger: GatewayLogger) throws {
        store = try TicketStore(path: database)
        let folder = (database as NSString).deletingLastPathComponent
        lockFolder = folder.isEmpty ? "." : folder
        worker = OutboxWorker(store: store, sender: delivery.sender())
        self.logger = logger
        interval = delivery.intervalSeconds
    }

    /// Starts the timer (made here: a dispatch source released while never resumed traps).
    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + 1, repeating: .seconds(interval))
        timer.setEventHandler { [weak self] in self?.round() }
        timer.resume()
        self.timer = timer
    }

    /// True when this process is (or has just become) the one that delivers; false while another one is.
    func mayDeliver() -> Bool { FileLock.acquire(in: lockFolder, name: ".hotline1022-outbox.lock", exclusive: true) }

    /// One delivery round, logged when it did anything (counts only: recipients are personal data); nil when
    /// the round failed, or when another process delivers (`mayDeliver()` tells which).
    @discardableResult
    func round() -> OutboxWorker.Round? {
        guard mayDeliver() else { return nil }
        do {
            let r = try worker.runOnce(now: Date())
            if r.sent + r.retrying + r.failed > 0 {
                logger.log(r.failed > 0 ? .warning : .info, "outbox-round",
                           [("sent", "\(r.sent)"), ("retrying", "\(r.retrying)"), ("failed", "\(r.failed)")])
            }
            return r
        } catch {
            logger.log(.error, "outbox-round-failed", [("error", "\(error)")])
            return nil
        }
    }

    func stop() {
        timer?.cancel()
        queue.sync { try? store.close() }
    }
}

let outboxRunCommand = Command.leaf(
    "run", "Deliver queued messages until stopped (SIGINT/SIGTERM), or one round with --once.",
    help: """
        [--once] \(DeliverySettings.help) [--db PATH]

        `serve` runs the same worker; run this alone when the gateway is not running here. Failed attempts
        are retried after 30 s, 2 min, 10 min, 1 h and 6 h, then marked failed (`outbox list --failed`).
        Without --webhook, messages are appended to --messages-log (default ./var/messages.log), numbers masked.
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let once = args.flag("--once")
    var delivery = DeliverySettings()
    try delivery.apply(&args)
    try args.finish()
    guard FileManager.default.fileExists(atPath: db) else { throw CommandFailure("no database at \(db) (pass --db PATH)") }
    let logger = StderrLogger(minimum: .info)
    let service = try OutboxService(database: db, delivery: delivery, logger: logger)
    if once {
        guard service.mayDeliver() else {
            throw CommandFailure("một tiến trình khác (tổng đài đang chạy) đang gửi tin nhắn từ cơ sở dữ liệu này; không gửi gì thêm")
        }
        guard let r = service.round() else { throw CommandFailure("the delivery round failed (see the log line above)") }
        service.stop()
        print("Đã gửi \(r.sent), chờ gửi lại \(r.retrying), thất bại \(r.failed).")
        return
    }
    logger.log(.info, "outbox-started", [("to", delivery.destination), ("interval", "\(delivery.intervalSeconds)s")])
    let stopped = DispatchSemaphore(value: 0)
    for sig in [SIGINT, SIGTERM] { signal(sig, SIG_IGN) }
    let sources = [SIGINT, SIGTERM].map { sig in
        let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        s.setEventHandler { stopped.signal() }
        s.resume()
        return s
    }
    service.start()
    stopped.wait()
    sources.forEach { $0.cancel() }
    service.stop()
    logger.log(.info, "outbox-stopped", [])
}

let outboxListCommand = Command.leaf(
    "list", "The outbox, newest first: what was sent, what waits for a retry, what failed.",
    help: """
        [--failed] [--limit N] [--json] \(CaseOptions.help)

        --failed shows only the messages that gave up after every retry, with the last error. Numbers are
        masked except for --json, which supervisors use to resend by hand.
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
