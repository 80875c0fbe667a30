import Foundation
import HotlineCore
import HotlineStore
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A citizen's acknowledgement that could not be sent (a landline gets no SMS): `outbox run` marks it failed with
/// the reason, `outbox list` shows it, the hotline's queue raises the case, and the case page shows the state
/// in a real browser (Tests/browser/messages_test.py) until an agent records the call back.
/// Set UPDATE_SCREENSHOTS=1 to refresh docs/console-case-messages.png.
extension ConsoleBrowserTests {
    func testAFailedAcknowledgementShowsOnTheCaseUntilTheCitizenIsCalledBack() throws {
        let browser = self
        try browser.requireBrowserTools()
        let dir = try E2E.tempDir("messages")
        let db = dir + "/h.sqlite"
        let store = try TicketStore(path: db)
        try store.importUnits(try UnitDirectory.load(path: E2E.repo + "/Config/units.json"))
        let context = WorkflowContext(calendar: WorkingCalendar(),
                                      templates: try NotificationTemplates.load(path: E2E.repo + "/Config/templates.vi.json"))
        let code = try store.createTicket(NewTicket(channel: .portal, receivedAt: Date(), category: .infrastructure,
                                                    topic: .infrastructureIncident, reporter: Reporter(name: "Lê Văn Cường", phone: "0225 3842 000"),
                                                    content: "Cây đổ chắn đường", ward: "Lê Chân"),
                                          by: Actor(.citizen, "portal"), context: context)
        try store.perform(.forward(unit: "P-LECHAN"), on: code, by: Actor(.hotline, "lan"), at: Date(), context: context)
        try store.close()
        try browser.cli(["users", "add", "admin", "--role", "administrator", "--db", db])
        try browser.cli(["users", "add", "lan", "--role", "agent", "--as", "admin", "--db", db])
        let password = "mật khẩu của Lan 1022"
        try Data(password.utf8).write(to: URL(fileURLWithPath: dir + "/pw"))
        try browser.cli(["users", "password", "lan", "--password-file", dir + "/pw", "--as", "admin", "--db", db])

        // SMS through Kannel: the landline is refused before anything goes out (nothing listens on port 9).
        let round = try E2E.execute(E2E.binary, ["outbox", "run", "--once", "--senders", "kannel", "--kannel-url",
                                                 "http://127.0.0.1:9/cgi-bin/sendsms", "--kannel-user", "hotline", "--db", db])
        XCTAssertEqual(round.status, 0, round.stderr)
        XCTAssertTrue(round.stdout.contains("thất bại 1"), round.stdout)
        let listed = try browser.cli(["outbox", "list", "--failed", "--db", db, "--as", "admin"])
        XCTAssertTrue(listed.contains("THẤT BẠI") && listed.contains("landline") && listed.contains("kannel"), listed)
        XCTAssertFalse(listed.contains("0225 3842 000"), "the number is masked")

        let port = try E2E.freePort(tcp: true)
        let web = Process()
        web.executableURL = URL(fileURLWithPath: E2E.binary)
        web.arguments = ["web", "--web-port", "\(port)", "--db", db, "--config-dir", E2E.repo + "/Config"]
        web.standardOutput = FileHandle.nullDevice
        FileManager.default.createFile(atPath: dir + "/web.log", contents: nil)
        web.standardError = FileHandle(forWritingAtPath: dir + "/web.log")
        try web.run()
        defer {
            if web.isRunning { kill(web.processIdentifier, SIGTERM) }
            let end = Date(timeIntervalSinceNow: 10)
            while web.isRunning, Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        }
        var environment = ProcessInfo.processInfo.environment
        environment["BASE_URL"] = "http://127.0.0.1:\(port)"
        environment["CODE"] = code
        environment["USER"] = "lan"
        environment["PASSWORD"] = password
        guard try browser.browse(E2E.repo + "/Tests/browser/messages_test.py", environment: environment, directory: dir, timeout: 120,
                                 serverLog: { (try? String(contentsOfFile: dir + "/web.log", encoding: .utf8)) ?? "" }) != nil
        else { return }
        let audit = try E2E.execute("/usr/bin/sqlite3", [db, "SELECT action || ' ' || actor FROM audit_log WHERE ticket_id IS NOT NULL ORDER BY id"])
        XCTAssertTrue(audit.stdout.contains("message-undelivered system:outbox"), audit.stdout)
        XCTAssertTrue(audit.stdout.contains("citizen-informed hotline:lan"), audit.stdout)
        try? FileManager.default.removeItem(atPath: dir)
    }
}
