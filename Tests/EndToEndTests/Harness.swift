import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Paths, processes and small SIP helpers for the end-to-end tests: a real gateway process on loopback,
/// real SIPp calls, the resulting drafts read back through `hotline1022 agent queue --json`.
enum E2E {
    static let repo: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("repository root not found above \(#filePath)")
    }()

    /// The built executable: beside the test bundle in the same scratch folder (`swift build --scratch-path X`
    /// puts both in `X/debug/`), else where `swift build --show-bin-path` says.
    static let binary: String = {
        var candidates: [URL] = [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0])]
        candidates += Bundle.allBundles.map(\.bundleURL)
        for start in candidates {
            var dir = start
            for _ in 0..<4 {
                let candidate = dir.appendingPathComponent("hotline1022").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                dir.deleteLastPathComponent()
            }
        }
        let shown = (try? run("/usr/bin/env", ["swift", "build", "--show-bin-path", "--package-path", repo], timeout: 120))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return (shown.isEmpty ? repo + "/.build/debug" : shown) + "/hotline1022"
    }()

    static func requireTools() throws {
        for tool in ["/usr/bin/sipp", "/usr/bin/espeak-ng", "/usr/bin/sox", "/usr/bin/sqlite3", "/usr/bin/openssl"] {
            guard FileManager.default.isExecutableFile(atPath: tool) else {
                XCTFail("\(tool) is missing: run scripts/bootstrap (these tests are never skipped)")
                throw CancellationError()
            }
        }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            XCTFail("build the gateway first (swift build): \(binary) not found")
            throw CancellationError()
        }
    }

    /// A fresh folder for one test's gateway, database, recordings and SIPp logs; removed when the test passes,
    /// kept (and named) when it fails, so the evidence survives.
    static func tempDir(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "hotline-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        ScratchFolders.shared.register(path)
        return path
    }

    static func freePort(tcp: Bool = false) throws -> Int {
        let fd = socket(AF_INET, Int32(tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &addr) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard bind(fd, sa, len) == 0, getsockname(fd, sa, &len) == 0 else { throw POSIXError(.EADDRINUSE) }
            }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// An even UDP port on loopback with the three above it free too, for SIPp's `-mp`: SIPp binds the audio
    /// RTP and RTCP ports and the video pair above them, so a free first port alone is not enough.
    static func freeMediaPort() throws -> Int {
        for _ in 0..<50 {
            let base = try freePort() & ~1
            guard base + 3 < 65536 else { continue }
            var sockets: [Int32] = []
            defer { sockets.forEach { close($0) } }
            var free = true
            for port in base..<(base + 4) {
                let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                sockets.append(fd)
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                addr.sin_port = UInt16(port).bigEndian
                let bound = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                if bound != 0 { free = false; break }
            }
            if free { return base }
        }
        throw POSIXError(.EADDRINUSE)
    }

    /// What a finished program printed, and how it ended.
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
        let timedOut: Bool
    }

    /// Runs a program to completion, bounded in time: at `timeout` it is killed and `timedOut` is set.
    /// Output goes through files, not pipes, so a program that prints a lot cannot block on a full pipe.
    static func execute(_ program: String, _ args: [String], timeout: TimeInterval = 60, in directory: String? = nil) throws -> Output {
        let base = NSTemporaryDirectory() + "hotline-run-\(UUID().uuidString.prefix(8))"
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(forWritingAtPath: base + ".out")
        p.standardError = FileHandle(forWritingAtPath: base + ".err")
        try p.run()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let timedOut = p.isRunning
        if timedOut { p.kill() }
        p.waitUntilExit()
        func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return Output(status: p.terminationStatus, stdout: read(base + ".out"), stderr: read(base + ".err"),
                      timedOut: timedOut)
    }

    /// Runs a program (bounded: 60 s) and returns its standard output.
    @discardableResult
    static func run(_ program: String, _ args: [String], timeout: TimeInterval = 60) throws -> String {
        try execute(program, args, timeout: timeout).stdout
    }

    struct CommandFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// One object of `agent queue --json`.
    struct Draft: Decodable {
        let trackingCode: String
        let callerNumber: String
        let category: String?
        let confidential: Bool
        let receivedAt: Date
        let recordingPath: String?
        let recordingDurationMs: Int
        let recordingSHA256: String?
        let interrupted: Bool
        let audioLossPercent: Int?
    }

    /// Makes sure the database has an administrator `e2e-admin` and an agent `e2e-agent` (the case commands
    /// run as a user); each is added once, the first as the database's first user.
    static func ensureAgent(database: String) throws {
        let users = try execute(binary, ["users", "list", "--json", "--db", database, "--as", "e2e-admin"], timeout: 30)
        if users.status == 0, users.stdout.contains("\"e2e-agent\"") { return }
        if users.status != 0 {
            let first = try execute(binary, ["users", "add", "e2e-admin", "--role", "administrator", "--db", database], timeout: 30)
            guard first.status == 0 else {
                throw CommandFailed(description: "users add e2e-admin exited \(first.status): \(first.stderr)")
            }
        }
        let agent = try execute(binary, ["users", "add", "e2e-agent", "--role", "agent", "--as", "e2e-admin", "--db", database],
                                timeout: 30)
        guard agent.status == 0 else { throw CommandFailed(description: "users add e2e-agent exited \(agent.status): \(agent.stderr)") }
    }

    /// The drafts waiting for an agent, as `hotline1022 agent queue --json` prints them.
    static func drafts(database: String) throws -> [Draft] {
        try ensureAgent(database: database)
        let result = try execute(binary, ["agent", "queue", "--json", "--db", database, "--as", "e2e-agent"], timeout: 30)
        guard result.status == 0, !result.timedOut else {
            throw CommandFailed(description: "hotline1022 agent queue --json --db \(database) "
                                + (result.timedOut ? "did not finish in 30 s" : "exited \(result.status)") + ": \(result.stderr)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode([Draft].self, from: Data(result.stdout.utf8))
        } catch {
            throw CommandFailed(description: "agent queue --json printed something else than the drafts (\(error)):\n\(result.stdout)")
        }
    }

    struct QueueLine: Decodable {
        struct Record: Decodable {
            let kind: String
            let agent: String?
            let waitSeconds: Int?
        }
        let record: Record
        var kind: String { record.kind }
    }

    /// The queue log, as `hotline1022 queue log --format json` prints it.
    static func queueLog(database: String) throws -> [QueueLine] {
        try ensureAgent(database: database)
        let result = try execute(binary, ["queue", "log", "--format", "json", "--since", "2000-01-01", "--db", database,
                                          "--as", "e2e-agent"], timeout: 30)
        guard result.status == 0 else { throw CommandFailed(description: "queue log exited \(result.status): \(result.stderr)") }
        return try JSONDecoder().decode([QueueLine].self, from: Data(result.stdout.utf8))
    }

    static func files(under dir: String, suffix: String) -> [String] {
        let walker = FileManager.default.enumerator(atPath: dir)
        var found: [String] = []
        while let f = walker?.nextObject() as? String {
            if f.hasSuffix(suffix) { found.append(dir + "/" + f) }
        }
        return found
    }

    static func fill(_ template: Data, port: Int, local: Int, n: Int) -> Data {
        var text = String(decoding: template, as: UTF8.self)
        // Placeholders only; a binary corpus entry goes out as is.
        guard text.contains("{port}") || text.contains("{n}") else { return template }
        text = text.replacingOccurrences(of: "{port}", with: "\(port)")
            .replacingOccurrences(of: "{local}", with: "\(local)").replacingOccurrences(of: "{n}", with: "\(n)")
        var bytes = Data()
        for scalar in text.unicodeScalars { bytes.append(UInt8(truncatingIfNeeded: scalar.value)) }
        return bytes
    }

    static func statusCode(_ response: String) -> Int? {
        let parts = response.split(separator: " ")
        guard parts.count >= 2, parts[0] == "SIP/2.0" else { return nil }
        return Int(parts[1])
    }

    static func invite(port: Int, local: Int, callID: String, sdp: Bool = false, srtp: Bool = false,
                       via: String = "127.0.0.1") -> Data {
        let crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
        let body = sdp ? "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            + "m=audio 4000 RTP/\(srtp ? "SAVP" : "AVP") 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
            + "a=rtpmap:101 telephone-event/8000\r\n" + (srtp ? crypto : "") : ""
        return Data(("INVITE sip:1022@127.0.0.1:\(port) SIP/2.0\r\nVia: SIP/2.0/UDP \(via):\(local);branch=z9hG4bK-\(callID)\r\n"
            + "From: <sip:0900000000@\(via)>;tag=\(callID)\r\nTo: <sip:1022@127.0.0.1:\(port)>\r\n"
            + "Call-ID: \(callID)@test\r\nCSeq: 1 INVITE\r\nContact: <sip:0900000000@\(via):\(local)>\r\nMax-Forwards: 70\r\n"
            + (sdp ? "Content-Type: application/sdp\r\n" : "")
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }

    static func options(port: Int, local: Int, via: String) -> Data {
        Data(("OPTIONS sip:1022@127.0.0.1:\(port) SIP/2.0\r\nVia: SIP/2.0/UDP \(via):\(local);branch=z9hG4bK-opt\r\n"
            + "From: <sip:trunk@\(via)>;tag=o1\r\nTo: <sip:1022@127.0.0.1:\(port)>\r\nCall-ID: options-1@test\r\n"
            + "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").utf8)
    }
}

/// A UDP socket on loopback that sends a datagram and collects the first line of each answer.
final class UDPProbe {
    let fd: Int32
    let port: Int

    init(address: String = "127.0.0.1") throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(address)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &addr) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard bind(fd, sa, len) == 0, getsockname(fd, sa, &len) == 0 else { throw POSIXError(.EADDRINUSE) }
            }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(fd) }

    func send(_ data: Data, port: Int, to host: String = "127.0.0.1") throws {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(host)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let sent = data.withUnsafeBytes { raw in
            withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if sent < 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Sends `data` and returns the first line of every datagram received within `wait` seconds.
    func exchange(_ data: Data, port: Int, wait: TimeInterval, to host: String = "127.0.0.1") throws -> [String] {
        try exchangeFull(data, port: port, wait: wait, to: host).map { String($0.unicodeScalars.prefix { $0 != "\r" && $0 != "\n" }) }
    }

    /// Sends `data` and returns every datagram received within `wait` seconds, whole.
    func exchangeFull(_ data: Data, port: Int, wait: TimeInterval, to host: String = "127.0.0.1") throws -> [String] {
        try send(data, port: port, to: host)
        var answers: [String] = []
        let deadline = Date(timeIntervalSinceNow: wait)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { break }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(left * 1000)) > 0 else { break }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                answers.append(String(decoding: buffer[0..<n], as: UTF8.self))
            }
        }
        return answers
    }
}

