import CSQLite
import Foundation
import HotlineCore

/// What monitoring reads from the store on each scrape: queue lengths only, no personal data.
public struct OperationalCounts: Sendable, Equatable {
    /// Drafts and returned tickets waiting for the hotline (the agents' queue).
    public var draftsWaiting = 0
    /// Citizens' messages not yet delivered and not given up.
    public var outboxQueued = 0
    /// Messages that failed after every retry.
    public var outboxFailed = 0
    public var transcription = TranscriptionCounts()
}

extension TicketStore {
    /// The queues monitoring watches, read in one snapshot (one read transaction: consistent numbers).
    public func operationalCounts() throws -> OperationalCounts {
        try db.execute("BEGIN")
        defer { try? db.execute("COMMIT") }
        var c = OperationalCounts()
        c.draftsWaiting = try db.prepare("SELECT count(*) FROM tickets WHERE status IN ('draft', 'returned')")
            .query { Int($0.int(0)) }.first ?? 0
        c.outboxQueued = try db.prepare("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
            .query { Int($0.int(0)) }.first ?? 0
        c.outboxFailed = try db.prepare("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL")
            .query { Int($0.int(0)) }.first ?? 0
        c.transcription = try transcriptionCounts()
        return c
    }

    /// For health checks: the database answers a read.
    public func ping() throws {
        _ = try db.prepare("SELECT count(*) FROM sequences").query { $0.int(0) }
    }
}
