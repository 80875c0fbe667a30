import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Issue 15 §6: bounded fuzzing. Mutations of the RFC 4475 torture messages and of the project's hostile corpus
/// (`Tests/hostile-sip`), 10,000 datagrams in at most 60 s, to a gateway in a private network namespace (the
/// corpus names real addresses of this machine's LAN); then the gateway must still answer OPTIONS and take a
/// valid call to its draft. The mutations come from a seeded generator: a failure names the seed to replay.
final class SIPFuzzTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    /// SplitMix64: small, fast, and the same sequence for the same seed everywhere.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    }

    static let nasty: [[UInt8]] = [
        Array("\r\n".utf8), Array("\n".utf8), Array("\0".utf8), Array(";".utf8), Array(",".utf8), Array(":".utf8),
        Array("<".utf8), Array(">".utf8), Array("\"".utf8), Array(" ".utf8), Array("%00".utf8), Array("%".utf8),
        Array("4294967296".utf8), Array("-1".utf8), Array("99999999999999999999".utf8), Array("SIP/2.0".utf8),
        Array("\r\n\r\n".utf8), Array("Content-Length: 99999\r\n".utf8), Array("Via: SIP/2.0/UDP x;branch=z9hG4bK\r\n".utf8),
        Array("To: <sip:a@b>;tag=x\r\n".utf8), Array(String(repeating: "A", count: 600).utf8), Array([0xFF, 0xFE, 0x80]),
    ]

    /// One mutation of `base` (or a splice with `other`).
    static func mutate(_ base: [UInt8], other: [UInt8], _ g: inout Generator) -> [UInt8] {
        var b = base
        for _ in 0...g.below(3) {
            guard !b.isEmpty else { return nasty[g.below(nasty.count)] }
            let at = g.below(b.count)
            switch g.below(9) {
            case 0: b[at] ^= UInt8(1 << g.below(8))                               // flip a bit
            case 1: b[at] = UInt8(truncatingIfNeeded: g.next())                  // replace a byte
            case 2: b.remove(at: at)                                             // delete a byte
            case 3: b.insert(contentsOf: nasty[g.below(nasty.count)], at: at)     // insert something nasty
            case 4: b = Array(b.prefix(at))                                      // truncate
            case 5:                                                              // duplicate a stretch
                let end = min(b.count, at + 1 + g.below(200))
                b.insert(contentsOf: b[at..<end], at: end)
            case 6:                                                              // splice with another message
                let cut = g.below(other.count + 1)
                b = Array(b.prefix(at)) + Array(other.suffix(from: cut))
            case 7:                                                              // a digit run becomes huge
                if let d = b[at...].firstIndex(where: { $0 >= 0x30 && $0 <= 0x39 }) {
                    b.insert(contentsOf: Array(String(repeating: "9", count: 1 + g.below(30)).utf8), at: d)
                }
            default:                                                             // CRLF → LF everywhere
                var out: [UInt8] = []
                out.reserveCapacity(b.count)
                for (i, c) in b.enumerated() where !(c == 0x0D && i + 1 < b.count && b[i + 1] == 0x0A) { out.append(c) }
                b = out
            }
        }
        return Array(b.prefix(65_000))
    }

    static func corpus(port: Int) throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: RFC4475Tests.corpus).sorted() where file.hasSuffix(".dat") {
            messages.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: RFC4475Tests.corpus + "/" + file))))
        }
        let hostile = E2E.repo + "/Tests/hostile-sip"
        for (n, file) in try FileManager.default.contentsOfDirectory(atPath: hostile).sorted().enumerated() where file.hasSuffix(".sip") {
            let raw = try Data(contentsOf: URL(fileURLWithPath: hostile + "/" + file))
            guard let newline = raw.firstIndex(of: 0x0A) else { continue }
            messages.append([UInt8](E2E.fill(Data(raw[(newline + 1)...]), port: port, local: 5999, n: n)))
        }
        return messages
    }

    struct Outcome: Sendable {
        let sent: Int
        let seconds: Double
        let aliveAfterFuzz: Bool
        let callStatus: Int32?
        let callReport: String
        let drafts: Int
        let log: String
    }

    func testTenThousandMutatedDatagramsLeaveTheGatewayWorking() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["HOTLINE_FUZZ_SEED"] ?? "") ?? UInt64(Date().timeIntervalSince1970)
        print("SIP fuzz seed \(seed) (replay with HOTLINE_FUZZ_SEED=\(seed))")
        _ = try SIPp.speech()  // made here, outside the namespace thread
        let outcome = try IsolatedNetwork.run(timeout: 240) { () throws -> Outcome in
            let gateway = try GatewayProcess.start(name: "fuzz")
            defer { gateway.stop() }
            let messages = try SIPFuzzTests.corpus(port: gateway.sipPort)
            var g = Generator(state: seed)
            let senders = try (0..<4).map { _ in try UDPProbe() }
            let start = Date()
            var sent = 0
            var drain = [UInt8](repeating: 0, count: 65_536)
            while sent < 10_000, Date().timeIntervalSince(start) < 55 {
                let base = messages[g.below(messages.count)]
                let datagram = SIPFuzzTests.mutate(base, other: messages[g.below(messages.count)], &g)
                let sender = senders[sent % senders.count]
                try? sender.send(Data(datagram), port: gateway.sipPort)
                sent += 1
                if sent % 200 == 0 {
                    // Keep the senders' receive queues short, and give the gateway a breath (≈ 2,000 a second).
                    for s in senders { while recv(s.fd, &drain, drain.count, Int32(MSG_DONTWAIT)) > 0 {} }
                    Thread.sleep(forTimeInterval: 0.08)
                }
            }
            let seconds = Date().timeIntervalSince(start)
            print("SIP fuzz: \(sent) datagrams sent in \(String(format: "%.1f", seconds)) s; checking the gateway")
            var alive = false
            for _ in 0..<5 where !alive && gateway.isRunning {
                let health = try UDPProbe(address: "127.0.0.2")
                alive = try health.exchange(E2E.options(port: gateway.sipPort, local: health.port, via: "127.0.0.2"),
                                            port: gateway.sipPort, wait: 1).compactMap(E2E.statusCode).contains(200)
            }
            guard alive else {
                return Outcome(sent: sent, seconds: seconds, aliveAfterFuzz: false, callStatus: nil, callReport: "",
                               drafts: 0, log: String(gateway.log.suffix(20_000)))
            }
            // A valid call from another source (the fuzzing one may have spent its call rate).
            print("SIP fuzz: gateway answers OPTIONS; a valid call")
            let call = try SIPp.start("voice-report.xml", gateway: gateway, caller: "0912000019", source: "127.0.0.2")
            let finished = call.wait(timeout: 100)
            let status = finished ? call.process.terminationStatus : nil
            gateway.stop()
            let drafts = try gateway.drafts().filter { $0.callerNumber == "0912000019" }.count
            return Outcome(sent: sent, seconds: seconds, aliveAfterFuzz: alive, callStatus: status, callReport: call.report,
                           drafts: drafts, log: String(gateway.log.suffix(20_000)))
        }
        print("SIP fuzz: \(outcome.sent) datagrams in \(String(format: "%.1f", outcome.seconds)) s")
        XCTAssertEqual(outcome.sent, 10_000, "seed \(seed): only \(outcome.sent) datagrams in \(outcome.seconds) s")
        XCTAssertLessThanOrEqual(outcome.seconds, 60)
        XCTAssertTrue(outcome.aliveAfterFuzz, "seed \(seed): no OPTIONS 200 after the fuzzing\n\(outcome.log)")
        XCTAssertEqual(outcome.callStatus, 0, "seed \(seed): the valid call failed\n\(outcome.callReport)\n\(outcome.log)")
        XCTAssertEqual(outcome.drafts, 1, "seed \(seed)\n\(outcome.log)")
    }
}
