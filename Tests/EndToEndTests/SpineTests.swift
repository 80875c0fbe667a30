import Foundation
import HotlineCore
import XCTest

/// Issue 2's end-to-end cases: a SIPp caller over loopback with RTP speech and RFC 4733 / SIP INFO keys,
/// checked through the ticket and the recording that result. The recording is measured against the call's
/// timeline: the gateway's `event=recording-started` (the end of the beep) and the times the scenario logs
/// when its speech starts and when it presses `#` or hangs up.
final class SpineTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testVoiceReportWithRFC4733KeysBecomesADraft() throws {
        try assertVoiceReport(scenario: "voice-report.xml", via: "rfc4733")
    }

    func testVoiceReportWithSIPINFOKeysBecomesADraft() throws {
        try assertVoiceReport(scenario: "voice-report-info.xml", via: "sip-info")
    }

    private func assertVoiceReport(scenario: String, via: String) throws {
        let gateway = try GatewayProcess.start(name: "spine")
        defer { gateway.stop() }
        XCTAssertEqual(try gateway.drafts().count, 0, "a fresh database")
        try assertSignallingPriority(gateway)
        let began = Date()
        let sipp = try SIPp.call(scenario, gateway: gateway, caller: "0912345678")
        XCTAssertEqual(gateway.stop(), 0, "SIGTERM stops the gateway cleanly\n\(gateway.log)")
        XCTAssertTrue(gateway.log.contains("event=digit key=1 via=\(via)"), gateway.log)

        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.count, 1, "exactly one new draft\n\(gateway.log)")
        let draft = try XCTUnwrap(drafts.first)
        XCTAssertEqual(draft.category, "infrastructure")
        XCTAssertEqual(draft.callerNumber, "0912345678", "the number of the From header")
        XCTAssertFalse(draft.confidential)
        XCTAssertFalse(draft.interrupted)
        XCTAssertNotNil(draft.trackingCode.range(of: #"^\d{8}-\d{7}$"#, options: .regularExpression), draft.trackingCode)
        XCTAssertTrue(gateway.log.contains("code=\(draft.trackingCode)"), "the code is logged with the call")
        // ISO 8601 in the JSON has whole seconds.
        XCTAssertTrue((began.addingTimeInterval(-1)...Date()).contains(draft.receivedAt), "\(draft.receivedAt)")

        let path = try XCTUnwrap(draft.recordingPath)
        let wav = try WAVInfo(path: path)
        XCTAssertEqual([wav.sampleRate, wav.channels, wav.bits], [8000, 1, 16], "8 kHz mono 16-bit")
        XCTAssertEqual(draft.recordingDurationMs, wav.durationMs, accuracy: 25)
        XCTAssertEqual(draft.recordingSHA256, try SHA256.hexOfFile(atPath: path))
        try assertRecording(wav, gateway: gateway, sipp: sipp, endedBy: "key-pound")
        // The caller heard the code: the read-back ran and the gateway hung up.
        XCTAssertTrue(gateway.log.contains("event=hangup code=\(draft.trackingCode)"), gateway.log)
    }

    /// The SIP worker and the owner run under SCHED_RR at the default priority (10) when the process may, and the
    /// log says so; when it may not, the log says why and they run normally. The bridge's clock (PJSIP raises it
    /// to the highest priority itself when it may) stays above them; RTP receive stays under normal scheduling.
    private func assertSignallingPriority(_ gateway: GatewayProcess) throws {
        XCTAssertTrue(gateway.waitForLog("event=signalling-priority", count: 1, timeout: 5), gateway.log)
        let raised = !gateway.log.contains("event=signalling-priority-not-raised")
        for name in ["hotline1022-sip", "hotline1022-own"] {
            let threads = gateway.threadScheduling(named: name)
            XCTAssertEqual(threads.count, 1, "one \(name) thread")
            for thread in threads {
                XCTAssertEqual(thread.policy, raised ? Int(SCHED_RR) : 0, name)
                XCTAssertEqual(thread.priority, raised ? 10 : 0, name)
            }
        }
        let clock = gateway.threadScheduling(named: "clock")
        XCTAssertEqual(clock.count, 1, "one clock thread")
        if raised { XCTAssertGreaterThan(clock.first?.priority ?? 0, 10, "the media clock comes before signalling") }
        let rtp = gateway.threadScheduling(named: "hotline1022-rtp")
        XCTAssertEqual(rtp.count, 1, "one RTP receive thread")
        XCTAssertEqual(rtp.first?.policy, 0, "RTP receive stays under normal scheduling")
    }

    func testHangingUpMidRecordingStillFilesTheDraft() throws {
        let gateway = try GatewayProcess.start(name: "hangup")
        defer { gateway.stop() }
        let sipp = try SIPp.call("hangup-mid-recording.xml", gateway: gateway, caller: "0987654321")
        XCTAssertTrue(gateway.waitForLog("event=draft-submitted", count: 1, timeout: 10), gateway.log)
        XCTAssertEqual(gateway.stop(), 0, "SIGTERM stops the gateway cleanly\n\(gateway.log)")
        XCTAssertTrue(gateway.log.contains("end=hangup"), gateway.log)

        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.count, 1, gateway.log)
        let draft = try XCTUnwrap(drafts.first)
        XCTAssertTrue(draft.interrupted, "the caller hung up before #")
        XCTAssertEqual(draft.callerNumber, "0987654321")
        XCTAssertEqual(draft.category, "infrastructure")
        XCTAssertNotNil(draft.trackingCode.range(of: #"^\d{8}-\d{7}$"#, options: .regularExpression), draft.trackingCode)
        let path = try XCTUnwrap(draft.recordingPath)
        let wav = try WAVInfo(path: path)
        XCTAssertEqual([wav.sampleRate, wav.channels, wav.bits], [8000, 1, 16])
        XCTAssertEqual(draft.recordingSHA256, try SHA256.hexOfFile(atPath: path))
        try assertRecording(wav, gateway: gateway, sipp: sipp, endedBy: "bye")
    }
}
