import Foundation
import XCTest

/// Issue 6 on loopback: hostile SIP input, strangers refused, TLS and SRTP, crash safety (kill -9 during
/// recordings, then restart), and a database snapshot taken mid-run as a power-cut stand-in.
/// Every network step is bounded in time; everything runs on 127.0.0.x.
final class HardeningTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    /// Sends every message of the corpus (`Tests/hostile-sip/*.sip`) and a flood; the gateway must answer
    /// 4xx where a response is due, stay up, and take a valid call right after.
    func testHostileSIPCorpusNeverTakesTheGatewayDown() throws {
        let gateway = try GatewayProcess.start(name: "hostile")
        defer { gateway.stop() }
        let files = try FileManager.default.contentsOfDirectory(atPath: E2E.repo + "/Tests/hostile-sip")
            .filter { $0.hasSuffix(".sip") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 15, "the corpus is missing")
        for (n, file) in files.enumerated() {
            let raw = try Data(contentsOf: URL(fileURLWithPath: E2E.repo + "/Tests/hostile-sip/" + file))
            let newline = raw.firstIndex(of: 0x0A)!
            let expect = String(decoding: raw[..<newline], as: UTF8.self).replacingOccurrences(of: "#expect: ", with: "")
            let probe = try UDPProbe()
            let message = E2E.fill(Data(raw[(newline + 1)...]), port: gateway.sipPort, local: probe.port, n: n)
            let answers = try probe.exchange(message, port: gateway.sipPort, wait: 0.6)
            let codes = answers.compactMap(E2E.statusCode)
            switch expect {
            case "error":
                XCTAssertTrue(codes.contains { $0 >= 400 }, "\(file): expected an error response, got \(answers)")
            case "none":
                XCTAssertTrue(codes.allSatisfy { $0 >= 400 }, "\(file): expected no success, got \(answers)")
            default:
                break
            }
            XCTAssertTrue(gateway.isRunning, "gateway died on \(file)\n\(gateway.log)")
        }
        // A flood of 500 INVITEs from one source in about a second.
        let flood = try UDPProbe()
        for i in 0..<500 {
            try flood.send(E2E.invite(port: gateway.sipPort, local: flood.port, callID: "flood-\(i)"), port: gateway.sipPort)
        }
        Thread.sleep(forTimeInterval: 2)
        XCTAssertTrue(gateway.isRunning, "gateway died in the INVITE flood\n\(gateway.log)")
        // A valid call right after still produces its ticket.
        try SIPp.voiceReport(gateway: gateway, caller: "0911111111")
        gateway.stop()
        let drafts = try gateway.drafts().filter { $0.callerNumber == "0911111111" }
        XCTAssertEqual(drafts.count, 1, gateway.log)
    }

    /// Strangers get 403 and, when they insist, silence; the allowed trunk still gets through.
    func testCallsFromOutsideTheAllowListAreForbidden() throws {
        let gateway = try GatewayProcess.start(name: "allow", extra: ["--allow", "127.0.0.2/32"])
        defer { gateway.stop() }
        // The gateway listens on 127.0.0.1; the trunk sends from 127.0.0.2, the stranger from 127.0.0.1.
        let stranger = try UDPProbe(address: "127.0.0.1")
        let answers = try stranger.exchange(E2E.invite(port: gateway.sipPort, local: stranger.port, callID: "s-1"),
                                            port: gateway.sipPort, wait: 0.6)
        XCTAssertEqual(answers.compactMap(E2E.statusCode), [403])
        var forbidden = 0
        for i in 0..<100 {
            let a = try stranger.exchange(E2E.invite(port: gateway.sipPort, local: stranger.port, callID: "s-f\(i)"),
                                          port: gateway.sipPort, wait: 0.005)
            forbidden += a.count
        }
        XCTAssertLessThan(forbidden, 60, "a flooding stranger must be rate-limited, got \(forbidden) answers")
        let options = try UDPProbe(address: "127.0.0.2")
        let health = try options.exchange(E2E.options(port: gateway.sipPort, local: options.port, via: "127.0.0.2"),
                                          port: gateway.sipPort, wait: 0.6)
        XCTAssertEqual(health.compactMap(E2E.statusCode), [200], "the trunk's OPTIONS health check")
    }

    /// TLS answers a trunk's OPTIONS; with SRTP required a plain-RTP offer is refused with 488.
    func testTLSTransportAndSRTPPolicy() throws {
        let dir = try E2E.tempDir("tls")
        let cert = dir + "/cert.pem", key = dir + "/key.pem"
        try E2E.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                         "-days", "2", "-subj", "/CN=127.0.0.1"])
        let tlsPort = try E2E.freePort(tcp: true)
        let gateway = try GatewayProcess.start(name: "tls", extra: [
            "--tls-port", "\(tlsPort)", "--tls-certificate", cert, "--tls-private-key", key, "--srtp", "required",
        ])
        defer { gateway.stop() }
        let script = """
            import socket, ssl, sys
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", \(tlsPort)), timeout=5))
            p = s.getsockname()[1]
            m = ("OPTIONS sip:1022@127.0.0.1:\(tlsPort);transport=tls SIP/2.0\\r\\n"
                 "Via: SIP/2.0/TLS 127.0.0.1:%d;branch=z9hG4bK-tls1\\r\\nFrom: <sip:probe@127.0.0.1>;tag=t1\\r\\n"
                 "To: <sip:1022@127.0.0.1>\\r\\nCall-ID: tls-probe-1\\r\\nCSeq: 1 OPTIONS\\r\\nMax-Forwards: 70\\r\\n"
                 "Content-Length: 0\\r\\n\\r\\n") % p
            s.sendall(m.encode()); print(s.recv(4096).decode().split("\\r\\n")[0], s.version())
            """
        let out = try E2E.run("/usr/bin/python3", ["-c", script])
        XCTAssertTrue(out.hasPrefix("SIP/2.0 200"), out)
        XCTAssertTrue(out.contains("TLSv1."), out)
        let probe = try UDPProbe()
        let answers = try probe.exchange(E2E.invite(port: gateway.sipPort, local: probe.port, callID: "plain-rtp",
                                                    sdp: true), port: gateway.sipPort, wait: 1)
        XCTAssertTrue(answers.compactMap(E2E.statusCode).contains(488), "\(answers)")
        // An SRTP offer (SDES keys) is answered with keys of the gateway's own.
        let srtp = try UDPProbe()
        let full = try srtp.exchangeFull(E2E.invite(port: gateway.sipPort, local: srtp.port, callID: "srtp-offer",
                                                    sdp: true, srtp: true), port: gateway.sipPort, wait: 1.5)
        XCTAssertTrue(full.contains { $0.hasPrefix("SIP/2.0 200") && $0.contains("RTP/SAVP") && $0.contains("a=crypto:") },
                      "\(full)")
    }

    /// With SRTP optional, a plain RTP caller is still answered.
    func testSRTPOptionalStillAnswersPlainRTP() throws {
        let gateway = try GatewayProcess.start(name: "srtp-optional", extra: ["--srtp", "optional"])
        defer { gateway.stop() }
        let probe = try UDPProbe()
        let answers = try probe.exchange(E2E.invite(port: gateway.sipPort, local: probe.port, callID: "plain-ok",
                                                    sdp: true), port: gateway.sipPort, wait: 1.5)
        XCTAssertTrue(answers.compactMap(E2E.statusCode).contains(200), "\(answers)")
    }

    /// kill -9 while three callers are recording; on restart each partial WAV is valid, has audio, and
    /// becomes an interrupted draft with its caller's number.
    func testKillDuringRecordingsLosesNoVoiceReport() throws {
        let gateway = try GatewayProcess.start(name: "crash")
        let callers = ["0901000001", "0901000002", "0901000003"]
        let calls = try callers.map { try SIPp.startLongRecording(gateway: gateway, caller: $0) }
        defer { calls.forEach { $0.kill() } }
        XCTAssertTrue(gateway.waitForLog("event=recording-started", count: callers.count, timeout: 40), gateway.log)
        Thread.sleep(forTimeInterval: 3)
        gateway.kill9()
        calls.forEach { $0.kill() }
        let sidecars = E2E.files(under: gateway.recordings, suffix: ".wav.call.json")
        XCTAssertEqual(sidecars.count, callers.count, "one sidecar per recording in progress")

        let restarted = try GatewayProcess.start(name: "crash", reuse: gateway)
        XCTAssertTrue(restarted.waitForLog("event=recovered-interrupted-recording", count: callers.count, timeout: 20),
                      restarted.log)
        restarted.stop()
        let drafts = try restarted.drafts()
        XCTAssertEqual(Set(drafts.map(\.callerNumber)), Set(callers))
        for draft in drafts {
            XCTAssertTrue(draft.interrupted)
            let path = try XCTUnwrap(draft.recordingPath)
            let wav = try WAVInfo(path: path)
            XCTAssertEqual(wav.sampleRate, 8000)
            XCTAssertGreaterThan(wav.durationMs, 1500, path)
            XCTAssertGreaterThan(wav.rms, 300, "the partial recording holds the caller's voice: \(path)")
            XCTAssertEqual(draft.recordingDurationMs, wav.durationMs, accuracy: 25)
        }
        XCTAssertTrue(E2E.files(under: gateway.recordings, suffix: ".wav.call.json").isEmpty)
    }

    /// The database as a power cut would leave it: a copy of the file, WAL and shared memory taken while the
    /// gateway runs, right after drafts were acknowledged. Every acknowledged draft must be in it, intact.
    func testDatabaseSnapshotMidRunHoldsEveryAcknowledgedDraft() throws {
        let gateway = try GatewayProcess.start(name: "powercut")
        defer { gateway.stop() }
        try SIPp.voiceReport(gateway: gateway, caller: "0902000001")
        try SIPp.voiceReport(gateway: gateway, caller: "0902000002")
        XCTAssertTrue(gateway.waitForLog("event=draft-submitted", count: 2, timeout: 20), gateway.log)
        let snapshot = try E2E.tempDir("snapshot") + "/h.sqlite"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: gateway.database + suffix) {
            try FileManager.default.copyItem(atPath: gateway.database + suffix, toPath: snapshot + suffix)
        }
        let integrity = try E2E.run("/usr/bin/sqlite3", [snapshot, "PRAGMA integrity_check;"])
        XCTAssertEqual(integrity.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
        let drafts = try E2E.drafts(database: snapshot)
        XCTAssertEqual(Set(drafts.map(\.callerNumber)), ["0902000001", "0902000002"])
    }

    /// SIGTERM: new calls get 503 while a call in progress finishes and files its draft.
    func testSIGTERMDrainsCallsInProgress() throws {
        let gateway = try GatewayProcess.start(name: "drain", extra: ["--drain-seconds", "6"])
        let call = try SIPp.startLongRecording(gateway: gateway, caller: "0903000001")
        defer { call.kill() }
        XCTAssertTrue(gateway.waitForLog("event=recording-started", count: 1, timeout: 40), gateway.log)
        gateway.signal(SIGTERM)
        XCTAssertTrue(gateway.waitForLog("event=draining", count: 1, timeout: 5), gateway.log)
        let probe = try UDPProbe()
        let answers = try probe.exchange(E2E.invite(port: gateway.sipPort, local: probe.port, callID: "late", sdp: true),
                                         port: gateway.sipPort, wait: 1)
        XCTAssertTrue(answers.compactMap(E2E.statusCode).contains(503), "\(answers)")
        XCTAssertTrue(gateway.waitForExit(timeout: 30), gateway.log)
        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.map(\.callerNumber), ["0903000001"])
        XCTAssertEqual(drafts.first?.interrupted, true)
    }

    /// The trunk registration fails while the registrar is down and succeeds on its own once it is back.
    func testTrunkRegistrationRecoversWhenTheRegistrarComesBack() throws {
        let registrarPort = try E2E.freePort()
        let dir = try E2E.tempDir("registrar")
        func registrar(_ scenario: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
            p.arguments = ["-sf", E2E.repo + "/Tests/sipp/" + scenario, "-i", "127.0.0.1", "-p", "\(registrarPort)",
                           "-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin"]
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let down = try registrar("registrar-unavailable.xml")
        defer { down.kill() }
        Thread.sleep(forTimeInterval: 1)
        let gateway = try GatewayProcess.start(name: "register", extra: [
            "--registrar", "sip:127.0.0.1:\(registrarPort)", "--register-user", "hotline", "--register-retry-seconds", "3",
        ])
        defer { gateway.stop() }
        XCTAssertTrue(gateway.waitForLog("event=trunk-registration-failed code=503", count: 1, timeout: 15), gateway.log)
        down.waitUntilExit()
        // The registrar comes back on the same address before the gateway's next try.
        let up = try registrar("registrar.xml")
        defer { up.kill() }
        XCTAssertTrue(gateway.waitForLog("event=trunk-registered", count: 1, timeout: 20), gateway.log)
    }
}
