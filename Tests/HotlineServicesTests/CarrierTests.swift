import Foundation
import HotlineCore
import HotlineServices
import XCTest

#if canImport(Glibc)
import Glibc
#endif

@testable import HotlineStore

/// A helper program the test starts and stops (Kannel's wrapper script, the ZNS stand-in).
final class Helper {
    let process = Process()
    private let out = Pipe()

    init(_ program: String, _ args: [String]) throws {
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = args
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// The first line of stdout (`PORT=n`), within `timeout`.
    func firstLine(timeout: TimeInterval = 15) -> String? {
        let handle = out.fileHandleForReading
        var data = Data()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            data.append(chunk)
            if let nl = data.firstIndex(of: 0x0A) { return String(decoding: data[..<nl], as: UTF8.self) }
        }
        return nil
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date(timeIntervalSinceNow: 10)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Runs a program to its end: (status, stdout, stderr).
/// Runs a program to its end with posix_spawn and waitpid (Foundation's Process on Linux can miss the exit of a
/// script whose daemons live on); output goes to files, not pipes, which those daemons would hold open.
@discardableResult
func runTool(_ program: String, _ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let base = NSTemporaryDirectory() + "tool-\(UUID().uuidString)"
    defer { unlink(base + ".out"); unlink(base + ".err") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv: [UnsafeMutablePointer<CChar>?] = ([program] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, program, &actions, nil, argv, environ)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (code, (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
}

func waitFor(_ seconds: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.2)
    }
    return try condition()
}

func jsonLines(_ path: String) -> [[String: Any]] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

/// A real Kannel 1.4.5 (Debian's bearerbox and smsbox) on loopback, in front of an SMPP test SMSC (Net::SMPP):
/// `Tests/kannel/kannel-env`.
final class KannelDeliveryTests: OutboxTestCase {
    var kannelDir: String!
    var env: [String: String] = [:]

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/bearerbox") else {
            return XCTFail("/usr/sbin/bearerbox is missing: run scripts/bootstrap (these tests are never skipped)")
        }
        kannelDir = dir + "/kannel"
        let started = try runTool(repositoryRoot + "/Tests/kannel/kannel-env", ["start", kannelDir])
        XCTAssertEqual(started.status, 0, started.stderr)
        for line in started.stdout.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { env[kv[0]] = kv[1] }
        }
    }

    override func tearDownWithError() throws {
        if let kannelDir { try? runTool(repositoryRoot + "/Tests/kannel/kannel-env", ["stop", kannelDir]) }
        try super.tearDownWithError()
    }

    func kannel(reportBase: String) throws -> KannelSender {
        KannelSender(settings: .init(
            sendsmsURL: try XCTUnwrap(URL(string: try XCTUnwrap(env["SENDSMS_URL"]))), username: env["SENDSMS_USER"] ?? "",
            password: env["SENDSMS_PASSWORD"] ?? "", from: "HAIPHONG1022", reportBase: reportBase,
            statusURL: URL(string: "\(env["ADMIN_URL"] ?? "")/status.xml?password=\(env["ADMIN_PASSWORD"] ?? "")")))
    }

    func testAnAcknowledgementReachesTheSMSCAsUCS2AndItsReportMarksItDelivered() throws {
        let code = try forwardedCase()
        let reports = try DeliveryReports(database: store.path, zalo: nil, logger: MemoryLogger())
        defer { reports.stop() }
        try reports.start(address: "127.0.0.1", port: 0)
        let worker = OutboxWorker(store: store, senders: [try kannel(reportBase: "http://127.0.0.1:\(reports.port)")])
        XCTAssertEqual(try worker.runOnce(now: Date()).sent, 1)
        let message = try XCTUnwrap(store.outboxMessages(trackingCode: code).first)
        let smscLog = try XCTUnwrap(env["SMSC_LOG"])
        XCTAssertTrue(waitFor(15) { jsonLines(smscLog).filter { $0["event"] as? String == "submit_sm" }.count >= 2 })
        let parts = jsonLines(smscLog).filter { $0["event"] as? String == "submit_sm" }
        XCTAssertTrue(parts.allSatisfy { $0["data_coding"] as? Int == 8 }, "UCS-2: \(parts)")
        XCTAssertTrue(parts.allSatisfy { $0["destination_addr"] as? String == "84912345678" && $0["source_addr"] as? String == "HAIPHONG1022" })
        let sorted = parts.sorted { (($0["concat"] as? [String: Any])?["seq"] as? Int ?? 0) < (($1["concat"] as? [String: Any])?["seq"] as? Int ?? 0) }
        let texts = sorted.map { $0["text"] as? String ?? "" }
        XCTAssertEqual(texts.joined(), SMSText.prepare(message.body, policy: .keep), "the right Vietnamese text, whole")
        XCTAssertEqual(texts.filter { $0.contains(code) }.count, 1, "the tracking code in one part: \(texts)")
        XCTAssertEqual(texts.count, SMSText.measure(SMSText.prepare(message.body, policy: .keep)).parts)
        XCTAssertTrue(try waitFor(20) { try store.outboxMessage(id: message.id)?.delivery == .delivered },
                      "the SMSC's receipt, through bearerbox and smsbox's dlr-url, marks it delivered")
        let delivered = try XCTUnwrap(store.outboxMessage(id: message.id))
        XCTAssertEqual(delivered.deliveryCode, "stat:DELIVRD err:000")
        XCTAssertEqual(delivered.channel, "kannel")
        XCTAssertFalse(try store.hotlineQueue(now: Date()).contains { $0.trackingCode == code })
    }

