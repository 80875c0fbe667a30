import CLibPQ
import CSQLite
import Foundation

/// A failed SQLite call: what was attempted, SQLite's result code and message.
public struct SQLiteError: Error, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let context: String
    public var description: String { "\(context): \(message) (SQLite \(code))" }
    /// The database is locked by another process (busy_timeout ran out).
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
}

/// One database connection, SQLite or PostgreSQL, owned by one object; `close()` can fail, so it is explicit.
/// The store's SQL is written once, in the subset both speak (`?` placeholders, `RETURNING`, `ON CONFLICT`);
/// what differs (schema, search, planner hints) asks `isPostgres`.
final class Connection {
    /// The SQLite handle; nil on PostgreSQL.
    private(set) var handle: OpaquePointer?
    private var pg: PGConnection?
    /// PostgreSQL's connection string, kept apart from the connection: a reconnect that failed (no primary yet,
    /// mid-failover) leaves no connection, and the next statement tries again with it.
    private let conninfo: String?
    private var closed = false
    private var statements: [String: Statement] = [:]
    var isPostgres: Bool { conninfo != nil }

    init(path: String) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw SQLiteError(code: rc, message: message, context: "opening \(path)")
        }
        handle = db
        conninfo = nil
        sqlite3_extended_result_codes(db, 1)
    }

    init(postgres conninfo: String) throws {
        pg = try PGConnection(conninfo: conninfo)
        self.conninfo = conninfo
    }

    func close() throws {
        closed = true
        statements.removeAll()
        pg?.close()
        pg = nil
        guard let db = handle else { return }
        let rc = sqlite3_close(db)
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(db)), context: "closing") }
        handle = nil
    }

    /// A store dropped without `close()` still closes its database: statements hold no reference back to their
    /// connection (they reach it through SQLite's own `sqlite3_db_handle`), so nothing keeps it alive.
    deinit {
        statements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
    }

    func check(_ rc: Int32, _ context: @autoclosure () -> String) throws {
        try Self.check(rc, handle, context())
    }

    static func check(_ rc: Int32, _ db: OpaquePointer?, _ context: @autoclosure () -> String) throws {
        guard rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW else {
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(db)), context: context())
        }
    }

    func execute(_ sql: String) throws {
        try reconnectIfBroken()
        if let pg = try livePostgres() { return try pg.execute(sql) }
        try check(sqlite3_exec(handle, sql, nil, nil, nil), "executing \(sql.prefix(60))")
    }

    /// A prepared statement, cached by its SQL.
    func prepare(_ sql: String) throws -> Statement {
        try reconnectIfBroken()
        if let s = statements[sql] {
            s.reset()
            return s
        }
        let s = try livePostgres().map { try Statement(postgres: $0, sql, owner: self) } ?? Statement(self, sql)
        statements[sql] = s
        return s
    }

    /// Runs `body` in one transaction that holds the write lock from its start, so two writers never deadlock
    /// on an upgrade: SQLite's `BEGIN IMMEDIATE`; on PostgreSQL a transaction-scoped advisory lock, which
    /// serializes the store's writers across every host exactly as SQLite's lock does on one. Rolls back on any
    /// error. Inside another transaction it is a savepoint, so store operations compose into one transaction
    /// ("SAVEPOINT … can be used within a BEGIN…COMMIT": SQLite's savepoint docs; PostgreSQL's alike).
    func transaction<T>(_ body: () throws -> T) throws -> T {
        guard depth == 0, isPostgres else { return try runTransaction(body) }
        // PostgreSQL: a transaction cut off by a lost connection was rolled back by the server; it runs again,
        // once, on a new connection (the server back, or the standby promoted behind a multi-host string). The
        // store's transactions touch only the database, and filing a recording twice returns its first code.
        do {
            return try runTransaction(body)
        } catch let error as PostgreSQLError where pg?.isBroken != false {
            _ = error
            try reconnectIfBroken()
            return try runTransaction(body)
        }
    }

    /// PostgreSQL: a connection that broke is opened again, outside a transaction, before the next statement.
    /// Bumps `generation`, so what lived on the old session (advisory locks) is known to be gone.
    /// A statement outside any transaction whose connection broke under it: the connection is opened again
    /// and the statement may run once more on it (nil inside a transaction: the transaction is retried whole).
    fileprivate func reopenedForRetry() throws -> PGConnection? {
        guard depth == 0, pg?.isBroken != false else { return nil }
        try reconnectIfBroken(force: true)
        return pg
    }

    private func reconnectIfBroken(force: Bool = false) throws {
        guard depth == 0, !closed, let conninfo else { return }
        if let old = pg {
            guard force || old.isBroken else { return }
            statements.removeAll()
            old.close()
            pg = nil
        }
        pg = try PGConnection(conninfo: conninfo)
        generation += 1
    }

    /// The PostgreSQL connection (nil on SQLite). A PostgreSQL store whose last reconnect failed has none, and
    /// says so rather than falling through to SQLite's path.
    private func livePostgres() throws -> PGConnection? {
        guard isPostgres else { return nil }
        guard let pg else {
            throw PostgreSQLError(sqlState: "", message: "no connection to the database (reconnecting failed)",
                                  context: "reconnecting")
        }
        return pg
    }

    /// How many times the PostgreSQL connection was opened again.
    private(set) var generation = 0

    private func runTransaction<T>(_ body: () throws -> T) throws -> T {
        let outermost = depth == 0
        let savepoint = "s\(depth)"
        if outermost, isPostgres {
            try execute("BEGIN; SELECT pg_advisory_xact_lock(\(Self.writeLockKey))")
        } else {
            try execute(outermost ? "BEGIN IMMEDIATE" : "SAVEPOINT \(savepoint)")
        }
        depth += 1
        defer { depth -= 1 }
        do {
            let result = try body()
            try execute(outermost ? "COMMIT" : "RELEASE \(savepoint)")
            return result
        } catch {
            if outermost {
                try? execute("ROLLBACK")
            } else {
                try? execute("ROLLBACK TO \(savepoint)")
                try? execute("RELEASE \(savepoint)")
            }
            throw error
        }
    }

    /// The advisory lock the store's PostgreSQL writers take ("1022" in the hotline's number).
    static let writeLockKey: Int64 = 1022_0001

    private var depth = 0

    var changes: Int { pg?.lastChanges ?? Int(sqlite3_changes(handle)) }
}

