import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Issue 15 on loopback: the SIP edge's smaller findings (481 outside dialogs, 401 for a REGISTER from the agents' network, INFO digits,
/// a G.729-only re-INVITE, two dialogs sharing a Call-ID, --allow ""), TCP, truncated datagrams, call floods
/// and dead media. Every network step is bounded in time.
final class SIPEdgeTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    // MARK: Raw SIP helpers

    /// A raw dialog from a UDP socket on 127.0.0.1 to the gateway.
    final class RawDialog {
        let probe: UDPProbe
        let port: Int
        let callID: String
        let fromTag: String
        var caller = "0900000000"
        var toTag = ""
        var cseq = 1
        init(probe: UDPProbe, port: Int, callID: String, fromTag: String) {
            self.probe = probe
            self.port = port
            self.callID = callID
            self.fromTag = fromTag
        }

        static func sdp(payloads: String, rtpmaps: [String]) -> String {
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP \(payloads)\r\n"
                + rtpmaps.map { "a=rtpmap:\($0)\r\n" }.joined()
        }

        /// The branch of this dialog's request `cseq`/`method` (token characters only).
        func branch(_ cseq: Int, _ method: String) -> String {
            "z9hG4bK-" + "\(callID)-\(fromTag)-\(cseq)-\(method)".map { $0.isLetter || $0.isNumber ? $0 : "-" }
        }

        func request(_ method: String, body: String = "", contentType: String = "application/sdp", branch: String? = nil,
                     cseqMethod: String? = nil, withToTag: Bool = true) -> Data {
            let to = "<sip:1022@127.0.0.1:\(port)>" + (withToTag && !toTag.isEmpty ? ";tag=\(toTag)" : "")
            let text = "\(method) sip:1022@127.0.0.1:\(port) SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:\(probe.port);branch=\(branch ?? self.branch(cseq, method))\r\n"
                + "From: <sip:\(caller)@127.0.0.1>;tag=\(fromTag)\r\nTo: \(to)\r\nCall-ID: \(callID)\r\n"
                + "CSeq: \(cseq) \(cseqMethod ?? method)\r\nContact: <sip:\(caller)@127.0.0.1:\(probe.port)>\r\n"
                + "Max-Forwards: 70\r\n" + (body.isEmpty ? "" : "Content-Type: \(contentType)\r\n")
                + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
            return Data(text.utf8)
        }

        /// Sends and returns the final responses (≥ 200) received within `wait` seconds, whole.
        func send(_ data: Data, wait: TimeInterval = 1.0) throws -> [String] {
            try probe.exchangeFull(data, port: port, wait: wait).filter { (E2E.statusCode($0) ?? 0) >= 200 }
        }

        /// INVITE with a G.711 offer; on 200 keeps the To tag and ACKs. Returns the final status codes.
        func invite(sdp: String = RawDialog.sdp(payloads: "8 0", rtpmaps: ["8 PCMA/8000", "0 PCMU/8000"])) throws -> [Int] {
            // Only this INVITE's answers: the previous one's final response may still be retransmitted
            // (its timer fires at 1.5 s, as this window closes), and it must not be counted here.
            let answers = try send(request("INVITE", body: sdp, withToTag: !toTag.isEmpty), wait: 1.5)
                .filter { SIPEdgeTests.header("CSeq", in: $0) == "\(cseq) INVITE" }
            var codes: [Int] = []
            for code in answers.compactMap(E2E.statusCode) where !codes.contains(code) { codes.append(code) }  // retransmissions
            let invCSeq = cseq
            if let ok = answers.first(where: { E2E.statusCode($0) == 200 }), toTag.isEmpty {
                toTag = SIPEdgeTests.tag(ofHeader: "To", in: ok) ?? ""
            }
            if codes.contains(where: { $0 >= 200 }) {
                // ACK: for a 2xx a new transaction; for an error, the INVITE's own branch.
                let isOK = codes.contains(200)
                try probe.send(request("ACK", branch: isOK ? nil : self.branch(invCSeq, "INVITE")),
                               port: port)
            }
            cseq += 1
            return codes
        }

        func inDialog(_ method: String, body: String = "", contentType: String = "application/sdp") throws -> [Int] {
            // Only the answers to this request (a 2xx of an earlier INVITE may be retransmitted meanwhile).
            let codes = try send(request(method, body: body, contentType: contentType))
                .filter { SIPEdgeTests.header("CSeq", in: $0) == "\(cseq) \(method)" }.compactMap(E2E.statusCode)
            cseq += 1
            return codes
        }
    }

    static func header(_ name: String, in message: String) -> String? {
        for line in message.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    static func tag(ofHeader name: String, in message: String) -> String? {
        guard let value = header(name, in: message), let range = value.range(of: ";tag=") else { return nil }
        return String(value[range.upperBound...].prefix { $0 != ";" && $0 != ">" && $0 != " " })
    }

    // MARK: §5, the smaller findings

    func testAnEmptyAllowedNetworkIsAUsageErrorNotACrash() throws {
        let dir = try E2E.tempDir("allow-empty")
        let flag = try E2E.execute(E2E.binary, ["serve", "--allow", "", "--db", dir + "/h.sqlite"], timeout: 20)
        XCTAssertEqual(flag.status, 64, flag.stderr)
        XCTAssertTrue(flag.stderr.contains("mạng trống"), flag.stderr)
        let config = dir + "/serve.json"
        try Data(#"{"allowedSources": [""]}"#.utf8).write(to: URL(fileURLWithPath: config))
        let file = try E2E.execute(E2E.binary, ["serve", "--config", config, "--db", dir + "/h.sqlite"], timeout: 20)
        XCTAssertEqual(file.status, 64, file.stderr)
        XCTAssertTrue(file.stderr.contains("mạng trống"), file.stderr)
        let tls = try E2E.execute(E2E.binary, ["serve", "--sip-transports", "udp,tls", "--db", dir + "/h.sqlite"], timeout: 20)
        XCTAssertEqual(tls.status, 64, tls.stderr)
        XCTAssertTrue(tls.stderr.contains("not configured"), tls.stderr)
    }

    func testRequestsOutsideADialogAndUnsupportedMethods() throws {
        let gateway = try GatewayProcess.start(name: "edge-481")
        defer { gateway.stop() }
        let probe = try UDPProbe()
        let lone = RawDialog(probe: probe, port: gateway.sipPort, callID: "lone-1@test", fromTag: "l1")
        XCTAssertEqual(try lone.send(lone.request("BYE")).compactMap(E2E.statusCode), [481], "BYE without a To tag")
        XCTAssertEqual(try lone.send(lone.request("INFO", body: "Signal=5\r\n", contentType: "application/dtmf-relay"))
            .compactMap(E2E.statusCode), [481], "INFO outside any dialog")
        // Loopback is the agents' network by default: a REGISTER there is challenged by the agents' registrar.
        let register = try lone.send(lone.request("REGISTER"))
        XCTAssertEqual(register.compactMap(E2E.statusCode), [401])
        XCTAssertTrue(register.first.flatMap { SIPEdgeTests.header("WWW-Authenticate", in: $0) }?
                        .contains("Digest realm=\"hotline1022\"") ?? false, "a digest challenge: \(register)")
        // A BYE with a To tag of no dialog: 481 as before.
        lone.toTag = "nodialog"
        XCTAssertEqual(try lone.send(lone.request("BYE")).compactMap(E2E.statusCode), [481])
    }

    func testSIPInfoDigitsReInviteWithoutG711AndTwoDialogsSharingACallID() throws {
        let gateway = try GatewayProcess.start(name: "edge-dialog")
        defer { gateway.stop() }
        let probe = try UDPProbe()
        let call = RawDialog(probe: probe, port: gateway.sipPort, callID: "shared-1@test", fromTag: "first")
        XCTAssertEqual(try call.invite().last, 200, gateway.log)
        XCTAssertTrue(gateway.waitForLog("event=answered", count: 1, timeout: 5), gateway.log)

        // INFO: flash, an RFC 4733 event number, a string of digits and a letter outside A-D are no digits.
        // (3000 digits: 5000 would make the datagram exceed PJSIP's buffer, and a cut datagram is dropped.)
        for body in ["Signal=16\r\nDuration=160\r\n", "Signal=11\r\nDuration=160\r\n",
                     "Signal=" + String(repeating: "1", count: 3000) + "\r\n", "Signal=E\r\n"] {
            XCTAssertEqual(try call.inDialog("INFO", body: body, contentType: "application/dtmf-relay"), [200])
        }
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertFalse(gateway.log.contains("event=digit"), "no digit may come of those:\n\(gateway.log)")
        XCTAssertEqual(try call.inDialog("INFO", body: "Signal=5\r\nDuration=160\r\n", contentType: "application/dtmf-relay"), [200])
        XCTAssertTrue(gateway.waitForLog("key=5", count: 1, timeout: 3), gateway.log)

        // A re-INVITE offering only G.729: 488, and the call goes on (a G.711 re-INVITE then gets 200).
        XCTAssertEqual(try call.invite(sdp: RawDialog.sdp(payloads: "18", rtpmaps: ["18 G729/8000"])), [488], gateway.log)
        XCTAssertEqual(try call.invite(), [200], gateway.log)
        XCTAssertFalse(gateway.log.contains("event=hangup"), gateway.log)

        // Same Call-ID, another From tag: another dialog, another call, told apart in the log.
        let second = RawDialog(probe: try UDPProbe(), port: gateway.sipPort, callID: "shared-1@test", fromTag: "second")
        XCTAssertEqual(try second.invite().last, 200, gateway.log)
        XCTAssertNotEqual(second.toTag, call.toTag)
        XCTAssertTrue(gateway.waitForLog("event=incoming", count: 2, timeout: 5), gateway.log)
        let incoming = gateway.log.split(separator: "\n").filter { $0.contains("event=incoming") }
        XCTAssertTrue(incoming.contains { $0.contains("from-tag=first") } && incoming.contains { $0.contains("from-tag=second") },
                      incoming.joined(separator: "\n"))
        XCTAssertEqual(try second.inDialog("BYE"), [200])
        XCTAssertTrue(gateway.waitForLog("event=hangup", count: 1, timeout: 5), gateway.log)
        let hangups = gateway.log.split(separator: "\n").filter { $0.contains("event=hangup") }
        XCTAssertEqual(hangups.count, 1)
        XCTAssertTrue(hangups.first?.contains("from-tag=second") ?? false, "only the second dialog ended: \(hangups)")
        XCTAssertEqual(try call.inDialog("BYE"), [200])
    }
}

extension SIPEdgeTests {
    // MARK: §2, truncation and TCP

    /// A 65 KB OPTIONS over UDP is cut by PJSIP's receive buffer: it must be dropped and logged, never parsed
    /// (it used to get 200); a call over TCP on the same port gets its draft.
    func testTruncatedDatagramsAreDroppedAndTCPCarriesACall() throws {
        let gateway = try GatewayProcess.start(name: "edge-tcp")
        defer { gateway.stop() }
        let probe = try UDPProbe()
        let pad = String(repeating: "a", count: 64_000)
        let big = Data(("OPTIONS sip:1022@127.0.0.1:\(gateway.sipPort) SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 127.0.0.1:\(probe.port);branch=z9hG4bK-big\r\nFrom: <sip:t@127.0.0.1>;tag=b1\r\n"
            + "To: <sip:1022@127.0.0.1>\r\nCall-ID: big-1@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            + "X-Padding: \(pad)\r\nContent-Length: 0\r\n\r\n").utf8)
        XCTAssertGreaterThan(big.count, 64_000)
        let answers = try probe.exchange(big, port: gateway.sipPort, wait: 1.0)
        XCTAssertFalse(answers.compactMap(E2E.statusCode).contains(200), "a cut datagram was parsed: \(answers)")
        XCTAssertTrue(gateway.waitForLog("reason=truncated-datagram", count: 1, timeout: 3), gateway.log)
        let health = try UDPProbe()
        XCTAssertEqual(try health.exchange(E2E.options(port: gateway.sipPort, local: health.port, via: "127.0.0.1"),
                                           port: gateway.sipPort, wait: 0.6).compactMap(E2E.statusCode), [200])

        try SIPp.call("voice-report.xml", gateway: gateway, caller: "0912000015", extraArguments: ["-t", "t1"])
        gateway.stop()
        let drafts = try gateway.drafts().filter { $0.callerNumber == "0912000015" }
        XCTAssertEqual(drafts.count, 1, gateway.log)
        XCTAssertGreaterThan(drafts.first?.recordingDurationMs ?? 0, 1000)
    }
}

extension SIPEdgeTests {
    // MARK: §3, floods

    /// One source bursting new calls over its rate gets 503 with Retry-After (logged and counted by reason)
    /// and takes no slot, while a caller from another source gets through; a network given its own rate is
    /// not limited at the default; a caller number over its concurrent limit gets 503 too.
    func testACallFloodFromOneSourceIsRateLimitedAndOthersGetThrough() throws {
        let gateway = try GatewayProcess.start(name: "edge-flood", extra: [
            "--calls-per-second", "5", "--network-rate", "127.0.0.3/32=1000", "--max-calls-per-caller", "1"])
        defer { gateway.stop() }
        // 30 new INVITEs at once from 127.0.0.1: the bucket holds 2 s of 5 calls a second.
        let flood = try UDPProbe()
        for i in 0..<30 {
            let dialog = RawDialog(probe: flood, port: gateway.sipPort, callID: "flood-\(i)@test", fromTag: "f\(i)")
            dialog.caller = "09110000\(String(format: "%02d", i))"
            try flood.send(dialog.request("INVITE"), port: gateway.sipPort)
        }
        var finals: [String: String] = [:]  // Call-ID → the first final response
        let deadline = Date(timeIntervalSinceNow: 2)
        while Date() < deadline {
            for answer in try flood.exchangeFull(Data(), port: gateway.sipPort, wait: 0.2)
            where (E2E.statusCode(answer) ?? 0) >= 200 {
                if let id = SIPEdgeTests.header("Call-ID", in: answer), finals[id] == nil { finals[id] = answer }
            }
        }
        let refused = finals.values.filter { E2E.statusCode($0) == 503 }
        XCTAssertGreaterThanOrEqual(refused.count, 15, "the burst beyond the bucket must get 503: \(finals.values.compactMap(E2E.statusCode))")
        XCTAssertLessThanOrEqual(finals.count - refused.count, 12, "at most the bucket's 10 (and a refill) are taken")
        for answer in refused {
            let retry = SIPEdgeTests.header("Retry-After", in: answer).flatMap { Int($0) }
            XCTAssertNotNil(retry, "503 without Retry-After: \(answer)")
            XCTAssertGreaterThanOrEqual(retry ?? 0, 1)
        }
        XCTAssertEqual(gateway.log.components(separatedBy: "reason=rate-limited").count - 1, refused.count, gateway.log)
        let incoming = gateway.log.components(separatedBy: "event=incoming").count - 1
        XCTAssertEqual(incoming, finals.count - refused.count, "a refused INVITE never reaches a call slot")

        // A caller from another source is not held back by the flood.
        try SIPp.call("voice-report.xml", gateway: gateway, caller: "0912000016", source: "127.0.0.2")

        // A trunk network with its own rate: 30 at once from 127.0.0.3 all pass the rate limit.
        let trunk = try UDPProbe(address: "127.0.0.3")
        var trunkRefused = 0
        for i in 0..<30 {
            let dialog = RawDialog(probe: trunk, port: gateway.sipPort, callID: "trunk-\(i)@test", fromTag: "t\(i)")
            dialog.caller = "09120000\(String(format: "%02d", i))"
            trunkRefused += try trunk.exchangeFull(dialog.request("INVITE"), port: gateway.sipPort, wait: 0.05)
                .filter { E2E.statusCode($0) == 503 }.count
        }
        XCTAssertEqual(trunkRefused, 0, "127.0.0.3 has 1000 calls a second")

        // One caller number, two calls at once: the second is refused (--max-calls-per-caller 1).
        let first = RawDialog(probe: try UDPProbe(address: "127.0.0.4"), port: gateway.sipPort, callID: "same-1@test", fromTag: "s1")
        first.caller = "0913000001"
        XCTAssertEqual(try first.invite(), [200], gateway.log)
        let second = RawDialog(probe: try UDPProbe(address: "127.0.0.4"), port: gateway.sipPort, callID: "same-2@test", fromTag: "s2")
        second.caller = "0913000001"
        XCTAssertEqual(try second.invite(), [503], gateway.log)
        XCTAssertTrue(gateway.log.contains("reason=caller-limit"), gateway.log)
        XCTAssertEqual(try first.inDialog("BYE"), [200])

        gateway.stop()
        XCTAssertEqual(try gateway.drafts().filter { $0.callerNumber == "0912000016" }.count, 1, gateway.log)
    }

    // MARK: §4, dead media

    /// A call whose RTP never comes is hung up after --rtp-timeout.
    func testACallWithoutRTPIsHungUp() throws {
        let gateway = try GatewayProcess.start(name: "edge-nortp", extra: ["--rtp-timeout", "3"])
        defer { gateway.stop() }
        let run = try SIPp.call("no-rtp.xml", gateway: gateway, caller: "0912000017")
        let acked = try run.time(of: "ACKED"), bye = try run.time(of: "BYE")
        let waited = bye.timeIntervalSince(acked)
        XCTAssertGreaterThanOrEqual(waited, 2.5, "hung up before the timeout")
        XCTAssertLessThanOrEqual(waited, 8, "hung up long after the 3 s timeout")
        XCTAssertTrue(gateway.log.contains("event=rtp-timeout"), gateway.log)
    }

    /// A caller on hold sends no RTP, and that is not dead media: the call lasts past --rtp-timeout until the
    /// caller hangs up (issue 23 §8).
    func testACallOnHoldIsNotHungUpForSilence() throws {
        let gateway = try GatewayProcess.start(name: "edge-hold", extra: ["--rtp-timeout", "3"])
        defer { gateway.stop() }
        try SIPp.call("hold-silent.xml", gateway: gateway, caller: "0912000018")
        XCTAssertFalse(gateway.log.contains("event=rtp-timeout"), gateway.log)
    }

    /// A call longer than --max-call-seconds is hung up, and the recording it was making is filed as a draft.
    func testAnOverlongCallIsHungUpAndItsRecordingFiled() throws {
        let gateway = try GatewayProcess.start(name: "edge-maxlen", extra: ["--max-call-seconds", "20"])
        defer { gateway.stop() }
        let caller = try SIPp.startLongRecording(gateway: gateway, caller: "0912000018")
        defer { caller.kill() }
        XCTAssertTrue(gateway.waitForLog("event=recording-started", count: 1, timeout: 25), gateway.log)
        XCTAssertTrue(gateway.waitForLog("event=max-call-duration", count: 1, timeout: 20), gateway.log)
        XCTAssertTrue(gateway.waitForLog("event=draft-submitted", count: 1, timeout: 15), gateway.log)
        caller.kill()
        gateway.stop()
        let drafts = try gateway.drafts().filter { $0.callerNumber == "0912000018" }
        XCTAssertEqual(drafts.count, 1, gateway.log)
        XCTAssertGreaterThan(drafts.first?.recordingDurationMs ?? 0, 1000, gateway.log)
        XCTAssertEqual(drafts.first?.interrupted, true)
    }
}
