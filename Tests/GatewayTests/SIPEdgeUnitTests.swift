import Foundation
import XCTest

@testable import Gateway

/// The pure parts of the SIP edge (issue 15): the request screen, SIP INFO digits, the call-rate bucket.
final class SIPEdgeUnitTests: XCTestCase {
    let screen = RequestScreen(supportedExtensions: ["replaces", "100rel", "timer"])

    func message(_ lines: [String], body: String = "") -> [UInt8] {
        Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
    }

    let valid = ["OPTIONS sip:1022@127.0.0.1 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1",
                 "From: \"Công dân\" <sip:0900@127.0.0.1>;tag=1", "To: <sip:1022@127.0.0.1>", "Call-ID: a@b",
                 "CSeq: 1 OPTIONS", "Max-Forwards: 70", "Content-Length: 0"]

    func testAValidRequestPasses() {
        XCTAssertNil(screen.check(message(valid), datagram: true))
    }

    func testRequestLineMustHaveSingleSpacesAndVersion2() {
        var m = valid
        m[0] = "OPTIONS  sip:1022@127.0.0.1  SIP/2.0"
        XCTAssertEqual(screen.check(message(m), datagram: true)?.code, 400)
        m[0] = "OPTIONS sip:1022@127.0.0.1 SIP/2.0  "
        XCTAssertEqual(screen.check(message(m), datagram: true)?.code, 400)
        m[0] = "OPTIONS sip:1022@127.0.0.1 SIP/7.0"
        XCTAssertEqual(screen.check(message(m), datagram: true)?.code, 505)
        m[0] = "INVITE sip:1022@127.0.0.1?Route=%3Csip:x%3E SIP/2.0"
        XCTAssertEqual(screen.check(message(m), datagram: true)?.reason, "headers-in-request-uri")
    }

    func testSingleValueHeadersOnlyOnce() {
        XCTAssertEqual(screen.check(message(valid + ["l: 0"]), datagram: true)?.reason, "duplicate-content-length")
        XCTAssertEqual(screen.check(message(valid + ["i: other@b"]), datagram: true)?.reason, "duplicate-call-id")
    }

    func testContentLengthBeyondTheDatagram() {
        var m = valid
        m[7] = "Content-Length: 50"
        XCTAssertEqual(screen.check(message(m, body: "v=0\r\n"), datagram: true)?.reason, "content-length-beyond-datagram")
        XCTAssertNil(screen.check(message(m, body: String(repeating: "x", count: 60)), datagram: true),
                     "extra octets after the body are ignored (RFC 3261 §18.3)")
    }

    func testNameAddrs() {
        XCTAssertTrue(RequestScreen.isWellFormedNameAddr("sip:a@b;tag=1"))
        XCTAssertTrue(RequestScreen.isWellFormedNameAddr("Bell Alexander <sip:a@b>;tag=1"))
        XCTAssertTrue(RequestScreen.isWellFormedNameAddr("\"J Rosenberg \\\\\\\"\"  <sip:j@example.com>"))
        XCTAssertFalse(RequestScreen.isWellFormedNameAddr("Bell, Alexander <sip:a@b>;tag=1"))
        XCTAssertFalse(RequestScreen.isWellFormedNameAddr("\"Watson, Thomas\" < sip:t.watson@example.org >"))
        XCTAssertFalse(RequestScreen.isWellFormedNameAddr("\"unclosed <sip:a@b>"))
    }

    func testUnsupportedRequireGets420WithUnsupported() {
        let refusal = screen.check(message(valid + ["Require: timer, nothingSupportsThis"]), datagram: true)
        XCTAssertEqual(refusal?.code, 420)
        XCTAssertEqual(refusal?.headers, [.init("Unsupported", "nothingSupportsThis")])
        XCTAssertNil(screen.check(message(valid + ["Require: timer"]), datagram: true))
    }

    func testInviteWhoseAcceptExcludesSDPGets406() {
        var m = valid
        m[0] = "INVITE sip:1022@127.0.0.1 SIP/2.0"
        m[5] = "CSeq: 1 INVITE"
        XCTAssertEqual(screen.check(message(m + ["Accept: text/nobodyKnowsThis"]), datagram: true)?.code, 406)
        XCTAssertNil(screen.check(message(m + ["Accept: application/sdp, text/plain"]), datagram: true))
    }

