import Foundation
import XCTest

/// Issue 23 §1–2: an agent's own phone on the gateway's registrar. The administrator sets its SIP password
/// (`users phone`); a SIPp phone REGISTERs with digest auth (a wrong password is refused and logged first), is
/// rung by the queue when a caller presses 0, answers and talks; un-REGISTER takes it out of the queue; and
/// `agent status break` puts the agent on break.
final class AgentPhoneTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testAnAgentsRegisteredPhoneIsRungByTheQueueAndAnswers() throws {
        let gateway = try GatewayProcess.start(name: "agent-phone", extra: ["--agents-uri", "none"])
        defer { gateway.stop() }
        try E2E.ensureAgent(database: gateway.database)
        let db = ["--db", gateway.database]
        let secret = gateway.dir + "/sip-password"
        try "mật-khẩu-sip-2026\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let set = try E2E.execute(E2E.binary, ["users", "phone", "e2e-agent", "--password-file", secret, "--as", "e2e-admin"] + db)
        XCTAssertEqual(set.status, 0, set.stderr)
        // Only an administrator sets phones.
        let refused = try E2E.execute(E2E.binary, ["users", "phone", "e2e-agent", "--uri", "sip:x@127.0.0.1", "--as", "e2e-agent"] + db)
        XCTAssertNotEqual(refused.status, 0, "an agent cannot set a phone")
        XCTAssertTrue(gateway.waitForLog("event=agent-phone agent=e2e-agent phone=registrar", count: 1, timeout: 10), gateway.log)

        let uasPort = try E2E.freePort()
        func register(password: String, expires: Int) throws -> SIPpRun {
            let run = try SIPpRun.onFreePorts(scenario: "agent-register.xml", directory: gateway.dir) { sipPort, mediaPort in [
                "127.0.0.1:\(gateway.sipPort)", "-sf", E2E.repo + "/Tests/sipp/agent-register.xml", "-m", "1",
                "-i", "127.0.0.1", "-p", "\(sipPort)", "-mp", "\(mediaPort)", "-au", "e2e-agent", "-ap", password,
                "-key", "agent", "e2e-agent", "-key", "contact_port", "\(uasPort)", "-key", "expires", "\(expires)",
                "-timeout", "20s", "-timeout_error",
            ] }
            XCTAssertTrue(run.wait(timeout: 30), "sipp register still running\n\(run.report)")
            return run
        }

        // A wrong password: challenged again, the REGISTER never succeeds, and the gateway says why.
        let wrong = try register(password: "not-the-password", expires: 300)
        XCTAssertNotEqual(wrong.process.terminationStatus, 0, "a wrong password must not register\n\(wrong.report)")
        XCTAssertTrue(gateway.waitForLog("event=agent-register-refused agent=e2e-agent reason=wrong-password", count: 1, timeout: 5), gateway.log)
        XCTAssertFalse(gateway.log.contains("event=agent-registered"), gateway.log)

        let good = try register(password: "mật-khẩu-sip-2026", expires: 300)
        XCTAssertEqual(good.process.terminationStatus, 0, "REGISTER with digest auth\n\(good.report)\n\(gateway.log)")
        XCTAssertTrue(gateway.waitForLog("event=agent-registered agent=e2e-agent contacts=1", count: 1, timeout: 5), gateway.log)

        // A caller presses 0: the registered phone rings, answers, and the conversation is bridged.
        let agent = try SIPp.agentPhone(port: uasPort, directory: gateway.dir)
        defer { agent.kill() }
        try SIPp.call("agent-transfer.xml", gateway: gateway, caller: "0944000777")
        XCTAssertTrue(SIPp.agentPhoneFinished(agent), "the agent's phone saw INVITE, ACK and BYE\n\(gateway.log)")
        XCTAssertTrue(gateway.log.contains("event=queue-ring") && gateway.log.contains("agent=e2e-agent phones=1"), gateway.log)
        XCTAssertTrue(gateway.log.contains("event=queue-connect agent=e2e-agent"), gateway.log)
        try assertConversationRecorded(gateway, agent: "e2e-agent")

