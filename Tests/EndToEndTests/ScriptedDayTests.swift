import Foundation
import HotlineCore
import XCTest

/// Issue 5's scripted day: three calls placed with SIPp become three drafts; two agents race for one; the
/// agents complete, refuse and link them; the unit extends and resolves with a photo; the hotline confirms;
/// the outbox and the weekly report show exactly what happened. Every step runs the real command line.
final class ScriptedDayTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testADayAtTheHotline() throws {
        let gateway = try GatewayProcess.start(name: "day")
        defer { gateway.stop() }
        let cli = CaseCLI(database: gateway.database)

        // Three citizens call within a few seconds (in this order, so the third can be linked to the first).
        let callers = ["0911000001", "0911000002", "0911000003"]
        let runs = try callers.map { caller -> SIPpRun in
            defer { Thread.sleep(forTimeInterval: 1.5) }
            return try SIPp.start("voice-report.xml", gateway: gateway, caller: caller)
        }
        for run in runs {
            XCTAssertTrue(run.wait(timeout: 100), "sipp was killed\n\(run.report)\n\(gateway.log)")
            XCTAssertEqual(run.process.terminationStatus, 0, "\(run.report)\n\(gateway.log)")
        }
        XCTAssertTrue(gateway.waitForLog("event=draft-submitted", count: 3, timeout: 15), gateway.log)
        let drafts = try gateway.drafts()
        XCTAssertEqual(drafts.count, 3, "three calls, three drafts\n\(gateway.log)")
        let code = Dictionary(uniqueKeysWithValues: drafts.map { ($0.callerNumber, $0.trackingCode) })
        let (a, b, c) = (try XCTUnwrap(code[callers[0]]), try XCTUnwrap(code[callers[1]]), try XCTUnwrap(code[callers[2]]))

        // The people of the day, added by the administrator the harness made.
        try cli.ok(["users", "add", "lan", "--role", "agent", "--display-name", "Nguyễn Thị Lan"], as: "e2e-admin")
        try cli.ok(["users", "add", "minh", "--role", "agent"], as: "e2e-admin")
        try cli.ok(["users", "add", "hoa", "--role", "unit", "--unit", "P-LECHAN"], as: "e2e-admin")
        try cli.ok(["users", "add", "sup", "--role", "supervisor"], as: "e2e-admin")

        // The queue shows all three with their time left, none claimed.
        let queue = try cli.ok(["agent", "queue"], as: "lan")
        for code in [a, b, c] { XCTAssertTrue(queue.contains(code), queue) }
        XCTAssertTrue(queue.contains("còn 5") || queue.contains("còn 6"), "60 minutes less the call\n\(queue)")

        // Two agents race to claim the first call: exactly one wins, the other is told who holds it.
        let race = try cli.concurrently([["agent", "claim", a], ["agent", "claim", a]], as: ["lan", "minh"])
        let winners = race.enumerated().filter { $0.element.status == 0 }
        XCTAssertEqual(winners.count, 1, "\(race.map { "\($0.status) \($0.stdout) \($0.stderr)" })")
        let winner = ["lan", "minh"][winners[0].offset]
        let loser = winner == "lan" ? "minh" : "lan"
        let lost = race[1 - winners[0].offset]
        XCTAssertEqual(lost.status, 1)
        XCTAssertTrue(lost.stderr.contains("đang do \(winner) nhận xử lý"), lost.stderr)
        XCTAssertTrue(try cli.ok(["agent", "queue"], as: loser).contains(winner), "the queue names the holder")

