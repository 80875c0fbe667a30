import Foundation
import HotlineCore

/// Live conversations' recordings and the case each goes with (issue 23 §4). Either side may come first: the
/// agent makes or picks the case during the call, or the gateway files the recording before the agent does
/// (wrap-up). Whichever completes the pair attaches the recording to the ticket, as a `recording` attachment:
/// the transcription trigger queues it like a voice report's, and its bytes are kept for every host.
extension TicketStore {
    /// Where a call's conversation stands: its recording once filed, and the case it goes with once chosen.
    public struct ConversationLink: Sendable, Equatable {
        public var call: String
        public var trackingCode: String?
        public var path: String?
    }

    /// The gateway's recording of the conversation, stored once per call (filing it again changes nothing);
    /// attached at once when the case is known. Returns the case's code when it was attached.
    @discardableResult
    public func fileConversation(_ c: ConversationRecording, at: Date) throws -> String? {
        try db.transaction {
            try db.prepare("""
                INSERT INTO conversations (call_ref, caller_number, agent, path, duration_ms, sha256, audio_loss_percent,
                    started_at, filed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (call_ref) DO UPDATE SET caller_number = excluded.caller_number, agent = excluded.agent,
                    path = excluded.path, duration_ms = excluded.duration_ms, sha256 = excluded.sha256,
                    audio_loss_percent = excluded.audio_loss_percent, started_at = excluded.started_at,
                    filed_at = excluded.filed_at
                WHERE conversations.path IS NULL
                """).run([.text(c.call), .text(c.callerNumber), .text(c.agent), .text(c.path), .int(Int64(c.durationMs)),
                          .optional(c.sha256), c.lossPercent.map { .int(Int64($0)) } ?? .null,
                          .double(c.startedAt.timeIntervalSince1970), .double(at.timeIntervalSince1970)])
            try keepContents(ofFileAt: c.path, sha256: c.sha256, at: at)
            return try attachConversation(c.call, at: at)
        }
    }

    /// The case chosen for the call's conversation by an agent (made from the call, or an open case picked for it).
    /// False when the conversation already goes with another case (it goes with one case only).
    public func linkConversation(_ call: String, callerNumber: String, toCase code: String, by agent: String, at: Date) throws -> Bool {
        try db.transaction {
            guard let ticket = try ticketID(code) else { throw DeskError.notFound(.ticket, code) }
            let current = try db.prepare("SELECT ticket_id FROM conversations WHERE call_ref = ?")
                .query([.text(call)]) { $0.isNull(0) ? nil : $0.int(0) }
            if let linked = current.first, let linked {
                // One case per conversation; the same case again (a second click) writes nothing.
                return linked == ticket
            }
            try db.prepare("""
                INSERT INTO conversations (call_ref, ticket_id, caller_number, agent, linked_by, linked_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (call_ref) DO UPDATE SET ticket_id = excluded.ticket_id, linked_by = excluded.linked_by,
                    linked_at = excluded.linked_at
                """).run([.text(call), .int(ticket), .text(callerNumber), .text(agent), .text(agent),
                          .double(at.timeIntervalSince1970)])
            try audit(ticket, at: at, actor: Actor(.hotline, agent), action: "link-conversation", before: nil,
                      after: ["call": call])
            _ = try attachConversation(call, at: at)
            return true
        }
    }

    /// The call's conversation as stored, nil when neither side has stored anything of it yet.
    public func conversation(_ call: String) throws -> ConversationLink? {
        try db.prepare("""
            SELECT c.call_ref, t.tracking_code, c.path FROM conversations c
            LEFT JOIN tickets t ON t.id = c.ticket_id WHERE c.call_ref = ?
            """).query([.text(call)]) { r in
                ConversationLink(call: r.text(0) ?? call, trackingCode: r.text(1), path: r.text(2))
            }.first
    }

    /// Inside a transaction: attaches the filed recording to its case once both are known (once: the attachment's
    /// path is unique). Returns the case's code when the recording is attached now or was already.
    private func attachConversation(_ call: String, at: Date) throws -> String? {
        guard let (ticket, code, path, duration, sha, loss) = try db.prepare("""
            SELECT c.ticket_id, t.tracking_code, c.path, c.duration_ms, c.sha256, c.audio_loss_percent
            FROM conversations c JOIN tickets t ON t.id = c.ticket_id WHERE c.call_ref = ? AND c.path IS NOT NULL
            """).query([.text(call)], { r in
                (r.int(0), r.text(1) ?? "", r.text(2) ?? "", r.int(3), r.text(4), r.isNull(5) ? nil : r.int(5))
            }).first
        else { return nil }
        let attached = try db.prepare("SELECT 1 FROM attachments WHERE path = ?").query([.text(path)]) { _ in true }
        guard attached.isEmpty else { return code }
        try db.prepare("""
            INSERT INTO attachments (ticket_id, kind, path, duration_ms, sha256, added_at, audio_loss_percent)
            VALUES (?, 'recording', ?, ?, ?, ?, ?)
            """).run([.int(ticket), .text(path), .int(duration), .optional(sha), .double(at.timeIntervalSince1970),
                      loss.map { .int($0) } ?? .null])
        try db.prepare("""
            INSERT INTO audit_log (ticket_id, at, actor, action, before, after) VALUES (?, ?, 'gateway', 'attach', NULL, ?)
            """).run([.int(ticket), .double(at.timeIntervalSince1970),
                      .text(Self.json(["kind": "conversation", "file": (path as NSString).lastPathComponent, "sha256": sha]))])
        return code
    }
}
