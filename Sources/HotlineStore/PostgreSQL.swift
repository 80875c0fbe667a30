import CLibPQ
import Foundation

/// A failed libpq call: what was attempted, the server's SQLSTATE (empty when the connection itself failed)
/// and its message.
public struct PostgreSQLError: Error, CustomStringConvertible {
    public let sqlState: String
    public let message: String
    public let context: String
    public var description: String {
        "\(context): \(message)" + (sqlState.isEmpty ? "" : " (PostgreSQL \(sqlState))")
    }
    /// The connection is gone or the server is read-only (a standby): worth reconnecting, maybe to another host.
    public var isConnectionLost: Bool { sqlState.isEmpty || sqlState.hasPrefix("08") || sqlState == "25006" || sqlState.hasPrefix("57P") }
}

/// One PostgreSQL connection through libpq, owned by one object (like `Connection` for SQLite).
/// `conninfo` is libpq's: `postgresql://host1,host2/db?target_session_attrs=read-write` or `host=a,b dbname=…`,
/// so a multi-host string finds the primary by itself.
final class PGConnection {
    private var handle: OpaquePointer?
    let conninfo: String
    /// Rows the last statement changed.
    private(set) var lastChanges = 0

    init(conninfo: String) throws {
        self.conninfo = conninfo
        guard let conn = PQconnectdb(conninfo) else {
            throw PostgreSQLError(sqlState: "", message: "out of memory", context: "connecting")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(conn)
            throw PostgreSQLError(sqlState: "", message: message, context: "connecting to \(Self.redacted(conninfo))")
        }
        handle = conn
        // Notices (e.g. "relation already exists, skipping") are not errors: keep them off stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
    }

    deinit { close() }

    /// The server closed the connection (restarted, crashed, a failover): nothing more will work on it. Reads
    /// what the socket holds first (without waiting), so a connection the server closed since the last
    /// statement is seen as broken before the next one is sent.
    var isBroken: Bool {
        guard let handle else { return true }
        return PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK
    }

    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// The connection string without its password, for messages.
    static func redacted(_ conninfo: String) -> String {
        conninfo.replacingOccurrences(of: #"(password=)\S+"#, with: "$1…", options: .regularExpression)
            .replacingOccurrences(of: #"(://[^:/@]+:)[^@]+@"#, with: "$1…@", options: .regularExpression)
    }

    /// Runs one or more statements with no parameters (schema, BEGIN/COMMIT).
    func execute(_ sql: String) throws {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, "executing \(sql.prefix(60))")
    }

    /// Runs one statement with `$1…` parameters; the values go with their types (int8, float8, text as text;
    /// bytea in binary), so the server never has to guess one.
    func run(_ sql: String, _ values: [SQLValue]) throws -> PGResult {
        var types: [Oid] = []
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        defer { buffers.forEach { free($0) } }
        for value in values {
            var text: String?
            switch value {
            case .null: types.append(0)
            case .int(let v): types.append(20); text = String(v)
            case .double(let v): types.append(701); text = v.isFinite ? "\(v)" : (v > 0 ? "Infinity" : "-Infinity")
            case .text(let v): types.append(25); text = v
            case .blob(let data):
                types.append(17)
                let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, data.count))
                data.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { memcpy(buffer, base, data.count) }
                }
                buffers.append(buffer)
                lengths.append(Int32(data.count))
                formats.append(1)
                continue
            }
            buffers.append(text.map { strdup($0) } ?? nil)
            lengths.append(0)
            formats.append(0)
        }
        let result = buffers.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, buffer.count)) { params in
                PQexecParams(handle, sql, Int32(values.count), types, values.isEmpty ? nil : params, lengths, formats, 0)
            }
        }
        let owned = PGResult(result)
        try check(result, "running \(sql.prefix(60))")
        lastChanges = owned.changes
        return owned
    }

    private func check(_ result: OpaquePointer?, _ context: @autoclosure () -> String) throws {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
            let message = (result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0) }).flatMap { $0.isEmpty ? nil : $0 }
                ?? String(cString: PQerrorMessage(handle))
            throw PostgreSQLError(sqlState: state, message: message.trimmingCharacters(in: .whitespacesAndNewlines),
                                  context: context())
        }
    }
}

/// A result set; cleared when released.
final class PGResult {
    let handle: OpaquePointer?
    init(_ handle: OpaquePointer?) { self.handle = handle }
    deinit { PQclear(handle) }
    var rowCount: Int32 { handle.map(PQntuples) ?? 0 }
    /// Rows a write changed (`UPDATE`, `DELETE`, `INSERT`).
    var changes: Int { handle.flatMap { Int(String(cString: PQcmdTuples($0))) } ?? 0 }
}

/// The store's SQL as PostgreSQL reads it.
enum PostgresDialect {
    /// `?` placeholders as `$1, $2…`, and SQLite's planner hints (`INDEXED BY`) left out.
    static func translate(_ sql: String) -> String {
        numberedPlaceholders(sql)
            .replacingOccurrences(of: #"\s+INDEXED BY \w+"#, with: "", options: .regularExpression)
    }
}

/// `?` placeholders (the store's SQL, written once for both databases) as PostgreSQL's `$1, $2…`. Quoted text
/// and identifiers are left alone.
func numberedPlaceholders(_ sql: String) -> String {
    var out = ""
    out.reserveCapacity(sql.count + 16)
    var n = 0
    var quote: Character?
    var chars = sql.makeIterator()
    var pending: Character? = nil
    func next() -> Character? {
        if let p = pending { pending = nil; return p }
        return chars.next()
    }
    while let c = next() {
        if let q = quote {
            if c == q { quote = nil }
            out.append(c)
        } else if c == "'" || c == "\"" {
            quote = c
            out.append(c)
        } else if c == "?" {
            // `?NNN` (SQLite's numbered parameter) is `$NNN`; a bare `?` takes the next number.
            var digits = ""
            while let d = next() {
                if d.isASCII && d.isNumber { digits.append(d) } else { pending = d; break }
            }
            if digits.isEmpty {
                n += 1
                out += "$\(n)"
            } else {
                out += "$" + digits
            }
        } else {
            out.append(c)
        }
    }
    return out
}