        // The loser cannot complete it; the winner looks at it, listens, and completes it.
        let complete = ["agent", "complete", a, "--name", "Nguyễn Văn An", "--address", "12 Lạch Tray",
                        "--summary", "Đèn đường ngõ 12 Lạch Tray không sáng", "--category", "infrastructure",
                        "--topic", "infrastructure_incident", "--ward", "Lê Chân"]
        let denied = try cli.run(complete, as: loser)
        XCTAssertEqual(denied.status, 1)
        XCTAssertTrue(denied.stderr.contains("đang do \(winner) nhận xử lý"), denied.stderr)
        let shown = try cli.ok(["agent", "show", a], as: winner)
        XCTAssertTrue(shown.contains("đã kiểm tra, khớp"), "the recording's SHA-256 is checked\n\(shown)")
        XCTAssertTrue(shown.contains(callers[0]), shown)
        let exported = gateway.dir + "/a.wav"
        try cli.ok(["agent", "listen", a, "--out", exported], as: winner)
        XCTAssertEqual(try SHA256.hexOfFile(atPath: exported), drafts.first { $0.trackingCode == a }?.recordingSHA256)
        XCTAssertTrue(try cli.ok(complete, as: winner).contains("P-LECHAN"), "the ward's unit, from the directory")

        // The second call is refused with a reason; the third is the same matter as the first: linked.
        try cli.ok(["agent", "claim", b], as: loser)
        try cli.ok(["agent", "refuse", b, "--reason", "Nội dung là khiếu nại, đề nghị gửi Ban Tiếp công dân thành phố"], as: loser)
        let wrongWord = try cli.run(["agent", "link", c, "--recurrence-of", a], as: winner)
        XCTAssertEqual(wrongWord.status, 1, "the first report is still open: a duplicate, not a recurrence")
        XCTAssertTrue(wrongWord.stderr.contains("liên kết là trùng"), wrongWord.stderr)
        try cli.ok(["agent", "link", c, "--duplicate-of", a], as: winner)
        XCTAssertFalse(try cli.ok(["agent", "queue"], as: winner).contains(a), "nothing left for the hotline")

        // Permissions: an agent cannot act for the unit; the unit cannot see another unit; nor work the hotline.
        XCTAssertEqual(try cli.run(["unit", "accept", a], as: winner).status, 77)
        XCTAssertEqual(try cli.run(["unit", "inbox", "SXD"], as: "hoa").status, 77)
        XCTAssertEqual(try cli.run(["agent", "queue"], as: "hoa").status, 77)
        XCTAssertEqual(try cli.run(["review", "confirm", a], as: "hoa").status, 77)
        XCTAssertEqual(try cli.run(["users", "add", "x", "--role", "agent"], as: "lan").status, 77)

        // The unit accepts, extends with minutes and a date, and resolves with an on-site photo.
        XCTAssertTrue(try cli.ok(["unit", "inbox", "P-LECHAN"], as: "hoa").contains(a))
        try cli.ok(["unit", "accept", a], as: "hoa")
        let minutes = gateway.dir + "/bien-ban.pdf"
        let photo = gateway.dir + "/hien-truong.jpg"
        try Data("%PDF biên bản kiểm tra".utf8).write(to: URL(fileURLWithPath: minutes))
        try Data("JPEG ảnh hiện trường".utf8).write(to: URL(fileURLWithPath: photo))
        let until = Self.vietnamDay(Date().addingTimeInterval(3 * 86400))
        let noEvidence = try cli.run(["unit", "extend", a, "--until", until, "--note", "Chờ thay bóng"], as: "hoa")
        XCTAssertEqual(noEvidence.status, 1)
        XCTAssertTrue(noEvidence.stderr.contains("Art. 8.2e"), noEvidence.stderr)
        try cli.ok(["unit", "extend", a, "--until", until, "--note", "Chờ thay bóng", "--evidence", minutes], as: "hoa")
        let result = "Đã thay bóng đèn LED mới cho cột đèn ngõ 12, đèn sáng bình thường"
        let wordless = try cli.run(["unit", "resolve", a, "--evidence", photo], as: "hoa")
        XCTAssertEqual(wordless.status, 64, "a result says what was done")
        XCTAssertTrue(wordless.stderr.contains("--note"), wordless.stderr)
        let bare = try cli.run(["unit", "resolve", a, "--note", result], as: "hoa")
        XCTAssertEqual(bare.status, 1)
        XCTAssertTrue(bare.stderr.contains("Art. 8.1c"), bare.stderr)
        try cli.ok(["unit", "resolve", a, "--note", result, "--evidence", photo], as: "hoa")

