import Foundation
import XCTest

/// Issue 17 §6: every draft says how much of its recording's RTP was lost or late. A caller whose network drops
/// every fifth packet is filed with about 20% lost; a clean call with none.
final class AudioIntegrityEndToEndTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testACleanCallLosesNothing() throws {
        let gateway = try GatewayProcess.start(name: "integrity-clean")
        defer { gateway.stop() }
        try SIPp.voiceReport(gateway: gateway, caller: "0912000170")
        XCTAssertEqual(gateway.stop(), 0, gateway.log)
        let draft = try XCTUnwrap(try gateway.drafts().first, gateway.log)
        XCTAssertEqual(draft.audioLossPercent, 0, gateway.log)
    }

    func testACallThatDropsEveryFifthPacketIsFiledWithItsLoss() throws {
        let gateway = try GatewayProcess.start(name: "integrity-lossy")
        defer { gateway.stop() }
        try LossyPcap.write(speech: try SIPp.speech(), to: gateway.dir + "/lossy-speech.pcap", dropEvery: 5)
        try SIPp.call("voice-report-lossy.xml", gateway: gateway, caller: "0912000171")
        XCTAssertEqual(gateway.stop(), 0, gateway.log)
        let draft = try XCTUnwrap(try gateway.drafts().first, gateway.log)
        let loss = try XCTUnwrap(draft.audioLossPercent, "no loss measured\n\(gateway.log)")
        XCTAssertTrue((12...30).contains(loss), "every fifth packet dropped, filed with \(loss)%\n\(gateway.log)")
        // The agent is told.
        try E2E.ensureAgent(database: gateway.database)
        let show = try E2E.execute(E2E.binary, ["agent", "show", draft.trackingCode, "--db", gateway.database,
                                                "--as", "e2e-agent"], timeout: 30)
        XCTAssertTrue(show.stdout.contains("ghi âm mất \(loss)%"), show.stdout + show.stderr)
    }
}

/// Issue 17 §5: a caller whose draft takes longer than a second to store hears the still-storing prompt, then
/// the tracking code, which is on disk.
final class DraftHoldPromptTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testASlowStoreIsCoveredByTheHoldPromptAndTheCodeStillComes() throws {
        let gateway = try GatewayProcess.start(name: "hold-prompt", extra: ["--draft-store-delay-ms", "2500"])
        defer { gateway.stop() }
        try SIPp.voiceReport(gateway: gateway, caller: "0912000172")
        XCTAssertEqual(gateway.stop(), 0, gateway.log)
        let hold = try XCTUnwrap(gateway.time(of: "draft-hold-prompt"), "no hold prompt on a 2.5 s store\n\(gateway.log)")
        let stored = try XCTUnwrap(gateway.time(of: "draft-submitted"), gateway.log)
        XCTAssertLessThan(hold, stored, "the prompt covers the wait, before the code")
        let draft = try XCTUnwrap(try gateway.drafts().first, gateway.log)
        XCTAssertTrue(gateway.log.contains("event=hangup code=\(draft.trackingCode)"), gateway.log)
    }
}

/// A pcap of the test speech as 20 ms PCMA RTP packets (Ethernet/IPv4/UDP, as SIPp's play_pcap_audio reads
/// it), leaving out every `dropEvery`-th packet: gaps in the sequence, as a lossy network makes them.
enum LossyPcap {
    static func write(speech: String, to path: String, dropEvery: Int, seconds: Int = 8) throws {
        let audio = [UInt8](try Data(contentsOf: URL(fileURLWithPath: speech)).prefix(seconds * 8000))
        var out = Data()
        func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func le16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func be16(_ v: UInt16, _ d: inout [UInt8]) { d += [UInt8(v >> 8), UInt8(v & 0xff)] }
        func be32(_ v: UInt32, _ d: inout [UInt8]) { d += [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
        le32(0xa1b2_c3d4); le16(2); le16(4); le32(0); le32(0); le32(65535); le32(1)
        let packets = audio.count / 160
        for i in 0..<packets where (i + 1) % dropEvery != 0 {
            var rtp: [UInt8] = [0x80, 8]
            be16(UInt16(1000 + i), &rtp)
            be32(UInt32(i * 160), &rtp)
            be32(0x1702_1702, &rtp)
            rtp += audio[(i * 160)..<((i + 1) * 160)]
            var udp: [UInt8] = []
            be16(6000, &udp); be16(6002, &udp); be16(UInt16(8 + rtp.count), &udp); be16(0, &udp)
            udp += rtp
            var ip: [UInt8] = [0x45, 0]
            be16(UInt16(20 + udp.count), &ip)
            ip += [0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
            let frame: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00] + ip + udp
            let micros = i * 20_000
            le32(UInt32(micros / 1_000_000)); le32(UInt32(micros % 1_000_000))
            le32(UInt32(frame.count)); le32(UInt32(frame.count))
            out.append(contentsOf: frame)
        }
        try out.write(to: URL(fileURLWithPath: path))
    }
}