    func testAStoppedSMSCOrSMSBoxIsRetriedWithBackOffThenFailedAndNothingIsLost() throws {
        let reports = try DeliveryReports(database: store.path, zalo: nil, logger: MemoryLogger())
        defer { reports.stop() }
        try reports.start(address: "127.0.0.1", port: 0)
        let worker = OutboxWorker(store: store, senders: [try kannel(reportBase: "http://127.0.0.1:\(reports.port)")],
                                  policy: RetryPolicy(delays: [1, 2]))
        XCTAssertEqual(try runTool(repositoryRoot + "/Tests/kannel/kannel-env", ["stop-smsc", kannelDir]).status, 0)
        XCTAssertTrue(waitFor(10) { !(try? String(contentsOf: URL(string: "\(env["ADMIN_URL"]!)/status.txt?password=\(env["ADMIN_PASSWORD"]!)")!, encoding: .utf8)).map { $0.contains("(online") }! })
        let lost = try forwardedCase()
        let t0 = Date()
        XCTAssertEqual(try worker.runOnce(now: t0), OutboxWorker.Round(retrying: 1))
        var m = try XCTUnwrap(store.outboxMessages(trackingCode: lost).first)
        XCTAssertTrue(m.lastError?.contains("no SMSC online") == true, m.lastError ?? "")
        XCTAssertEqual(m.nextAttemptAt?.timeIntervalSince1970 ?? 0, t0.timeIntervalSince1970 + 1, accuracy: 0.01)
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(1)), OutboxWorker.Round(retrying: 1))
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(3)), OutboxWorker.Round(failed: 1))
        m = try XCTUnwrap(store.outboxMessages(trackingCode: lost).first)
        XCTAssertEqual(m.delivery, .failed)
        XCTAssertEqual(m.attempts, 3)
        XCTAssertEqual(try store.hotlineQueue(now: Date()).first { $0.trackingCode == lost }?.clock, .citizenNotTold)
        XCTAssertFalse(jsonLines(env["SMSC_LOG"]!).contains { $0["event"] as? String == "submit_sm" }, "nothing sat in Kannel's spool")

        // The operator's link is back: the next message goes.
        XCTAssertEqual(try runTool(repositoryRoot + "/Tests/kannel/kannel-env", ["start-smsc", kannelDir]).status, 0)
        let next = try forwardedCase(phone: "0987654321")
        XCTAssertEqual(try worker.runOnce(now: Date()).sent, 1)
        XCTAssertTrue(try waitFor(20) { try store.outboxMessages(trackingCode: next).first?.delivery == .delivered })

        // smsbox down: a transport error, retried; the message waits in the outbox.
        kill(pid_t(env["SMSBOX_PID"].flatMap(Int32.init) ?? 0), SIGKILL)
        Thread.sleep(forTimeInterval: 0.5)
        let waiting = try forwardedCase(phone: "0977000333")
        XCTAssertEqual(try worker.runOnce(now: Date().addingTimeInterval(1)).retrying, 1)
        m = try XCTUnwrap(store.outboxMessages(trackingCode: waiting).first)
        XCTAssertEqual(m.delivery, .pending)
        XCTAssertNotNil(m.nextAttemptAt)
        XCTAssertTrue(m.lastError?.hasPrefix("kannel:") == true, m.lastError ?? "")
    }
}

