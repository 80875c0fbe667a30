import Foundation
import HotlineCore
import StoreTestSupport
import XCTest

@testable import HotlineStore

final class TicketStoreTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func draft(_ caller: String, at: Date, recording: String? = nil, category: HotlineCore.Category? = .infrastructure)
        -> PhoneDraft
    {
        PhoneDraft(callID: UUID().uuidString, callerNumber: caller, category: category, confidential: nil,
                   receivedAt: at, recordingPath: recording, recordingDurationMs: 4200,
                   recordingSHA256: recording.map { _ in String(repeating: "a", count: 64) },
                   dialplanVersion: "t1", interrupted: false)
    }

    func testCodesAreSequentialAndCarryTheVietnamDate() throws {
        let store = try TicketStore(path: try TestStore.location(in: dir))
        defer { try? store.close() }
        // 2026-11-22 18:30 UTC is already the 23rd in Hải Phòng (UTC+7).
        let evening = ISO8601DateFormatter().date(from: "2026-11-22T18:30:00Z")!
        let a = try store.createPhoneDraft(draft("0912000001", at: evening))
        let b = try store.createPhoneDraft(draft("0912000002", at: evening.addingTimeInterval(60)))
        XCTAssertEqual(a, "20261123-0000001")
        XCTAssertEqual(b, "20261123-0000002")
        XCTAssertTrue(TrackingCode.isValid(a))
        XCTAssertEqual(try store.schemaVersion(), Migrations.steps.count)
    }

    /// A store dropped without `close()` closes its database: the last connection's close checkpoints the WAL and
    /// removes it, which it would not do while a statement kept the connection alive.
    func testAStoreDroppedWithoutClosingClosesItsDatabase() throws {
        let path = dir + "/h.sqlite"
        weak var dropped: TicketStore?
        do {
            let store = try TicketStore(path: path)
            _ = try store.createPhoneDraft(draft("0912000001", at: Date()))
            _ = try store.draftQueue()
            XCTAssertTrue(FileManager.default.fileExists(atPath: path + "-wal"), "an open WAL database has its log")
            dropped = store
        }
        XCTAssertNil(dropped)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"),
                       "the connection was closed when its store went: its write-ahead log is checkpointed and gone")
        let again = try TicketStore(path: path)
        defer { try? again.close() }
        XCTAssertEqual(try again.draftQueue().count, 1)
    }

    func testTheSequenceSurvivesReopeningAndTwoConnectionsNeverShareACode() throws {
        let path = try TestStore.location(in: dir)
        let now = Date()
        var codes: Set<String> = []
        do {
            let first = try TicketStore(path: path)
            codes.insert(try first.createPhoneDraft(draft("1", at: now)))
            try first.close()
        }
        let one = try TicketStore(path: path)
        let two = try TicketStore(path: path)
        final class Codes: @unchecked Sendable {
            let lock = NSLock()
            var all: Set<String> = []
            func add(_ c: String) { lock.lock(); all.insert(c); lock.unlock() }
        }
        let collected = Codes()
        let drafts = (0..<2).map { i in (0..<50).map { n in draft("\(i)-\(n)", at: now) } }
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let store = i == 0 ? one : two
            for d in drafts[i] { collected.add(try! store.createPhoneDraft(d)) }
        }
        codes.formUnion(collected.all)
        XCTAssertEqual(codes.count, 101, "every draft got its own code")
        XCTAssertEqual(try one.draftQueue().count, 101)
        try one.close()
        try two.close()
    }

    func testQueueIsOldestFirstWithTheRecording() throws {
        let store = try TicketStore(path: dir + "/h.sqlite")
        defer { try? store.close() }
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try store.createPhoneDraft(draft("0900000002", at: t0.addingTimeInterval(120), recording: dir + "/b.wav"))
        _ = try store.createPhoneDraft(draft("0900000001", at: t0, recording: dir + "/a.wav", category: nil))
        let queue = try store.draftQueue()
        XCTAssertEqual(queue.map(\.callerNumber), ["0900000001", "0900000002"])
        XCTAssertNil(queue[0].category)
        XCTAssertEqual(queue[0].recordingPath, dir + "/a.wav")
        XCTAssertEqual(queue[0].recordingDurationMs, 4200)
        XCTAssertEqual(queue[1].recordingSHA256?.count, 64)
    }

    func testFilingTheSameRecordingTwiceReturnsTheFirstCode() throws {
        let store = try TicketStore(path: dir + "/h.sqlite")
        defer { try? store.close() }
        let d = draft("0900000009", at: Date(), recording: dir + "/x.wav")
        let first = try store.createPhoneDraft(d)
        XCTAssertEqual(try store.createPhoneDraft(d), first)
        XCTAssertEqual(try store.draftQueue().count, 1)
    }

    func testPhoneStatusAndLatestForCaller() throws {
        let store = try TicketStore(path: dir + "/h.sqlite")
        defer { try? store.close() }
        let t0 = Date()
        let old = try store.createPhoneDraft(draft("0912345678", at: t0.addingTimeInterval(-7200)))
        let new = try store.createPhoneDraft(draft("0912345678", at: t0))
        XCTAssertEqual(try store.latestTrackingCode(callerNumber: "0912345678"), new)
        XCTAssertNil(try store.latestTrackingCode(callerNumber: "0999999999"))
        XCTAssertEqual(try store.phoneStatus(trackingCode: new, now: t0)?.status, .draft)
        XCTAssertEqual(try store.phoneStatus(trackingCode: new, now: t0)?.overdue, false)
        XCTAssertEqual(try store.phoneStatus(trackingCode: old, now: t0)?.overdue, true, "60 minutes for an agent (Art. 7.1)")
        XCTAssertNil(try store.phoneStatus(trackingCode: "20990101-0000001", now: t0))
    }

    func testTheAuditLogIsAppendOnly() throws {
        let path = dir + "/h.sqlite"
        let store = try TicketStore(path: path)
        _ = try store.createPhoneDraft(draft("0911", at: Date()))
        try store.close()
        let db = try Connection(path: path)
        XCTAssertEqual(try db.prepare("SELECT count(*) FROM audit_log").query { $0.int(0) }, [1])
        XCTAssertThrowsError(try db.execute("UPDATE audit_log SET actor = 'someone else'")) { error in
            XCTAssertTrue("\(error)".contains("append-only"), "\(error)")
        }
        XCTAssertThrowsError(try db.execute("DELETE FROM audit_log"))
        XCTAssertEqual(try db.prepare("PRAGMA journal_mode").query { $0.text(0) }, ["wal"])
        try db.close()
    }
}

