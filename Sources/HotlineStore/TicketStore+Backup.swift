import CSQLite
import Foundation
import HotlineCore

/// A file a ticket points at (a recording or a piece of evidence), as the store knows it.
public struct StoredFile: Sendable, Equatable {
    public var trackingCode: String
    public var kind: AttachmentKind
    /// As stored: absolute for recordings; evidence paths follow the database path given to the store.
    public var path: String
    /// The SHA-256 taken when the file was attached (nil for a recording that could not be read then).
    public var sha256: String?
}

extension TicketStore {
    /// Copies the whole database to `destination` with SQLite's online backup API
    /// (`sqlite3_backup_init` / `step` / `finish`), in one step: one read transaction on the source, so the copy
    /// is the database as of one instant, while the gateway and the desk go on writing (WAL: a reader never
    /// blocks a writer). The copy is created 0640. Retries while the source is busy or locked, up to `timeout`.
    public func backup(to destination: String, timeout: TimeInterval = 60) throws {
        guard !db.isPostgres else {
            throw PostgreSQLError(sqlState: "", message: "a PostgreSQL store is backed up with pg_dump, not copied as a file",
                                  context: "backing up")
        }
        try? FileManager.default.removeItem(atPath: destination)
        PrivateFiles.createFile(destination)
        let target = try Connection(path: destination)
        defer { try? target.close() }
        guard let backup = sqlite3_backup_init(target.handle, "main", db.handle, "main") else {
            throw SQLiteError(code: sqlite3_errcode(target.handle), message: String(cString: sqlite3_errmsg(target.handle)),
                              context: "starting the backup to \(destination)")
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        var rc: Int32
        repeat {
            rc = sqlite3_backup_step(backup, -1)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED {
                guard Date() < deadline else { break }
                sqlite3_sleep(50)
            }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        let finished = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE, finished == SQLITE_OK else {
            let code = rc == SQLITE_DONE ? finished : rc
            throw SQLiteError(code: code, message: String(cString: sqlite3_errstr(code)), context: "backing up to \(destination)")
        }
        PrivateFiles.restrict(destination)
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound database, else SQLite's list of problems.
    public func integrityCheck() throws -> [String] {
        // PostgreSQL checks its pages itself (checksums, WAL); a query that answers is the check here.
        if db.isPostgres { return try db.prepare("SELECT 'ok'").query { $0.text(0) ?? "" } }
        return try db.prepare("PRAGMA integrity_check").query { $0.text(0) ?? "" }
    }

    /// Every file a ticket points at, by ticket then attachment.
    public func storedFiles() throws -> [StoredFile] {
        try db.prepare("""
            SELECT t.tracking_code, a.kind, a.path, a.sha256 FROM attachments a JOIN tickets t ON t.id = a.ticket_id
            ORDER BY t.id, a.id
            """).query { r in
                StoredFile(trackingCode: r.text(0) ?? "", kind: AttachmentKind(rawValue: r.text(1) ?? "") ?? .document,
                           path: r.text(2) ?? "", sha256: r.text(3))
            }
    }

    /// After a restore into another folder: every reference to an old path (attachments, transcription jobs,
    /// transcripts) points at its new place, in one transaction. The audit log keeps its history as written.
    /// Returns how many attachments moved.
    @discardableResult
    public func relocateFiles(_ moves: [String: String]) throws -> Int {
        try db.transaction {
            var moved = 0
            for (old, new) in moves where old != new {
                try db.prepare("UPDATE attachments SET path = ? WHERE path = ?").run([.text(new), .text(old)])
                moved += db.changes
                try db.prepare("UPDATE transcription_jobs SET path = ? WHERE path = ?").run([.text(new), .text(old)])
                try db.prepare("UPDATE transcripts SET recording_path = ? WHERE recording_path = ?").run([.text(new), .text(old)])
            }
            return moved
        }
    }
}

extension TicketStore {
    /// How many tickets the database holds.
    public func ticketCount() throws -> Int {
        try db.prepare("SELECT count(*) FROM tickets").query { Int($0.int(0)) }.first ?? 0
    }
}

extension TicketStore {
    /// PostgreSQL's consistent backup: runs `body` inside a read-only REPEATABLE READ transaction whose snapshot
    /// is exported, with that snapshot's id, the files its tickets point at and its ticket count, so that
    /// `pg_dump --snapshot=ID` (run by `body`) dumps exactly the rows the files were listed from, while calls go on.
    public func withExportedSnapshot<T>(_ body: (_ snapshot: String, _ files: [StoredFile], _ tickets: Int) throws -> T) throws -> T {
        guard db.isPostgres else {
            throw PostgreSQLError(sqlState: "", message: "an SQLite store is copied with backup(to:)", context: "exporting a snapshot")
        }
        try db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            let snapshot = try db.prepare("SELECT pg_export_snapshot()").query { $0.text(0) ?? "" }.first ?? ""
            let result = try body(snapshot, try storedFiles(), try ticketCount())
            try db.execute("COMMIT")
            return result
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}