/// Zalo ZNS against `Tests/zns/fake_zns.py`, which checks every request against the documented contract
/// (Tests/zns/API.md) and answers with Zalo's codes; SMS takes what ZNS refuses.
final class ZNSDeliveryTests: OutboxTestCase {
    func testZNSSendsTheTemplateRefreshesItsTokenAndFallsBackToSMS() throws {
        let reports = try DeliveryReports(database: store.path, zalo: .init(appID: "app-42", oaSecret: "oa-secret"), logger: MemoryLogger())
        defer { reports.stop() }
        try reports.start(address: "127.0.0.1", port: 0)
        let fakeLog = dir + "/zns.jsonl"
        try Data(#"{"250001": ["ticket_id", "unit", "hotline"]}"#.utf8).write(to: URL(fileURLWithPath: dir + "/fake-templates.json"))
        let fake = try Helper("/usr/bin/python3", [
            repositoryRoot + "/Tests/zns/fake_zns.py", "--port", "0", "--templates", dir + "/fake-templates.json",
            "--app-id", "app-42", "--secret-key", "app-secret-key", "--initial-token", "AT-0", "--refresh-token", "RT-0",
            "--not-on-zalo", "84977000111", "--quota", "2", "--log", fakeLog,
            "--webhook", "http://127.0.0.1:\(reports.port)/dlr/zns", "--webhook-secret", "oa-secret", "--webhook-delay", "0.1",
        ])
        defer { fake.stop() }
        let port = try XCTUnwrap(fake.firstLine()?.replacingOccurrences(of: "PORT=", with: ""))
        let base = try XCTUnwrap(URL(string: "http://127.0.0.1:\(port)"))
        let tokenFile = dir + "/zalo-oa-token.json"
        // As `outbox zns-token` leaves it: a refresh token, no access token yet.
        try ZNSTokenFile(path: tokenFile).write(.init(accessToken: "", refreshToken: "RT-0", expiresAt: Date(timeIntervalSince1970: 0)))
        let templates = ZNSTemplates(templates: [
            .acknowledgement: ZNSTemplates.Template(templateID: "250001", params: ["ticket_id": "{code}", "unit": "{unit}", "hotline": "0225.1022"]),
            .refusal: ZNSTemplates.Template(templateID: "259999", params: ["ticket_id": "{code}"]),
        ])
        let zns = ZNSSender(settings: .init(apiBase: base, oauthBase: base, appID: "app-42", secretKey: "app-secret-key",
                                            templates: templates, tokenFile: tokenFile))
        let sms = ScriptedSender("kannel", [])
        let worker = OutboxWorker(store: store, senders: [zns, sms])

        let onZalo = try forwardedCase()
        let notOnZalo = try forwardedCase(phone: "0977000111")
        XCTAssertEqual(try worker.runOnce(now: Date()), OutboxWorker.Round(sent: 2, rerouted: 1))
        let a = try XCTUnwrap(store.outboxMessages(trackingCode: onZalo).first)
        XCTAssertEqual(a.channel, "zns")
        XCTAssertNotNil(a.carrierRef)
        XCTAssertEqual(try store.outboxMessages(trackingCode: notOnZalo).first?.channel, "kannel", "-118: no Zalo account, SMS takes it")
        XCTAssertTrue(try store.outboxMessages(trackingCode: notOnZalo).first?.lastError?.contains("zns-118") == true)
        XCTAssertEqual(sms.sent.map(\.trackingCode), [notOnZalo])
        let requests = jsonLines(fakeLog)
        XCTAssertEqual(requests.first?["kind"] as? String, "refresh", "the empty access token is refreshed first")
        let send = try XCTUnwrap(requests.first { $0["kind"] as? String == "send" && $0["status"] as? Int == 200
            && (($0["response"] as? [String: Any])?["error"] as? Int) == 0 })
        let parsed = try XCTUnwrap(send["parsed"] as? [String: Any])
        XCTAssertEqual(parsed["phone"] as? String, "84912345678")
        XCTAssertEqual(parsed["tracking_id"] as? String, String(a.id))
        XCTAssertEqual((parsed["template_data"] as? [String: String])?["ticket_id"], onZalo)
        XCTAssertFalse(requests.contains { $0["status"] as? Int == 400 }, "every request met the contract: \(requests.filter { $0["status"] as? Int == 400 })")
        let saved = try ZNSTokenFile(path: tokenFile).read()
        XCTAssertNotEqual(saved.refreshToken, "RT-0", "the single-use refresh token was replaced")
        let mode = try FileManager.default.attributesOfItem(atPath: tokenFile)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        // Zalo's signed webhook reports the message received.
        XCTAssertTrue(try waitFor(10) { try store.outboxMessage(id: a.id)?.delivery == .delivered },
                      "\(jsonLines(fakeLog).filter { $0["kind"] as? String == "webhook_out" })")

        // The token expires early (revoked): -124, one refresh, the same message goes.
        _ = try? runTool("/usr/bin/curl", ["-s", "-X", "POST", base.appendingPathComponent("_fake/expire-token").absoluteString])
        let afterExpiry = try forwardedCase(phone: "0912000222")
        XCTAssertEqual(try worker.runOnce(now: Date()).sent, 1)
        XCTAssertEqual(try store.outboxMessages(trackingCode: afterExpiry).first?.channel, "zns")
        XCTAssertEqual(jsonLines(fakeLog).filter { $0["kind"] as? String == "refresh" }.count, 2)

        // A template Zalo does not know (-109) and the day's quota used up (-144): SMS takes both.
        try store.perform(.refuse(reason: "Ngoài phạm vi"), on: try portalTicket(at: Date(), phone: "0912000333"), by: agent,
                          at: Date(), context: context)
        let overQuota = try forwardedCase(phone: "0912000444")
        XCTAssertEqual(try worker.runOnce(now: Date()), OutboxWorker.Round(sent: 2, rerouted: 2))
        let codes = try store.outbox().compactMap(\.lastError).joined(separator: "\n")
        XCTAssertTrue(codes.contains("zns-109") && codes.contains("zns-144"), codes)
        XCTAssertEqual(try store.outboxMessages(trackingCode: overQuota).first?.channel, "kannel")
    }
}

/// A TCP port free on loopback now.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var size = socklen_t(MemoryLayout<sockaddr_in>.size)
    guard withUnsafePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }) == 0,
          withUnsafeMutablePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) } }) == 0
    else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: addr.sin_port))
}

