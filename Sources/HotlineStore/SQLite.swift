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

/// One SQLite connection, owned by one object; `close()` can fail, so it is explicit.
final class Connection {
    private(set) var handle: OpaquePointer?
    private var statements: [String: Statement] = [:]

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
        sqlite3_extended_result_codes(db, 1)
    }

    func close() throws {
        statements.removeAll()
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
        try check(sqlite3_exec(handle, sql, nil, nil, nil), "executing \(sql.prefix(60))")
    }

    /// A prepared statement, cached by its SQL.
    func prepare(_ sql: String) throws -> Statement {
        if let s = statements[sql] {
            s.reset()
            return s
        }
        let s = try Statement(self, sql)
        statements[sql] = s
        return s
    }

    /// Runs `body` in one IMMEDIATE transaction (the write lock is taken up front, so two writers never
    /// deadlock on an upgrade); rolls back on any error.
    /// Inside another transaction it is a savepoint, so store operations compose into one transaction
    /// ("SAVEPOINT … can be used within a BEGIN…COMMIT": SQLite's savepoint docs).
    func transaction<T>(_ body: () throws -> T) throws -> T {
        let outermost = depth == 0
        let savepoint = "s\(depth)"
        try execute(outermost ? "BEGIN IMMEDIATE" : "SAVEPOINT \(savepoint)")
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

    private var depth = 0

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }
}

/// A prepared statement; finalized when released. It does not retain its connection (the connection's cache
/// retains it), so the two never keep each other alive.
final class Statement {
    let handle: OpaquePointer
    let sql: String

    init(_ connection: Connection, _ sql: String) throws {
        self.sql = sql
        var stmt: OpaquePointer?
        try connection.check(sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil),
                             "preparing \(sql.prefix(60))")
        handle = stmt!
    }

    private func check(_ rc: Int32, _ context: @autoclosure () -> String) throws {
        try Connection.check(rc, sqlite3_db_handle(handle), context())
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    @discardableResult
    func bind(_ values: [SQLValue]) throws -> Statement {
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .int(let v): rc = sqlite3_bind_int64(handle, index, v)
            case .double(let v): rc = sqlite3_bind_double(handle, index, v)
            case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, Statement.transient)
            }
            try check(rc, "binding \(index) of \(sql.prefix(60))")
        }
        return self
    }

    /// Steps to completion (for writes).
    func run(_ values: [SQLValue] = []) throws {
        try bind(values)
        defer { reset() }
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return }
            try check(rc, "running \(sql.prefix(60))")
        }
    }

    /// Every row, read by `row`.
    func query<T>(_ values: [SQLValue] = [], _ row: (Row) throws -> T) throws -> [T] {
        try bind(values)
        defer { reset() }
        var out: [T] = []
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return out }
            guard rc == SQLITE_ROW else {
                try check(rc, "querying \(sql.prefix(60))")
                return out
            }
            out.append(try row(Row(handle: handle)))
        }
    }
}

enum SQLValue {
    case null
    case int(Int64)
    case double(Double)
    case text(String)

    static func optional(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
    static func optional(_ b: Bool?) -> SQLValue { b.map { .int($0 ? 1 : 0) } ?? .null }
}

/// One result row; columns by index.
struct Row {
    let handle: OpaquePointer
    func int(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }
    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
    func text(_ i: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, i) else { return nil }
        return String(cString: p)
    }
}
