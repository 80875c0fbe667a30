import Foundation
import HotlineCore
import HotlineStore

/// A result waiting for the hotline's confirmation, with what the unit wrote and sent as evidence.
public struct PendingResult: Encodable, Sendable {
    public let item: WorkItem
    public let resultText: String?
    public let notes: [CaseNote]
    public let evidence: [Attachment]
}

extension Desk {
    /// Results the units resolved, oldest first, each with its result text, notes and evidence.
    public func pendingReview(as user: User) throws -> [PendingResult] {
        try check(user, .review)
        return try store.pendingReview().map { item in
            let t = try ticket(item.trackingCode)
            return PendingResult(item: item, resultText: t.resultText, notes: try caseNotes(item.trackingCode),
                                 evidence: t.attachments.filter(\.kind.isEvidence))
        }
    }

    /// Confirms a unit's result: completed, and the citizen's result message (with the result text) queued.
    public func confirm(_ code: String, as user: User) throws -> Ticket {
        try check(user, .review)
        return try store.review(code, confirm: true, by: user, at: now(), context: try context())
    }

    public func reject(_ code: String, reason: String, as user: User) throws -> Ticket {
        try check(user, .review)
        let reason = try required(reason, .reason, "đơn vị cần biết còn thiếu gì (Art. 8.5)")
        return try store.review(code, confirm: false, reason: reason, by: user, at: now(), context: try context())
    }

    /// A rating the citizen gave by phone or SMS reply, typed in by an agent (audited with who typed it).
    public func rate(_ code: String, score: Int, comment: String = "", as user: User) throws {
        try check(user, .review)
        try store.rate(code, score: score, comment: comment, at: now(), recordedBy: user.actor)
    }

    public func reopen(_ code: String, reason: String, as user: User) throws -> Ticket {
        try check(user, .review)
        let reason = try required(reason, .reason, "điều người dân chưa hài lòng với kết quả (Art. 8.5b)")
        return try store.perform(.reopen(reason: reason), on: code, by: user.actor, at: now(), context: try context())
    }

    /// Open tickets overdue or due within `within`, most urgent first.
    public func overdue(within: TimeInterval, as user: User) throws -> [WorkItem] {
        try check(user, .oversee)
        guard within >= 0 else { throw DeskError.invalidField(.minutes, reason: "từ 0 phút trở lên") }
        return try store.watchList(now: now(), within: within)
    }

    /// The citizens' messages, for the hotline and administrators.
    public func outbox(failedOnly: Bool, limit: Int, as user: User) throws -> [OutboxMessage] {
        try check(user, .oversee)
        return try store.outbox(failedOnly: failedOnly, limit: limit)
    }
}
