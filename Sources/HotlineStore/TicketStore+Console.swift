import Foundation
import HotlineCore

/// The console's reads and the users' passwords. Password changes and sign-ins go to the audit log with no
/// ticket (ticket_id NULL), never with the password or its hash.
extension TicketStore {
    // MARK: Passwords and sign-in audit

    /// The stored `$scrypt$...` string of an active user; nil for an unknown or disabled user, or one who has
    /// no password yet (any of them signs in as nobody).
    public func passwordHash(of name: String) throws -> String? {
        try db.prepare("SELECT password_hash FROM users WHERE name = ? AND active = 1").query([.text(name)]) { $0.text(0) }
            .first ?? nil
    }

    /// Stores a user's new password hash, audited as `action` (password-set by an administrator,
    /// password-change by the user) by `actor`.
    public func setPasswordHash(_ name: String, hash: String, actor: String, action: String, at: Date) throws {
        try db.transaction {
            guard try user(named: name) != nil else { throw DeskError.notFound(.user, name) }
            try db.prepare("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?")
                .run([.text(hash), .double(at.timeIntervalSince1970), .text(name)])
            try auditSystem(at: at, actor: actor, action: action, after: ["user": name])
        }
    }

    /// When a user's password was last set or changed; nil if never.
    public func passwordChangedAt(of name: String) throws -> Date? {
        try db.prepare("SELECT password_changed_at FROM users WHERE name = ?").query([.text(name)]) { Self.date($0, 0) }
            .first ?? nil
    }

    /// Replaces a hash after a successful sign-in when its parameters are outdated; not audited (the password
    /// did not change).
    public func rehashPassword(_ name: String, hash: String) throws {
        try db.prepare("UPDATE users SET password_hash = ? WHERE name = ?").run([.text(hash), .text(name)])
    }

    /// A sign-in event in the audit log (sign-in, sign-in-failed, sign-in-throttled, sign-out).
    public func recordSignIn(_ action: String, actor: String, details: [String: String?], at: Date) throws {
        try db.transaction { try auditSystem(at: at, actor: actor, action: action, after: details) }
    }

    /// The audit lines with no ticket (users, passwords, sign-ins, dialplans), newest last.
    public func systemAudit(limit: Int = 100) throws -> [AuditEntry] {
        try db.prepare("""
            SELECT at, actor, action, before, after FROM (
                SELECT id, at, actor, action, before, after FROM audit_log WHERE ticket_id IS NULL ORDER BY id DESC LIMIT ?
            ) AS recent ORDER BY id
            """).query([.int(Int64(limit))]) { r in
                AuditEntry(at: r.date(0), actor: r.text(1) ?? "", action: r.text(2) ?? "",
                           before: r.text(3), after: r.text(4))
            }
    }

    // MARK: The live queue

    /// Drafts and returned cases, and cases waiting for guidance, most urgent first, with their claims.
    public func hotlineQueue(now: Date) throws -> [HotlineQueueItem] {
        let columns = """
            t.tracking_code, t.status, t.channel, t.category, t.topic, t.confidential, t.summary, t.caller_number, t.ward,
            t.unit_code, t.received_at, t.due_at, t.response_due_at, t.interrupted, t.guidance,
            (SELECT a.duration_ms FROM attachments a WHERE a.ticket_id = t.id AND a.kind = 'recording' LIMIT 1),
            c.user_name, c.expires_at, substr(t.content, 1, 200), 0 AS not_told
            """
        return try db.prepare("""
            SELECT * FROM (
                SELECT \(columns) FROM tickets t INDEXED BY tickets_queue
                LEFT JOIN claims c ON c.ticket_id = t.id AND c.expires_at > ?1
                WHERE t.status IN ('draft', 'returned')
                UNION ALL
                SELECT \(columns) FROM tickets t INDEXED BY tickets_guidance_due
                LEFT JOIN claims c ON c.ticket_id = t.id AND c.expires_at > ?1
                WHERE t.status = 'forwarded' AND t.guidance = 1
                UNION ALL
                SELECT \(columns.replacingOccurrences(of: ", 0 AS not_told", with: ", 1 AS not_told")) FROM tickets t
                LEFT JOIN claims c ON c.ticket_id = t.id AND c.expires_at > ?1
                WHERE t.id IN (SELECT o.ticket_id FROM outbox o INDEXED BY outbox_not_told WHERE o.kind = 'acknowledgement' AND o.informed_at IS NULL
                               AND (o.delivery IN ('failed', 'expired', 'unknown') OR o.failed_at IS NOT NULL))
                AND t.status NOT IN ('draft', 'returned') AND NOT (t.status = 'forwarded' AND t.guidance = 1)
            ) AS queue ORDER BY 12, 11
            LIMIT 2000
            """).query([.double(now.timeIntervalSince1970)]) { r in
                let status = r.status(1)
                let category = r.category(3)
                let clock: QueueClock = r.int(19) != 0 ? .citizenNotTold : r.int(14) != 0 ? .guidance
                    : status == .returned ? .returned : category == .suggestion ? .suggestion : .classify
                return HotlineQueueItem(
                    trackingCode: r.text(0) ?? "", status: status, clock: clock,
                    channel: r.channel(2), category: category,
                    topic: r.topic(4), confidential: r.int(5) != 0, summary: r.text(6) ?? "",
                    callerNumber: r.text(7) ?? "", ward: r.text(8) ?? "", unitCode: r.text(9),
                    receivedAt: r.date(10), dueAt: r.optionalDate(11),
                    responseDueAt: r.optionalDate(12), recordingDurationMs: r.isNull(15) ? nil : Int(r.int(15)),
                    interrupted: r.int(13) != 0, claimedBy: r.text(16), claimedUntil: r.optionalDate(17),
                    contentStart: r.text(18) ?? "")
            }
    }