/// A prepared statement; finalized when released. It does not retain its connection (the connection's cache
/// retains it), so the two never keep each other alive. On PostgreSQL it holds the SQL with `$n` placeholders
/// and the libpq connection (which holds nothing back).
final class Statement {
    private let sqlite: OpaquePointer?
    private var pg: PGConnection?
    /// The connection that cached it, to reopen a broken PostgreSQL connection (weak: no cycle).
    private weak var owner: Connection?
    let sql: String
    private var bound: [SQLValue] = []

    init(_ connection: Connection, _ sql: String) throws {
        self.sql = sql
        pg = nil
        var stmt: OpaquePointer?
        try connection.check(sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil),
                             "preparing \(sql.prefix(60))")
        sqlite = stmt!
    }

    init(postgres: PGConnection, _ sql: String, owner: Connection) throws {
        self.owner = owner
        self.sql = PostgresDialect.translate(sql)
        pg = postgres
        sqlite = nil
    }

    deinit { if let sqlite { sqlite3_finalize(sqlite) } }

    /// Runs on PostgreSQL; when the server closed the connection under a statement outside a transaction, once
    /// more on a new connection (the server back, or the primary found again).
    private func runOnPostgres(_ connection: PGConnection) throws -> PGResult {
        do {
            return try connection.run(sql, bound)
        } catch let error as PostgreSQLError where connection.isBroken {
            guard let fresh = try owner?.reopenedForRetry() else { throw error }
            pg = fresh
            return try fresh.run(sql, bound)
        }
    }

    private func check(_ rc: Int32, _ context: @autoclosure () -> String) throws {
        try Connection.check(rc, sqlite.flatMap(sqlite3_db_handle), context())
    }

    func reset() {
        bound = []
        guard let sqlite else { return }
        sqlite3_reset(sqlite)
        sqlite3_clear_bindings(sqlite)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    @discardableResult
    func bind(_ values: [SQLValue]) throws -> Statement {
        guard let handle = sqlite else {
            bound = values
            return self
        }
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .int(let v): rc = sqlite3_bind_int64(handle, index, v)
            case .double(let v): rc = sqlite3_bind_double(handle, index, v)
            case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, Statement.transient)
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob64(handle, index, $0.baseAddress, sqlite3_uint64(v.count), Statement.transient) }
            }
            try check(rc, "binding \(index) of \(sql.prefix(60))")
        }
        return self
    }

    /// Steps to completion (for writes).
    func run(_ values: [SQLValue] = []) throws {
        try bind(values)
        defer { reset() }
        if let pg {
            _ = try runOnPostgres(pg)
            return
        }
        while true {
            let rc = sqlite3_step(sqlite)
            if rc == SQLITE_DONE { return }
            try check(rc, "running \(sql.prefix(60))")
        }
    }

    /// Every row, read by `row`.
    func query<T>(_ values: [SQLValue] = [], _ row: (Row) throws -> T) throws -> [T] {
        try bind(values)
        defer { reset() }
        if let pg {
            let result = try runOnPostgres(pg)
            guard let handle = result.handle else { return [] }
            return try (0..<result.rowCount).map { try row(Row(postgres: handle, row: $0)) }
        }
        var out: [T] = []
        while true {
            let rc = sqlite3_step(sqlite)
            if rc == SQLITE_DONE { return out }
            guard rc == SQLITE_ROW else {
                try check(rc, "querying \(sql.prefix(60))")
                return out
            }
            out.append(try row(Row(handle: sqlite!)))
        }
    }
}

