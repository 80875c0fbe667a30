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

    /// The built executable next to this test bundle (`swift build` builds it with the tests).
    static let binary: String = {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("hotline1022").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return repo + "/.build/debug/hotline1022"
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

    static func tempDir(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "hotline-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
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

    /// Runs a program to completion (bounded: 60 s) and returns its standard output.
    @discardableResult
    static func run(_ program: String, _ args: [String], timeout: TimeInterval = 60) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date(timeIntervalSinceNow: timeout)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { p.terminate() }
        return String(decoding: data, as: UTF8.self)
    }

    struct Draft: Decodable {
        let trackingCode: String
        let callerNumber: String
        let category: String?
        let confidential: Bool
        let recordingPath: String?
        let recordingDurationMs: Int
        let recordingSHA256: String?
        let interrupted: Bool
    }

    static func drafts(database: String) throws -> [Draft] {
        let json = try run(binary, ["agent", "queue", "--json", "--db", database])
        return try JSONDecoder().decode([Draft].self, from: Data(json.utf8))
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
    var database: String { dir + "/h.sqlite" }
    var recordings: String { dir + "/rec" }

    private init(dir: String, sipPort: Int, extra: [String]) throws {
        self.dir = dir
        self.sipPort = sipPort
        logPath = dir + "/gateway-\(UUID().uuidString.prefix(4)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: E2E.binary)
        process.arguments = [
            "serve", "--sip-address", "127.0.0.1", "--sip-port", "\(sipPort)", "--rtp-port", "\(20000 + Int.random(in: 0..<400) * 100)",
            "--db", database, "--recordings", recordings,
            "--dialplan", E2E.repo + "/Dialplans/hotline-1022.json", "--prompts", E2E.repo + "/Prompts/vi",
            "--drain-seconds", "3", "--office-hours", "always",
        ] + extra
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    static func start(name: String, extra: [String] = [], reuse: GatewayProcess? = nil) throws -> GatewayProcess {
        let dir = try reuse?.dir ?? E2E.tempDir(name)
        let gateway = try GatewayProcess(dir: dir, sipPort: try reuse?.sipPort ?? E2E.freePort(), extra: extra)
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

    func signal(_ sig: Int32) { if process.isRunning { kill(process.processIdentifier, sig) } }

    func kill9() {
        signal(SIGKILL)
        _ = waitForExit(timeout: 5)
    }

    func stop() {
        signal(SIGTERM)
        if !waitForExit(timeout: 20) { kill9() }
    }

    func drafts() throws -> [E2E.Draft] { try E2E.drafts(database: database) }

    /// The time of the first log line of `event` (optionally with `detail` on the line).
    func time(of event: String, containing detail: String = "") -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for line in log.split(separator: "\n") where line.contains("event=\(event)") && (detail.isEmpty || line.contains(detail)) {
            return formatter.date(from: String(line.prefix { $0 != " " }))
        }
        return nil
    }
}

/// SIPp runs of the scenarios in `Tests/sipp/`.
enum SIPp {
    /// Real Vietnamese speech as raw A-law, made once per test run by the project's own script.
    static let speech: String = {
        let raw = NSTemporaryDirectory() + "hotline-speech-\(getpid()).al"
        if !FileManager.default.fileExists(atPath: raw) {
            _ = try? E2E.run("/bin/bash", [E2E.repo + "/scripts/make-test-audio", raw])
        }
        return raw
    }()

    static func process(_ scenario: String, gateway: GatewayProcess, caller: String, source: String = "127.0.0.1",
                        keys: [String: String] = [:]) throws -> Process
    {
        // sipp does not expand keywords in rtp_stream: the scenarios name `speech.al` in their working folder.
        let local = gateway.dir + "/speech.al"
        if !FileManager.default.fileExists(atPath: local) { try FileManager.default.copyItem(atPath: speech, toPath: local) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        p.currentDirectoryURL = URL(fileURLWithPath: gateway.dir)
        p.arguments = [
            "127.0.0.1:\(gateway.sipPort)", "-sf", E2E.repo + "/Tests/sipp/" + scenario, "-m", "1", "-l", "1",
            "-i", source, "-p", "\(try E2E.freePort())", "-mp", "\(try E2E.freePort())", "-s", "1022",
            "-key", "caller", caller, "-timeout", "90s", "-timeout_error", "-nostdin",
        ] + keys.sorted(by: { $0.key < $1.key }).flatMap { ["-key", $0.key, $0.value] }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs a scenario to its end (bounded: 100 s) and returns sipp's exit status.
    @discardableResult
    static func call(_ scenario: String, gateway: GatewayProcess, caller: String, keys: [String: String] = [:],
                     file: StaticString = #filePath, line: UInt = #line) throws -> Int32 {
        let p = try process(scenario, gateway: gateway, caller: caller, keys: keys)
        let deadline = Date(timeIntervalSinceNow: 100)
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if p.isRunning { p.kill() }
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "sipp \(scenario) failed\n\(gateway.log)", file: file, line: line)
        return p.terminationStatus
    }

    /// A whole voice report (category 1, speech, `#`, send, read-back), waited for.
    static func voiceReport(gateway: GatewayProcess, caller: String) throws {
        try call("voice-report.xml", gateway: gateway, caller: caller)
    }

    /// A caller who reaches the recording and keeps talking (for crash and drain tests); kill it when done.
    static func startLongRecording(gateway: GatewayProcess, caller: String) throws -> Process {
        try process("long-recording.xml", gateway: gateway, caller: caller)
    }
}

extension Process {
    func kill() { if isRunning { Glibc.kill(processIdentifier, SIGKILL) } }
}

/// The facts of a WAV file the tests check.
struct WAVInfo {
    let sampleRate: Int
    let channels: Int
    let bits: Int
    let durationMs: Int
    let rms: Double

    init(path: String) throws {
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard d.count >= 44, d[0..<4] == [0x52, 0x49, 0x46, 0x46] else { throw POSIXError(.EINVAL) }
        func u32(_ i: Int) -> Int { Int(d[i]) | Int(d[i + 1]) << 8 | Int(d[i + 2]) << 16 | Int(d[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(d[i]) | Int(d[i + 1]) << 8 }
        channels = u16(22)
        sampleRate = u32(24)
        bits = u16(34)
        let dataBytes = min(u32(40), d.count - 44)
        let count = dataBytes / 2
        durationMs = count * 1000 / max(1, sampleRate)
        var sum = 0.0
        for i in 0..<count {
            let s = Double(Int16(bitPattern: UInt16(d[44 + 2 * i]) | UInt16(d[45 + 2 * i]) << 8))
            sum += s * s
        }
        rms = count > 0 ? (sum / Double(count)).squareRoot() : 0
    }
}