        // The hotline confirms.
        let pending = try cli.ok(["review", "pending"], as: "sup")
        XCTAssertTrue(pending.contains(a) && pending.contains("Đã thay bóng đèn LED"), "review shows the result text\n\(pending)")
        XCTAssertTrue(try cli.ok(["ticket", "show", a], as: "sup").contains("Chờ thay bóng"), "the extension's note shows")
        try cli.ok(["review", "confirm", a], as: "sup")
        let ticket = try cli.json(["ticket", "show", a, "--json"], as: "lan")
        XCTAssertEqual(ticket["status"] as? String, "completed")
        XCTAssertEqual(ticket["unitCode"] as? String, "P-LECHAN")
        let attachments = try XCTUnwrap(ticket["attachments"] as? [[String: Any]])
        XCTAssertEqual(attachments.compactMap { $0["kind"] as? String }.sorted(), ["document", "photo", "recording"])
        for attachment in attachments {
            let path = try XCTUnwrap(attachment["path"] as? String)
            XCTAssertEqual(try SHA256.hexOfFile(atPath: path), attachment["sha256"] as? String, path)
        }

        // The history names each person.
        let history = try cli.json(["ticket", "history", a, "--json"], as: "lan", array: true)
        let steps = (history["items"] as? [[String: Any]] ?? []).map { "\($0["actor"] ?? ""):\($0["action"] ?? "")" }
        XCTAssertEqual(steps, ["gateway:create", "hotline:\(winner):claim", "hotline:\(winner):export-recording", "hotline:\(winner):edit", "hotline:\(winner):forward",
                               "unit:hoa:accept", "unit:hoa:attach", "unit:hoa:extend", "unit:hoa:attach", "unit:hoa:resolve",
                               "hotline:sup:confirm"])

        // The outbox, delivered by serve's worker: acknowledgement and result of A, refusal of B, duplicate of C.
        var sent: [[String: Any]] = []
        let deadline = Date(timeIntervalSinceNow: 20)
        repeat {
            sent = (try cli.json(["outbox", "list", "--json"], as: "sup", array: true)["items"] as? [[String: Any]] ?? [])
            if sent.count == 4, sent.allSatisfy({ $0["sentAt"] != nil }) { break }
            Thread.sleep(forTimeInterval: 0.5)
        } while Date() < deadline
        let kinds = sent.compactMap { m -> String? in
            guard let code = m["trackingCode"] as? String, let kind = m["kind"] as? String, m["sentAt"] != nil else { return nil }
            return "\(code):\(kind)"
        }.sorted()
        XCTAssertEqual(kinds, ["\(a):acknowledgement", "\(a):result", "\(b):refusal", "\(c):duplicate"].sorted(), gateway.log)
        XCTAssertEqual(try cli.ok(["outbox", "list", "--failed"], as: "sup").trimmingCharacters(in: .whitespacesAndNewlines),
                       "Không có tin nhắn gửi thất bại.")
        let log = try String(contentsOfFile: gateway.dir + "/messages.log", encoding: .utf8)
        let lines = log.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, log)
        XCTAssertTrue(log.contains("Ban Tiếp công dân"), "the refusal carries its reason")
        XCTAssertTrue(log.contains("Đã thay bóng đèn LED mới"), "the result message carries the unit's result")
        XCTAssertFalse(log.contains("Nguyễn Văn An") || log.contains("0911000001"), "no name, no full number\n\(log)")
        XCTAssertFalse(gateway.log.contains("Nguyễn Văn An") || gateway.log.contains("Lạch Tray"), "no personal data in the log")

        // The weekly report counts exactly that day: 3 phone reports, 1 completed on time, 1 refused, 1 merged.
        let report = try cli.json(["report", "weekly", "--format", "json"], as: nil)
        let week = try XCTUnwrap(report["week"] as? [String: Any])
        XCTAssertEqual(week["total"] as? Int, 3)
        XCTAssertEqual(week["completed"] as? Int, 1)
        XCTAssertEqual(week["completedLate"] as? Int, 0)
        XCTAssertEqual(week["refused"] as? Int, 1)
        XCTAssertEqual(week["merged"] as? Int, 1)
        XCTAssertEqual(week["inProgress"] as? Int, 0)
        let channels = try XCTUnwrap(report["byChannel"] as? [[String: Any]])
        XCTAssertEqual(channels.first { ($0["count"] as? Int ?? 0) > 0 }?["count"] as? Int, 3)
        XCTAssertEqual(channels.filter { ($0["count"] as? Int ?? 0) > 0 }.count, 1, "every report came by phone")

        // The citizen rates the result 2/5 by phone; the hotline reopens it and it is back with the unit.
        let six = try cli.run(["review", "rate", a, "--score", "6"], as: "lan")
        XCTAssertEqual(six.status, 1)
        XCTAssertTrue(six.stderr.contains("--score"), six.stderr)
        try cli.ok(["review", "rate", a, "--score", "2", "--comment", "Đèn lại tắt sau hai ngày"], as: "lan")
        let twice = try cli.run(["review", "rate", a, "--score", "4"], as: "lan")
        XCTAssertEqual(twice.status, 1, "a second rating is refused, not overwriting the first")
        XCTAssertTrue(twice.stderr.contains("đã được đánh giá 2/5"), twice.stderr)
        XCTAssertEqual(try cli.json(["ticket", "show", a, "--public", "--json"], as: nil)["rating"] as? Int, 2)
        try cli.ok(["review", "reopen", a, "--reason", "Người dân báo đèn lại tắt"], as: "lan")
        XCTAssertTrue(try cli.ok(["unit", "inbox", "P-LECHAN"], as: "hoa").contains(a), "reopened: back with the unit")
        XCTAssertEqual(gateway.stop(), 0, gateway.log)
    }

    static func vietnamDay(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: date)
    }
}

