import Foundation
import XCTest

/// Issue 4's end-to-end cases on the shipped dialplan: a confidential report with review (listen, record
/// again, send), the invalid-key fallback, a status lookup of an existing ticket, and a transfer answered by
/// a SIPp UAS playing the agent.
final class IVRCallTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testConfidentialReportWithListenAndReRecordFilesTheSecondTake() throws {
        let gateway = try GatewayProcess.start(name: "review")
        defer { gateway.stop() }
        let sipp = try SIPp.call("report-review.xml", gateway: gateway, caller: "0966000666")
        XCTAssertEqual(gateway.stop(), 0, gateway.log)
        for key in ["3", "1", "#", "1", "2", "#", "3"] {
            XCTAssertTrue(gateway.log.contains("event=digit key=\(key) via=sip-info"), "key \(key) not seen\n\(gateway.log)")
        }
        XCTAssertEqual(gateway.times(of: "recording-started").count, 2, "two takes\n\(gateway.log)")
        XCTAssertTrue(gateway.log.contains("event=recording-discarded"), "the first take is dropped once the second is written\n\(gateway.log)")

        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.count, 1, gateway.log)
        let draft = try XCTUnwrap(drafts.first)
        XCTAssertEqual(draft.category, "suggestion")
        XCTAssertTrue(draft.confidential, "1 at the confidentiality question")
        XCTAssertFalse(draft.interrupted)
        XCTAssertEqual(draft.callerNumber, "0966000666")
        XCTAssertTrue(gateway.log.contains("event=hangup code=\(draft.trackingCode)"), "read back, then goodbye\n\(gateway.log)")
        let path = try XCTUnwrap(draft.recordingPath)
        XCTAssertEqual(E2E.files(under: gateway.recordings, suffix: ".wav"), [path], "only the kept take is left on disk")
        // The filed recording is the second take: its length is the second window, not the first.
        try assertRecording(try WAVInfo(path: path), gateway: gateway, sipp: sipp, endedBy: "key-pound", take: 1)
    }

    func testThreeInvalidKeysFallBackToAnUnclassifiedRecording() throws {
        let gateway = try GatewayProcess.start(name: "invalid")
        defer { gateway.stop() }
        let sipp = try SIPp.call("invalid-keys.xml", gateway: gateway, caller: "0911000111")
        XCTAssertEqual(gateway.stop(), 0, gateway.log)
        for key in ["7", "8", "9"] {
            XCTAssertTrue(gateway.log.contains("event=digit key=\(key) via=rfc4733"), "key \(key) not seen\n\(gateway.log)")
        }
        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.count, 1, gateway.log)
        let draft = try XCTUnwrap(drafts.first)
        XCTAssertNil(draft.category, "no category chosen: an agent classifies it")
        XCTAssertEqual(draft.callerNumber, "0911000111")
        XCTAssertFalse(draft.interrupted)
        try assertRecording(try WAVInfo(path: try XCTUnwrap(draft.recordingPath)), gateway: gateway, sipp: sipp,
                            endedBy: "key-pound")
    }

    func testMyLatestReportIsFoundByCallerID() throws {
        let gateway = try GatewayProcess.start(name: "latest")
        defer { gateway.stop() }
        try SIPp.voiceReport(gateway: gateway, caller: "0977000777")
        XCTAssertEqual(try gateway.drafts().map(\.callerNumber), ["0977000777"])
        // The same number asks for its latest report; then a number that never reported.
        try SIPp.call("status-latest.xml", gateway: gateway, caller: "0977000777")
        try SIPp.call("status-latest.xml", gateway: gateway, caller: "0988000888")
        let spoken = gateway.log.split(separator: "\n").filter { $0.contains("event=status-spoken") }
        XCTAssertEqual(spoken.count, 2, gateway.log)
        XCTAssertTrue(spoken.first?.contains("status=waiting") ?? false, "the caller's own draft: \(spoken)")
        XCTAssertTrue(spoken.last?.contains("status=not-found") ?? false, "nothing for a stranger's number: \(spoken)")
        XCTAssertFalse(spoken.contains { $0.contains("0977000777") }, "no personal data in what is spoken: \(spoken)")
    }

    func testStatusLookupOfAnExistingTicket() throws {
        let gateway = try GatewayProcess.start(name: "status")
        defer { gateway.stop() }
        try SIPp.voiceReport(gateway: gateway, caller: "0922000222")
        let code = try XCTUnwrap(gateway.drafts().first?.trackingCode)
        var keys: [String: String] = [:]
        for (i, digit) in code.filter(\.isNumber).enumerated() { keys["code\(i)"] = String(digit) }
        try SIPp.call("status-lookup.xml", gateway: gateway, caller: "0933000333", keys: keys)
        XCTAssertTrue(gateway.log.contains("event=status-spoken status=waiting"), gateway.log)
        // An unknown code is answered too, without leaking anything.
        var unknown: [String: String] = [:]
        for (i, digit) in "209901010000001".enumerated() { unknown["code\(i)"] = String(digit) }
        try SIPp.call("status-lookup.xml", gateway: gateway, caller: "0933000333", keys: unknown)
        XCTAssertTrue(gateway.log.contains("event=status-spoken status=not-found"), gateway.log)
    }

    func testKeyZeroInOfficeHoursReachesTheAgent() throws {
        let agentPort = try E2E.freePort()
        let gateway = try GatewayProcess.start(name: "transfer", extra: ["--agents-uri", "sip:agent@127.0.0.1:\(agentPort)"])
        defer { gateway.stop() }
        let agent = try SIPp.agentPhone(port: agentPort, directory: gateway.dir)
        defer { agent.kill() }
        try SIPp.call("agent-transfer.xml", gateway: gateway, caller: "0944000444")
        XCTAssertTrue(SIPp.agentPhoneFinished(agent), "the agent UAS saw INVITE, ACK and BYE\n\(gateway.log)")
        XCTAssertTrue(gateway.log.contains("event=queue-connect agent=agent"), gateway.log)
        XCTAssertTrue(try gateway.drafts().isEmpty, "a call handed to an agent files no draft by itself")
        // The queue log has the caller's stay: in, answered, and the caller ending the conversation.
        var kinds: [String] = []
        let until = Date(timeIntervalSinceNow: 10)
        repeat {
            kinds = try E2E.queueLog(database: gateway.database).map(\.kind)
            if kinds.contains("complete-caller") { break }
            Thread.sleep(forTimeInterval: 0.3)
        } while Date() < until
        XCTAssertEqual(kinds, ["enter", "connect", "complete-caller"], gateway.log)
        let stats = try E2E.execute(E2E.binary, ["queue", "stats", "--json", "--db", gateway.database, "--as", "e2e-agent"])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        let figures = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(figures?["offered"] as? Int, 1, stats.stdout)
        XCTAssertEqual(figures?["answered"] as? Int, 1, stats.stdout)
        XCTAssertEqual(figures?["abandoned"] as? Int, 0, stats.stdout)
        XCTAssertEqual(figures?["serviceLevel"] as? Double, 1.0, stats.stdout)
    }

    /// With the agent's phone unreachable, the caller waits, hears their position, and after the queue's maximum
    /// wait goes on to a voice report: nothing is lost, and the log says why.
    func testAnUnansweredQueueOverflowsToAVoiceReport() throws {
        let dir = try E2E.tempDir("queue-overflow-plan")
        let plan = dir + "/plan.json"
        let shipped = try String(contentsOfFile: E2E.repo + "/Dialplans/hotline-1022.json", encoding: .utf8)
        try shipped.replacingOccurrences(of: "\"maxWaitSeconds\": 300", with: "\"maxWaitSeconds\": 10")
            .write(toFile: plan, atomically: true, encoding: .utf8)
        let deadPort = try E2E.freePort()
        let gateway = try GatewayProcess.start(name: "queue-overflow", extra: [
            "--agents-uri", "sip:agent@127.0.0.1:\(deadPort)", "--dialplan", plan])
        defer { gateway.stop() }
        try SIPp.call("queue-overflow.xml", gateway: gateway, caller: "0944000555")
        XCTAssertTrue(gateway.log.contains("event=queue-overflow reason=timeout"), gateway.log)
        let draft = try XCTUnwrap(try gateway.drafts().first, gateway.log)
        XCTAssertEqual(draft.callerNumber, "0944000555")
        XCTAssertNotNil(draft.recordingPath)
        let kinds = try E2E.queueLog(database: gateway.database).map(\.kind)
        XCTAssertEqual(kinds.first, "enter")
        XCTAssertTrue(kinds.contains("exit-timeout"), "\(kinds)")
    }
}
