import Foundation
import HotlineCore

/// Who may act on a ticket held by a unit, and how the transfer window is counted.
extension TicketStore {
    static let workColumns = """
        t.tracking_code, t.status, t.category, t.summary, t.ward, t.unit_code, t.received_at, t.due_at,
        t.response_due_at, t.resolved_at,
        (SELECT count(*) FROM attachments e WHERE e.ticket_id = t.id AND e.kind != 'recording'), t.guidance, t.confidential
        """

    static func workItem(_ r: Row) -> WorkItem {
        WorkItem(trackingCode: r.text(0) ?? "", status: r.status(1), category: r.category(2), summary: r.text(3) ?? "",
                 ward: r.text(4) ?? "", unitCode: r.text(5), receivedAt: r.date(6), dueAt: r.optionalDate(7),
                 responseDueAt: r.optionalDate(8), resolvedAt: r.optionalDate(9), evidenceCount: Int(r.int(10)),
                 awaitingGuidance: r.int(11) != 0, confidential: r.int(12) != 0)
    }

    // MARK: The hotline

    /// Earlier tickets from the same number, newest first (the agent sees whether the caller rang before).
    public func callerTickets(_ number: String, except code: String, limit: Int = 20) throws -> [CallerTicket] {
        guard !number.isEmpty else { return [] }
        return try db.prepare("""
            SELECT tracking_code, status, category, summary, received_at, confidential, response_due_at FROM tickets
            WHERE caller_number = ? AND tracking_code != ? ORDER BY received_at DESC LIMIT ?
            """).query([.text(number), .text(code), .int(Int64(limit))]) { r in
                CallerTicket(trackingCode: r.text(0) ?? "", status: r.status(1), category: r.category(2),
                             summary: r.text(3) ?? "", receivedAt: r.date(4), confidential: r.int(5) != 0,
                             responseDueAt: r.optionalDate(6))
            }
    }

    /// An agent completes a recorded draft: the details typed in from the recording, then forwarded to the unit
    /// (the acknowledgement queued), all in one transaction. With no unit given, the router's suggestion is
    /// taken; when it names no single unit the agent is told to ask the City Office (`guidance`).
    @discardableResult
    public func completeDraft(_ code: String, details: TicketDetails, unit: String?, by user: User, at: Date,
                              context: WorkflowContext) throws -> Ticket {
        try asHotline(code, user, at: at) {
            try updateDetails(code, details, by: user.actor, at: at)
            let target = try StepRules.forwardTarget(typed: unit, suggestion: try suggestRoute(code), code: code)
            return try perform(.forward(unit: target), on: code, by: user.actor, at: at, context: context)
        }
    }

    /// An agent refuses a draft; the citizen receives the reason (Art. 4.7).
    @discardableResult
    public func refuse(_ code: String, reason: String, by user: User, at: Date, context: WorkflowContext) throws -> Ticket {
        try asHotline(code, user, at: at) {
            try perform(.refuse(reason: reason), on: code, by: user.actor, at: at, context: context)
        }
    }

    /// An agent sends a draft to the City Office for guidance (Art. 7.4: 2 h in office hours, 4 h on days off).
    @discardableResult
    public func seekGuidance(_ code: String, details: TicketDetails, reason: String, by user: User, at: Date,
                             context: WorkflowContext) throws -> Ticket {
        try asHotline(code, user, at: at) {
            try updateDetails(code, details, by: user.actor, at: at)
            return try perform(.seekGuidance(reason: reason), on: code, by: user.actor, at: at, context: context)
        }
    }

    /// An agent links a draft to an earlier ticket as the kind they expect. The core decides from the first
    /// report's status; when the agent's word disagrees (a "duplicate" of a ticket already completed is a
    /// recurrence: seed 000, 6a) nothing changes and the error says which it is.
    @discardableResult
    public func linkDraft(_ code: String, to original: String, as expected: LinkKind, by user: User, at: Date,
                          context: WorkflowContext) throws -> LinkKind {
        try asHotline(code, user, at: at) {
            try link(code, to: original, expecting: expected, by: user.actor, at: at, context: context)
        }
    }

    // MARK: Units

