import CSQLite
import Foundation
import HotlineCore

// PLACEHOLDER API, to be replaced by the real SQLite store (issue 3). Keep these signatures.
public final class TicketStore: @unchecked Sendable {
    public init(path: String) throws { fatalError("TicketStore not implemented yet") }
    public func close() throws {}
    /// Stores a phone draft in one transaction and returns its tracking code `YYYYMMDD-NNNNNNN`.
    public func createPhoneDraft(_ draft: PhoneDraft) throws -> String { fatalError() }
    /// Drafts waiting for an agent, oldest first.
    public func draftQueue() throws -> [QueuedDraft] { fatalError() }
}
