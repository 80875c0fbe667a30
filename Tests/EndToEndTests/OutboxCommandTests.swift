import Foundation
import HotlineCore
import HotlineStore
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `hotline1022 outbox run` alone (where no gateway runs): delivers until SIGTERM, or one round with --once;
/// a webhook that does not answer is a retry, listed with its error.
final class OutboxCommandTests: XCTestCase {
    func testOutboxRunDeliversAndAnUnreachableWebhookIsRetried() throws {
        let dir = try E2E.tempDir("outbox")
        let db = dir + "/h.sqlite"
        let log = dir + "/messages.log"
        // Two forwarded tickets, made through the store as the portal and an agent would.
        let store = try TicketStore(path: db)
        try store.importUnits(try UnitDirectory.load(path: E2E.repo + "/Config/units.json"))
        let context = WorkflowContext(calendar: WorkingCalendar(),
                                      templates: try NotificationTemplates.load(path: E2E.repo + "/Config/templates.vi.json"))
        func forwarded(_ phone: String) throws -> String {
            let code = try store.createTicket(NewTicket(channel: .portal, receivedAt: Date(), category: .infrastructure,
                                                        topic: .infrastructureIncident, reporter: Reporter(name: "Lê Văn Cường", phone: phone),
                                                        content: "Cây đổ chắn đường", ward: "Lê Chân"),
                                              by: Actor(.citizen, "portal"), context: context)
            try store.perform(.forward(unit: "P-LECHAN"), on: code, by: Actor(.hotline, "lan"), at: Date(), context: context)
            return code
        }
        let first = try forwarded("0977000111")
        try store.addUser(User(name: "admin", role: .administrator), by: nil, at: Date())
        try store.addUser(User(name: "sup", role: .supervisor), by: try XCTUnwrap(store.user(named: "admin")), at: Date())

        // The loop: delivers within its interval, stops cleanly on SIGTERM.
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: E2E.binary)
        worker.arguments = ["outbox", "run", "--interval", "1", "--messages-log", log, "--db", db]
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        let deadline = Date(timeIntervalSinceNow: 15)
        while Date() < deadline, (try? String(contentsOfFile: log, encoding: .utf8))?.contains(first) != true {
            Thread.sleep(forTimeInterval: 0.2)
        }
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        XCTAssertEqual(worker.terminationStatus, 0, "SIGTERM stops the worker cleanly")
        let line = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(line.contains(first) && line.contains("acknowledgement") && line.contains("*******111"), line)
        XCTAssertFalse(line.contains("0977000111") || line.contains("Cường"), "no number, no name in the log")
        XCTAssertNotNil(try store.outbox().first?.sentAt)

        // One round against a webhook nobody answers: the message waits for its retry, with the error.
        let second = try forwarded("0977000222")
        try store.close()
        let once = try E2E.execute(E2E.binary, ["outbox", "run", "--once", "--webhook", "http://127.0.0.1:9/sms", "--db", db])
        XCTAssertEqual(once.status, 0, once.stderr)
        XCTAssertTrue(once.stdout.contains("chờ gửi lại 1"), once.stdout)
        let listed = try E2E.execute(E2E.binary, ["outbox", "list", "--json", "--db", db, "--as", "sup"])
        let messages = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        let retry = try XCTUnwrap(messages.first { $0["trackingCode"] as? String == second })
        XCTAssertEqual(retry["attempts"] as? Int, 1)
        XCTAssertNil(retry["sentAt"])
        XCTAssertNotNil(retry["nextAttemptAt"], "scheduled again (back-off)")
        XCTAssertTrue((retry["lastError"] as? String ?? "").contains("webhook"), "\(retry)")
        let failed = try E2E.execute(E2E.binary, ["outbox", "list", "--failed", "--db", db, "--as", "sup"])
        XCTAssertTrue(failed.stdout.contains("Không có tin nhắn gửi thất bại."), "a retry is not a failure yet\n\(failed.stdout)")
        try? FileManager.default.removeItem(atPath: dir)
    }
}
