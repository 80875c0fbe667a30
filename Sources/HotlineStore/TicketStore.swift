import CSQLite
import Foundation
import HotlineCore

/// The ticket store: one SQLite database in WAL mode. Each public method is one transaction at most.
///
/// Durability: `synchronous=FULL`. A draft is one small transaction per call, so an fsync per commit costs
/// nothing a hotline would notice, and in exchange a draft acknowledged to the gateway (and its tracking code
/// read to the caller) survives a power cut. WAL keeps readers (agents' queries) off the writer's way.
/// Not thread-safe: one store per thread or queue (the gateway's desk owns one; each command opens its own).
public final class TicketStore: @unchecked Sendable {
    let db: Connection
    public let path: String

    /// Whether `location` names a PostgreSQL database (a `postgresql://` URL, or libpq's `host=… dbname=…`)
    /// rather than an SQLite file.
    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgresql://") || location.hasPrefix("postgres://")
            || (location.contains("=") && (location.contains("dbname=") || location.contains("host=")))
    }

    /// Opens the store: an SQLite file (created when missing), or a PostgreSQL database by its connection string,
    /// whose schema is created on first use.
    /// The folder of the files the store keeps beside its rows (evidence copies, uploads): the SQLite file's
    /// folder, or for PostgreSQL the one given (default `./var`).
    public let dataDirectory: String

    /// The data folder a database implies when none is given: the SQLite file's folder (empty for a bare file
    /// name: the current one), `./var` for PostgreSQL (the default data folder of `serve`).
    public static func defaultDataDirectory(for database: String) -> String {
        isPostgres(database) ? "./var" : (database as NSString).deletingLastPathComponent
    }

    public var isPostgres: Bool { db.isPostgres }

    /// Session-level PostgreSQL advisory locks this store's connection holds (held until it closes), and the
    /// connection they were taken on (a reconnected store holds none).
    private var heldLocks: Set<Int64> = []
    private var heldOnGeneration = 0

    /// The outbox's "one process delivers" lock on PostgreSQL (SQLite's processes use a lock file instead).
    public static let outboxLockKey: Int64 = 1022_0003

    /// Takes, or still holds, a session-level advisory lock on PostgreSQL: one process across every host holds
    /// it; it is released when that process's connection ends (a crash included). Nil on SQLite.
    public func holdLock(_ key: Int64) throws -> Bool? {
        guard db.isPostgres else { return nil }
        if heldOnGeneration == db.generation, heldLocks.contains(key) { return true }
        let got = try db.prepare("SELECT pg_try_advisory_lock(?)").query([.int(key)]) { $0.int(0) != 0 }.first ?? false
        if heldOnGeneration != db.generation { (heldLocks, heldOnGeneration) = ([], db.generation) }
        if got { heldLocks.insert(key) }
        return got
    }

    public init(path: String, dataDirectory: String? = nil) throws {
        self.path = path
        if Self.isPostgres(path) {
            self.dataDirectory = dataDirectory ?? Self.defaultDataDirectory(for: path)
            db = try Connection(postgres: path)
            try PostgresSchema.apply(db)
            return
        }
        let dir = (path as NSString).deletingLastPathComponent
        self.dataDirectory = dataDirectory ?? dir
        try PrivateFiles.makeFolder(dir)
        // An in-memory or URI database has no file of its own to create.
        let created = path != ":memory:" && !path.isEmpty && !path.hasPrefix("file:") && PrivateFiles.createFile(path)
        db = try Connection(path: path)
        try db.execute("PRAGMA busy_timeout = 5000")
        try db.execute("PRAGMA journal_mode = WAL")
        if created { for file in [path, path + "-wal", path + "-shm"] { PrivateFiles.restrict(file) } }
        try db.execute("PRAGMA synchronous = FULL")
        try db.execute("PRAGMA foreign_keys = ON")
        try Migrations.apply(db)
    }

    public func close() throws { try db.close() }

    /// The schema version (PRAGMA user_version).
    public func schemaVersion() throws -> Int {
        try db.prepare(db.isPostgres ? "SELECT max(version) FROM schema_version" : "PRAGMA user_version")
            .query { Int($0.int(0)) }.first ?? 0
    }

    /// Stores a phone draft in one transaction and returns its tracking code `YYYYMMDD-NNNNNNN`.
    /// Idempotent per recording: filing the same recording twice (a recovery after a crash that came
    /// right after the first commit) returns the first code.
    /// The hotline's deadline follows the caller's category (Art. 7.3: 60 minutes; a suggestion 1 working day,
    /// Art. 8.3a), counted on `calendar`.
    public func createPhoneDraft(_ draft: PhoneDraft, calendar: WorkingCalendar = WorkingCalendar()) throws -> String {
        try db.transaction {
            if let path = draft.recordingPath,
               let existing = try db.prepare("""
                   SELECT t.tracking_code FROM attachments a JOIN tickets t ON t.id = a.ticket_id WHERE a.path = ?
                   """).query([.text(path)], { $0.text(0) }).first, let code = existing
            {
                return code
            }
            let code = TrackingCode.make(receivedAt: draft.receivedAt, number: try nextNumber())
            let now = Date().timeIntervalSince1970
            let received = draft.receivedAt.timeIntervalSince1970
            let ticket = try db.prepare("""
                INSERT INTO tickets (tracking_code, channel, status, category, caller_number, confidential,
                    received_at, due_at, sip_call_id, dialplan_version, interrupted, created_at, updated_at, step_started_at)
                VALUES (?, 'phone', 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """).query([
                    .text(code), .optional(draft.category?.rawValue), .text(draft.callerNumber),
                    .int(draft.confidential == true ? 1 : 0), .double(received),
                    .double(DeadlinePolicy.hotlineStep(category: draft.category, receivedAt: draft.receivedAt, returnedAt: nil)
                        .due(calendar).timeIntervalSince1970), .text(draft.callID), .text(draft.dialplanVersion),
                    .int(draft.interrupted ? 1 : 0), .double(now), .double(now), .double(received),
                ]) { $0.int(0) }[0]
            if let path = draft.recordingPath {
                try db.prepare("""
                    INSERT INTO attachments (ticket_id, kind, path, duration_ms, sha256, added_at, audio_loss_percent)
                    VALUES (?, 'recording', ?, ?, ?, ?, ?)
                    """).run([.int(ticket), .text(path), .int(Int64(draft.recordingDurationMs)),
                              .optional(draft.recordingSHA256), .double(now),
                              draft.audioLossPercent.map { .int(Int64($0)) } ?? .null])
                try keepContents(ofFileAt: path, sha256: draft.recordingSHA256, at: Date(timeIntervalSince1970: now))
            }
            // The audit log records the change, not the caller's number (personal data stays in the ticket).
            let after = "{\"status\":\"draft\",\"channel\":\"phone\",\"category\":\(draft.category.map { "\"\($0.rawValue)\"" } ?? "null"),\"interrupted\":\(draft.interrupted)}"
            try db.prepare("""
                INSERT INTO audit_log (ticket_id, at, actor, action, before, after) VALUES (?, ?, 'gateway', 'create', NULL, ?)
                """).run([.int(ticket), .double(now), .text(after)])
            return code
        }
    }

    /// The draft an agent opens from a live call (issue 23 §4): one per call. A second request for the same call
    /// (`callID`, from the same number within a day) returns the first draft's code, in the same transaction as
    /// the check, so two clicks never make two cases.
    public func liveCallDraft(_ draft: PhoneDraft, calendar: WorkingCalendar = WorkingCalendar()) throws -> String {
        try db.transaction {
            if let found = try db.prepare("""
                SELECT tracking_code FROM tickets WHERE caller_number = ? AND received_at >= ? AND sip_call_id = ?
                """).query([.text(draft.callerNumber), .double(draft.receivedAt.timeIntervalSince1970 - 86400),
                            .text(draft.callID)], { $0.text(0) }).first, let code = found
            {
                return code
            }
            return try createPhoneDraft(draft, calendar: calendar)
        }
    }

    /// Stores several phone drafts in ONE transaction (one commit, one fsync: issue 17's surge of callers pressing
    /// "send"), each in its own savepoint: a draft the store refuses is rolled back alone and reported as its
    /// failure, the others are kept. If the commit itself fails, every draft fails. Results are in order.
    public func createPhoneDrafts(_ drafts: [PhoneDraft], calendar: WorkingCalendar = WorkingCalendar()) -> [Result<String, Error>] {
        guard drafts.count > 1 else { return drafts.map { d in Result { try createPhoneDraft(d, calendar: calendar) } } }
        do {
            return try db.transaction {
                drafts.map { d in Result { try createPhoneDraft(d, calendar: calendar) } }
            }
        } catch {
            return drafts.map { _ in .failure(error) }
        }
    }

    /// The failure is the database out of reach (PostgreSQL's server gone, or only a read-only standby left),
    /// not anything about the data: the same write may well succeed a few seconds later.
    public static func isUnreachable<T>(_ result: Result<T, Error>) -> Bool {
        guard case .failure(let error) = result, let lost = error as? PostgreSQLError else { return false }
        return lost.isConnectionLost
    }

    /// What waits for the hotline: recorded drafts and tickets units sent back, by deadline (the most urgent
    /// first), each with the agent holding a live claim on it.
    public func draftQueue(now: Date = Date()) throws -> [QueuedDraft] {
        try db.prepare("""
            SELECT t.tracking_code, t.caller_number, t.category, t.confidential, t.received_at,
                   a.path, COALESCE(a.duration_ms, 0), a.sha256, t.interrupted, t.status, t.due_at,
                   c.user_name, c.expires_at, a.audio_loss_percent
            FROM tickets t LEFT JOIN attachments a ON a.id = (
                SELECT min(r.id) FROM attachments r WHERE r.ticket_id = t.id AND r.kind = 'recording')
            LEFT JOIN claims c ON c.ticket_id = t.id AND c.expires_at > ?
            WHERE t.status IN ('draft', 'returned')
            ORDER BY t.due_at, t.received_at, t.id
            """).query([.double(now.timeIntervalSince1970)]) { r in
                QueuedDraft(
                    trackingCode: r.text(0) ?? "", callerNumber: r.text(1) ?? "",
                    category: r.text(2).flatMap(HotlineCore.Category.init(rawValue:)), confidential: r.int(3) != 0,
                    receivedAt: Date(timeIntervalSince1970: r.double(4)), recordingPath: r.text(5),
                    recordingDurationMs: Int(r.int(6)), recordingSHA256: r.text(7), interrupted: r.int(8) != 0,
                    status: TicketStatus(rawValue: r.text(9) ?? "") ?? .draft, dueAt: Self.date(r, 10),
                    claimedBy: r.text(11), claimedUntil: Self.date(r, 12),
                    audioLossPercent: r.isNull(13) ? nil : Int(r.int(13)))
            }
    }

    /// A ticket's status as a caller may hear it; nil if there is no such ticket.
    /// A duplicate merged into an earlier report answers with that report's status (Art. 7.5).
    public func phoneStatus(trackingCode: String, now: Date) throws -> PhoneStatusSummary? {
        try db.prepare("""
            SELECT COALESCE(o.status, t.status), COALESCE(o.unit_code, t.unit_code),
                   CASE WHEN o.id IS NULL THEN t.completed_at ELSE o.completed_at END,
                   CASE WHEN o.id IS NULL THEN t.due_at ELSE o.due_at END
            FROM tickets t LEFT JOIN tickets o ON o.id = t.duplicate_of WHERE t.tracking_code = ?
            """).query([.text(trackingCode)]) { r in
                let status = TicketStatus(rawValue: r.text(0) ?? "") ?? .draft
                let due = r.isNull(3) ? nil : r.double(3)
                return PhoneStatusSummary(
                    status: status, unitCode: r.text(1),
                    completedAt: r.isNull(2) ? nil : Date(timeIntervalSince1970: r.double(2)),
                    overdue: status.isOpen && due.map { $0 < now.timeIntervalSince1970 } == true)
            }.first
    }

    /// The newest ticket filed from this phone number.
    public func latestTrackingCode(callerNumber: String) throws -> String? {
        try db.prepare("""
            SELECT tracking_code FROM tickets WHERE caller_number = ? ORDER BY received_at DESC, id DESC LIMIT 1
            """).query([.text(callerNumber)]) { $0.text(0) }.first ?? nil
    }
}