final class MigrationTests: XCTestCase {
    /// A database written by schema version 1 (the first gateway release) opens, upgrades, and keeps its drafts.
    func testAVersion1DatabaseUpgradesInPlace() throws {
        let dir = NSTemporaryDirectory() + "migrate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/h.sqlite"
        let old = try Connection(path: path)
        try old.transaction {
            try old.execute(Migrations.steps[0])
            try old.execute("PRAGMA user_version = 1")
            try old.execute("""
                UPDATE sequences SET last = 7;
                INSERT INTO tickets (tracking_code, channel, status, caller_number, received_at, due_at, created_at, updated_at)
                VALUES ('20260610-0000007', 'phone', 'draft', '0912', 1781060000, 1781063600, 1781060000, 1781060000);
                """)
        }
        try old.close()
        let store = try TicketStore(path: path)
        defer { try? store.close() }
        XCTAssertEqual(try store.schemaVersion(), Migrations.steps.count)
        XCTAssertEqual(try store.draftQueue().map(\.trackingCode), ["20260610-0000007"])
        XCTAssertEqual(try store.tally(from: Date(timeIntervalSince1970: 0), to: Date(), asOf: Date()).inProgress, 1,
                       "the counters are backfilled from the tickets already there")
        let t = try XCTUnwrap(store.ticket("20260610-0000007"))
        XCTAssertEqual(t.reporter.phone, "0912")
        XCTAssertTrue(try store.createPhoneDraft(PhoneDraft(
            callID: "c", callerNumber: "0913", category: nil, confidential: nil, receivedAt: Date(timeIntervalSince1970: 1781060100),
            recordingPath: nil, recordingDurationMs: 0, recordingSHA256: nil, dialplanVersion: "v", interrupted: false))
            .hasSuffix("-0000008"), "the sequence carries on")
    }

    func testANewerDatabaseIsRefusedNotDamaged() throws {
        let path = NSTemporaryDirectory() + "newer-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try Connection(path: path)
        try c.execute("PRAGMA user_version = 99")
        try c.close()
        XCTAssertThrowsError(try TicketStore(path: path)) { XCTAssertTrue("\($0)".contains("newer than this program"), "\($0)") }
    }
}

/// The store's SQL as PostgreSQL reads it.
final class PostgresDialectTests: XCTestCase {
    func testPlaceholdersAreNumberedOutsideQuotesAndNumberedOnesKeepTheirNumber() {
        XCTAssertEqual(numberedPlaceholders("SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)"),
                       "SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)")
        XCTAssertEqual(numberedPlaceholders("c.expires_at > ?1 UNION c.expires_at > ?1 LIMIT ?12"),
                       "c.expires_at > $1 UNION c.expires_at > $1 LIMIT $12")
        XCTAssertEqual(PostgresDialect.translate("SELECT * FROM tickets t INDEXED BY tickets_queue WHERE x = ?"),
                       "SELECT * FROM tickets t WHERE x = $1")
    }
}
