import Foundation
import HotlineCore

// WorkflowContext, NewTicket and TicketDetails are HotlineCore types (TicketRules.swift).
extension TicketStore {
    /// The open statuses as an SQL list, from the core's `TicketStatus.isOpen` (one home for the set).
    static let openStatuses = sqlList(TicketStatus.allCases.filter(\.isOpen))
    /// The same set as `status NOT IN (the closed ones)`, spelled exactly as the partial index `tickets_open_due`
    /// is (migration 3), so the planner can use it; `watchList`'s `INDEXED BY` fails loudly if they ever differ.
    static let openCondition = "status NOT IN \(sqlList(TicketStatus.allCases.filter { !$0.isOpen }))"

    static func sqlList(_ statuses: [TicketStatus]) -> String {
        "(" + statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }

    // MARK: Creating

    /// Files a typed report (portal, app, or an agent's entry) as a draft; one transaction, like a phone draft.
    public func createTicket(_ t: NewTicket, by actor: Actor, context: WorkflowContext) throws -> String {
        try db.transaction {
            let number = try nextNumber()
            let code = TrackingCode.make(receivedAt: t.receivedAt, number: number)
            let received = t.receivedAt.timeIntervalSince1970
            let due = DeadlinePolicy.due(status: .draft, category: t.category, receivedAt: t.receivedAt,
                                         stepStartedAt: t.receivedAt, awaitingGuidance: false, responseDueAt: nil,
                                         calendar: context.calendar)
            let now = Date().timeIntervalSince1970
            let ticket = try db.prepare("""
                INSERT INTO tickets (tracking_code, channel, status, category, topic, caller_number, reporter_name,
                    reporter_address, reporter_email, confidential, content, summary, ward, received_at, due_at,
                    step_started_at, created_at, updated_at)
                VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """).query([
                    .text(code), .text(t.channel.rawValue), .optional(t.category?.rawValue), .optional(t.topic?.rawValue),
                    .text(t.reporter.phone), .text(t.reporter.name), .text(t.reporter.address), .text(t.reporter.email),
                    .int(t.confidential ? 1 : 0), .text(t.content), .text(t.summary), .text(t.ward), .double(received),
                    due.map { .double($0.timeIntervalSince1970) } ?? .null, .double(received), .double(now), .double(now),
                ]) { $0.int(0) }[0]
            try audit(ticket, at: t.receivedAt, actor: actor, action: "create", before: nil,
                      after: ["status": "draft", "channel": t.channel.rawValue, "category": t.category?.rawValue,
                              "topic": t.topic?.rawValue])
            return code
        }
    }

    /// The next tracking number, inside the caller's transaction: SQLite's counter row (the write lock is held,
    /// so no two share one), PostgreSQL's sequence (never the same number twice on any host; a number taken by
    /// a transaction that then rolls back is not given again, so codes may skip one).
    func nextNumber() throws -> Int {
        let sql = db.isPostgres ? "SELECT nextval('tracking_number')"
            : "UPDATE sequences SET last = last + 1 WHERE name = 'tracking' RETURNING last"
        return try db.prepare(sql).query { Int($0.int(0)) }[0]
    }

    // MARK: Reading

    static let ticketColumns = """
        t.id, t.tracking_code, t.channel, t.status, t.category, t.topic, t.caller_number, t.reporter_name,
        t.reporter_address, t.reporter_email, t.confidential, t.content, t.summary, t.ward, t.unit_code,
        t.received_at, t.due_at, t.response_due_at, t.resolved_at, t.completed_at, t.guidance,
        (SELECT d.tracking_code FROM tickets d WHERE d.id = t.duplicate_of),
        (SELECT r.tracking_code FROM tickets r WHERE r.id = t.recurrence_of),
        t.refusal_reason, t.rating, t.rating_comment, t.step_started_at, t.result_text
        """

    static func date(_ r: Row, _ i: Int32) -> Date? { r.optionalDate(i) }

    /// A whole ticket with its attachments; nil when there is no such code.
    public func ticket(_ code: String) throws -> Ticket? {
        guard let (id, ticket, _) = try loadTicket(code) else { return nil }
        var t = ticket
        t.attachments = try attachments(id)
        return t
    }

