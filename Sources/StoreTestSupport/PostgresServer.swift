import Foundation

/// A real PostgreSQL 15 server for the tests, started by them: `initdb` into a temporary folder, listening on
/// loopback only (a port picked at random) and on a socket in that folder, with trust authentication (nothing
/// else can reach it). One server per test process, started on first use and stopped when the process ends;
/// each test gets a database of its own. As root (CI), the server runs as the `postgres` user, since PostgreSQL
/// refuses to run as root. `HOTLINE1022_PG_BIN` overrides where the binaries are (Debian's
/// `/usr/lib/postgresql/15/bin`).
public final class PostgresServer: @unchecked Sendable {
    public let folder: String
    public let port: Int
    private let bin: String
    private let runAs: String?

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    nonisolated(unsafe) private static var started: Result<PostgresServer, Error>?
    private static let lock = NSLock()

    /// The process's server, started on first use.
    public static func shared() throws -> PostgresServer {
        lock.lock()
        defer { lock.unlock() }
        if let started { return try started.get() }
        let result = Result { try PostgresServer() }
        started = result
        if case .success(let server) = result { atexit { PostgresServer.stopShared() } ; _ = server }
        return try result.get()
    }

    private static func stopShared() {
        if case .success(let server)? = started { server.stop() }
    }

    private init() throws {
        bin = ProcessInfo.processInfo.environment["HOTLINE1022_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        guard FileManager.default.isExecutableFile(atPath: bin + "/initdb") else {
            throw Unavailable(description: "no initdb in \(bin): run scripts/bootstrap (it installs postgresql-15)")
        }
        runAs = getuid() == 0 ? "postgres" : nil
        folder = NSTemporaryDirectory() + "hotline-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if let runAs { try Self.run("/usr/bin/chown", [runAs, folder], as: nil) }
        try Self.run(bin + "/initdb", ["-D", folder + "/data", "-A", "trust", "-U", "hotline", "-E", "UTF8",
                                       "--locale=C.UTF-8", "--no-sync"], as: runAs, log: folder + "/initdb.log")
        var lastError: Error?
        for _ in 0..<5 {
            let candidate = Int.random(in: 20_000..<60_000)
            do {
                try Self.start(bin: bin, folder: folder, port: candidate, as: runAs)
                port = candidate
                return
            } catch {
                lastError = error
            }
        }
        throw Unavailable(description: "PostgreSQL did not start: \(lastError.map { "\($0)" } ?? "") "
                          + ((try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""))
    }

    private static func start(bin: String, folder: String, port: Int, as runAs: String?) throws {
        try run(bin + "/pg_ctl", ["-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60", "-o",
                                  // fsync off (a test's disk need not survive the machine), but every commit in
                                  // the WAL before it is acknowledged: a killed server loses nothing committed.
                                  "-c listen_addresses=127.0.0.1 -p \(port) -k \(folder) -c fsync=off "
                                      + "-c full_page_writes=off -c max_connections=200",
                                  "start"], as: runAs, log: folder + "/pg_ctl.log")
    }

    /// Kills the server as a crash would (`pg_ctl stop -m immediate`: every connection cut, no shutdown
    /// checkpoint), then starts it again on the same port after `downSeconds`.
    public func crashAndRestart(downSeconds: TimeInterval = 0.5) throws {
        try crash()
        Thread.sleep(forTimeInterval: downSeconds)
        try restart()
    }

    /// Kills the server as a crash would; `restart()` brings it back on the same port.
    public func crash() throws {
        try Self.run(bin + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"], as: runAs,
                     log: folder + "/pg_ctl.log")
    }

    public func restart() throws {
        try Self.start(bin: bin, folder: folder, port: port, as: runAs)
    }

    public func stop() {
        _ = try? Self.run(bin + "/pg_ctl", ["-D", folder + "/data", "-m", "fast", "-w", "stop"], as: runAs, log: folder + "/pg_ctl.log")
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A new, empty database; its connection string (a URL, as `--db` takes it).
    public func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try Self.run(bin + "/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "hotline", name], as: runAs,
                     log: folder + "/createdb.log")
        return url(database: name)
    }

    /// The whole of a database as `pg_dump` writes it (what a test reads to show a secret is not in it).
    public static func dump(_ url: String) throws -> String {
        let server = try shared()
        let file = server.folder + "/dump-\(UUID().uuidString).sql"
        try run(server.bin + "/pg_dump", ["--dbname=" + url, "-f", file], as: server.runAs, log: server.folder + "/pg_dump.log")
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try String(contentsOfFile: file, encoding: .utf8)
    }

    public func url(database: String) -> String { "postgresql://hotline@127.0.0.1:\(port)/\(database)" }

    /// Runs a tool to its end; its output goes to `log` (appended) or nowhere. posix_spawn and waitpid, not
    /// Foundation's Process, whose wait hangs when the tool leaves a daemon behind (pg_ctl's server).
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String], as user: String?, log: String? = nil) throws -> Int32 {
        let argv0 = user == nil ? [tool] + arguments : ["/usr/sbin/runuser", "-u", user!, "--", tool] + arguments
        if let log, let user, !FileManager.default.fileExists(atPath: log) {
            FileManager.default.createFile(atPath: log, contents: nil)
            _ = try? run("/usr/bin/chown", [user, log], as: nil)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = argv0.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv0[0], &actions, nil, argv, environ)
        guard rc == 0 else { throw Unavailable(description: "cannot start \(argv0[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard code == 0 else {
            let tail = log.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }.map { String($0.suffix(800)) } ?? ""
            throw Unavailable(description: "\((tool as NSString).lastPathComponent) \(arguments.joined(separator: " ")) "
                              + "exited with \(code): \(tail)")
        }
        return code
    }
}

/// Which database the store, desk and console suites run on: SQLite, or with `HOTLINE1022_TEST_STORE=postgres`
/// a real PostgreSQL 15 the tests start themselves (`make test` runs those suites both ways).
public enum TestStore {
    public static let onPostgres = ProcessInfo.processInfo.environment["HOTLINE1022_TEST_STORE"] == "postgres"

    /// Where a test's store lives: `dir/h.sqlite`, or a fresh PostgreSQL database of its own.
    public static func location(in dir: String) throws -> String {
        onPostgres ? try PostgresServer.shared().createDatabase() : dir + "/h.sqlite"
    }
}
