import Foundation
import HotlineCore
import XCTest

/// Issue 2's end-to-end cases: a SIPp caller over loopback with RTP speech and RFC 4733 / SIP INFO keys,
/// checked through the ticket and the recording that result.
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
        try SIPp.call(scenario, gateway: gateway, caller: "0912345678")
        gateway.stop()
        XCTAssertTrue(gateway.log.contains("event=digit key=1 via=\(via)"), gateway.log)

        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.count, 1, "exactly one new draft\n\(gateway.log)")
        let draft = try XCTUnwrap(drafts.first)
        XCTAssertEqual(draft.category, "infrastructure")
        XCTAssertEqual(draft.callerNumber, "0912345678")
        XCTAssertFalse(draft.confidential)
        XCTAssertFalse(draft.interrupted)
        XCTAssertNotNil(draft.trackingCode.range(of: #"^\d{8}-\d{7}$"#, options: .regularExpression), draft.trackingCode)
        XCTAssertTrue(gateway.log.contains("code=\(draft.trackingCode)"), "the code is logged with the call")

        // The recording: 8 kHz mono 16-bit, as long as the window between the beep and `#`, holding speech.
        let path = try XCTUnwrap(draft.recordingPath)
        let wav = try WAVInfo(path: path)
        XCTAssertEqual([wav.sampleRate, wav.channels, wav.bits], [8000, 1, 16])
        let started = try XCTUnwrap(gateway.time(of: "recording-started"))
        let ended = try XCTUnwrap(gateway.time(of: "digit", containing: "key=#"))
        let window = Int(ended.timeIntervalSince(started) * 1000)
        XCTAssertGreaterThan(window, 5000, "the scenario talks for several seconds")
        XCTAssertEqual(wav.durationMs, window, accuracy: 1000, "WAV length vs the recording window")
        XCTAssertEqual(draft.recordingDurationMs, wav.durationMs, accuracy: 25)
        XCTAssertGreaterThan(wav.rms, 500, "the recording holds the caller's speech, not silence")
        XCTAssertEqual(draft.recordingSHA256, try SHA256.hexOfFile(atPath: path))
        // The caller heard the code: the read-back ran and the gateway hung up.
        XCTAssertTrue(gateway.log.contains("event=hangup code=\(draft.trackingCode)"), gateway.log)
    }

    func testHangingUpMidRecordingStillFilesTheDraft() throws {
        let gateway = try GatewayProcess.start(name: "hangup")
        defer { gateway.stop() }
        try SIPp.call("hangup-mid-recording.xml", gateway: gateway, caller: "0987654321")
        XCTAssertTrue(gateway.waitForLog("event=draft-submitted", count: 1, timeout: 10), gateway.log)
        gateway.stop()
        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.count, 1, gateway.log)
        let draft = try XCTUnwrap(drafts.first)
        XCTAssertTrue(draft.interrupted)
        XCTAssertEqual(draft.callerNumber, "0987654321")
        XCTAssertEqual(draft.category, "infrastructure")
        let wav = try WAVInfo(path: try XCTUnwrap(draft.recordingPath))
        XCTAssertGreaterThan(wav.durationMs, 3000)
        XCTAssertGreaterThan(wav.rms, 500)
        XCTAssertTrue(gateway.log.contains("end=hangup"), gateway.log)
    }
}
