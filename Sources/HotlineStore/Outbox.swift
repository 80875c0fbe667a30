import Foundation
import HotlineCore

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
        let fields = String(decoding: try JSONEncoder().encode(v), as: UTF8.self)
        try db.prepare("""
            INSERT INTO outbox (ticket_id, kind, recipient, body, created_at, next_attempt_at, fields, report_token)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).run([.int(ticketID), .text(kind.rawValue), .text(recipient), .text(body),
                      .double(at.timeIntervalSince1970), .double(at.timeIntervalSince1970), .text(fields), .text(Self.reportToken())])
    }

    /// 16 random bytes in hex: what authenticates a carrier's report for one message (the system's secure
    /// generator: getrandom on Linux).
    static func reportToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static let outboxColumns = """
        o.id, t.tracking_code, o.kind, o.recipient, o.body, o.created_at, o.attempts, o.next_attempt_at, o.sent_at,
        o.failed_at, o.last_error, o.fields, o.channel, o.carrier_ref, o.delivery, o.delivery_code, o.reported_at,
        o.route, o.report_due_at, o.unknown_retried, o.informed_at, o.informed_by, o.report_token
        """

    static func outboxMessage(_ r: Row) -> OutboxMessage {
        let values = r.text(11).flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
        return OutboxMessage(
            id: r.int(0), trackingCode: r.text(1) ?? "", kind: NotificationKind(rawValue: r.text(2) ?? "") ?? .acknowledgement,
            recipient: r.text(3) ?? "", body: r.text(4) ?? "", createdAt: r.date(5), attempts: Int(r.int(6)),
            nextAttemptAt: r.optionalDate(7), sentAt: r.optionalDate(8), failedAt: r.optionalDate(9),
            lastError: r.text(10), values: values, channel: r.text(12), carrierRef: r.text(13),
            delivery: r.text(14).flatMap(DeliveryState.init(rawValue:)) ?? .pending, deliveryCode: r.text(15),
            reportedAt: r.optionalDate(16), route: Int(r.int(17)), reportDueAt: r.optionalDate(18),
            unknownRetried: r.int(19) != 0, informedAt: r.optionalDate(20), informedBy: r.text(21),
            reportToken: r.text(22) ?? "")
    }

    /// Messages due for an attempt, oldest first.
    public func dueMessages(now: Date, limit: Int = 100) throws -> [OutboxMessage] {
        try db.prepare("""
            SELECT \(Self.outboxColumns) FROM outbox o JOIN tickets t ON t.id = o.ticket_id
            WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?
            ORDER BY o.next_attempt_at, o.id LIMIT ?
            """).query([.double(now.timeIntervalSince1970), .int(Int64(limit))], Self.outboxMessage)
    }

    /// The outbox, newest first; `failedOnly` lists what failed (every retry, a carrier's report, every sender
    /// refusing) or expired.
    public func outbox(failedOnly: Bool = false, limit: Int = 200) throws -> [OutboxMessage] {
        try db.prepare("""
            SELECT \(Self.outboxColumns) FROM outbox o JOIN tickets t ON t.id = o.ticket_id
            WHERE (? = 0 OR o.failed_at IS NOT NULL OR o.delivery IN ('failed', 'expired')) ORDER BY o.id DESC LIMIT ?
            """).query([.int(failedOnly ? 1 : 0), .int(Int64(limit))], Self.outboxMessage)
    }

    /// One message, by its outbox id.
    public func outboxMessage(id: Int64) throws -> OutboxMessage? {
        try db.prepare("SELECT \(Self.outboxColumns) FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE o.id = ?")
            .query([.int(id)], Self.outboxMessage).first
    }

    /// The message a carrier knows by its own id.
    public func outboxMessage(channel: String, carrierRef: String) throws -> OutboxMessage? {
        try db.prepare("""
            SELECT \(Self.outboxColumns) FROM outbox o JOIN tickets t ON t.id = o.ticket_id
            WHERE o.channel = ? AND o.carrier_ref = ? ORDER BY o.id DESC LIMIT 1
            """).query([.text(channel), .text(carrierRef)], Self.outboxMessage).first
    }

    /// The messages of one case, oldest first: what the case page shows.
    public func outboxMessages(trackingCode: String) throws -> [OutboxMessage] {
        try db.prepare("""
            SELECT \(Self.outboxColumns) FROM outbox o JOIN tickets t ON t.id = o.ticket_id
            WHERE t.tracking_code = ? ORDER BY o.id
            """).query([.text(trackingCode)], Self.outboxMessage)
    }

    /// A sender took the message. `reportDueAt` is set when its carrier sends delivery reports. `last_error` is kept:
    /// it says why an earlier sender did not (no Zalo account, a retry).
    public func markSent(_ id: Int64, at: Date, channel: String? = nil, carrierRef: String? = nil, reportDueAt: Date? = nil) throws {
        try db.prepare("""
            UPDATE outbox SET sent_at = ?, attempts = attempts + 1, channel = coalesce(?, channel),
                carrier_ref = ?, delivery = 'sent', report_due_at = ? WHERE id = ?
            """).run([.double(at.timeIntervalSince1970), channel.map { .text($0) } ?? .null, carrierRef.map { .text($0) } ?? .null,
                      reportDueAt.map { .double($0.timeIntervalSince1970) } ?? .null, .int(id)])
    }

    /// A sender refused the message for good; the next sender in the list (`route`) tries it now.
    public func markRerouted(_ id: Int64, route: Int, channel: String, error: String, at: Date) throws {
        try db.prepare("""
            UPDATE outbox SET route = ?, channel = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?
            """).run([.int(Int64(route)), .text(channel), .text(String(error.prefix(500))), .double(at.timeIntervalSince1970), .int(id)])
    }

    /// The last sender refused it too, or a carrier reported a failure or expiry: the message ends here.
    public func markUndelivered(_ id: Int64, state: DeliveryState = .failed, channel: String?, code: String?, error: String,
                                at: Date) throws {
        try db.transaction {
        try auditUndelivered(id, state: state, reason: error, at: at)
        try db.prepare("""
            UPDATE outbox SET failed_at = coalesce(failed_at, ?), delivery = ?, channel = coalesce(?, channel),
                delivery_code = ?, last_error = ?, reported_at = ?, report_due_at = NULL WHERE id = ?
            """).run([.double(at.timeIntervalSince1970), .text(state.rawValue), channel.map { .text($0) } ?? .null,
                      code.map { .text($0) } ?? .null, .text(String(error.prefix(500))), .double(at.timeIntervalSince1970), .int(id)])
        }
    }

    /// The carrier reports the message reached the phone (also after it had been given up as unknown).
    public func markDelivered(_ id: Int64, code: String?, carrierRef: String?, at: Date) throws {
        try db.prepare("""
            UPDATE outbox SET delivery = 'delivered', delivery_code = ?, carrier_ref = coalesce(?, carrier_ref), reported_at = ?,
                sent_at = coalesce(sent_at, ?), report_due_at = NULL, failed_at = NULL WHERE id = ?
            """).run([code.map { .text($0) } ?? .null, carrierRef.map { .text($0) } ?? .null, .double(at.timeIntervalSince1970),
                      .double(at.timeIntervalSince1970), .int(id)])
    }

    /// An intermediate report (the SMSC took it): keeps the carrier's id, the message still awaits its final report.
    public func noteCarrierReference(_ id: Int64, carrierRef: String) throws {
        try db.prepare("UPDATE outbox SET carrier_ref = ? WHERE id = ?").run([.text(carrierRef), .int(id)])
    }

    /// Messages sent whose report is overdue.
    public func overdueReports(now: Date, limit: Int = 100) throws -> [OutboxMessage] {
        try db.prepare("""
            SELECT \(Self.outboxColumns) FROM outbox o INDEXED BY outbox_awaiting JOIN tickets t ON t.id = o.ticket_id
            WHERE o.delivery = 'sent' AND o.report_due_at IS NOT NULL AND o.report_due_at <= ? ORDER BY o.report_due_at LIMIT ?
            """).query([.double(now.timeIntervalSince1970), .int(Int64(limit))], Self.outboxMessage)
    }

    /// No report came: with `retryRoute`, the message goes out once more through that sender; without, it stays unknown.
    public func markUnknown(_ id: Int64, retryRoute: Int?, at: Date) throws {
        if let retryRoute {
            try db.prepare("""
                UPDATE outbox SET delivery = NULL, unknown_retried = 1, route = ?, sent_at = NULL, report_due_at = NULL,
                    next_attempt_at = ?, last_error = 'không có báo cáo gửi tin; gửi lại một lần' WHERE id = ?
                """).run([.int(Int64(retryRoute)), .double(at.timeIntervalSince1970), .int(id)])
        } else {
            try db.transaction {
                try db.prepare("UPDATE outbox SET delivery = 'unknown', report_due_at = NULL, reported_at = ? WHERE id = ?")
                    .run([.double(at.timeIntervalSince1970), .int(id)])
                try auditUndelivered(id, state: .unknown, reason: "no delivery report, even after the retry", at: at)
            }
        }
    }

    /// Records a failed attempt: schedules the next one by the policy's back-off, or marks the message failed.
    public func markAttemptFailed(_ id: Int64, error: String, at: Date, policy: RetryPolicy, channel: String? = nil) throws {
        try db.transaction {
            let attempts = try db.prepare("SELECT attempts FROM outbox WHERE id = ?").query([.int(id)]) { Int($0.int(0)) }.first ?? 0
            let next = policy.nextAttempt(after: attempts + 1, at: at)
            try db.prepare("""
                UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, failed_at = ?,
                    delivery = CASE WHEN ? = 1 THEN 'failed' ELSE delivery END, channel = coalesce(?, channel) WHERE id = ?
                """).run([.text(String(error.prefix(500))), next.map { .double($0.timeIntervalSince1970) } ?? .null,
                          next == nil ? .double(at.timeIntervalSince1970) : .null, .int(next == nil ? 1 : 0),
                          channel.map { .text($0) } ?? .null, .int(id)])
            if next == nil { try auditUndelivered(id, state: .failed, reason: error, at: at) }
        }
    }

    /// A message that did not reach the citizen leaves a line in the case's history (and wakes the live queue,
    /// which watches the audit log).
    func auditUndelivered(_ id: Int64, state: DeliveryState, reason: String, at: Date) throws {
        try db.prepare("""
            INSERT INTO audit_log (ticket_id, at, actor, action, before, after)
            SELECT ticket_id, ?, 'system:outbox', 'message-undelivered', NULL, ? FROM outbox WHERE id = ?
            """).run([.double(at.timeIntervalSince1970),
                      .text(Self.json(["message": String(id), "state": state.rawValue, "reason": String(reason.prefix(300))])), .int(id)])
    }

    /// A person told the citizen by other means (a call back): the case leaves the hotline's "not told" queue.
    /// Returns false when the case has no undelivered message to close.
    public func markCitizenInformed(trackingCode: String, by actor: Actor, note: String, at: Date) throws -> Bool {
        try db.transaction {
            guard let ticketID = try db.prepare("SELECT id FROM tickets WHERE tracking_code = ?").query([.text(trackingCode)], { $0.int(0) }).first
            else { return false }
            try db.prepare("""
                UPDATE outbox SET informed_at = ?, informed_by = ? WHERE ticket_id = ? AND informed_at IS NULL
                AND (delivery IN ('failed', 'expired', 'unknown') OR failed_at IS NOT NULL)
                """).run([.double(at.timeIntervalSince1970), .text(actor.name), .int(ticketID)])
            guard db.changes > 0 else { return false }
            try audit(ticketID, at: at, actor: actor, action: "citizen-informed", before: nil, after: ["note": note])
            return true
        }
    }
}