    func testTheTortureMessagesTheIssueListsAreRefused() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/sip-torture/rfc4475")
        let expected: [String: Int] = ["clerr": 400, "lwsstart": 400, "trws": 400, "escruri": 400, "badaspec": 400,
                                       "baddn": 400, "multi01": 400, "mcl01": 400, "bext01": 420, "sdp01": 406,
                                       "badvers": 505]
        for (name, code) in expected {
            let raw = try [UInt8](Data(contentsOf: dir.appendingPathComponent(name + ".dat")))
            XCTAssertEqual(screen.check(raw, datagram: true)?.code, code, name)
        }
        for name in ["inv2543", "wsinv", "lwsdisp", "esc01", "semiuri", "transports", "zeromf", "badbranch"] {
            let raw = try [UInt8](Data(contentsOf: dir.appendingPathComponent(name + ".dat")))
            XCTAssertNil(screen.check(raw, datagram: true), "\(name) is valid")
        }
    }

    func testUnparsableRequestsGetAnAnswerWhenTheyCanBeAnswered() throws {
        func answer(_ name: String) throws -> UnparsableRequest.Answer? {
            let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/sip-torture/rfc4475")
            return UnparsableRequest.answer(try [UInt8](Data(contentsOf: dir.appendingPathComponent(name + ".dat"))),
                                            receivedFrom: "127.0.0.1")
        }
        XCTAssertEqual(try answer("badvers")?.code, 505)
        XCTAssertEqual(try answer("unkscm")?.code, 416)
        XCTAssertEqual(try answer("ltgtruri")?.code, 400)
        XCTAssertEqual(try answer("regaut01")?.code, 405)
        XCTAssertEqual(try answer("scalar02")?.code, 400, "overlarge CSeq")
        XCTAssertNil(try answer("bigcode"), "a response is never answered")
        XCTAssertNil(try answer("insuf"), "without From, To and Call-ID there is nothing to answer")
        // Found by the fuzzer: a sent-by port beyond 65535 must not trap.
        let odd = Array("OPTIONS sip:a@b SIP/3.0\r\nVia: SIP/2.0/UDP h:99999999;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n".utf8)
        XCTAssertEqual(UnparsableRequest.answer(odd, receivedFrom: "127.0.0.1")?.port, 5060)
        let text = try XCTUnwrap(try answer("badvers")).text
        XCTAssertTrue(text.hasPrefix("SIP/2.0 505 Version Not Supported\r\n"), text)
        XCTAssertTrue(text.contains(";received=127.0.0.1"), text)
        XCTAssertTrue(text.contains("Call-ID: badvers.31417@c.example.com\r\n"), text)
        XCTAssertNil(screen.check(try [UInt8](Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/sip-torture/rfc4475/intmeth.dat"))), datagram: true),
            "intmeth: `?` in the user part is allowed")
    }

    func testSIPInfoDigits() {
        XCTAssertEqual(DTMFRelay.digit(fromBody: "Signal=5\r\nDuration=160\r\n"), "5")
        XCTAssertEqual(DTMFRelay.digit(fromBody: "Signal= #\r\n"), "#")
        XCTAssertEqual(DTMFRelay.digit(fromBody: "signal=b\r\n"), "B")
        XCTAssertNil(DTMFRelay.digit(fromBody: "Signal=16\r\nDuration=160\r\n"), "flash")
        XCTAssertNil(DTMFRelay.digit(fromBody: "Signal=11\r\n"))
        XCTAssertNil(DTMFRelay.digit(fromBody: "Signal=" + String(repeating: "1", count: 5000)))
        XCTAssertNil(DTMFRelay.digit(fromBody: "Signal=E\r\n"))
        XCTAssertNil(DTMFRelay.digit(fromBody: "Duration=160\r\n"))
        XCTAssertNil(DTMFRelay.digit(fromBody: "Signal=1\r\nSignal=2\r\n"))
    }

    func testTokenBucketPerSourceAndPerNetwork() throws {
        var limits = AdmissionLimits()
        limits.callsPerSecond = 10
        limits.burstSeconds = 1
        limits.networkRates = [try .init("10.0.0.0/8=100")]
        let admission = CallAdmission(limits: limits)
        let t0 = 1_000_000.0
        for _ in 0..<10 { XCTAssertNil(admission.take(source: "192.0.2.9", now: t0)) }
        let wait = admission.take(source: "192.0.2.9", now: t0)
        XCTAssertNotNil(wait)
        XCTAssertGreaterThanOrEqual(wait ?? 0, 1)
        XCTAssertNil(admission.take(source: "192.0.2.10", now: t0), "another source has its own bucket")
        XCTAssertNil(admission.take(source: "192.0.2.9", now: t0 + 0.11), "a token comes back after 1/rate")
        for _ in 0..<100 { XCTAssertNil(admission.take(source: "10.1.2.3", now: t0)) }
        XCTAssertNotNil(admission.take(source: "10.1.2.3", now: t0))
        XCTAssertThrowsError(try AdmissionLimits.NetworkRate("10.0.0.0/8"))
        XCTAssertThrowsError(try SourcePolicy.Network(""))
        XCTAssertThrowsError(try SourcePolicy.Network("/8"))
    }
}
