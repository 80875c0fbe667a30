import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// One SIPp process running a scenario of `Tests/sipp/` against a gateway, with everything it leaves behind
/// in the gateway's test folder: unexpected messages (`-trace_err`), the scenario's `<log>` lines with their
/// times (`-trace_logs`), its final statistics screen and its standard error.
final class SIPpRun {
    let process = Process()
    let scenario: String
    let base: String
    var errorsPath: String { base + ".errors.log" }
    var logPath: String { base + ".log" }
    var screenPath: String { base + ".screen.log" }
    var stderrPath: String { base + ".stderr" }

    init(scenario: String, arguments: [String], directory: String) throws {
        self.scenario = scenario
        base = directory + "/sipp-\((scenario as NSString).deletingPathExtension)-\(UUID().uuidString.prefix(6))"
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.arguments = arguments + [
            "-nostdin", "-trace_err", "-error_file", errorsPath, "-trace_logs", "-log_file", logPath,
            "-trace_screen", "-screen_file", screenPath,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice  // the live screen; -trace_screen keeps the final one
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
    }

    /// Starts SIPp on fresh local ports: `arguments` gets the SIP port (`-p`) and the media port (`-mp`). A
    /// port taken between the check and SIPp's bind (the suites run side by side) ends SIPp at once with exit
    /// status 254 and "Unable to bind"; that start is retried on new ports, up to three times.
    static func onFreePorts(scenario: String, directory: String,
                            _ arguments: (_ sipPort: Int, _ mediaPort: Int) -> [String]) throws -> SIPpRun {
        var attempt = 0
        while true {
            attempt += 1
            let run = try SIPpRun(scenario: scenario, arguments: arguments(try E2E.freePort(), try E2E.freeMediaPort()),
                                  directory: directory)
            // SIPp binds its sockets right after reading the scenario; a failed bind ends it within milliseconds.
            let deadline = Date(timeIntervalSinceNow: 0.25)
            while run.process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if run.process.isRunning || attempt == 3 || !run.failedToBind { return run }
            print("sipp \(scenario): a local port was taken before SIPp bound it; starting again on new ports")
        }
    }

    /// SIPp ended because one of its local ports was in use.
    var failedToBind: Bool {
        guard !process.isRunning, process.terminationStatus == 254 else { return false }
        return ((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "").contains("Unable to bind")
    }

    /// Waits for the scenario to end; kills SIPp at the deadline. True when it ended by itself.
    @discardableResult
    func wait(timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let finished = !process.isRunning
        process.kill()
        process.waitUntilExit()
        return finished
    }

    /// What SIPp said about the run, for a failure message.
    var report: String {
        func read(_ path: String, last: Int = 60) -> String {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(none)"
            return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(last).joined(separator: "\n")
        }
        return """
            --- sipp \(scenario): stderr ---
            \(read(stderrPath))
            --- sipp \(scenario): unexpected messages (\(errorsPath)) ---
            \(read(errorsPath))
            --- sipp \(scenario): final screen ---
            \(read(screenPath, last: 40))
            """
    }

    /// The times of the scenario's `<log message="LABEL [timestamp]"/>` lines, in order. SIPp's `[timestamp]`
    /// prints `date<TAB>time<TAB>seconds.micros` since the epoch; the last field is read.
    func times(of label: String) -> [Date] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix(label + " "), let epoch = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).last,
                  let seconds = Double(epoch) else { return nil }
            return Date(timeIntervalSince1970: seconds)
        }
    }

    func time(of label: String, file: StaticString = #filePath, line: UInt = #line) throws -> Date {
        try XCTUnwrap(times(of: label).first, "the scenario logged no '\(label)' line\n\(report)", file: file, line: line)
    }
}

/// SIPp calls of the scenarios in `Tests/sipp/` against a gateway on loopback, every one bounded in time.
enum SIPp {
    /// Real Vietnamese speech as raw A-law 8 kHz, made once per test run by `scripts/make-test-audio`.
    static let speechResult: Result<String, E2E.CommandFailed> = {
        let raw = NSTemporaryDirectory() + "hotline-speech-\(getpid()).al"
        do {
            let made = try E2E.execute("/bin/bash", [E2E.repo + "/scripts/make-test-audio", raw], timeout: 60)
            let size = (try? FileManager.default.attributesOfItem(atPath: raw))?[.size] as? Int ?? 0
            guard made.status == 0, size > 8000 else {
                return .failure(E2E.CommandFailed(description: "scripts/make-test-audio could not make the test speech "
                                                  + "(exit \(made.status), \(size) bytes): \(made.stderr)"))
            }
            return .success(raw)
        } catch {
            return .failure(E2E.CommandFailed(description: "scripts/make-test-audio could not run: \(error)"))
        }
    }()

    static func speech() throws -> String { try speechResult.get() }

    /// The length of the test speech: raw A-law is one byte per sample at 8000 samples a second.
    static func speechDuration() throws -> TimeInterval {
        let size = try FileManager.default.attributesOfItem(atPath: try speech())[.size] as? Int ?? 0
        return Double(size) / 8000
    }