    func loadTicket(_ code: String) throws -> (Int64, Ticket, Date)? {
        try db.prepare("SELECT \(Self.ticketColumns) FROM tickets t WHERE t.tracking_code = ?").query([.text(code)]) { r in
            let t = Ticket(
                trackingCode: r.text(1) ?? "", channel: r.channel(2),
                status: r.status(3),
                category: r.category(4), topic: r.topic(5),
                reporter: Reporter(name: r.text(7) ?? "", phone: r.text(6) ?? "", address: r.text(8) ?? "", email: r.text(9) ?? ""),
                confidential: r.int(10) != 0, content: r.text(11) ?? "", summary: r.text(12) ?? "", ward: r.text(13) ?? "",
                unitCode: r.text(14), receivedAt: r.date(15), dueAt: r.optionalDate(16),
                responseDueAt: r.optionalDate(17), resolvedAt: r.optionalDate(18), completedAt: r.optionalDate(19),
                awaitingGuidance: r.int(20) != 0, duplicateOf: r.text(21), recurrenceOf: r.text(22),
                refusalReason: r.text(23), rating: r.isNull(24) ? nil : Int(r.int(24)), ratingComment: r.text(25),
                resultText: r.text(27))
            return (r.int(0), t, r.optionalDate(26) ?? t.receivedAt)
        }.first
    }

    func attachments(_ ticketID: Int64) throws -> [Attachment] {
        try db.prepare("""
            SELECT kind, path, sha256, duration_ms, added_at, audio_loss_percent FROM attachments WHERE ticket_id = ? ORDER BY id
            """).query([.int(ticketID)]) { r in
                Attachment(kind: AttachmentKind(rawValue: r.text(0) ?? "") ?? .document, path: r.text(1) ?? "",
                           sha256: r.text(2), durationMs: r.isNull(3) ? nil : Int(r.int(3)),
                           addedAt: r.date(4), audioLossPercent: r.isNull(5) ? nil : Int(r.int(5)))
            }
    }

    /// The audit log of a ticket, oldest first.
    public func history(_ code: String) throws -> [AuditEntry] {
        guard let id = try ticketID(code) else { throw DeskError.notFound(.ticket, code) }
        return try db.prepare("""
            SELECT at, actor, action, before, after FROM audit_log WHERE ticket_id = ? ORDER BY id
            """).query([.int(id)]) { r in
                AuditEntry(at: r.date(0), actor: r.text(1) ?? "", action: r.text(2) ?? "",
                           before: r.text(3), after: r.text(4))
            }
    }

    /// The public view (Art. 9.2); nil when there is no such code.
    public func publicView(_ code: String, now: Date) throws -> PublicTicket? {
        try loadTicket(code).map { $0.1.publicView(at: now) }
    }

    func ticketID(_ code: String) throws -> Int64? {
        try db.prepare("SELECT id FROM tickets WHERE tracking_code = ?").query([.text(code)]) { $0.int(0) }.first
    }

    // MARK: Changing

    /// Fills in or corrects what the reporter said (an agent typing in a recorded call). Only while the hotline
    /// holds the ticket. Personal fields are audited as changed, without their values.
    public func updateDetails(_ code: String, _ d: TicketDetails, by actor: Actor, at: Date) throws {
        try db.transaction {
            guard let (id, t, _) = try loadTicket(code) else { throw DeskError.notFound(.ticket, code) }
            guard let edit = try TicketEditing.decide(t, d) else { return }
            for field in EditableField.allCases {
                guard let value = edit.values[field] else { continue }
                try db.prepare("UPDATE tickets SET \(field.rawValue) = ? WHERE id = ?").run([.text(value), .int(id)])
            }
            if let c = edit.confidential {
                try db.prepare("UPDATE tickets SET confidential = ? WHERE id = ?").run([.int(c ? 1 : 0), .int(id)])
            }
            try db.prepare("UPDATE tickets SET updated_at = ? WHERE id = ?").run([.double(at.timeIntervalSince1970), .int(id)])
            try audit(id, at: at, actor: actor, edit.audit)
        }
    }

