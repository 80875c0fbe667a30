import Foundation
import Gateway
import HotlineCore
import HotlineServices
import HotlineStore
import IVR
import XCTest

/// A logger that keeps its lines, for asserting what a service said.
final class MemoryLogger: GatewayLogger, @unchecked Sendable {
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

    func testTheOutboxServiceDeliversARoundAndLogsCountsOnly() throws {
        struct Collecting: NotificationSender {
            let sink: Sink
            func send(_ message: OutboxMessage) throws { sink.add(message.body) }
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
        let service = try OutboxService(database: store.path, sender: Collecting(sink: sink), intervalSeconds: 1, logger: logger)
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