        // The agent asks for a break; the gateway applies it within seconds.
        let pause = try E2E.execute(E2E.binary, ["agent", "status", "break", "--reason", "Họp giao ban", "--as", "e2e-agent"] + db)
        XCTAssertEqual(pause.status, 0, pause.stderr)
        XCTAssertTrue(gateway.waitForLog("event=agent-presence agent=e2e-agent state=break reason=", count: 1, timeout: 10), gateway.log)
        let listed = try E2E.execute(E2E.binary, ["agent", "status", "--as", "e2e-agent"] + db)
        XCTAssertTrue(listed.stdout.contains("Họp giao ban"), listed.stdout)

        // Un-REGISTER: the phone leaves the queue.
        let gone = try register(password: "mật-khẩu-sip-2026", expires: 0)
        XCTAssertEqual(gone.process.terminationStatus, 0, gone.report)
        XCTAssertTrue(gateway.waitForLog("event=agent-unregistered agent=e2e-agent contacts=0", count: 1, timeout: 5), gateway.log)
        XCTAssertEqual(gateway.stop(), 0, gateway.log)
    }

    /// Issue 23 §4: the conversation is recorded both ways from the agent's answer to the hang-up and filed for the
    /// call's case. The agent's phone says its 2 s on answering while the caller is silent; the caller speaks in
    /// the call's last 4 s (agent-transfer.xml): the recording holds the one, then quiet, then the other.
    func assertConversationRecorded(_ gateway: GatewayProcess, agent: String) throws {
        XCTAssertTrue(gateway.waitForLog("event=conversation-filed", count: 1, timeout: 10), gateway.log)
        let row = try E2E.execute("/usr/bin/sqlite3", ["-separator", "|", gateway.database,
            "SELECT path, duration_ms, audio_loss_percent, agent, call_ref, sha256 IS NOT NULL FROM conversations"], timeout: 30).stdout
        let fields = row.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "|")
        XCTAssertEqual(fields.count, 6, "one conversation: '\(row)'")
        let connected = try XCTUnwrap(gateway.time(of: "queue-connect", containing: "agent=\(agent)"))
        let ended = try XCTUnwrap(gateway.time(of: "conversation-recorded", containing: "agent=\(agent)"))
        let wav = try WAVInfo(path: fields[0])
        let expected = Int(ended.timeIntervalSince(connected) * 1000)
        print("conversation recording: \(wav.durationMs) ms (connect to hang-up \(expected) ms), loss \(fields[2]) %")
        XCTAssertEqual([wav.sampleRate, wav.channels, wav.bits], [8000, 1, 16])
        XCTAssertEqual(Double(wav.durationMs), Double(expected), accuracy: 1000, "recorded from the answer to the hang-up")
        XCTAssertEqual(Int(fields[1]) ?? -1, wav.durationMs, accuracy: 300)
        XCTAssertEqual(fields[2], "0", "no RTP lost on loopback")
        XCTAssertEqual(fields[3], agent)
        XCTAssertTrue(fields[4].hasPrefix("queue:"), fields[4])
        XCTAssertEqual(fields[5], "1", "hashed when filed")
        let agentSays = wav.rms(fromMs: 300, toMs: 1700), between = wav.rms(fromMs: 3000, toMs: wav.durationMs - 5000)
        let callerSays = wav.rms(fromMs: wav.durationMs - 3500, toMs: wav.durationMs - 500)
        print(String(format: "conversation levels: agent %.0f, between %.0f, caller %.0f RMS", agentSays, between, callerSays))
        XCTAssertGreaterThan(agentSays, 300, "the agent's words are in it")
        XCTAssertLessThan(between, 100, "quiet while neither speaks")
        XCTAssertGreaterThan(callerSays, 300, "the caller's words are in it")
    }

    /// Issue 23 §6: a supervisor listens in silently. During lan's call (`e2e-agent`), `agent listen-in` by the
    /// supervisor makes the gateway ring the supervisor's registered phone; answered, it is sent the conversation,
    /// and it is hung up when the call ends. An agent may not ask, nor a supervisor for an agent who is not talking.
    func testASupervisorListensInSilentlyOnALiveCall() throws {
        let gateway = try GatewayProcess.start(name: "listen-in", extra: ["--agents-uri", "none"])
        defer { gateway.stop() }
        try E2E.ensureAgent(database: gateway.database)
        let db = ["--db", gateway.database]
        let added = try E2E.execute(E2E.binary, ["users", "add", "e2e-sup", "--role", "supervisor", "--as", "e2e-admin"] + db)
        XCTAssertEqual(added.status, 0, added.stderr)
        var phones: [Process] = []
        defer { phones.forEach { $0.kill() } }
        for name in ["e2e-agent", "e2e-sup"] {
            let secret = gateway.dir + "/sip-\(name)"
            try "mật-khẩu-sip-\(name)\n".write(toFile: secret, atomically: true, encoding: .utf8)
            let set = try E2E.execute(E2E.binary, ["users", "phone", name, "--password-file", secret, "--as", "e2e-admin"] + db)
            XCTAssertEqual(set.status, 0, set.stderr)
            XCTAssertTrue(gateway.waitForLog("event=agent-phone agent=\(name) phone=registrar", count: 1, timeout: 10), gateway.log)
            let uasPort = try E2E.freePort()
            let run = try SIPpRun.onFreePorts(scenario: "agent-register.xml", directory: gateway.dir) { sipPort, mediaPort in [
                "127.0.0.1:\(gateway.sipPort)", "-sf", E2E.repo + "/Tests/sipp/agent-register.xml", "-m", "1",
                "-i", "127.0.0.1", "-p", "\(sipPort)", "-mp", "\(mediaPort)", "-au", name, "-ap", "mật-khẩu-sip-\(name)",
                "-key", "agent", name, "-key", "contact_port", "\(uasPort)", "-key", "expires", "300",
                "-timeout", "20s", "-timeout_error",
            ] }
            XCTAssertTrue(run.wait(timeout: 30), run.report)
            XCTAssertEqual(run.process.terminationStatus, 0, "\(name) registered\n\(run.report)\n\(gateway.log)")
            phones.append(try SIPp.agentPhone(port: uasPort, directory: gateway.dir))
        }
        // The supervisor is in the queue too: on break, so the caller rings only the agent.
        let pause = try E2E.execute(E2E.binary, ["agent", "status", "break", "--reason", "Giám sát", "--as", "e2e-sup"] + db)
        XCTAssertEqual(pause.status, 0, pause.stderr)
        XCTAssertTrue(gateway.waitForLog("event=agent-presence agent=e2e-sup state=break", count: 1, timeout: 10), gateway.log)
        let early = try E2E.execute(E2E.binary, ["agent", "listen-in", "e2e-agent", "--as", "e2e-sup"] + db)
        XCTAssertNotEqual(early.status, 0, "nobody to listen to yet")
        XCTAssertTrue(early.stderr.contains("không đang nghe máy"), early.stderr)

        let caller = try SIPp.start("agent-transfer.xml", gateway: gateway, caller: "0944000999")
        XCTAssertTrue(gateway.waitForLog("event=queue-connect agent=e2e-agent", count: 1, timeout: 15), gateway.log)
        // The wallboard's live state says e2e-agent is on the call within a second or so.
        var asked = try E2E.execute(E2E.binary, ["agent", "listen-in", "e2e-agent", "--as", "e2e-sup"] + db)
        let deadline = Date(timeIntervalSinceNow: 5)
        while asked.status != 0, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.3)
            asked = try E2E.execute(E2E.binary, ["agent", "listen-in", "e2e-agent", "--as", "e2e-sup"] + db)
        }
        XCTAssertEqual(asked.status, 0, asked.stderr)
        let refused = try E2E.execute(E2E.binary, ["agent", "listen-in", "e2e-sup", "--as", "e2e-agent"] + db)
        XCTAssertNotEqual(refused.status, 0, "an agent does not listen in")
        XCTAssertTrue(refused.stderr.contains("chỉ giám sát viên"), refused.stderr)
        XCTAssertTrue(gateway.waitForLog("event=listen-in ", count: 1, timeout: 10), "the supervisor's phone answered\n\(gateway.log)")
        let line = try XCTUnwrap(gateway.log.split(separator: "\n").first { $0.contains("event=listen-in ") })
        XCTAssertTrue(line.contains("supervisor=e2e-sup") && line.contains("agent=e2e-agent"), String(line))

        XCTAssertTrue(caller.wait(timeout: 40), caller.report)
        XCTAssertEqual(caller.process.terminationStatus, 0, "the caller's call went on as before\n\(caller.report)")
        XCTAssertTrue(gateway.waitForLog("event=listen-in-media ", count: 1, timeout: 10), gateway.log)
        let media = try XCTUnwrap(gateway.log.split(separator: "\n").first { $0.contains("event=listen-in-media ") })
        let sent = media.split(separator: " ").first { $0.hasPrefix("tx-packets=") }.flatMap { Int($0.dropFirst("tx-packets=".count)) }
        print("listen-in: \(line)\n\(media)")
        XCTAssertGreaterThan(sent ?? 0, 50, "the conversation was sent to the supervisor: \(media)")
        for phone in phones { XCTAssertTrue(SIPp.agentPhoneFinished(phone), "each phone saw INVITE, ACK and BYE\n\(gateway.log)") }
        let audit = try E2E.execute("/usr/bin/sqlite3", [gateway.database, "SELECT action || ' ' || actor FROM audit_log WHERE action = 'listen-in-requested'"])
        XCTAssertTrue(audit.stdout.contains("listen-in-requested supervisor:e2e-sup"), audit.stdout)
    }

    /// Issue 23 §5, "Gọi lại": a caller abandons the queue after 12 s (the agent is on break), so their number is on
    /// the callback list. The agent asks for the callback (`queue callback NUMBER`); the gateway rings the agent's
    /// registered phone, and once it answers calls the citizen through `--callback-trunk` (a SIPp citizen): busy the
    /// first time (no answer recorded), answering the second. The citizen hears the greeting, then the two talk, recorded both ways; the attempt is recorded as reached, the
    /// item is done, and the agent goes back to their break.
    func testGoiLaiRingsTheAgentThenCallsTheCitizenThroughTheTrunkAndRecordsTheCall() throws {
        let citizenPort = try E2E.freePort()
        let gateway = try GatewayProcess.start(name: "callback", extra: ["--agents-uri", "none",
                                                                         "--callback-trunk", "127.0.0.1:\(citizenPort)"])
        defer { gateway.stop() }
        try E2E.ensureAgent(database: gateway.database)
        let db = ["--db", gateway.database]
        let number = "0944000888"
        let early = try E2E.execute(E2E.binary, ["queue", "callback", number, "--as", "e2e-agent"] + db)
        XCTAssertNotEqual(early.status, 0, "no phone, and nobody to call back yet")
        XCTAssertTrue(early.stderr.contains("chưa có điện thoại"), early.stderr)

        let secret = gateway.dir + "/sip-password"
        try "mật-khẩu-gọi-lại\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let set = try E2E.execute(E2E.binary, ["users", "phone", "e2e-agent", "--password-file", secret, "--as", "e2e-admin"] + db)
        XCTAssertEqual(set.status, 0, set.stderr)
        XCTAssertTrue(gateway.waitForLog("event=agent-phone agent=e2e-agent phone=registrar", count: 1, timeout: 10), gateway.log)
        let uasPort = try E2E.freePort()
        let registered = try SIPpRun.onFreePorts(scenario: "agent-register.xml", directory: gateway.dir) { sipPort, mediaPort in [
            "127.0.0.1:\(gateway.sipPort)", "-sf", E2E.repo + "/Tests/sipp/agent-register.xml", "-m", "1",
            "-i", "127.0.0.1", "-p", "\(sipPort)", "-mp", "\(mediaPort)", "-au", "e2e-agent", "-ap", "mật-khẩu-gọi-lại",
            "-key", "agent", "e2e-agent", "-key", "contact_port", "\(uasPort)", "-key", "expires", "300",
            "-timeout", "20s", "-timeout_error",
        ] }
        XCTAssertTrue(registered.wait(timeout: 30), registered.report)
        XCTAssertEqual(registered.process.terminationStatus, 0, "registered\n\(registered.report)\n\(gateway.log)")
        let pause = try E2E.execute(E2E.binary, ["agent", "status", "break", "--reason", "Gọi lại", "--as", "e2e-agent"] + db)
        XCTAssertEqual(pause.status, 0, pause.stderr)
        XCTAssertTrue(gateway.waitForLog("event=agent-presence agent=e2e-agent state=break", count: 1, timeout: 10), gateway.log)

        // The caller waits 12 s with nobody ready, then hangs up: on the list.
        try SIPp.call("agent-transfer.xml", gateway: gateway, caller: number)
        let listed = try E2E.execute(E2E.binary, ["queue", "callbacks", "--as", "e2e-agent"] + db)
        XCTAssertTrue(listed.stdout.contains(number), "the abandoned caller is on the list\n\(listed.stdout)\n\(listed.stderr)")

        // First attempt: the citizen is busy (486). Recorded as no answer; the agent's phone is hung up.
        let firstAgent = try SIPp.agentPhone(port: uasPort, directory: gateway.dir)
        defer { firstAgent.kill() }
        let busy = try SIPp.agentPhone(port: citizenPort, directory: gateway.dir, scenario: "citizen-busy.xml")
        defer { busy.kill() }
        let first = try E2E.execute(E2E.binary, ["queue", "callback", number, "--as", "e2e-agent"] + db)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(gateway.waitForLog("event=callback-not-reached", count: 1, timeout: 15), gateway.log)
        XCTAssertTrue(gateway.log.contains("status=486 outcome=no-answer"), gateway.log)
        XCTAssertTrue(SIPp.agentPhoneFinished(firstAgent), "the agent's phone was hung up\n\(gateway.log)")
        XCTAssertTrue(SIPp.agentPhoneFinished(busy), "the busy citizen's SIPp saw INVITE and ACK\n\(gateway.log)")
        XCTAssertTrue(gateway.waitForLog("event=agent-presence agent=e2e-agent state=break", count: 2, timeout: 10),
                      "back on their break\n\(gateway.log)")
        XCTAssertTrue(waitUntil(timeout: 10) {
            let list = try? E2E.execute(E2E.binary, ["queue", "callbacks", "--as", "e2e-agent"] + db)
            return list?.stdout.split(separator: "\n").contains { $0.contains(number) && $0.contains("1/3") } ?? false
        }, "one attempt recorded")

        let agent = try SIPp.agentPhone(port: uasPort, directory: gateway.dir, scenario: "agent-callback-uas.xml")
        defer { agent.kill() }
        let citizen = try SIPp.agentPhone(port: citizenPort, directory: gateway.dir, scenario: "citizen-uas.xml")
        defer { citizen.kill() }
        // The gateway's live state (published at most once a second) shows the agent free again first.
        var asked = try E2E.execute(E2E.binary, ["queue", "callback", number, "--as", "e2e-agent"] + db)
        let free = Date(timeIntervalSinceNow: 5)
        while asked.status != 0, asked.stderr.contains("đang bận"), Date() < free {
            Thread.sleep(forTimeInterval: 0.3)
            asked = try E2E.execute(E2E.binary, ["queue", "callback", number, "--as", "e2e-agent"] + db)
        }
        XCTAssertEqual(asked.status, 0, asked.stderr)
        XCTAssertTrue(gateway.waitForLog("event=callback-ring-agent agent=e2e-agent", count: 2, timeout: 10), gateway.log)
        XCTAssertTrue(gateway.waitForLog("event=agent-presence agent=e2e-agent state=onCall", count: 2, timeout: 5), gateway.log)
        XCTAssertTrue(gateway.waitForLog("event=callback-dial", count: 2, timeout: 10), "dialled after the agent answered\n\(gateway.log)")
        XCTAssertTrue(gateway.waitForLog("event=callback-connected", count: 1, timeout: 15), gateway.log)
        let deadline = Date(timeIntervalSinceNow: 40)
        while agent.isRunning || citizen.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        XCTAssertFalse(citizen.isRunning, "the citizen hung up\n\(gateway.log)")
        XCTAssertEqual(citizen.terminationStatus, 0, "the citizen's call: INVITE, ACK, their BYE answered\n\(gateway.log)")
        XCTAssertFalse(agent.isRunning, "the agent's phone was hung up with the citizen\n\(gateway.log)")
        XCTAssertEqual(agent.terminationStatus, 0, "the agent's phone saw INVITE, ACK and the gateway's BYE\n\(gateway.log)")
        XCTAssertTrue(gateway.waitForLog("event=agent-presence agent=e2e-agent state=break", count: 3, timeout: 10),
                      "back on their break after the callback\n\(gateway.log)")

        // The conversation: from the bridge to the citizen's hang-up, the agent's words, then the citizen's.
        XCTAssertTrue(gateway.waitForLog("event=conversation-filed", count: 1, timeout: 10), gateway.log)
        let row = try E2E.execute("/usr/bin/sqlite3", ["-separator", "|", gateway.database,
            "SELECT path, duration_ms, caller_number, agent FROM conversations"], timeout: 30).stdout
        let fields = row.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "|")
        XCTAssertEqual(fields.count, 4, "one conversation: '\(row)'")
        XCTAssertEqual(Array(fields.dropFirst(2)), [number, "e2e-agent"])
        let wav = try WAVInfo(path: fields[0])
        let connected = try XCTUnwrap(gateway.time(of: "callback-connected"))
        let ended = try XCTUnwrap(gateway.time(of: "conversation-recorded"))
        XCTAssertEqual(Double(wav.durationMs), ended.timeIntervalSince(connected) * 1000, accuracy: 1000)
        let agentSays = wav.rms(fromMs: 2200, toMs: 3800), citizenSays = wav.rms(fromMs: wav.durationMs - 4500, toMs: wav.durationMs - 3500)
        print(String(format: "callback: %d ms recorded; agent %.0f, citizen %.0f RMS", wav.durationMs, agentSays, citizenSays))
        XCTAssertGreaterThan(agentSays, 300, "the agent's words are in it")
        XCTAssertGreaterThan(citizenSays, 300, "the citizen's words are in it")

        // The attempt is recorded from the call: reached, so the item is done and cannot be called again.
        XCTAssertTrue(waitUntil(timeout: 10) {
            let list = try? E2E.execute(E2E.binary, ["queue", "callbacks", "--as", "e2e-agent"] + db)
            return list?.stdout.split(separator: "\n").contains { $0.contains(number) && $0.contains("xong") } ?? false
        }, "the callback item is done: \((try? E2E.execute(E2E.binary, ["queue", "callbacks", "--as", "e2e-agent"] + db).stdout) ?? "")")
        let log = try E2E.execute(E2E.binary, ["queue", "log", "--format", "csv", "--as", "e2e-admin"] + db).stdout
        XCTAssertEqual(log.split(separator: "\n").filter { $0.contains("callback-attempted") }.count, 2, log)
        XCTAssertTrue(log.contains("no-answer") && log.contains("reached"), log)
        let again = try E2E.execute(E2E.binary, ["queue", "callback", number, "--as", "e2e-agent"] + db)
        XCTAssertNotEqual(again.status, 0, "a reached citizen is not called again")
        XCTAssertTrue(again.stderr.contains("đã xong"), again.stderr)
        XCTAssertEqual(gateway.stop(), 0, gateway.log)
    }

    private func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.3)
        }
        return condition()
    }

    /// A real softphone: baresip (Debian's) registers with digest auth, is rung when a caller presses 0, answers
    /// by itself, and audio flows both ways: the gateway counts the phone's RTP, and baresip's own dump of what
    /// it decoded from the gateway holds the caller's speech.
    func testBaresipRegistersIsRungAnswersAndExchangesAudio() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/baresip") else {
            XCTFail("/usr/bin/baresip is missing: run scripts/bootstrap (the end-to-end tests are never skipped)")
            return
        }
        let gateway = try GatewayProcess.start(name: "baresip", extra: ["--agents-uri", "none"])
        defer { gateway.stop() }
        try E2E.ensureAgent(database: gateway.database)
        let secret = gateway.dir + "/sip-password"
        try "baresip-mật-khẩu\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let set = try E2E.execute(E2E.binary, ["users", "phone", "e2e-agent", "--password-file", secret, "--as", "e2e-admin",
                                              "--db", gateway.database])
        XCTAssertEqual(set.status, 0, set.stderr)
        XCTAssertTrue(gateway.waitForLog("event=agent-phone agent=e2e-agent", count: 1, timeout: 10), gateway.log)

        // baresip's configuration: loopback only, G.711, the test speech as its microphone, what it hears dumped
        // to WAV files, no sound card (aubridge plays into nothing).
        let home = gateway.dir + "/baresip"
        let dumps = home + "/heard"
        try FileManager.default.createDirectory(atPath: dumps, withIntermediateDirectories: true)
        let speech = home + "/speech.wav"
        // baresip hangs up when its microphone's file ends: the speech five times over outlasts the call.
        let converted = try E2E.execute("/usr/bin/sox", ["-t", "al", "-r", "8000", "-c", "1", try SIPp.speech(), "-b", "16", speech,
                                                         "repeat", "5"])
        XCTAssertEqual(converted.status, 0, converted.stderr)
        let sipPort = try E2E.freePort()
        let rtpBase = try E2E.freeMediaPort()
        try """
            poll_method epoll
            sip_listen 127.0.0.1:\(sipPort)
            audio_player aubridge,nowhere
            audio_alert aubridge,nowhere
            audio_source aufile,\(speech)
            module_path /usr/lib/baresip/modules
            module g711.so
            module aufile.so
            module aubridge.so
            module sndfile.so
            module_app account.so
            snd_path \(dumps)
            rtp_ports \(rtpBase)-\(rtpBase + 3)

            """.write(toFile: home + "/config", atomically: true, encoding: .utf8)
        try "<sip:e2e-agent@127.0.0.1:\(gateway.sipPort)>;auth_pass=baresip-mật-khẩu;answermode=auto;regint=300;audio_codecs=PCMA,PCMU\n"
            .write(toFile: home + "/accounts", atomically: true, encoding: .utf8)
        let phone = Process()
        phone.executableURL = URL(fileURLWithPath: "/usr/bin/baresip")
        phone.arguments = ["-f", home, "-t", "90"]
        phone.currentDirectoryURL = URL(fileURLWithPath: home)
        let phoneLog = home + "/baresip.log"
        FileManager.default.createFile(atPath: phoneLog, contents: nil)
        phone.standardOutput = FileHandle(forWritingAtPath: phoneLog)
        phone.standardError = phone.standardOutput
        phone.standardInput = FileHandle.nullDevice
        try phone.run()
        defer { phone.terminate(); phone.waitUntilExit() }
        func phoneSaid() -> String { (try? String(contentsOfFile: phoneLog, encoding: .utf8)) ?? "" }
        XCTAssertTrue(gateway.waitForLog("event=agent-registered agent=e2e-agent contacts=1", count: 1, timeout: 15),
                      "baresip did not register\n\(phoneSaid())\n\(gateway.log)")

        try SIPp.call("agent-transfer.xml", gateway: gateway, caller: "0944000888")
        XCTAssertTrue(gateway.log.contains("event=queue-connect agent=e2e-agent"), "\(phoneSaid())\n\(gateway.log)")
        XCTAssertTrue(gateway.waitForLog("event=agent-media ", count: 1, timeout: 10), gateway.log)
        let media = try XCTUnwrap(gateway.log.split(separator: "\n").first { $0.contains("event=agent-media ") })
        let fields = Dictionary(media.split(separator: " ").compactMap { part -> (String, Int)? in
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let n = Int(kv[1]) else { return nil }
            return (String(kv[0]), n)
        }, uniquingKeysWith: { a, _ in a })
        // The caller talks to the agent for several seconds: 50 packets a second each way.
        XCTAssertGreaterThan(fields["rx-packets"] ?? 0, 100, "the phone's audio reached the gateway: \(media)")
        XCTAssertGreaterThan(fields["tx-packets"] ?? 0, 100, "the gateway sent the caller's audio: \(media)")
        phone.terminate()
        phone.waitUntilExit()
        let heard = (try? FileManager.default.contentsOfDirectory(atPath: dumps)) ?? []
        let decoded = heard.filter { $0.contains("dec") }.map { name in
            ((try? FileManager.default.attributesOfItem(atPath: dumps + "/" + name))?[.size] as? Int) ?? 0
        }.max() ?? 0
        XCTAssertGreaterThan(decoded, 32_000, "baresip decoded at least 2 s of the gateway's audio: \(heard)\n\(phoneSaid())")
        XCTAssertTrue(gateway.waitForLog("event=agent-unregistered agent=e2e-agent", count: 1, timeout: 10),
                      "baresip un-registers when it quits\n\(gateway.log)")
    }
}
