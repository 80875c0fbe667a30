import Foundation
import XCTest

/// Issue 17 §4: driven past its capacity, the gateway refuses new calls with 503 + Retry-After (reason
/// overload) instead of taking calls it cannot record. The thresholds are lowered (--overload-tick-ms 2,
/// --overload-cpu-percent 2) so that a part of 200 calls trips them on a 2-core machine; the run is bounded
/// (200 calls, 20 a second, each about 25 s). 5% was too high: a faster CI machine took all 200 calls under
/// it. The idle gateway uses about 0.5% of two cores, so 2% is still crossed by calls, not by idling.
final class OverloadEndToEndTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testPastCapacityNewCallsAreRefusedWithOverloadAndTheAdmittedOnesAreFiled() throws {
        let gateway = try GatewayProcess.start(name: "overload", extra: [
            "--overload-tick-ms", "2", "--overload-cpu-percent", "2", "--transcribe-workers", "0"])
        defer { gateway.stop() }
        let local = gateway.dir + "/speech.al"
        if !FileManager.default.fileExists(atPath: local) { try FileManager.default.copyItem(atPath: try SIPp.speech(), toPath: local) }
        let run = try SIPpRun.onFreePorts(scenario: "voice-report.xml", directory: gateway.dir) { sipPort, mediaPort in [
            "127.0.0.1:\(gateway.sipPort)", "-sf", E2E.repo + "/Tests/sipp/voice-report.xml", "-m", "200", "-l", "200",
            "-r", "20", "-i", "127.0.0.1", "-p", "\(sipPort)", "-mp", "\(mediaPort)", "-s", "1022",
            "-key", "caller", "0912000180", "-timeout", "150s", "-timeout_error",
        ] }
        XCTAssertTrue(run.wait(timeout: 170), "sipp still running after 170 s\n\(run.report)")
        XCTAssertEqual(gateway.stop(), 0, gateway.log)

        let lines = gateway.log.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains("event=overload-on") }, "the overload was never declared\n\(gateway.log.suffix(4000))")
        let refused = lines.filter { $0.contains("event=sip-refused") && $0.contains("reason=overload") }
        XCTAssertGreaterThan(refused.count, 0, "no call refused past capacity\n\(run.report)")
        XCTAssertTrue(refused.allSatisfy { $0.contains("code=503") }, "\(refused.prefix(3))")
        // Every call taken was answered and filed, with its audio integrity measured.
        let admitted = lines.filter { $0.contains("event=incoming") }.count
        XCTAssertEqual(admitted + refused.count, 200, "each call either taken or refused")
        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.count, admitted, "every admitted call filed its draft")
        let losses = drafts.compactMap(\.audioLossPercent)
        XCTAssertEqual(losses.count, drafts.count)
        let damaged = losses.filter { $0 > 5 }.count
        print("overload test: \(admitted) admitted, \(refused.count) refused (503 overload), drafts \(drafts.count), "
              + "loss percent max \(losses.max() ?? 0), recordings over 5% lost: \(damaged)")
    }
}
