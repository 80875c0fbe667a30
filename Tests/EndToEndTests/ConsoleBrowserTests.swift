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
        // lan has a phone in the live queue (never registered here); binh has none.
        let sipFile = gateway.dir + "/sip-lan"
        try Data("mật khẩu SIP của Lan\n".utf8).write(to: URL(fileURLWithPath: sipFile))
        try cli(["users", "phone", "lan", "--password-file", sipFile, "--as", "admin"] + db)

        // The SIPp call the script places once both agents watch the queue (as SIPp.start would run it).
        let speech = gateway.dir + "/speech.al"
        if !FileManager.default.fileExists(atPath: speech) { try FileManager.default.copyItem(atPath: try SIPp.speech(), toPath: speech) }
        let sipp = ["/usr/bin/sipp", "127.0.0.1:\(gateway.sipPort)", "-sf", E2E.repo + "/Tests/sipp/voice-report.xml",
                    "-m", "1", "-l", "1", "-i", "127.0.0.1", "-p", "\(try E2E.freePort())", "-mp", "\(try E2E.freeMediaPort())",
                    "-s", "1022", "-key", "caller", "0912345678", "-timeout", "90s", "-timeout_error", "-nostdin",
                    "-trace_err", "-error_file", gateway.dir + "/sipp-console.errors.log"]
        var environment = ProcessInfo.processInfo.environment
        environment["BASE_URL"] = "http://127.0.0.1:\(webPort)"
        environment["SIPP_CMD"] = String(decoding: try JSONSerialization.data(withJSONObject: sipp), as: UTF8.self)
        environment["SIPP_DIR"] = gateway.dir
        environment["USERS"] = String(decoding: try JSONSerialization.data(withJSONObject: passwords), as: UTF8.self)
        guard let (figures, seconds) = try browse(Self.script, environment: environment, directory: gateway.dir,
                                                   serverLog: { gateway.log }) else { return }

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

    static let liveCallScript = E2E.repo + "/Tests/browser/live_call_test.py"

    /// Issue 23 §4 and §6 on a real call: lan's SIPp phone registers with digest auth, lan sets ready in the
    /// header, a citizen who left a voice report earlier presses 0; lan's console pops the number, that report and
    /// the repeat-caller flag while the phone rings and during the call, and minh's wallboard shows lan ringing,
    /// on the call, then in wrap-up; lan files a new case from the pop, bound to the call. A second caller gives up
    /// during lan's wrap-up and appears on lan's open callback page without a reload. Afterwards the wallboard's figures are `queue stats --json`'s, and every board
    /// reached the browser within 1 s of being computed.
    /// Set UPDATE_SCREENSHOTS=1 to refresh docs/console-screen-pop.png, docs/console-wallboard.png and docs/console-callbacks.png.
    func testTheScreenPopAndTheWallboardOnARealCall() throws {
        try requireBrowserTools()
        let webPort = try E2E.freePort(tcp: true)
        let gateway = try GatewayProcess.start(name: "live-call", extra: ["--web-port", "\(webPort)", "--agents-uri", "none"])
        defer { gateway.stop() }
        XCTAssertTrue(gateway.waitForLog("event=console-ready", count: 1, timeout: 10), "the console started:\n\(gateway.log)")
        let db = ["--db", gateway.database]
        let passwords = ["lan": "mật khẩu của Lan 1022", "minh": "mật khẩu của Minh 1022"]
        try cli(["users", "add", "admin", "--role", "administrator"] + db)
        try cli(["users", "add", "lan", "--role", "agent", "--as", "admin"] + db)
        try cli(["users", "add", "minh", "--role", "supervisor", "--as", "admin"] + db)
        for (name, password) in passwords {
            let file = gateway.dir + "/password-\(name)"
            try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: file))
            try cli(["users", "password", name, "--password-file", file, "--as", "admin"] + db)
            try FileManager.default.removeItem(atPath: file)
        }
        let sipSecret = "mật khẩu SIP của Lan"
        let sipFile = gateway.dir + "/sip-lan"
        try Data((sipSecret + "\n").utf8).write(to: URL(fileURLWithPath: sipFile))
        try cli(["users", "phone", "lan", "--password-file", sipFile, "--as", "admin"] + db)
        XCTAssertTrue(gateway.waitForLog("event=agent-phone agent=lan phone=registrar", count: 1, timeout: 10), gateway.log)

        // The citizen's earlier call: a voice report, still open.
        let caller = "0944000777"
        try SIPp.voiceReport(gateway: gateway, caller: caller)
        let earlier = try E2E.execute("/usr/bin/sqlite3", [gateway.database,
            "SELECT tracking_code FROM tickets WHERE caller_number = '\(caller)'"], timeout: 30).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(earlier.isEmpty || earlier.contains("\n"), "one earlier ticket from \(caller): '\(earlier)'")

        // lan's phone: REGISTER with digest auth (agent-register.xml), then a SIPp that answers after 1 s of ringing.
        let uasPort = try E2E.freePort()
        let registered = try SIPpRun.onFreePorts(scenario: "agent-register.xml", directory: gateway.dir) { sipPort, mediaPort in [
            "127.0.0.1:\(gateway.sipPort)", "-sf", E2E.repo + "/Tests/sipp/agent-register.xml", "-m", "1",
            "-i", "127.0.0.1", "-p", "\(sipPort)", "-mp", "\(mediaPort)", "-au", "lan", "-ap", sipSecret,
            "-key", "agent", "lan", "-key", "contact_port", "\(uasPort)", "-key", "expires", "600",
            "-timeout", "20s", "-timeout_error",
        ] }
        XCTAssertTrue(registered.wait(timeout: 30), registered.report)
        XCTAssertEqual(registered.process.terminationStatus, 0, "lan's phone registered\n\(registered.report)\n\(gateway.log)")
        XCTAssertTrue(gateway.waitForLog("event=agent-registered agent=lan contacts=1", count: 1, timeout: 5), gateway.log)
        let phone = try SIPp.agentPhone(port: uasPort, directory: gateway.dir)
        defer { phone.kill() }

        let speech = gateway.dir + "/speech.al"
        if !FileManager.default.fileExists(atPath: speech) { try FileManager.default.copyItem(atPath: try SIPp.speech(), toPath: speech) }
        let sipp = ["/usr/bin/sipp", "127.0.0.1:\(gateway.sipPort)", "-sf", E2E.repo + "/Tests/sipp/agent-transfer.xml",
                    "-m", "1", "-l", "1", "-i", "127.0.0.1", "-p", "\(try E2E.freePort())", "-mp", "\(try E2E.freeMediaPort())",
                    "-s", "1022", "-key", "caller", caller, "-timeout", "60s", "-timeout_error", "-nostdin",
                    "-trace_err", "-error_file", gateway.dir + "/sipp-live-call.errors.log"]
        var environment = ProcessInfo.processInfo.environment
        environment["BASE_URL"] = "http://127.0.0.1:\(webPort)"
        environment["SIPP_CMD"] = String(decoding: try JSONSerialization.data(withJSONObject: sipp), as: UTF8.self)
        environment["SIPP_DIR"] = gateway.dir
        environment["USERS"] = String(decoding: try JSONSerialization.data(withJSONObject: passwords), as: UTF8.self)
        environment["CALLER"] = caller
        environment["EARLIER_CODE"] = earlier
        // The caller who gives up: bench-queue-caller.xml (press 0, wait, hang up), waiting 8 s rather than 60-240 s:
        // while lan is in wrap-up, so nobody is offered them.
        let abandoner = "0944000888"
        let patient = try String(contentsOfFile: E2E.repo + "/Tests/sipp/bench-queue-caller.xml", encoding: .utf8)
            .replacingOccurrences(of: #"max="18.999""#, with: #"max="0.5""#)
            .replacingOccurrences(of: #"timeout="60000" ontimeout="waiting""#, with: #"timeout="8000" ontimeout="waiting""#)
        XCTAssertTrue(patient.contains(#"timeout="8000""#) && patient.contains(#"max="0.5""#), "the scenario's patience changed")
        try patient.write(toFile: gateway.dir + "/abandon.xml", atomically: true, encoding: .utf8)
        try "SEQUENTIAL\n\(abandoner);\n".write(toFile: gateway.dir + "/abandoner.csv", atomically: true, encoding: .utf8)
        let abandon = ["/usr/bin/sipp", "127.0.0.1:\(gateway.sipPort)", "-sf", gateway.dir + "/abandon.xml",
                       "-inf", gateway.dir + "/abandoner.csv", "-m", "1", "-l", "1", "-i", "127.0.0.1",
                       "-p", "\(try E2E.freePort())", "-mp", "\(try E2E.freeMediaPort())", "-s", "1022", "-timeout", "40s",
                       "-timeout_error", "-nostdin", "-trace_err", "-error_file", gateway.dir + "/sipp-abandon.errors.log"]
        environment["ABANDON_CMD"] = String(decoding: try JSONSerialization.data(withJSONObject: abandon), as: UTF8.self)
        environment["ABANDON_CALLER"] = abandoner
        guard let (figures, _) = try browse(Self.liveCallScript, environment: environment, directory: gateway.dir,
                                             serverLog: { gateway.log }) else { return }
        XCTAssertTrue(SIPp.agentPhoneFinished(phone), "lan's phone saw INVITE, ACK and BYE\n\(gateway.log)")
        XCTAssertTrue(gateway.log.contains("event=queue-connect agent=lan"), gateway.log)

        // The pop came while the phone rang or just after it answered: within 3 s of the ring (the header polls
        // every second, the gateway writes its live state at most once a second).
        let rang = try XCTUnwrap(gateway.time(of: "queue-ring", containing: "agent=lan"), "no queue-ring line")
        let popped = Date(timeIntervalSince1970: try XCTUnwrap(figures["popAtMs"] as? Double) / 1000)
        print(String(format: "screen pop: %.0f ms after the phone rang", popped.timeIntervalSince(rang) * 1000))
        XCTAssertLessThanOrEqual(popped.timeIntervalSince(rang), 3, "the pop came late")

        // The case lan made from the pop is the call's: its number, bound to the gateway's call, claimed by lan.
        let callCase = try XCTUnwrap(figures["callCase"] as? String)
        let bound = try E2E.execute("/usr/bin/sqlite3", [gateway.database,
            "SELECT caller_number || ' ' || sip_call_id || ' ' || status FROM tickets WHERE tracking_code = '\(callCase)'"], timeout: 30)
        XCTAssertTrue(bound.stdout.hasPrefix("\(caller) queue:") && bound.stdout.contains(" draft"), bound.stdout)
        // Its recording is the conversation's (issue 23 §4), queued for transcription like a voice report's.
        let attached = try E2E.execute("/usr/bin/sqlite3", [gateway.database, """
            SELECT a.duration_ms > 5000, j.status FROM attachments a JOIN tickets t ON t.id = a.ticket_id
            JOIN transcription_jobs j ON j.attachment_id = a.id WHERE t.tracking_code = '\(callCase)' AND a.kind = 'recording'
            """], timeout: 30)
        XCTAssertTrue(attached.stdout.hasPrefix("1|"), "one recording of the talk, with its transcription job: '\(attached.stdout)'\n\(gateway.log)")

        // The wallboard's figures are the queue log's (queue stats computes them from it).
        let stats = try JSONSerialization.jsonObject(with: Data(try cli(["queue", "stats", "--json", "--as", "minh"] + db).utf8))
            as? [String: Any] ?? [:]
        let board = try XCTUnwrap(figures["wallboard"] as? [String: String])
        for key in ["waiting", "offered", "answered", "abandoned", "callbacksDue"] {
            XCTAssertEqual(board[key], (stats[key] as? Int).map(String.init), "\(key): wallboard \(board) vs queue stats \(stats)")
        }
        XCTAssertEqual(board["answered"], "1")
        XCTAssertEqual(board["abandoned"], "1", "the caller who gave up during lan's wrap-up")
        let log = try cli(["queue", "log", "--format", "csv", "--as", "minh"] + db)
        XCTAssertEqual(log.split(separator: "\n").filter { $0.contains(",enter,") }.count, 2, log)
        XCTAssertEqual(log.split(separator: "\n").filter { $0.contains(",abandon,") && $0.contains(abandoner) }.count, 1, log)
        let callbacks = try cli(["queue", "callbacks", "--json", "--as", "lan"] + db)
        XCTAssertTrue(callbacks.contains(abandoner), "the abandoned caller is on the callback list: \(callbacks)")
        XCTAssertEqual(log.split(separator: "\n").filter { $0.contains(",connect,") && $0.contains(",lan,") }.count, 1, log)

        // Every board reached the browser within 1 s of being computed (issue 23's wallboard target, at one call).
        let lags = (figures["lags"] as? [Double] ?? []).sorted()
        XCTAssertGreaterThan(lags.count, 5, "the wallboard was sent about every second: \(figures["updates"] ?? "?") updates")
        if let worst = lags.last {
            print(String(format: "wallboard: %d updates, lag p50 %.0f ms, max %.0f ms", lags.count, lags[lags.count / 2], worst))
            XCTAssertLessThanOrEqual(worst, 1000)
        }
    }

    /// Part 2 (issue 13) in Chromium against `hotline1022 web` on a copy of the administrators' files and the
    /// live menu: the public form and lookup, Open311 (201 with channel app; 401 for a wrong key), a unit member
    /// on a phone resolving with a photo from the page, the reviewer confirming, the weekly .docx and CSV from the
    /// report page, the menu editor's line-numbered problem, install and rollback. Then, outside the browser:
    /// the citizen's result message carries the unit's words (outbox and messages log), the .docx holds seed
    /// 000's sections, the live menu is the original again, and every step is in the audit log.
    func testUnitsReviewReportsMenusAndCitizensInTheBrowser() throws {
        try requireBrowserTools()
        let dir = try E2E.tempDir("desk-browser")
        let db = dir + "/h.sqlite", config = dir + "/Config", live = dir + "/Dialplans/hotline-1022.json"
        try FileManager.default.copyItem(atPath: E2E.repo + "/Config", toPath: config)
        try FileManager.default.createDirectory(atPath: dir + "/Dialplans", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: E2E.repo + "/Dialplans/hotline-1022.json", toPath: live)
        let original = try Data(contentsOf: URL(fileURLWithPath: live))

        let passwords = ["admin": "mật khẩu quản trị 1022", "lan": "mật khẩu của Lan 1022", "hoa": "mật khẩu của Hoa 1022"]
        let base = ["--db", db, "--config-dir", config]
        try cli(["users", "add", "admin", "--role", "administrator"] + base)
        try cli(["units", "import", config + "/units.json", "--as", "admin"] + base)
        try cli(["users", "add", "lan", "--role", "agent", "--as", "admin"] + base)
        try cli(["users", "add", "hoa", "--role", "unit", "--unit", "P-LECHAN", "--as", "admin"] + base)
        for (name, password) in passwords {
            let file = dir + "/password-\(name)"
            try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: file))
            try cli(["users", "password", name, "--password-file", file, "--as", "admin"] + base)
            try FileManager.default.removeItem(atPath: file)
        }
        let key = try cli(["open311", "key", "add", "smart-haiphong", "--as", "admin"] + base).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(key.hasPrefix("h1022_") && key.count == 70, "the key is printed once: \(key)")
        let stored = try E2E.execute("/usr/bin/sqlite3", [db, "SELECT key_sha256 FROM api_clients"], timeout: 30).stdout
        XCTAssertFalse(stored.contains(key), "only the key's hash is stored")

        let webPort = try E2E.freePort(tcp: true)
        let web = Process()
        web.executableURL = URL(fileURLWithPath: E2E.binary)
        web.arguments = ["web", "--web-port", "\(webPort)", "--dialplan", live, "--prompts", E2E.repo + "/Prompts/vi"] + base
        let webLog = dir + "/web.log"
        FileManager.default.createFile(atPath: webLog, contents: nil)
        web.standardError = FileHandle(forWritingAtPath: webLog)
        web.standardOutput = FileHandle.nullDevice
        try web.run()
        defer {
            if web.isRunning { web.terminate() }
            web.waitUntilExit()
        }
        func log() -> String { (try? String(contentsOfFile: webLog, encoding: .utf8)) ?? "" }
        let ready = Date(timeIntervalSinceNow: 10)
        while !log().contains("event=console-ready"), Date() < ready { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertTrue(log().contains("event=console-ready"), "the console started:\n\(log())")

        var environment = ProcessInfo.processInfo.environment
        environment["BASE_URL"] = "http://127.0.0.1:\(webPort)"
        environment["USERS"] = String(decoding: try JSONSerialization.data(withJSONObject: passwords), as: UTF8.self)
        environment["API_KEY"] = key
        environment["HOTLINE_CLI"] = String(decoding: try JSONSerialization.data(withJSONObject: [E2E.binary] + base), as: UTF8.self)
        guard let (figures, seconds) = try browse(Self.deskScript, environment: environment, directory: dir, serverLog: log)
        else { return }
        let portal = try XCTUnwrap(figures["portalCode"] as? String)
        let app = try XCTUnwrap(figures["appCode"] as? String)
        func sql(_ query: String) throws -> String {
            try E2E.execute("/usr/bin/sqlite3", [db, query], timeout: 30).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        // Every ticket carries its channel, and the weekly report counts both.
        XCTAssertEqual(try sql("SELECT channel FROM tickets WHERE tracking_code = '\(portal)'"), "portal")
        XCTAssertEqual(try sql("SELECT channel FROM tickets WHERE tracking_code = '\(app)'"), "app")
        XCTAssertEqual(figures["wrongKeyStatus"] as? Int, 401)
        let weekly = try cli(["report", "weekly", "--format", "json", "--db", db])
        XCTAssertTrue(weekly.contains("Trang tin 1022") && weekly.contains("Smart Hải Phòng"), "byChannel counts both channels")

        // The unit's photo is stored outside any web root with its SHA-256, and the citizen's result message
        // (queued at the confirmation, then sent to the messages log) carries the unit's words.
        let evidence = try sql("SELECT path || ' ' || sha256 FROM attachments WHERE kind = 'photo' AND ticket_id = (SELECT id FROM tickets WHERE tracking_code = '\(portal)') ORDER BY id DESC LIMIT 1")
        let parts = evidence.split(separator: " ").map(String.init)
        XCTAssertEqual(parts.count, 2, evidence)
        if parts.count == 2 {
            XCTAssertTrue(parts[0].hasPrefix(dir + "/evidence/\(portal)/"), "stored under the data folder: \(parts[0])")
            let sum = try E2E.execute("/usr/bin/sha256sum", [parts[0]], timeout: 30).stdout
            XCTAssertEqual(sum.split(separator: " ").first.map(String.init), parts[1], "the stored SHA-256 is the file's")
        }
        let resultText = "Đã dựng lại và cố định cột đèn trước 45 Tô Hiệu lúc 15 giờ, đèn sáng bình thường."
        let body = try sql("SELECT body FROM outbox WHERE kind = 'result' AND ticket_id = (SELECT id FROM tickets WHERE tracking_code = '\(portal)')")
        XCTAssertTrue(body.contains(resultText) && body.contains(portal), "the result message: \(body)")
        let messages = dir + "/messages.log"
        try cli(["outbox", "run", "--once", "--messages-log", messages, "--db", db])
        let sent = (try? String(contentsOfFile: messages, encoding: .utf8)) ?? ""
        XCTAssertTrue(sent.contains(resultText), "the messages log has the result text:\n\(sent)")

        // The weekly .docx from the page holds seed 000's heading, sections 1-7 and signature block.
        let paragraphs = (figures["docxParagraphs"] as? [String] ?? []).joined(separator: "\n")
        let cells = (figures["docxCells"] as? [String] ?? []).joined(separator: "\n")
        for needle in ["BÁO CÁO", "1. Chỉ số tổng quan", "2. Lĩnh vực chuyên mục", "3. Kênh tiếp nhận",
                       "4. Tình hình tiếp nhận và giải quyết tại các đơn vị", "5. Đánh giá tổng hợp", "6. Những khó khăn, vướng mắc",
                       "7. Đề xuất, kiến nghị phương án khắc phục"] {
            XCTAssertTrue(paragraphs.contains(needle), "the .docx has «\(needle)»")
        }
        XCTAssertTrue(cells.contains("Nơi nhận:") && cells.contains("CHÁNH VĂN PHÒNG") && cells.contains("Trang tin 1022"),
                      "the signature block and the channel table")
        XCTAssertEqual(figures["csvBOM"] as? Bool, true)

        // The menu: the problem's line, the install and the rollback, audited; the live file is the original.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: live)), original, "rolled back to the original menu")
        let history = try FileManager.default.contentsOfDirectory(atPath: dir + "/Dialplans/.history")
        XCTAssertGreaterThanOrEqual(history.count, 3, "the original, the edit and the rollback are kept: \(history)")
        let audit = try sql("SELECT action FROM audit_log WHERE ticket_id IS NULL ORDER BY id").split(separator: "\n").map(String.init)
        for action in ["api-key-add", "dialplan-install", "dialplan-rollback"] {
            XCTAssertTrue(audit.contains(action), "audited: \(action) in \(audit)")
        }
        let steps = try sql("SELECT action || ' ' || actor FROM audit_log WHERE ticket_id = (SELECT id FROM tickets WHERE tracking_code = '\(portal)') ORDER BY id")
        for line in ["create citizen:portal", "attach citizen:portal", "accept unit:hoa", "resolve unit:hoa", "confirm hotline:lan", "rate citizen:citizen"] {
            XCTAssertTrue(steps.contains(line), "\(line) in the ticket's audit log:\n\(steps)")
        }
        XCTAssertLessThan(seconds, 150)
    }

    static let deskScript = E2E.repo + "/Tests/browser/desk_test.py"

    @discardableResult
    func cli(_ arguments: [String]) throws -> String {
        let result = try E2E.execute(E2E.binary, arguments, timeout: 60)
        guard result.status == 0 else {
            throw E2E.CommandFailed(description: "hotline1022 \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdout
    }

    /// Runs a browser script (Tests/browser/…) with `environment` plus OUT_DIR (`directory`, where its screenshots go),
    /// RESULTS and, with UPDATE_SCREENSHOTS=1, SCREENSHOT_DIR (docs/). Returns what the script wrote to RESULTS and
    /// how long it took; nil, with the failure asserted (its step, output, and `serverLog`'s last lines), when it
    /// failed or ran past `timeout`.
    func browse(_ script: String, environment: [String: String], directory: String, timeout: TimeInterval = 150,
                serverLog: () -> String) throws -> (figures: [String: Any], seconds: Double)? {
        let results = directory + "/" + ((script as NSString).lastPathComponent as NSString).deletingPathExtension + "-results.json"
        var environment = environment
        environment["OUT_DIR"] = directory
        environment["RESULTS"] = results
        environment["PYTHONUNBUFFERED"] = "1"
        if environment["UPDATE_SCREENSHOTS"] == "1" { environment["SCREENSHOT_DIR"] = E2E.repo + "/docs" }
        let started = Date()
        let run = try runScript(script, environment: environment, directory: directory, timeout: timeout)
        let seconds = Date().timeIntervalSince(started)
        print("\((script as NSString).lastPathComponent): \(String(format: "%.1f", seconds)) s\n\(run.stdout)")
        let figures = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: results)))) as? [String: Any] ?? [:]
        XCTAssertFalse(run.timedOut, "the browser test was still running after \(Int(timeout)) s and was killed")
        XCTAssertEqual(run.status, 0, """
            the browser test failed at '\(figures["failedStep"] ?? "?")'; screenshots and page sources in \(directory)
            --- stdout ---
            \(run.stdout)
            --- stderr (last lines) ---
            \(run.stderr.split(separator: "\n").suffix(40).joined(separator: "\n"))
            --- server log (last lines) ---
            \(serverLog().split(separator: "\n").suffix(60).joined(separator: "\n"))
            """)
        return run.status == 0 && !run.timedOut ? (figures, seconds) : nil
    }

    /// Runs the Python script with its environment, bounded in time (killed at `timeout`).
    func runScript(_ script: String = ConsoleBrowserTests.script, environment: [String: String], directory: String,
                   timeout: TimeInterval) throws -> E2E.Output {
        let out = directory + "/browser.stdout", err = directory + "/browser.stderr"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [script]
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