    /// Attaches a file (photo, document, minutes) with its SHA-256; the file stays where it is.
    public func addAttachment(_ code: String, kind: AttachmentKind, path: String, by actor: Actor, at: Date) throws {
        let sha = try SHA256.hexOfFile(atPath: path)
        try db.transaction {
            guard let id = try ticketID(code) else { throw DeskError.notFound(.ticket, code) }
            try db.prepare("INSERT INTO attachments (ticket_id, kind, path, sha256, added_at) VALUES (?, ?, ?, ?, ?)")
                .run([.int(id), .text(kind.rawValue), .text(path), .text(sha), .double(at.timeIntervalSince1970)])
            try keepContents(ofFileAt: path, sha256: sha, at: at)
            try audit(id, at: at, actor: actor, action: "attach", before: nil,
                      after: ["kind": kind.rawValue, "file": (path as NSString).lastPathComponent, "sha256": sha])
        }
    }

    /// Takes one step of the lifecycle in one transaction: the core decides (`TicketWorkflow.decide`: the rule,
    /// the new status and deadline, the audit row, the citizen's message) and the store persists the decision.
    /// Evidence counts come from the attachments stored, not from the caller.
    @discardableResult
    public func perform(_ action: TicketAction, on code: String, by actor: Actor, at: Date,
                        context: WorkflowContext) throws -> Ticket {
        try db.transaction {
            guard let (id, t, stepStartedAt) = try loadTicket(code) else { throw DeskError.notFound(.ticket, code) }
            if case .markDuplicate = action {
                preconditionFailure("a duplicate is linked with link(_:to:), which checks the first report (Art. 7.5)")
            }
            let evidence = try db.prepare("""
                SELECT count(*) FROM attachments WHERE ticket_id = ? AND kind != 'recording' AND added_at > ?
                """).query([.int(id), .double(stepStartedAt.timeIntervalSince1970)]) { Int($0.int(0)) }[0]
            let d = try TicketWorkflow.decide(t, action, by: actor.role, at: at, evidenceSinceStep: evidence,
                                              directory: try unitDirectory(), calendar: context.calendar)
            var set: [String: SQLValue] = [
                "status": .text(d.status.rawValue),
                "unit_code": d.unitCode.map(SQLValue.text) ?? .null,
                "guidance": .int(d.awaitingGuidance ? 1 : 0),
                "response_due_at": d.responseDueAt.map { .double($0.timeIntervalSince1970) } ?? .null,
                "due_at": d.dueAt.map { .double($0.timeIntervalSince1970) } ?? .null,
                "step_started_at": .double(d.stepStartedAt.timeIntervalSince1970),
                "updated_at": .double(at.timeIntervalSince1970),
            ]
            for (column, value) in d.timestamps { set[column.rawValue] = value.map { .double($0.timeIntervalSince1970) } ?? .null }
            if let reason = d.refusalReason { set["refusal_reason"] = .text(reason) }
            if let result = d.resultText { set["result_text"] = result.map(SQLValue.text) ?? .null }
            if d.clearsRating {
                set["rating"] = .null
                set["rating_comment"] = .null
            }
            let columns = set.keys.sorted()
            try db.prepare("UPDATE tickets SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?")
                .run(columns.map { set[$0]! } + [.int(id)])
            try audit(id, at: at, actor: actor, d.audit)
            if let m = d.message {
                try enqueue(m.kind, ticketID: id, code: code, recipient: t.reporter.phone, values: m.values, at: at, context: context)
            }
            guard var updated = try loadTicket(code)?.1 else { throw DeskError.notFound(.ticket, code) }
            updated.attachments = try attachments(id)
            return updated
        }
    }

    /// Links a new report to an earlier one (Art. 7.5; seed 000, 6a): `TicketLinking.decide` rules, the store
    /// persists. `expected` is the kind the agent chose, if any.
    @discardableResult
    public func link(_ code: String, to originalCode: String, expecting expected: LinkKind? = nil, by actor: Actor, at: Date,
                     context: WorkflowContext) throws -> LinkKind {
        try db.transaction {
            guard let (id, t, _) = try loadTicket(code) else { throw DeskError.notFound(.ticket, code) }
            guard var (originalID, original, _) = try loadTicket(originalCode) else { throw DeskError.notFound(.ticket, originalCode) }
            if let first = TicketLinking.standIn(for: original), let o = try loadTicket(first) { (originalID, original, _) = o }
            let d = try TicketLinking.decide(t, to: original, typedCode: originalCode, expected: expected, by: actor.role, at: at)
            if let status = d.status {
                try db.prepare("""
                    UPDATE tickets SET status = ?, duplicate_of = ?, due_at = NULL, step_started_at = ?, updated_at = ? WHERE id = ?
                    """).run([.text(status.rawValue), .int(originalID), .double(at.timeIntervalSince1970),
                              .double(at.timeIntervalSince1970), .int(id)])
            } else {
                try db.prepare("UPDATE tickets SET recurrence_of = ?, updated_at = ? WHERE id = ?")
                    .run([.int(originalID), .double(at.timeIntervalSince1970), .int(id)])
            }
            try audit(id, at: at, actor: actor, d.audit)
            if let originalAudit = d.originalAudit { try audit(originalID, at: at, actor: actor, originalAudit) }
            if let m = d.message {
                try enqueue(m.kind, ticketID: id, code: code, recipient: t.reporter.phone, values: m.values, at: at, context: context)
            }
            return d.kind
        }
    }

