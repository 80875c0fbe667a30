import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The agents' console in a real browser: `hotline1022 serve` with its console on a free loopback port, a SIPp
/// voice report, and `Tests/browser/console_test.py` driving headless Chromium through Selenium (Debian's
/// chromium, chromium-driver and python3-selenium, installed by scripts/bootstrap). On failure the script's
/// screenshots and page sources stay in the test's folder, whose path is printed.
final class ConsoleBrowserTests: XCTestCase {
    static let python = "/usr/bin/python3"  // Debian's, with python3-selenium (not a pyenv shim)
    static let script = E2E.repo + "/Tests/browser/console_test.py"

    func requireBrowserTools() throws {
        try E2E.requireTools()
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver", Self.python] {
            guard FileManager.default.isExecutableFile(atPath: tool) else {
                XCTFail("\(tool) is missing: run scripts/bootstrap (chromium, chromium-driver, python3-selenium)")
                throw CancellationError()
            }
        }
        let selenium = try E2E.execute(Self.python, ["-c", "import selenium"], timeout: 30)
        guard selenium.status == 0 else {
            XCTFail("python3-selenium is missing for \(Self.python): run scripts/bootstrap\n\(selenium.stderr)")
            throw CancellationError()
        }
    }

    func testAnAgentsShiftInTheBrowser() throws {
        try requireBrowserTools()
        let webPort = try E2E.freePort(tcp: true)
        let gateway = try GatewayProcess.start(name: "console", extra: ["--web-port", "\(webPort)"])
        defer { gateway.stop() }
        XCTAssertTrue(gateway.waitForLog("event=console-ready", count: 1, timeout: 10), "the console started:\n\(gateway.log)")

        // The desk's people, each with a password set the way an administrator does it (never on argv).
        let passwords = ["lan": "mật khẩu của Lan 1022", "binh": "mật khẩu của Bình 1022", "hoa": "mật khẩu của Hoa 1022",
                         "cuong": "mật khẩu của Cường 1022"]
        let db = ["--db", gateway.database]
        try cli(["users", "add", "admin", "--role", "administrator"] + db)
        for (name, role) in [("lan", "agent"), ("binh", "agent"), ("cuong", "agent")] {
            try cli(["users", "add", name, "--role", role, "--as", "admin"] + db)
        }
        try cli(["users", "add", "hoa", "--role", "unit", "--unit", "P-LECHAN", "--as", "admin"] + db)
        for (name, password) in passwords {
            let file = gateway.dir + "/password-\(name)"
            try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: file))
            try cli(["users", "password", name, "--password-file", file, "--as", "admin"] + db)
            try FileManager.default.removeItem(atPath: file)
        }

        // The SIPp call the script places once both agents watch the queue (as SIPp.start would run it).
        let speech = gateway.dir + "/speech.al"
        if !FileManager.default.fileExists(atPath: speech) { try FileManager.default.copyItem(atPath: try SIPp.speech(), toPath: speech) }
        let sipp = ["/usr/bin/sipp", "127.0.0.1:\(gateway.sipPort)", "-sf", E2E.repo + "/Tests/sipp/voice-report.xml",
                    "-m", "1", "-l", "1", "-i", "127.0.0.1", "-p", "\(try E2E.freePort())", "-mp", "\(try E2E.freePort())",
                    "-s", "1022", "-key", "caller", "0912345678", "-timeout", "90s", "-timeout_error", "-nostdin",
                    "-trace_err", "-error_file", gateway.dir + "/sipp-console.errors.log"]
        let results = gateway.dir + "/browser-results.json"
        var environment = ProcessInfo.processInfo.environment
        environment["BASE_URL"] = "http://127.0.0.1:\(webPort)"
        environment["OUT_DIR"] = gateway.dir
        environment["SIPP_CMD"] = String(decoding: try JSONSerialization.data(withJSONObject: sipp), as: UTF8.self)
        environment["SIPP_DIR"] = gateway.dir
        environment["USERS"] = String(decoding: try JSONSerialization.data(withJSONObject: passwords), as: UTF8.self)
        environment["RESULTS"] = results
        environment["PYTHONUNBUFFERED"] = "1"

        let started = Date()
        let run = try runScript(environment: environment, directory: gateway.dir, timeout: 150)
        let seconds = Date().timeIntervalSince(started)
        print("console_test.py: \(String(format: "%.1f", seconds)) s\n\(run.stdout)")
        let figures = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: results)))) as? [String: Any] ?? [:]
        XCTAssertFalse(run.timedOut, "the browser test was still running after 150 s and was killed")
        XCTAssertEqual(run.status, 0, """
            the browser test failed at '\(figures["failedStep"] ?? "?")'; screenshots and page sources in \(gateway.dir)
            --- stdout ---
            \(run.stdout)
            --- stderr (last lines) ---
            \(run.stderr.split(separator: "\n").suffix(40).joined(separator: "\n"))
            --- gateway log (last lines) ---
            \(gateway.log.split(separator: "\n").suffix(40).joined(separator: "\n"))
            """)
        guard run.status == 0 else { return }

        // The draft appeared in the browser within 1 s of being stored (the gateway's log line), without reload.
        let code = try XCTUnwrap(figures["code"] as? String)
        let stored = try XCTUnwrap(gateway.time(of: "draft-submitted", containing: code), "no draft-submitted line for \(code)")
        let appeared = Date(timeIntervalSince1970: try XCTUnwrap(figures["appearedAtMs"] as? Double) / 1000)
        let delay = appeared.timeIntervalSince(stored)
        print(String(format: "console: draft %@ stored, in the browser's queue %.0f ms later", code, delay * 1000))
        XCTAssertLessThanOrEqual(delay, 1.0, "the draft reached the browser more than 1 s after it was stored")
        XCTAssertEqual(figures["rangeStatus"] as? Int, 206)
        XCTAssertEqual(figures["csrfStatus"] as? Int, 403)
        XCTAssertEqual(figures["unitStatus"] as? Int, 403)

        // The audit log has every sign-in, failure, throttled attempt and sign-out, and the listen.
        let audit = try E2E.execute("/usr/bin/sqlite3", [gateway.database,
            "SELECT action || ' ' || actor FROM audit_log WHERE action LIKE 'sign-%' OR action = 'listen' ORDER BY id"], timeout: 30)
        let lines = audit.stdout.split(separator: "\n").map(String.init)
        for expected in ["sign-in lan", "sign-in binh", "sign-in hoa", "sign-out lan", "sign-in-failed cuong",
                         "sign-in-throttled cuong", "listen hotline:lan"] {
            XCTAssertTrue(lines.contains(expected), "audit has '\(expected)': \(lines)")
        }
        XCTAssertEqual(lines.filter { $0 == "sign-in-failed cuong" }.count, 4)
        XCTAssertLessThan(seconds, 150)
    }

    @discardableResult
    func cli(_ arguments: [String]) throws -> String {
        let result = try E2E.execute(E2E.binary, arguments, timeout: 60)
        guard result.status == 0 else {
            throw E2E.CommandFailed(description: "hotline1022 \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdout
    }

    /// Runs the Python script with its environment, bounded in time (killed at `timeout`).
    func runScript(environment: [String: String], directory: String, timeout: TimeInterval) throws -> E2E.Output {
        let out = directory + "/browser.stdout", err = directory + "/browser.stderr"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [Self.script]
        p.environment = environment
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle(forWritingAtPath: err)
        try p.run()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let timedOut = p.isRunning
        if timedOut {
            // The script's own children (chromedriver, SIPp) by its process id, then the script; a browser goes
            // when its chromedriver's pipe closes.
            _ = try? E2E.execute("/usr/bin/pkill", ["-KILL", "-P", "\(p.processIdentifier)"], timeout: 10)
            p.kill()
        }
        p.waitUntilExit()
        func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return E2E.Output(status: p.terminationStatus, stdout: read(out), stderr: read(err), timedOut: timedOut)
    }
}