enum SQLValue {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    /// Bytes: SQLite's BLOB, PostgreSQL's bytea.
    case blob(Data)

    static func optional(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
    static func optional(_ b: Bool?) -> SQLValue { b.map { .int($0 ? 1 : 0) } ?? .null }
}

/// One result row, from SQLite or PostgreSQL; columns by index. PostgreSQL answers in text, read here into the
/// same values SQLite gives (`t`/`f` as 1/0), so every query reads its rows one way on both.
struct Row {
    fileprivate enum Source {
        case sqlite(OpaquePointer)
        case postgres(OpaquePointer, row: Int32)
    }
    fileprivate let source: Source

    init(handle: OpaquePointer) { source = .sqlite(handle) }
    init(postgres result: OpaquePointer, row: Int32) { source = .postgres(result, row: row) }

    func int(_ i: Int32) -> Int64 {
        switch source {
        case .sqlite(let h): return sqlite3_column_int64(h, i)
        case .postgres:
            guard let t = text(i) else { return 0 }
            if let v = Int64(t) { return v }
            if t == "t" { return 1 }
            if t == "f" { return 0 }
            return Int64(Double(t) ?? 0)
        }
    }

    func double(_ i: Int32) -> Double {
        switch source {
        case .sqlite(let h): return sqlite3_column_double(h, i)
        case .postgres: return text(i).flatMap(Double.init) ?? 0
        }
    }

    func isNull(_ i: Int32) -> Bool {
        switch source {
        case .sqlite(let h): return sqlite3_column_type(h, i) == SQLITE_NULL
        case .postgres(let r, let row): return PQgetisnull(r, row, i) == 1
        }
    }

    /// Bytes (BLOB, bytea); empty for NULL. PostgreSQL sends bytea as hex text, unescaped by libpq.
    func blob(_ i: Int32) -> Data {
        switch source {
        case .sqlite(let h):
            guard let p = sqlite3_column_blob(h, i) else { return Data() }
            return Data(bytes: p, count: Int(sqlite3_column_bytes(h, i)))
        case .postgres(let r, let row):
            guard PQgetisnull(r, row, i) == 0, let p = PQgetvalue(r, row, i) else { return Data() }
            var length = 0
            guard let bytes = p.withMemoryRebound(to: UInt8.self, capacity: 1, { PQunescapeBytea($0, &length) }) else { return Data() }
            defer { PQfreemem(bytes) }
            return Data(bytes: bytes, count: length)
        }
    }

    func text(_ i: Int32) -> String? {
        switch source {
        case .sqlite(let h):
            guard let p = sqlite3_column_text(h, i) else { return nil }
            return String(cString: p)
        case .postgres(let r, let row):
            guard PQgetisnull(r, row, i) == 0, let p = PQgetvalue(r, row, i) else { return nil }
            return String(cString: p)
        }
    }
}