extension KannelDeliveryTests {
    /// The executable, beside this test bundle.
    var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hotline1022").path
    }

    /// `hotline1022 outbox run --config F` as an operator runs it: the config file's keys, the reports' listener,
    /// a delivered message in `outbox list`.
    func testOutboxRunWithTheConfigFileDeliversThroughKannelAndTakesTheReport() throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            return XCTFail("\(binary) is missing: `swift build --build-tests` builds it beside the tests")
        }
        let code = try forwardedCase()
        try store.addUser(User(name: "admin", role: .administrator), by: nil, at: Date())
        let port = try freeLoopbackPort()
        let config: [String: Any] = [
            "senders": ["kannel"], "kannelURL": env["SENDSMS_URL"] ?? "", "kannelUser": env["SENDSMS_USER"] ?? "",
            "kannelPassword": env["SENDSMS_PASSWORD"] ?? "", "kannelFrom": "HAIPHONG1022",
            "kannelStatusURL": "\(env["ADMIN_URL"] ?? "")/status.xml?password=\(env["ADMIN_PASSWORD"] ?? "")",
            "reportsListen": "127.0.0.1:\(port)", "outboxIntervalSeconds": 1,
        ]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/serve.json"))
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: binary)
        worker.arguments = ["outbox", "run", "--config", dir + "/serve.json", "--db", store.path]
        FileManager.default.createFile(atPath: dir + "/outbox.log", contents: nil)
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle(forWritingAtPath: dir + "/outbox.log")
        try worker.run()
        let delivered = try waitFor(30) { try store.outboxMessages(trackingCode: code).first?.delivery == .delivered }
        kill(worker.processIdentifier, SIGTERM)
        let end = Date(timeIntervalSinceNow: 15)
        while worker.isRunning, Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        let log = (try? String(contentsOfFile: dir + "/outbox.log", encoding: .utf8)) ?? ""
        XCTAssertTrue(delivered, "delivered through the CLI's sender and reports' listener:\n\(log)")
        XCTAssertFalse(worker.isRunning, "SIGTERM stops it")
        XCTAssertTrue(log.contains("event=outbox-started") && log.contains("reports=127.0.0.1:\(port)"), log)
        XCTAssertTrue(log.contains("event=message-delivered"), log)
        XCTAssertFalse(log.contains("0912345678") || log.contains(env["SENDSMS_PASSWORD"] ?? "?"), "no number, no password in the log")
        let listed = try runTool(binary, ["outbox", "list", "--db", store.path, "--as", "admin"])
        XCTAssertTrue(listed.stdout.contains("đã đến máy") && listed.stdout.contains("stat:DELIVRD"), listed.stdout + listed.stderr)
    }
}