/// The case commands against one database, as a given user, with the shipped data files.
struct CaseCLI {
    let database: String

    func arguments(_ args: [String], as user: String?) -> [String] {
        args + ["--db", database] + (user.map { ["--as", $0, "--config-dir", E2E.repo + "/Config"] } ?? [])
    }

    func run(_ args: [String], as user: String?) throws -> E2E.Output {
        let out = try E2E.execute(E2E.binary, arguments(args, as: user), timeout: 30)
        XCTAssertFalse(out.timedOut, "hotline1022 \(args.joined(separator: " ")) did not finish in 30 s")
        return out
    }

    /// Runs a command that must succeed; returns what it printed.
    @discardableResult
    func ok(_ args: [String], as user: String?, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let out = try run(args, as: user)
        guard out.status == 0 else {
            XCTFail("hotline1022 \(args.joined(separator: " ")) --as \(user ?? "-") exited \(out.status): \(out.stderr)",
                    file: file, line: line)
            throw CancellationError()
        }
        return out.stdout
    }

    /// A command's --json output as an object (or, with `array`, wrapped as {"items": [...]}).
    func json(_ args: [String], as user: String?, array: Bool = false, file: StaticString = #filePath,
              line: UInt = #line) throws -> [String: Any] {
        let text = try ok(args, as: user, file: file, line: line)
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        if array { return ["items": value] }
        return try XCTUnwrap(value as? [String: Any], text, file: file, line: line)
    }

    /// Starts the commands at the same moment and waits for all of them.
    func concurrently(_ commands: [[String]], as users: [String]) throws -> [E2E.Output] {
        final class Results: @unchecked Sendable { var items: [E2E.Output?]; init(_ n: Int) { items = Array(repeating: nil, count: n) } }
        let results = Results(commands.count)
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for (i, command) in commands.enumerated() {
            let args = arguments(command, as: users[i])
            DispatchQueue.global().async(group: group) {
                start.wait()
                results.items[i] = try? E2E.execute(E2E.binary, args, timeout: 30)
            }
        }
        for _ in commands { start.signal() }
        group.wait()
        return try results.items.map { try XCTUnwrap($0) }
    }
}
