import Foundation
import HotlineCore
import StoreTestSupport
import XCTest

/// Issue 24: the gateway on PostgreSQL. `serve --db postgresql://…` against a real PostgreSQL 15 the test starts
/// (initdb in a temporary folder, loopback only); a SIPp caller's voice report becomes a draft in that
/// database, read back through the CLI on the same connection string, with its recording.
final class PostgresGatewayTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testAVoiceReportIsFiledInPostgreSQL() throws {
        let database = try PostgresServer.shared().createDatabase()
        let gateway = try GatewayProcess.start(name: "postgres", database: database)
        defer { gateway.stop() }
        XCTAssertTrue(gateway.log.contains("event=ready"), gateway.log)
        XCTAssertEqual(try gateway.drafts().count, 0, "a fresh database")
        _ = try SIPp.call("voice-report.xml", gateway: gateway, caller: "0912345678")
        XCTAssertEqual(gateway.stop(), 0, "SIGTERM stops the gateway cleanly\n\(gateway.log)")

        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.count, 1, "exactly one new draft\n\(gateway.log)")
        let draft = try XCTUnwrap(drafts.first)
        XCTAssertEqual(draft.callerNumber, "0912345678")
        XCTAssertEqual(draft.category, "infrastructure")
        XCTAssertTrue(TrackingCode.isValid(draft.trackingCode), draft.trackingCode)
        XCTAssertTrue(gateway.log.contains("code=\(draft.trackingCode)"), "the code is logged with the call")
        let path = try XCTUnwrap(draft.recordingPath)
        let wav = try WAVInfo(path: path)
        XCTAssertEqual([wav.sampleRate, wav.channels, wav.bits], [8000, 1, 16])
        XCTAssertGreaterThan(wav.durationMs, 1000, "the caller's speech is in it")
        XCTAssertEqual(draft.recordingDurationMs, wav.durationMs, accuracy: 25)
        XCTAssertEqual(draft.recordingSHA256, try SHA256.hexOfFile(atPath: path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: gateway.dir + "/h.sqlite"), "no SQLite file on the side")
    }
}
