import Foundation
import XCTest

/// `serve` with speech-to-text (issue 14): a voice report gets a transcript that `agent show`, `ticket show
/// --json` and `ticket find` use; without the engine the gateway behaves as before and says so once.
final class TranscriptionEndToEndTests: XCTestCase {
    static var libraryPath: String {
        ProcessInfo.processInfo.environment["HOTLINE1022_VIETASR_LIBRARY"] ?? "/usr/local/lib/hotline1022/vietasr/libvietasr.so"
    }

    func cli(_ gateway: GatewayProcess, _ args: [String]) throws -> E2E.Output {
        try E2E.ensureAgent(database: gateway.database)
        return try E2E.execute(E2E.binary, args + ["--db", gateway.database, "--as", "e2e-agent"], timeout: 60)
    }

    func testWithoutTheEngineTheGatewayFilesDraftsAsBeforeAndSaysSoOnce() throws {
        try E2E.requireTools()
        let gateway = try GatewayProcess.start(name: "asr-off", extra: ["--transcription-library", "/nonexistent/libvietasr.so",
                                                                          "--transcribe-workers", "1"])
        defer { gateway.stop() }
        try SIPp.voiceReport(gateway: gateway, caller: "0912345678")
        XCTAssertTrue(gateway.waitForLog("event=draft-submitted", count: 1, timeout: 20), gateway.log)
        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.count, 1)
        XCTAssertNotNil(drafts.first?.recordingPath)
        XCTAssertEqual(gateway.log.components(separatedBy: "event=transcription-off").count - 1, 1, gateway.log)
        XCTAssertTrue(gateway.log.contains("/nonexistent/libvietasr.so"), gateway.log)
        // The job waits for the engine; the case shows it waiting.
        let code = try XCTUnwrap(drafts.first?.trackingCode)
        let show = try cli(gateway, ["agent", "show", code])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("Bản chuyển lời nói: chờ chuyển"), show.stdout)
        XCTAssertEqual(gateway.stop(), 0, "a clean stop\n\(gateway.log)")
    }

    func testAVoiceReportGetsATranscriptShownBesideTheCaseAndFoundByItsWords() throws {
        try E2E.requireTools()
        guard FileManager.default.fileExists(atPath: Self.libraryPath) else {
            throw XCTSkip("the transcription engine is not installed (\(Self.libraryPath)); scripts/bootstrap installs it")
        }
        let gateway = try GatewayProcess.start(name: "asr-on", extra: ["--transcription-library", Self.libraryPath,
                                                                       "--transcribe-workers", "1"])
        defer { gateway.stop() }
        XCTAssertTrue(gateway.waitForLog("event=transcription-started", count: 1, timeout: 10), gateway.log)
        try SIPp.voiceReport(gateway: gateway, caller: "0912345678")
        // Within a minute of hang-up (the bar), with room for a loaded test machine.
        XCTAssertTrue(gateway.waitForLog("event=transcribed", count: 1, timeout: 90), gateway.log)
        let code = try XCTUnwrap(try gateway.drafts().first?.trackingCode)

        let show = try cli(gateway, ["agent", "show", code])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("Bản chuyển lời nói (máy nghe"), show.stdout)

        let json = try cli(gateway, ["ticket", "show", code, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["trackingCode"] as? String, code)
        let transcript = try XCTUnwrap(object["transcript"] as? [String: Any], json.stdout)
        XCTAssertTrue((transcript["engineVersion"] as? String)?.hasPrefix("vietasr ") == true)
        XCTAssertGreaterThan(transcript["audioMs"] as? Int ?? 0, 0)

        // Whatever the engine heard, its words find the ticket (if it heard any).
        if let word = (transcript["text"] as? String)?.split(separator: " ").first {
            let found = try cli(gateway, ["ticket", "find", String(word), "--json"])
            XCTAssertEqual(found.status, 0, found.stderr)
            XCTAssertTrue(found.stdout.contains(code), found.stdout)
        }
        let status = try cli(gateway, ["transcribe", "status", "--json"])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("\"done\" : 1"), status.stdout)
        XCTAssertEqual(gateway.stop(), 0, "a clean stop\n\(gateway.log)")
    }
}
