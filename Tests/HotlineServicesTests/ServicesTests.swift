import Foundation
import Gateway
import HotlineCore
import HotlineServices
import HotlineStore
import IVR
import XCTest

/// A logger that keeps its lines, for asserting what a service said.
final class MemoryLogger: EventLogger, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func log(_ level: LogLevel, _ event: String, _ metadata: [(String, String)]) {
        lock.lock()
        lines.append("\(level.rawValue) \(event) " + metadata.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        lock.unlock()
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}

/// The services `serve` wires, each tested alone: the phone desk, the outbox service, the dialplan watcher.
final class ServicesTests: XCTestCase {
    var dir: String!
    var store: TicketStore!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "services-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try TicketStore(path: dir + "/h.sqlite")
    }

    override func tearDownWithError() throws {
        try store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func report(_ n: Int, recording: String?) -> PhoneDraft {
        PhoneDraft(callID: "call-\(n)", callerNumber: "09120000\(n)", category: .infrastructure, confidential: true,
                   receivedAt: Date(), recordingPath: recording, recordingDurationMs: 9000, recordingSHA256: nil,
                   dialplanVersion: "test", interrupted: false)
    }

    func testThePhoneDeskFilesADraftWithItsRecordingsChecksumOffTheCallersThread() throws {
        let wav = dir + "/r.wav"
        try Data("RIFF a recording".utf8).write(to: URL(fileURLWithPath: wav))
        let desk = PhoneDesk(store: store, logger: MemoryLogger(), calendar: WorkingCalendar())
        let filed = expectation(description: "filed")
        final class Box: @unchecked Sendable { var code: String?; var onDeskQueue = false }
        let box = Box()
        desk.submit(report(1, recording: wav)) { result in
            box.code = try? result.get()
            box.onDeskQueue = !Thread.isMainThread
            filed.fulfill()
        }
        wait(for: [filed], timeout: 10)
        let code = try XCTUnwrap(box.code)
        XCTAssertTrue(box.onDeskQueue, "the store is written on the desk's own queue")
        let t = try XCTUnwrap(store.ticket(code))
        XCTAssertEqual(t.category, .infrastructure)
        XCTAssertEqual(t.reporter.phone, "091200001")
        XCTAssertEqual(t.attachments.first?.sha256, try SHA256.hexOfFile(atPath: wav))
        // The same recording filed again (a recovery after a crash) gives the first code back.
        XCTAssertEqual(try desk.store(report(1, recording: wav)).get(), code)
    }

    /// Issue 17 §5: drafts submitted while the desk is busy are stored together, one transaction for the
    /// group, each with its own tracking code and its own completion after the commit.
    func testDraftsWaitingOnTheDeskAreCommittedTogetherEachWithItsOwnCode() throws {
        let desk = PhoneDesk(store: store, logger: MemoryLogger(), calendar: WorkingCalendar(), maxGroup: 64)
        let gate = DispatchSemaphore(value: 0)
        final class Sizes: @unchecked Sendable { let lock = NSLock(); var sizes: [Int] = []; var codes: [String] = [] }
        let seen = Sizes()
        desk.beforeGroupStored = { size in
            seen.lock.lock()
            let first = seen.sizes.isEmpty
            seen.sizes.append(size)
            seen.lock.unlock()
            if first { gate.wait() }  // the first group holds the desk until every caller has pressed "send"
        }
        let n = 40
        let done = DispatchGroup()
        for i in 0..<n {
            let wav = dir + "/r\(i).wav"
            try Data("RIFF recording \(i)".utf8).write(to: URL(fileURLWithPath: wav))
            done.enter()
            let draft = report(100 + i, recording: wav)
            DispatchQueue.global().async {
                desk.submit(draft) { result in
                    seen.lock.lock()
                    if let code = try? result.get() { seen.codes.append(code) }
                    seen.lock.unlock()
                    done.leave()
                }
            }
        }
        // Every submit has reached the desk when all n are waiting or being stored.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            seen.lock.lock()
            let started = !seen.sizes.isEmpty
            seen.lock.unlock()
            if started { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        Thread.sleep(forTimeInterval: 0.3)
        gate.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success)
        XCTAssertEqual(seen.codes.count, n, "every caller gets a code")
        XCTAssertEqual(Set(seen.codes).count, n, "each its own")
        for code in seen.codes { XCTAssertNotNil(try store.ticket(code), code) }
        XCTAssertEqual(seen.sizes.reduce(0, +), n)
        XCTAssertLessThanOrEqual(desk.draftCommits, 3, "groups, not one transaction per draft: \(seen.sizes)")
        XCTAssertEqual(desk.draftCommits, seen.sizes.count)
    }

    func testThePhoneDeskSpeaksAStatusWithoutPersonalData() throws {
        let desk = PhoneDesk(store: store, logger: MemoryLogger(), calendar: WorkingCalendar())
        let code = try desk.store(report(2, recording: nil)).get()
        let heard = expectation(description: "status")
        final class Box: @unchecked Sendable { var spoken: SpokenStatus? }
        let box = Box()
        desk.lookup(.code(code), callerNumber: "") { box.spoken = $0; heard.fulfill() }
        wait(for: [heard], timeout: 10)
        XCTAssertEqual(box.spoken, .waiting)
        let latest = expectation(description: "latest")
        desk.lookup(.latestForCaller, callerNumber: "0999999999") { box.spoken = $0; latest.fulfill() }
        wait(for: [latest], timeout: 10)
        XCTAssertEqual(box.spoken, .notFound, "a stranger's number finds nothing")
    }

    /// Art. 8.5b by phone: the caller's key stored as the citizen's rating; a second one refused by the store.
    func testThePhoneDeskStoresACallersRatingOnceAsTheCitizen() throws {
        let configDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config").path
        try store.importUnits(try UnitDirectory.load(path: configDir + "/units.json"))
        let context = WorkflowContext(calendar: WorkingCalendar(), templates: try NotificationTemplates.load(path: configDir + "/templates.vi.json"))
        let start = Date().addingTimeInterval(-3 * 3600)
        let code = try store.createTicket(NewTicket(channel: .portal, receivedAt: start, category: .socioeconomic, topic: .fieldReport,
                                                    reporter: Reporter(name: "An", phone: "0912345678"), content: "Rác", summary: "Rác",
                                                    ward: "Lê Chân"),
                                          by: Actor(.citizen, "portal"), context: context)
        let open = try store.createTicket(NewTicket(channel: .portal, receivedAt: start, category: .socioeconomic, topic: .fieldReport,
                                                    reporter: Reporter(name: "An", phone: "0912345678"), content: "Ồn", summary: "Ồn",
                                                    ward: "Lê Chân"),
                                          by: Actor(.citizen, "portal"), context: context)
        let agent = Actor(.hotline, "lan"), unit = Actor(.unit, "le-chan-1")
        try store.perform(.forward(unit: "P-LECHAN"), on: code, by: agent, at: start.addingTimeInterval(600), context: context)
        try store.perform(.accept, on: code, by: unit, at: start.addingTimeInterval(700), context: context)
        let photo = dir + "/photo.jpg"
        try Data("JPEG".utf8).write(to: URL(fileURLWithPath: photo))
        try store.addAttachment(code, kind: .photo, path: photo, by: unit, at: start.addingTimeInterval(3600))
        try store.perform(.resolve(result: "Đã thu gom", evidenceCount: 0), on: code, by: unit, at: start.addingTimeInterval(3600), context: context)
        try store.perform(.confirm, on: code, by: agent, at: start.addingTimeInterval(4000), context: context)

        let logger = MemoryLogger()
        let desk = PhoneDesk(store: store, logger: logger, calendar: WorkingCalendar())
        func rate(_ query: StatusQuery, _ score: Int, caller: String = "0912345678") -> Bool {
            let done = expectation(description: "rated")
            final class Box: @unchecked Sendable { var accepted: Bool? }
            let box = Box()
            desk.rate(query, score: score, callerNumber: caller) { box.accepted = $0; done.fulfill() }
            wait(for: [done], timeout: 10)
            return box.accepted!
        }
        XCTAssertTrue(rate(.code(code), 4))
        XCTAssertEqual(try store.ticket(code)?.rating, 4)
        let audit = try XCTUnwrap(store.history(code).last)
        XCTAssertEqual(audit.action, "rate")
        XCTAssertEqual(audit.actor, "citizen:citizen", "the citizen rated, no agent typed it in")
        XCTAssertFalse(rate(.code(code), 1), "one rating per result: the second is refused")
        XCTAssertEqual(try store.ticket(code)?.rating, 4, "and the first kept")
        XCTAssertFalse(rate(.code(open), 5), "a ticket not completed is not rated")
        XCTAssertNil(try store.ticket(open)?.rating)
        XCTAssertFalse(rate(.latestForCaller, 5, caller: "0999999999"), "a stranger's number finds nothing to rate")
        XCTAssertFalse(rate(.code("20260101-9999999"), 5))
        XCTAssertTrue(logger.all.contains { $0.hasPrefix("info rating-refused") })
        XCTAssertFalse(logger.all.joined().contains("0912345678"), "no caller number in the log")
    }

    func testTheOutboxServiceDeliversARoundAndLogsCountsOnly() throws {
        struct Collecting: MessageSender {
            let sink: Sink
            var channel: String { "test" }
            func send(_ message: OutboxMessage) throws -> SendOutcome {
                sink.add(message.body)
                return .accepted(reference: nil, awaitsReport: false)
            }
        }
        final class Sink: @unchecked Sendable {
            private let lock = NSLock()
            private var bodies: [String] = []
            func add(_ b: String) { lock.lock(); bodies.append(b); lock.unlock() }
            var all: [String] { lock.lock(); defer { lock.unlock() }; return bodies }
        }
        let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config/templates.vi.json").path
        let context = WorkflowContext(calendar: WorkingCalendar(), templates: try NotificationTemplates.load(path: config))
        let code = try store.createTicket(NewTicket(channel: .portal, receivedAt: Date(), category: .socioeconomic, topic: .fieldReport,
                                                    reporter: Reporter(name: "An", phone: "0912345678"), content: "Rác"),
                                          by: Actor(.citizen, "portal"), context: context)
        try store.perform(.refuse(reason: "Ngoài phạm vi"), on: code, by: Actor(.hotline, "lan"), at: Date(), context: context)
        let sink = Sink()
        let logger = MemoryLogger()
        let service = try OutboxService(database: store.path, senders: [Collecting(sink: sink)], intervalSeconds: 1, logger: logger)
        let round = try XCTUnwrap(service.round())
        service.stop()
        XCTAssertEqual(round.sent, 1)
        XCTAssertTrue(sink.all[0].contains("Ngoài phạm vi"))
        XCTAssertTrue(logger.all.contains { $0.hasPrefix("info outbox-round sent=1") }, "\(logger.all)")
        XCTAssertFalse(logger.all.joined().contains("0912345678"), "no number in the log")
    }

    func testTheDialplanWatcherSeesAFileReplaced() throws {
        let file = dir + "/plan.json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: file))
        let changed = expectation(description: "changed")
        changed.assertForOverFulfill = false
        let watcher = DialplanWatcher(paths: [file], queue: DispatchQueue(label: "watch")) { changed.fulfill() }
        defer { watcher.stop() }
        Thread.sleep(forTimeInterval: 1.1)
        // Written beside and renamed over, as `dialplan install` does: a new file, a new modification time.
        try Data("{\"v\": 2}".utf8).write(to: URL(fileURLWithPath: file + ".new"))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: file + ".new")
        XCTAssertEqual(rename(file + ".new", file), 0)
        wait(for: [changed], timeout: 5)
    }
}