/// A gateway process on a free loopback port with its own database and recordings.
final class GatewayProcess {
    let dir: String
    let sipPort: Int
    let process = Process()
    let logPath: String
    /// The SQLite file in `dir`, or the PostgreSQL database the test gave.
    let database: String
    var recordings: String { dir + "/rec" }

    private init(dir: String, sipPort: Int, extra: [String], database: String?) throws {
        self.dir = dir
        self.database = database ?? dir + "/h.sqlite"
        self.sipPort = sipPort
        logPath = dir + "/gateway-\(UUID().uuidString.prefix(4)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: E2E.binary)
        process.arguments = [
            "serve", "--sip-address", "127.0.0.1", "--sip-port", "\(sipPort)", "--rtp-port", "\(20000 + Int.random(in: 0..<400) * 100)",
            "--db", self.database, "--recordings", recordings,
            "--dialplan", E2E.repo + "/Dialplans/hotline-1022.json", "--prompts", E2E.repo + "/Prompts/vi",
            "--drain-seconds", "3", "--office-hours", "always",
            "--units", E2E.repo + "/Config/units.json", "--calendar", E2E.repo + "/Config/calendar.json",
            "--messages-log", dir + "/messages.log", "--outbox-interval", "1",
            // Off unless a test turns them on (a later flag wins): the console's and metrics' fixed ports would
            // clash between tests, the transcriber would load its model in every gateway, and the overload
            // control could refuse a test's call on a machine starved by something else.
            "--web-port", "0", "--metrics-port", "0", "--transcribe-workers", "0", "--overload-tick-ms", "0",
        ] + extra
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    static func start(name: String, extra: [String] = [], reuse: GatewayProcess? = nil,
                      database: String? = nil) throws -> GatewayProcess {
        let dir = try reuse?.dir ?? E2E.tempDir(name)
        let gateway = try GatewayProcess(dir: dir, sipPort: try reuse?.sipPort ?? E2E.freePort(), extra: extra,
                                         database: database ?? reuse?.database)
        guard gateway.waitForLog("event=ready", count: 1, timeout: 20) else {
            gateway.stop()
            XCTFail("the gateway did not start:\n\(gateway.log)")
            throw CancellationError()
        }
        return gateway
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    func waitForLog(_ needle: String, count: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if log.components(separatedBy: needle).count - 1 >= count { return true }
            if !process.isRunning { return false }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        return !process.isRunning
    }

    /// The scheduling policy (0 normal, 2 SCHED_RR) and real-time priority of each of the gateway's threads
    /// with this name, from `/proc/PID/task/*/stat`.
    func threadScheduling(named name: String) -> [(policy: Int, priority: Int)] {
        let tasks = "/proc/\(process.processIdentifier)/task"
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
        return ids.compactMap { id in
            guard let stat = try? String(contentsOfFile: "\(tasks)/\(id)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
                  stat[stat.index(after: open)..<close] == name else { return nil }
            // Fields from the state (field 3) on: rt_priority is field 40, policy field 41.
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 38, let priority = Int(fields[37]), let policy = Int(fields[38]) else { return nil }
            return (policy, priority)
        }
    }

    func signal(_ sig: Int32) { if process.isRunning { kill(process.processIdentifier, sig) } }

    func kill9() {
        signal(SIGKILL)
        _ = waitForExit(timeout: 5)
    }

    /// SIGTERM, as an operator stops it; SIGKILL after 20 s. Returns the exit status (0: a clean stop).
    @discardableResult
    func stop() -> Int32 {
        signal(SIGTERM)
        if !waitForExit(timeout: 20) { kill9() }
        return process.isRunning ? -1 : process.terminationStatus
    }

    func drafts() throws -> [E2E.Draft] { try E2E.drafts(database: database) }

    /// The time of the first log line of `event` (optionally with `detail` on the line).
    func time(of event: String, containing detail: String = "") -> Date? {
        times(of: event, containing: detail).first
    }

    /// The times of every log line of `event`, in order (the line starts with an ISO 8601 time).
    func times(of event: String, containing detail: String = "") -> [Date] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return log.split(separator: "\n").filter { $0.contains("event=\(event)") && (detail.isEmpty || $0.contains(detail)) }
            .compactMap { formatter.date(from: String($0.prefix { $0 != " " })) }
    }
}

extension Process {
    func kill() { if isRunning { Glibc.kill(processIdentifier, SIGKILL) } }
}