    /// Starts a scenario as a caller (`-key caller`), from `source`, with more `-key`s for the scenario.
    static func start(_ scenario: String, gateway: GatewayProcess, caller: String, source: String = "127.0.0.1",
                      keys: [String: String] = [:], extraArguments: [String] = []) throws -> SIPpRun {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sipp") else {
            XCTFail("/usr/bin/sipp is missing: run scripts/bootstrap (the end-to-end tests are never skipped)")
            throw CancellationError()
        }
        // SIPp does not expand keywords in rtp_stream: the scenarios name `speech.al` in their working folder.
        let local = gateway.dir + "/speech.al"
        if !FileManager.default.fileExists(atPath: local) { try FileManager.default.copyItem(atPath: try speech(), toPath: local) }
        return try SIPpRun.onFreePorts(scenario: scenario, directory: gateway.dir) { sipPort, mediaPort in
            [
                "127.0.0.1:\(gateway.sipPort)", "-sf", E2E.repo + "/Tests/sipp/" + scenario, "-m", "1", "-l", "1",
                "-i", source, "-p", "\(sipPort)", "-mp", "\(mediaPort)", "-s", "1022",
                "-key", "caller", caller, "-timeout", "90s", "-timeout_error",
            ] + keys.sorted(by: { $0.key < $1.key }).flatMap { ["-key", $0.key, $0.value] } + extraArguments
        }
    }

    /// The process of a started scenario (for tests that only need to kill it).
    static func process(_ scenario: String, gateway: GatewayProcess, caller: String, source: String = "127.0.0.1",
                        keys: [String: String] = [:]) throws -> Process {
        try start(scenario, gateway: gateway, caller: caller, source: source, keys: keys).process
    }

    /// Runs a scenario to its end (bounded: 100 s, then killed) and fails the test, with SIPp's errors and the
    /// gateway's log, unless SIPp exits 0 (every call of the scenario succeeded).
    @discardableResult
    static func call(_ scenario: String, gateway: GatewayProcess, caller: String, keys: [String: String] = [:],
                     source: String = "127.0.0.1", extraArguments: [String] = [],
                     file: StaticString = #filePath, line: UInt = #line) throws -> SIPpRun {
        let run = try start(scenario, gateway: gateway, caller: caller, source: source, keys: keys,
                            extraArguments: extraArguments)
        let finished = run.wait(timeout: 100)
        XCTAssertTrue(finished, "sipp \(scenario) was still running after 100 s and was killed\n\(run.report)\n"
                      + "--- gateway log ---\n\(gateway.log)", file: file, line: line)
        if finished {
            XCTAssertEqual(run.process.terminationStatus, 0, "sipp \(scenario) failed (exit status "
                           + "\(run.process.terminationStatus))\n\(run.report)\n--- gateway log ---\n\(gateway.log)",
                           file: file, line: line)
        }
        return run
    }

    /// A whole voice report (category 1, speech, `#`, send, read-back), waited for.
    @discardableResult
    static func voiceReport(gateway: GatewayProcess, caller: String) throws -> SIPpRun {
        try call("voice-report.xml", gateway: gateway, caller: caller)
    }

    /// The hotline agent's phone as SIPp (`agent-uas.xml`: answers one call, waits for its BYE) on `port`;
    /// kill it when done.
    /// `scenario` is another phone that answers: the agent's on a callback (`agent-callback-uas.xml`), the citizen's
    /// (`citizen-uas.xml`, saying the test speech's next 2 s, `citizen.al`).
    static func agentPhone(port: Int, directory: String, scenario: String = "agent-uas.xml") throws -> Process {
        // What the agent says once they answer: the test speech's first 2 s; the citizen, the 2 s after.
        for (name, range) in [("agent.al", 0..<agentSpeechBytes), ("citizen.al", agentSpeechBytes..<2 * agentSpeechBytes)] {
            let words = directory + "/" + name
            guard !FileManager.default.fileExists(atPath: words) else { continue }
            let speech = try Data(contentsOf: URL(fileURLWithPath: try speech()))
            try speech.subdata(in: range).write(to: URL(fileURLWithPath: words))
        }
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        agent.currentDirectoryURL = URL(fileURLWithPath: directory)
        agent.arguments = ["-sf", E2E.repo + "/Tests/sipp/" + scenario, "-i", "127.0.0.1", "-p", "\(port)",
                           "-mp", "\(try E2E.freeMediaPort())", "-m", "1", "-timeout", "60s", "-timeout_error", "-nostdin"]
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        return agent
    }

    /// The agent's words on answering (`agent.al`): 2 s of A-law.
    static let agentSpeechBytes = 16_000

    /// Waits up to 15 s for the agent's phone to finish its call; true when it did, with exit status 0.
    static func agentPhoneFinished(_ agent: Process) -> Bool {
        let deadline = Date(timeIntervalSinceNow: 15)
        while agent.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        return !agent.isRunning && agent.terminationStatus == 0
    }

    /// A caller who reaches the recording and keeps talking (for crash and drain tests); kill it when done.
    static func startLongRecording(gateway: GatewayProcess, caller: String) throws -> Process {
        try process("long-recording.xml", gateway: gateway, caller: caller)
    }
}
