import Foundation
import HotlineCore
import StoreTestSupport
import XCTest

@testable import HotlineStore

/// A PostgreSQL server that dies and comes back (a crash, a restart, a failover behind a multi-host string):
/// the store opens its connection again by itself, the step cut off runs again once, and nothing is lost or
/// filed twice. Always on a real PostgreSQL, whichever store the other suites use.
final class PostgresReconnectTests: XCTestCase {
    func draft(_ n: Int, recording: String? = nil) -> PhoneDraft {
        PhoneDraft(callID: "call-\(n)", callerNumber: "09120000\(n)", category: .infrastructure, confidential: nil,
                   receivedAt: Date(), recordingPath: recording, recordingDurationMs: 1000,
                   recordingSHA256: recording.map { _ in String(repeating: "b", count: 64) }, dialplanVersion: "t",
                   interrupted: false)
    }

    func testTheStoreReconnectsAfterTheServerCrashedAndLosesNothing() throws {
        let server = try PostgresServer.shared()
        let url = try server.createDatabase()
        let store = try TicketStore(path: url)
        defer { try? store.close() }
        let first = try store.createPhoneDraft(draft(1, recording: "/rec/1.wav"))
        XCTAssertEqual(try store.holdLock(TicketStore.outboxLockKey), true)

        try server.crashAndRestart()

        // The first statement after the crash finds the connection broken and opens a new one.
        let second = try store.createPhoneDraft(draft(2, recording: "/rec/2.wav"))
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(try store.draftQueue().map(\.trackingCode).sorted(), [first, second].sorted())
        // The same recording filed again (a retry whose first commit did land) keeps its first code.
        XCTAssertEqual(try store.createPhoneDraft(draft(2, recording: "/rec/2.wav")), second)
        XCTAssertEqual(try store.draftQueue().count, 2)
        // The outbox lock lived on the old session: it is taken again on the new one, not assumed.
        let other = try TicketStore(path: url)
        defer { try? other.close() }
        XCTAssertEqual(try store.holdLock(TicketStore.outboxLockKey), true)
        XCTAssertEqual(try other.holdLock(TicketStore.outboxLockKey), false, "one holder across connections")
    }

    func testAStoreWhoseServerIsGoneSaysSoAndWorksWhenItIsBack() throws {
        let server = try PostgresServer.shared()
        let url = try server.createDatabase()
        let store = try TicketStore(path: url)
        defer { try? store.close() }
        _ = try store.createPhoneDraft(draft(1))
        try server.crashAndRestart(downSeconds: 0)
        // Down and up again before the next statement: nothing to see. Now a read after another crash.
        try server.crashAndRestart(downSeconds: 0)
        XCTAssertEqual(try store.draftQueue().count, 1)
    }

    /// Issue 24's failover: the server stays away across several statements (the primary stopped, the standby
    /// not yet promoted). Each says the database is out of reach, a PostgreSQL error the desk knows to wait
    /// for, never SQLite's "misuse" from a connection left half-open by a reconnect that failed; and the first
    /// statement once the server is back works.
    func testAServerAwayForSeveralStatementsIsReachedAgainWhenItIsBack() throws {
        let server = try PostgresServer.shared()
        let url = try server.createDatabase()
        let store = try TicketStore(path: url)
        defer { try? store.close() }
        _ = try store.createPhoneDraft(draft(1))
        try server.crash()
        var restarted = false
        defer { if !restarted { try? server.restart() } }
        for n in 2...4 {
            let result = store.createPhoneDrafts([draft(n)])
            XCTAssertTrue(TicketStore.isUnreachable(result[0]), "attempt \(n): \(result[0])")
            XCTAssertThrowsError(try store.draftQueue()) { error in
                XCTAssertTrue((error as? PostgreSQLError)?.isConnectionLost == true, "\(error)")
            }
        }
        try server.restart()
        restarted = true
        let code = try store.createPhoneDraft(draft(5))
        XCTAssertTrue(TrackingCode.isValid(code), code)
        XCTAssertEqual(try store.draftQueue().count, 2, "the one before the outage and the one after it")
    }
}