    /// A unit's open tickets by deadline (the most urgent first), and those waiting for the hotline's review.
    public func unitInbox(_ unit: String) throws -> [WorkItem] {
        try db.prepare("""
            SELECT \(Self.workColumns) FROM tickets t
            WHERE \(db.isPostgres ? "lower(t.unit_code) = lower(?)" : "t.unit_code = ? COLLATE NOCASE") AND t.status IN ('forwarded', 'accepted', 'in_progress', 'transferred', 'resolved')
            ORDER BY t.status = 'resolved', t.due_at, t.received_at
            """).query([.text(unit)], Self.workItem)
    }

    /// Copies an evidence file into the store's folder (`evidence/CODE/`), so the proof outlives the file the
    /// unit pointed at; returns the copy's path and whether this call made it. The name keeps the original's, prefixed by its SHA-256.
    public func importEvidence(_ file: String, for code: String) throws -> (path: String, isNew: Bool) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir), !isDir.boolValue else {
            throw DeskError.notFound(.file, file)
        }
        let sha = try SHA256.hexOfFile(atPath: file)
        let base = (dataDirectory as NSString).appendingPathComponent("evidence/\(code)")
        try PrivateFiles.makeFolder(base)
        let target = (base as NSString).appendingPathComponent("\(sha.prefix(12))-\((file as NSString).lastPathComponent)")
        if FileManager.default.fileExists(atPath: target) { return (target, false) }
        try FileManager.default.copyItem(atPath: file, toPath: target)
        PrivateFiles.restrict(target)
        return (target, true)
    }

    /// A unit member takes a step on a ticket their unit holds: evidence files are attached and the step is
    /// checked and recorded in one transaction, so a refused step leaves no attachment behind. A transfer is
    /// refused once its window has closed (Art. 8.2f: 1 working day from receipt by the unit, 2 with a field
    /// check).
    @discardableResult
    public func unitStep(_ action: TicketAction, on code: String, evidence: [String] = [], fieldCheck: Bool = false,
                         by user: User, at: Date, context: WorkflowContext,
                         authorize: (Ticket) throws -> Void) throws -> Ticket {
        try db.transaction {
            guard let (id, t, _) = try loadTicket(code) else { throw DeskError.notFound(.ticket, code) }
            try authorize(t)
            if case .transfer = action {
                let forwardedAt = try db.prepare("SELECT forwarded_at FROM tickets WHERE id = ?").query([.int(id)]) {
                    Self.date($0, 0)
                }.first ?? nil
                try StepRules.checkTransferWindow(t, action, forwardedAt: forwardedAt, fieldCheck: fieldCheck, at: at,
                                                  calendar: context.calendar)
            }
            for file in evidence {
                let earlier = try db.prepare("SELECT added_at FROM attachments WHERE path = ?").query([.text(file)]) {
                    Date(timeIntervalSince1970: $0.double(0))
                }.first
                try StepRules.checkNewEvidence(file, attachedBefore: earlier)
                try addAttachment(code, kind: AttachmentKind.evidence(forFile: file), path: file, by: user.actor, at: at)
            }
            return try perform(action, on: code, by: user.actor, at: at, context: context)
        }
    }

    // MARK: Review and oversight

    /// Results the units resolved, waiting for the hotline to confirm or send back (Art. 8.5), oldest first.
    public func pendingReview() throws -> [WorkItem] {
        try db.prepare("SELECT \(Self.workColumns) FROM tickets t WHERE t.status = 'resolved' ORDER BY t.resolved_at")
            .query([], Self.workItem)
    }

    /// The hotline confirms a unit's result (the citizen's result message queued) or sends it back with a reason.
    @discardableResult
    public func review(_ code: String, confirm: Bool, reason: String = "", by user: User, at: Date,
                       context: WorkflowContext) throws -> Ticket {
        try perform(confirm ? .confirm : .reject(reason: reason), on: code, by: user.actor, at: at, context: context)
    }

    /// Open tickets overdue, or due within `within` of `now`, most urgent first (letter 6180's Thursday list).
    public func watchList(now: Date, within: TimeInterval, limit: Int = 2000) throws -> [WorkItem] {
        try db.prepare("""
            SELECT \(Self.workColumns) FROM tickets t INDEXED BY tickets_open_due
            WHERE \(Self.openCondition) AND t.due_at < ? ORDER BY t.due_at LIMIT ?
            """).query([.double(now.addingTimeInterval(within).timeIntervalSince1970), .int(Int64(limit))], Self.workItem)
    }
}