    /// Earlier tickets that may be the same matter: same caller, same ward and topic within 30 days, or a
    /// similar summary among the same ward's or topic's recent tickets. Merged reports are left out: the
    /// report they were merged into stands for them.
    public func duplicateCandidates(for code: String) throws -> [DuplicateCandidate] {
        guard let (id, t, _) = try loadTicket(code) else { throw DeskError.notFound(.ticket, code) }
        let since = t.receivedAt.addingTimeInterval(-DuplicatePolicy.window).timeIntervalSince1970
        let earlier = try db.prepare("""
            SELECT tracking_code, status, caller_number, ward, topic, summary, received_at FROM tickets
            WHERE id != ? AND received_at <= ? AND status != 'merged' AND (
                (caller_number != '' AND caller_number = ?)
                OR (ward != '' AND ward = ? AND received_at >= ?)
                OR (topic IS NOT NULL AND topic = ? AND received_at >= ?))
            ORDER BY received_at DESC LIMIT 500
            """).query([.int(id), .double(t.receivedAt.timeIntervalSince1970), .text(t.reporter.phone), .text(t.ward),
                        .double(since), .optional(t.topic?.rawValue), .double(since)]) { r in
                EarlierTicket(trackingCode: r.text(0) ?? "", status: r.status(1),
                              callerNumber: r.text(2) ?? "", ward: r.text(3) ?? "", topic: r.topic(4),
                              summary: r.text(5) ?? "", receivedAt: r.date(6))
            }
        return DuplicatePolicy.candidates(callerNumber: t.reporter.phone, ward: t.ward, topic: t.topic,
                                          summary: t.summary.isEmpty ? t.content : t.summary, receivedAt: t.receivedAt,
                                          among: earlier)
    }

    /// The citizen's satisfaction (1–5) with a completed result (Art. 8.5b): one rating per result; the audit log
    /// keeps every rating across reopenings.
    /// `recordedBy` is the agent who typed in a rating the citizen gave by phone or SMS reply.
    public func rate(_ code: String, score: Int, comment: String, at: Date, recordedBy: Actor? = nil) throws {
        try db.transaction {
            guard let (id, t, _) = try loadTicket(code) else { throw DeskError.notFound(.ticket, code) }
            let (actor, record) = try TicketRating.decide(t, score: score, recordedBy: recordedBy)
            try db.prepare("UPDATE tickets SET rating = ?, rating_comment = ?, rated_at = ? WHERE id = ?")
                .run([.int(Int64(score)), .text(comment), .double(at.timeIntervalSince1970), .int(id)])
            try audit(id, at: at, actor: actor, record)
        }
    }

    // MARK: Helpers

    func audit(_ ticketID: Int64, at: Date, actor: Actor, _ record: AuditRecord) throws {
        try audit(ticketID, at: at, actor: actor, action: record.action, before: record.before, after: record.after)
    }

    func audit(_ ticketID: Int64, at: Date, actor: Actor, action: String, before: [String: String?]?,
               after: [String: String?]?) throws {
        try db.prepare("INSERT INTO audit_log (ticket_id, at, actor, action, before, after) VALUES (?, ?, ?, ?, ?, ?)")
            .run([.int(ticketID), .double(at.timeIntervalSince1970), .text("\(actor.role.rawValue):\(actor.name)"),
                  .text(action), .optional(before.map(Self.json)), .optional(after.map(Self.json))])
    }

    static func json(_ fields: [String: String?]) -> String {
        let object = fields.mapValues { $0.map { $0 as Any } ?? NSNull() }
        let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
