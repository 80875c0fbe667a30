import Foundation
import HotlineCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A message waiting in, or delivered from, the outbox.
public struct OutboxMessage: Codable, Sendable, Equatable {
    public var id: Int64
    public var trackingCode: String
    public var kind: NotificationKind
    public var recipient: String
    public var body: String
    public var createdAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var sentAt: Date?
    public var failedAt: Date?
    public var lastError: String?
}

extension TicketStore {
    /// Called inside the transaction that makes the change, so a change and its message commit together.
    /// No number, no message: a withheld caller ID cannot be texted.
    func enqueue(_ kind: NotificationKind, ticketID: Int64, code: String, recipient: String, values: [String: String],
                 at: Date, context: WorkflowContext) throws {
        guard !recipient.isEmpty else { return }
        var v = values
        v["code"] = code
        v["lookup"] = context.lookupAddress
        let body = context.templates.render(kind, v)
        try db.prepare("""
            INSERT INTO outbox (ticket_id, kind, recipient, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)
            """).run([.int(ticketID), .text(kind.rawValue), .text(recipient), .text(body),
                      .double(at.timeIntervalSince1970), .double(at.timeIntervalSince1970)])
    }

    static let outboxColumns = """
        o.id, t.tracking_code, o.kind, o.recipient, o.body, o.created_at, o.attempts, o.next_attempt_at, o.sent_at,
        o.failed_at, o.last_error
        """

    static func outboxMessage(_ r: Row) -> OutboxMessage {
        OutboxMessage(id: r.int(0), trackingCode: r.text(1) ?? "", kind: NotificationKind(rawValue: r.text(2) ?? "") ?? .acknowledgement,
                      recipient: r.text(3) ?? "", body: r.text(4) ?? "", createdAt: r.date(5), attempts: Int(r.int(6)),
                      nextAttemptAt: r.optionalDate(7), sentAt: r.optionalDate(8), failedAt: r.optionalDate(9),
                      lastError: r.text(10))
    }

    /// Messages due for an attempt, oldest first.
    public func dueMessages(now: Date, limit: Int = 100) throws -> [OutboxMessage] {
        try db.prepare("""
            SELECT \(Self.outboxColumns) FROM outbox o JOIN tickets t ON t.id = o.ticket_id
            WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?
            ORDER BY o.next_attempt_at, o.id LIMIT ?
            """).query([.double(now.timeIntervalSince1970), .int(Int64(limit))], Self.outboxMessage)
    }

    /// The outbox, newest first; `failedOnly` lists what gave up after every retry.
    public func outbox(failedOnly: Bool = false, limit: Int = 200) throws -> [OutboxMessage] {
        try db.prepare("""
            SELECT \(Self.outboxColumns) FROM outbox o JOIN tickets t ON t.id = o.ticket_id
            WHERE (? = 0 OR o.failed_at IS NOT NULL) ORDER BY o.id DESC LIMIT ?
            """).query([.int(failedOnly ? 1 : 0), .int(Int64(limit))], Self.outboxMessage)
    }

    public func markSent(_ id: Int64, at: Date) throws {
        try db.prepare("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?")
            .run([.double(at.timeIntervalSince1970), .int(id)])
    }

    /// Records a failed attempt: schedules the next one by the policy's back-off, or marks the message failed.
    public func markAttemptFailed(_ id: Int64, error: String, at: Date, policy: RetryPolicy) throws {
        try db.transaction {
            let attempts = try db.prepare("SELECT attempts FROM outbox WHERE id = ?").query([.int(id)]) { Int($0.int(0)) }.first ?? 0
            let next = policy.nextAttempt(after: attempts + 1, at: at)
            try db.prepare("""
                UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, failed_at = ? WHERE id = ?
                """).run([.text(String(error.prefix(500))), next.map { .double($0.timeIntervalSince1970) } ?? .null,
                          next == nil ? .double(at.timeIntervalSince1970) : .null, .int(id)])
        }
    }
}

/// Delivers one message; throws when the gateway did not take it.
public protocol NotificationSender: Sendable {
    func send(_ message: OutboxMessage) throws
}

/// The default sender: appends each message to a log file, one JSON line, the number masked (personal data never
/// goes to logs). A stand-in until an SMS/Zalo gateway is configured.
public struct LogFileSender: NotificationSender {
    public let path: String
    public init(path: String) { self.path = path }

    public func send(_ message: OutboxMessage) throws {
        struct Line: Encodable { let id: Int64; let code: String; let kind: String; let to: String; let text: String }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(Line(id: message.id, code: message.trackingCode, kind: message.kind.rawValue,
                                           to: Self.mask(message.recipient), text: message.body))
        data.append(0x0A)
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw DeskError.failed("cannot write the message log \(path)")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }

    /// `0912345678` → `*******678`.
    public static func mask(_ phone: String) -> String {
        String(repeating: "*", count: max(0, phone.count - 3)) + phone.suffix(3)
    }
}

/// POSTs each message as JSON to an SMS/Zalo gateway's webhook:
/// `{"id": 12, "to": "0912345678", "text": "…", "kind": "acknowledgement", "code": "20260610-0134036"}`.
/// `id` lets the gateway drop a repeat after a retry. Any status outside 200–299 is a failure.
public struct WebhookSender: NotificationSender {
    public let url: URL
    public let timeout: TimeInterval
    public let token: String?
    public init(url: URL, timeout: TimeInterval = 10, token: String? = nil) {
        (self.url, self.timeout, self.token) = (url, timeout, token)
    }

    public func send(_ message: OutboxMessage) throws {
        struct Body: Encodable { let id: Int64; let to: String; let text: String; let kind: String; let code: String }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONEncoder().encode(Body(id: message.id, to: message.recipient, text: message.body,
                                                         kind: message.kind.rawValue, code: message.trackingCode))
        final class Outcome: @unchecked Sendable { var status = 0; var error: Error? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request) { _, response, error in
            outcome.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            outcome.error = error
            done.signal()
        }.resume()
        done.wait()
        if let error = outcome.error { throw DeskError.failed("webhook \(url.host ?? ""): \(error.localizedDescription)") }
        guard (200..<300).contains(outcome.status) else {
            throw DeskError.failed("webhook \(url.host ?? "") answered HTTP \(outcome.status)")
        }
    }
}

/// Delivers due messages with retries and back-off. One worker per database; `runOnce` is one round, so a
/// service calls it on a timer and a test calls it with the clock it wants.
public final class OutboxWorker: @unchecked Sendable {
    public struct Round: Equatable, Sendable {
        public var sent = 0
        public var retrying = 0
        public var failed = 0
    }

    private let store: TicketStore
    private let sender: NotificationSender
    public let policy: RetryPolicy

    public init(store: TicketStore, sender: NotificationSender, policy: RetryPolicy = RetryPolicy()) {
        (self.store, self.sender, self.policy) = (store, sender, policy)
    }

    @discardableResult
    public func runOnce(now: Date = Date()) throws -> Round {
        var round = Round()
        for message in try store.dueMessages(now: now) {
            do {
                try sender.send(message)
                try store.markSent(message.id, at: now)
                round.sent += 1
            } catch {
                try store.markAttemptFailed(message.id, error: "\(error)", at: now, policy: policy)
                if message.attempts + 1 >= policy.maxAttempts { round.failed += 1 } else { round.retrying += 1 }
            }
        }
        return round
    }
}
