import Foundation
import XCTest

/// Issue 4's administrator tools, run as an administrator would: validate, simulate, graph, and a live
/// reload of the dialplan by SIGHUP (a valid plan serves new calls, an invalid one is refused).
final class AdminToolTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func tool(_ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: E2E.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: E2E.repo)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testValidateReportsEveryProblemWithItsPath() throws {
        let good = try tool(["dialplan", "validate", "Dialplans/hotline-1022.json", "--prompts", "Prompts/vi"])
        XCTAssertEqual(good.status, 0, good.output)
        XCTAssertTrue(good.output.contains("OK"), good.output)

        let dir = try E2E.tempDir("validate")
        var plan = try String(contentsOfFile: E2E.repo + "/Dialplans/hotline-1022.json", encoding: .utf8)
        plan = plan.replacingOccurrences(of: #""5": "status""#, with: #""5": "statuss""#)
            .replacingOccurrences(of: #""maxSeconds": 180"#, with: #""maxSeconds": 1800"#)
        try plan.write(toFile: dir + "/broken.json", atomically: true, encoding: .utf8)
        let bad = try tool(["dialplan", "validate", dir + "/broken.json"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.output.contains("$.nodes.main: leads to 'statuss'"), bad.output)
        XCTAssertTrue(bad.output.contains("$.nodes.record.maxSeconds: 1800 is out of range"), bad.output)
    }

    func testSimulateAScriptedCallAndGraph() throws {
        let sim = try tool(["dialplan", "simulate", "Dialplans/hotline-1022.json", "--keys", "3,1,,,#,3,,,,,,"])
        XCTAssertEqual(sim.status, 0, sim.output)
        XCTAssertTrue(sim.output.contains("draft filed: category suggestion, confidential true"), sim.output)
        XCTAssertTrue(sim.output.contains("Mã số phản ánh là"), "prompt text is shown: \(sim.output)")
        let graph = try tool(["dialplan", "graph", "Dialplans/hotline-1022.json"])
        XCTAssertTrue(graph.output.hasPrefix("digraph dialplan {"), graph.output)
        XCTAssertTrue(graph.output.contains(#""main" -> "category-infrastructure" [label="key 1"];"#), graph.output)
    }

    func testSIGHUPReloadsAValidPlanAndRefusesABrokenOne() throws {
        let dir = try E2E.tempDir("reload")
        let live = dir + "/live.json"
        let original = try String(contentsOfFile: E2E.repo + "/Dialplans/hotline-1022.json", encoding: .utf8)
        try original.write(toFile: live, atomically: true, encoding: .utf8)
        let gateway = try GatewayProcess.start(name: "reload", extra: ["--dialplan", live])
        defer { gateway.stop() }

        let edited = original.replacingOccurrences(of: "hotline-1022/2026-12-06.1", with: "hotline-1022/test-edit")
        try edited.write(toFile: live, atomically: true, encoding: .utf8)
        gateway.signal(SIGHUP)
        XCTAssertTrue(gateway.waitForLog("event=dialplan-reloaded version=hotline-1022/test-edit", count: 1, timeout: 10),
                      gateway.log)

        try edited.replacingOccurrences(of: #""type": "hangup""#, with: #""type": "hangupp""#)
            .write(toFile: live, atomically: true, encoding: .utf8)
        gateway.signal(SIGHUP)
        XCTAssertTrue(gateway.waitForLog("event=dialplan-reload-refused", count: 1, timeout: 10), gateway.log)
        XCTAssertTrue(gateway.log.contains("unknown node type 'hangupp'"), gateway.log)
        // The edited plan still serves calls.
        try SIPp.voiceReport(gateway: gateway, caller: "0955000555")
        XCTAssertEqual(try gateway.drafts().count, 1)
    }

    func testABrokenLivePlanAtStartServesTheLastGoodOne() throws {
        let dir = try E2E.tempDir("last-good")
        let live = dir + "/live.json"
        let original = try String(contentsOfFile: E2E.repo + "/Dialplans/hotline-1022.json", encoding: .utf8)
        try original.write(toFile: live, atomically: true, encoding: .utf8)
        // A first start with a valid plan keeps it as the last good one.
        let first = try GatewayProcess.start(name: "last-good-1", extra: ["--dialplan", live])
        XCTAssertEqual(first.stop(), 0, first.log)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/.live.json.last-good"))

        // Someone saves a broken plan over the live file while the gateway is down: it still answers.
        try "{\n  \"version\": \"broken\",\n  \"nodes\": {,}\n}".write(toFile: live, atomically: true, encoding: .utf8)
        let second = try GatewayProcess.start(name: "last-good-2", extra: ["--dialplan", live])
        defer { second.stop() }
        XCTAssertTrue(second.log.contains("event=dialplan-invalid-serving-last-good"), second.log)
        XCTAssertTrue(second.log.contains("line 3, column"), "the syntax error's position is logged\n\(second.log)")
        try SIPp.voiceReport(gateway: second, caller: "0955000666")
        XCTAssertEqual(try second.drafts().count, 1)

        // With no good plan anywhere, serve refuses to start and says why.
        let lonely = try E2E.tempDir("no-good")
        try "{".write(toFile: lonely + "/live.json", atomically: true, encoding: .utf8)
        let refused = try E2E.execute(E2E.binary, ["serve", "--dialplan", lonely + "/live.json", "--db", lonely + "/h.sqlite",
                                                   "--sip-port", String(try E2E.freePort())], timeout: 20)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("không có kịch bản hợp lệ nào đã cài trước đó"), refused.stderr)
    }
}
