import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16 §3 against a real gateway: `/metrics` counts a SIPp call through to its draft, a call in progress,
/// SIP retransmissions (an INVITE whose 200 is never acknowledged), a call refused while draining; `/healthz`
/// answers 200, then 503 while the gateway drains.
final class MonitoringTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testMetricsFollowCallsDraftsRetransmissionsAndDraining() throws {
        let port = try E2E.freePort(tcp: true)
        let gateway = try GatewayProcess.start(name: "metrics", extra: ["--metrics-port", "\(port)", "--drain-seconds", "8",
                                                                        "--transcribe-workers", "0"])
        defer { gateway.stop() }
        let base = "http://127.0.0.1:\(port)"
        XCTAssertTrue(gateway.waitForLog("event=metrics-listening", count: 1, timeout: 10), gateway.log)
        XCTAssertEqual(try Ops.httpGet(base + "/healthz").status, 200)
        var page = try Ops.httpGet(base + "/metrics").body
        XCTAssertEqual(Ops.sample(page, "hotline1022_calls_total"), 0, page)

        try SIPp.voiceReport(gateway: gateway, caller: "0912160003")
        XCTAssertTrue(gateway.waitForLog("event=draft-submitted", count: 1, timeout: 10), gateway.log)
        page = try Ops.httpGet(base + "/metrics").body
        XCTAssertEqual(Ops.sample(page, "hotline1022_calls_total"), 1, page)
        XCTAssertEqual(Ops.sample(page, "hotline1022_calls_answered_total"), 1, page)
        XCTAssertEqual(Ops.sample(page, "hotline1022_calls_in_progress"), 0, page)
        XCTAssertEqual(Ops.sample(page, "hotline1022_recordings_total"), 1, page)
        XCTAssertEqual(Ops.sample(page, "hotline1022_drafts_total{interrupted=\"false\"}"), 1, page)
        XCTAssertEqual(Ops.sample(page, "hotline1022_draft_store_seconds_count"), 1, page)
        XCTAssertGreaterThan(try XCTUnwrap(Ops.sample(page, "hotline1022_draft_store_seconds_sum")), 0, page)
        XCTAssertEqual(Ops.sample(page, "hotline1022_drafts_waiting"), 1, page)
        XCTAssertEqual(Ops.sample(page, "hotline1022_transcription_jobs{state=\"queued\"}"), 1,
                       "the recording's transcription job waits (workers are off here)\n\(page)")
        XCTAssertEqual(Ops.sample(page, "hotline1022_outbox_queued"), 0, page)
        XCTAssertEqual(Ops.sample(page, "hotline1022_sip_retransmissions_total"), 0, page)

        // An INVITE whose 200 OK is never acknowledged: PJSIP resends the 200 on T1 (0.5 s, 1 s, 2 s…).
        let silent = try UDPProbe()
        let answers = try silent.exchange(E2E.invite(port: gateway.sipPort, local: silent.port, callID: "no-ack-1", sdp: true),
                                          port: gateway.sipPort, wait: 2.5)
        XCTAssertGreaterThanOrEqual(answers.filter { $0.hasPrefix("SIP/2.0 200") }.count, 3, "\(answers)")
        page = try Ops.httpGet(base + "/metrics").body
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(Ops.sample(page, "hotline1022_sip_retransmissions_total")), 2, page)
        XCTAssertEqual(Ops.sample(page, "hotline1022_calls_in_progress"), 1, page)

        // Draining: health says so, and a new call is refused (503) and counted by reason.
        gateway.signal(SIGTERM)
        XCTAssertTrue(gateway.waitForLog("event=draining", count: 1, timeout: 5), gateway.log)
        let health = try Ops.httpGet(base + "/healthz")
        XCTAssertEqual(health.status, 503)
        XCTAssertTrue(health.body.contains("draining"), health.body)
        let late = try UDPProbe()
        let refused = try late.exchange(E2E.invite(port: gateway.sipPort, local: late.port, callID: "late-1"),
                                        port: gateway.sipPort, wait: 1)
        XCTAssertTrue(refused.contains { $0.hasPrefix("SIP/2.0 503") }, "\(refused)")
        page = try Ops.httpGet(base + "/metrics").body
        XCTAssertEqual(Ops.sample(page, "hotline1022_calls_refused_total{reason=\"draining\"}"), 1, page)
        XCTAssertEqual(gateway.stop(), 0, gateway.log)
    }
}