    /// The newest ticket, audit line and queue log line: three reads of a key's maximum, cheap enough to poll
    /// every 300 ms.
    public func changeStamp() throws -> StoreChangeStamp {
        try db.prepare("SELECT (SELECT max(id) FROM tickets), (SELECT max(id) FROM audit_log), (SELECT max(id) FROM queue_log)")
            .query { r in
                StoreChangeStamp(newestTicketID: r.int(0), newestAuditID: r.int(1), newestQueueLogID: r.int(2))
            }.first ?? StoreChangeStamp(newestTicketID: 0, newestAuditID: 0)
    }

    /// Tracking codes of the tickets stored after `id` (a watcher's "new cases"), oldest first.
    public func trackingCodes(after id: Int64, limit: Int = 100) throws -> [String] {
        try db.prepare("SELECT tracking_code FROM tickets WHERE id > ? ORDER BY id LIMIT ?")
            .query([.int(id), .int(Int64(limit))]) { $0.text(0) ?? "" }
    }

    // MARK: Finding a caller

    /// The ticket with this tracking code, as a search hit.
    public func ticketByTrackingCode(_ code: String) throws -> TicketSearchHit? {
        try db.prepare("SELECT tracking_code, status, summary, received_at FROM tickets WHERE tracking_code = ?")
            .query([.text(code)]) { Self.searchHit($0, matchedIn: ["trackingCode"]) }.first
    }

    /// Tickets from a phone number, or from any number ending in `digits` (3 digits or more), newest first.
    /// `alternatives` are other spellings of the same number (0912… and 84912…).
    public func ticketsByPhone(_ digits: [String], limit: Int = 50) throws -> [TicketSearchHit] {
        let tokens = digits.filter { $0.count >= 3 && $0.allSatisfy(\.isNumber) }
        guard !tokens.isEmpty else { return [] }
        return try callerSearch(.phone, tokens, everyWord: false, limit: limit)
    }

    /// Tickets whose reporter's name holds every word (diacritics optional; the last word may be the start of
    /// one), newest first.
    public func ticketsByReporterName(_ words: String, limit: Int = 50) throws -> [TicketSearchHit] {
        let tokens = Self.searchWords(words)
        guard !tokens.isEmpty else { return [] }
        return try callerSearch(.name, tokens, everyWord: true, limit: limit)
    }

    enum CallerField: String { case phone, name }

    /// Tickets whose caller index (`caller_search`: the phone number and its endings, the name) holds the
    /// tokens (every one, or any), newest first; with every word, the last may be the start of one. SQLite
    /// asks its FTS5 table, PostgreSQL its `tsvector` columns.
    private func callerSearch(_ field: CallerField, _ tokens: [String], everyWord: Bool,
                              limit: Int) throws -> [TicketSearchHit] {
        let last = tokens.count - 1
        if db.isPostgres {
            let query = tokens.enumerated().map { i, t in t + (everyWord && i == last ? ":*" : "") }
                .joined(separator: everyWord ? " & " : " | ")
            return try db.prepare("""
                SELECT t.tracking_code, t.status, t.summary, t.received_at FROM caller_search s JOIN tickets t ON t.id = s.id
                WHERE s.\(field.rawValue)_doc @@ to_tsquery('simple', ?) ORDER BY t.received_at DESC LIMIT ?
                """).query([.text(query), .int(Int64(limit))]) { Self.searchHit($0, matchedIn: [field.rawValue]) }
        }
        let terms = tokens.enumerated().map { i, t in "\"\(t)\"" + (everyWord && i == last ? "*" : "") }
        let query = "\(field.rawValue) : (" + terms.joined(separator: everyWord ? " AND " : " OR ") + ")"
        return try db.prepare("""
            SELECT t.tracking_code, t.status, t.summary, t.received_at FROM caller_search s JOIN tickets t ON t.id = s.rowid
            WHERE caller_search MATCH ? ORDER BY t.received_at DESC LIMIT ?
            """).query([.text(query), .int(Int64(limit))]) { Self.searchHit($0, matchedIn: [field.rawValue]) }
    }
}
