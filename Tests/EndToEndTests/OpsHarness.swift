import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A long-running program of the operations tests (an installed gateway, a second gateway, Kamailio), with its
/// standard error in a file of the test folder. `GatewayProcess` starts the build's gateway with the test
/// defaults; this one runs any binary with exactly the arguments given, as an administrator would.
final class ServiceProcess {
    let process = Process()
    let logPath: String
    let name: String

    init(name: String, binary: String, arguments: [String], directory: String, workingDirectory: String? = nil,
         environment: [String: String] = [:]) throws {
        self.name = name
        logPath = directory + "/\(name)-\(UUID().uuidString.prefix(4)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: logPath)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }

    func waitForLog(_ needle: String, count: Int = 1, timeout: TimeInterval) -> Bool {
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

    /// SIGTERM; SIGKILL after 20 s. The exit status (0: a clean stop), -1 if it would not die.
    @discardableResult
    func stop() -> Int32 {
        signal(SIGTERM)
        if !waitForExit(timeout: 20) { kill9() }
        return process.isRunning ? -1 : process.terminationStatus
    }

    /// Lines of the log with `event=NAME`.
    func lines(event: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { $0.contains("event=\(event)") }
    }
}

enum Ops {
    /// Starts a SIPp scenario of `Tests/sipp/` against `host:port`, its files in `directory` (which gets the
    /// test speech as `speech.al`), with `extra` SIPp options (-m, -r, -l…; default one call).
    static func sipp(_ scenario: String, port: Int, directory: String, caller: String,
                     extra: [String] = ["-m", "1", "-l", "1"], timeout: String = "90s") throws -> SIPpRun {
        let local = directory + "/speech.al"
        if !FileManager.default.fileExists(atPath: local) { try FileManager.default.copyItem(atPath: try SIPp.speech(), toPath: local) }
        return try SIPpRun.onFreePorts(scenario: scenario, directory: directory) { sipPort, mediaPort in
            [
                "127.0.0.1:\(port)", "-sf", E2E.repo + "/Tests/sipp/" + scenario, "-i", "127.0.0.1",
                "-p", "\(sipPort)", "-mp", "\(mediaPort)", "-s", "1022",
                "-key", "caller", caller, "-timeout", timeout, "-timeout_error",
            ] + extra
        }
    }

    /// The permission bits of a path (no file type bits), nil if it does not exist.
    static func mode(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_mode) & 0o7777
    }

    static func octal(_ mode: Int?) -> String { mode.map { String($0, radix: 8) } ?? "missing" }

    /// Runs `sqlite3 DB SQL` and returns its output, trimmed.
    static func sqlite(_ database: String, _ sql: String) throws -> String {
        let out = try E2E.execute("/usr/bin/sqlite3", [database, sql], timeout: 60)
        guard out.status == 0 else { throw E2E.CommandFailed(description: "sqlite3 \(database) '\(sql)': \(out.stderr)") }
        return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension Ops {
    /// Kamailio with the shipped configuration (deploy/kamailio/kamailio.cfg) in front of `gateways` (their SIP URIs,
    /// in dispatcher set 1, named gateway-a, gateway-b, …), listening on UDP `listen` (ADDR:PORT), probing them every
    /// `probeInterval` seconds. Wait for its "Listening on" before use.
    static func kamailio(listen: String, gateways: [String], probeInterval: Int, directory dir: String) throws -> ServiceProcess {
        let list = dir + "/dispatcher.list"
        let names = "abcdefgh".map(String.init)
        try zip(gateways, names).map { "1 \($0) 0 0 duid=gateway-\($1)\n" }.joined()
            .write(toFile: list, atomically: true, encoding: .utf8)
        return try ServiceProcess(
            name: "kamailio", binary: "/usr/sbin/kamailio",
            arguments: ["-f", E2E.repo + "/deploy/kamailio/kamailio.cfg", "-A", "LISTEN=udp:\(listen)",
                        "-A", "DISPATCHER_LIST=\"\(list)\"", "-A", "DS_PING_INTERVAL=\(probeInterval)",
                        "-DD", "-E", "-Y", dir, "-w", dir, "-m", "64"],
            directory: dir)
    }
}

extension SIPpRun {
    /// The Call-IDs of the calls that reached the end of the scenario (`completed <Call-ID>` log lines).
    var completedCalls: [String] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            line.hasPrefix("completed ") ? String(line.dropFirst("completed ".count)).trimmingCharacters(in: .whitespaces) : nil
        }
    }
}

extension Ops {
    /// An HTTP GET on loopback, bounded (10 s): status and body.
    static func httpGet(_ url: String) throws -> (status: Int, body: String) {
        let out = try E2E.execute("/usr/bin/curl", ["-s", "-m", "10", "-o", "-", "-w", "\n%{http_code}", url], timeout: 15)
        guard out.status == 0 else { throw E2E.CommandFailed(description: "curl \(url) exited \(out.status): \(out.stderr)") }
        var lines = out.stdout.components(separatedBy: "\n")
        let status = Int(lines.removeLast()) ?? 0
        return (status, lines.joined(separator: "\n"))
    }

    /// The value of one series of a Prometheus text page (`name` or `name{labels}` exactly as printed).
    static func sample(_ page: String, _ series: String) -> Double? {
        for line in page.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}
