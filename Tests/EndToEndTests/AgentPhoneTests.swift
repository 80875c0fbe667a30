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
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        agent.currentDirectoryURL = URL(fileURLWithPath: gateway.dir)
        agent.arguments = ["-sf", E2E.repo + "/Tests/sipp/agent-uas.xml", "-i", "127.0.0.1", "-p", "\(uasPort)",
                           "-mp", "\(try E2E.freeMediaPort())", "-m", "1", "-timeout", "60s", "-timeout_error", "-nostdin"]
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        defer { agent.kill() }
        try SIPp.call("agent-transfer.xml", gateway: gateway, caller: "0944000777")
        let deadline = Date(timeIntervalSinceNow: 15)
        while agent.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        XCTAssertFalse(agent.isRunning, "the agent's call ended with the caller's")
        XCTAssertEqual(agent.terminationStatus, 0, "the agent's phone saw INVITE, ACK and BYE\n\(gateway.log)")
        XCTAssertTrue(gateway.log.contains("event=queue-ring") && gateway.log.contains("agent=e2e-agent phones=1"), gateway.log)
        XCTAssertTrue(gateway.log.contains("event=queue-connect agent=e2e-agent"), gateway.log)

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
}
