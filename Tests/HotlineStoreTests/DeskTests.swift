import Foundation
import HotlineCore
import XCTest

@testable import HotlineStore

/// Issue 5 at the store: users, claims, the agent's completion in one transaction, unit steps, review, watch.
final class DeskTests: StoreTestCase {
    var admin: User!
    var lan: User!
    var minh: User!
    var giaVien: User!
    var leChan: User!

    override func setUpWithError() throws {
        try super.setUpWithError()
        admin = User(name: "admin", role: .administrator)
        try store.addUser(admin, by: nil, at: Date())
        lan = User(name: "lan", role: .agent)
        minh = User(name: "minh", role: .supervisor)
        giaVien = User(name: "gv1", role: .unit, unitCode: "P-GIAVIEN")
        leChan = User(name: "lc1", role: .unit, unitCode: "P-LECHAN")
        for u in [lan!, minh!, giaVien!, leChan!] { try store.addUser(u, by: admin, at: Date()) }
    }

    let details = TicketDetails(category: .socioeconomic, topic: .fieldReport, reporterName: "Trần Thị Bình",
                                reporterAddress: "5 Lạch Tray", summary: "Đốt rác gây ô nhiễm", ward: "Gia Viên")

    func testUsersNeedAnAdministratorAndAUnitThatExists() throws {
        XCTAssertThrowsError(try store.addUser(User(name: "x", role: .administrator), by: nil, at: Date()),
                             "the first-user shortcut is gone once users exist")
        XCTAssertThrowsError(try store.addUser(User(name: "x", role: .agent), by: lan, at: Date())) { error in
            XCTAssertTrue(error is PermissionError, "\(error)")
        }
        XCTAssertThrowsError(try store.addUser(User(name: "x", role: .unit, unitCode: "NOWHERE"), by: admin, at: Date()))
        XCTAssertThrowsError(try store.addUser(User(name: "Bad Name", role: .agent), by: admin, at: Date()))
        XCTAssertThrowsError(try store.addUser(User(name: "lan", role: .agent), by: admin, at: Date()), "names are unique")
        try store.setUserActive("lan", false, by: admin, at: Date())
        XCTAssertThrowsError(try store.authenticate("lan")) { XCTAssertTrue("\($0)".contains("đã bị khóa"), "\($0)") }
        XCTAssertThrowsError(try store.authenticate("nobody")) { XCTAssertTrue("\($0)".contains("users add"), "\($0)") }
        XCTAssertEqual(try store.users().count, 5)
    }

    func testTwoAgentsRacingForOneCaseOneWins() throws {
        let code = try portalTicket(at: Date())
        // Two connections, as two `agent claim` processes would have; each takes the write lock first.
        let second = try TicketStore(path: store.path)
        defer { try? second.close() }
        let other = lan!
        let results = [Result<Claim, Error>?](repeating: nil, count: 2)
        final class Box: @unchecked Sendable { var r: [Result<Claim, Error>?]; init(_ r: [Result<Claim, Error>?]) { self.r = r } }
        let box = Box(results)
        let stores = [store!, second]
        let users = [other, minh!]
        let now = Date()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            box.r[i] = Result { try stores[i].claim(code, by: users[i], at: now) }
        }
        let won = box.r.compactMap { try? $0?.get() }
        XCTAssertEqual(won.count, 1, "exactly one claim wins: \(box.r)")
        let lost = box.r.compactMap { r -> ClaimConflict? in
            if case .failure(let e)? = r { return e as? ClaimConflict }
            return nil
        }
        XCTAssertEqual(lost.count, 1)
        XCTAssertEqual(lost[0].claim.userName, won[0].userName, "the loser is told who holds it")
        XCTAssertTrue(lost[0].description.contains(won[0].userName))

        // The loser cannot work the case either, until the claim expires or is released.
        let loser = users.first { $0.name != won[0].userName }!
        XCTAssertThrowsError(try store.completeDraft(code, details: details, unit: nil, by: loser, at: now, context: context))
        XCTAssertEqual(try store.ticket(code)?.status, .draft)
        XCTAssertNoThrow(try store.claim(code, by: loser, at: now.addingTimeInterval(Claim.defaultDuration + 1)),
                         "an expired claim is free")
    }

    func testReleaseIsTheHoldersOrASupervisors() throws {
        let code = try portalTicket(at: Date())
        try store.claim(code, by: lan, at: Date())
        try store.addUser(User(name: "tuan", role: .agent), by: admin, at: Date())
        let tuan = try store.authenticate("tuan")
        XCTAssertThrowsError(try store.release(code, by: tuan, at: Date())) { XCTAssertTrue($0 is PermissionError, "\($0)") }
        try store.release(code, by: minh, at: Date())
        XCTAssertNil(try store.claim(of: code, at: Date()))
        XCTAssertThrowsError(try store.claim(code, by: giaVien, at: Date()), "a unit member does not claim hotline cases")
        XCTAssertEqual(try store.history(code).map(\.action), ["create", "claim", "release"])
    }

    func testCompletingADraftFillsItInForwardsAndAcknowledgesInOneTransaction() throws {
        let received = vn("2026-06-10T08:00:00")
        let code = try portalTicket(at: received, summary: "")
        try store.claim(code, by: lan, at: received.addingTimeInterval(60))
        let t = try store.completeDraft(code, details: details, unit: nil, by: lan, at: received.addingTimeInterval(600),
                                        context: context)
        XCTAssertEqual(t.status, .forwarded)
        XCTAssertEqual(t.unitCode, "P-GIAVIEN", "the router's suggestion: the ward's unit")
        XCTAssertEqual(t.summary, "Đốt rác gây ô nhiễm")
        XCTAssertNil(try store.claim(of: code, at: received.addingTimeInterval(700)), "the claim ends with the work")
        XCTAssertEqual(try store.outbox().map(\.kind), [.acknowledgement])
        XCTAssertEqual(try store.history(code).map(\.action), ["create", "claim", "edit", "forward"])

        // A completion that fails changes nothing: not the details, not the status, no message.
        let other = try portalTicket(at: received, ward: "")
        var noWard = details
        noWard.ward = "Nơi không có"
        noWard.reporterName = "Người khác"
        XCTAssertThrowsError(try store.completeDraft(other, details: noWard, unit: nil, by: lan, at: received, context: context)) {
            XCTAssertTrue("\($0)".contains("agent guidance"), "\($0)")
        }
        let unchanged = try XCTUnwrap(store.ticket(other))
        XCTAssertEqual(unchanged.status, .draft)
        XCTAssertEqual(unchanged.reporter.name, "Trần Thị Bình", "the edit was rolled back with the failed forward")
        XCTAssertEqual(try store.outbox().count, 1)

        // A directive goes to the City Office, whatever the agent names (Art. 7.2).
        let directive = try portalTicket(at: received, category: .directive)
        var d = details
        d.category = .directive
        XCTAssertThrowsError(try store.completeDraft(directive, details: d, unit: "SXD", by: lan, at: received, context: context)) {
            XCTAssertTrue("\($0)".contains("Art. 7.2"), "\($0)")
        }
        XCTAssertEqual(try store.completeDraft(directive, details: d, unit: nil, by: lan, at: received, context: context).unitCode,
                       "VPUBND")
        // The rule holds in the lifecycle step itself, for a portal ticket forwarded without `completeDraft`.
        let portal = try portalTicket(at: received, category: .directive)
        XCTAssertThrowsError(try store.perform(.forward(unit: "SXD"), on: portal, by: agent, at: received, context: context)) {
            XCTAssertTrue("\($0)".contains("Art. 7.2"), "\($0)")
        }
        XCTAssertEqual(try store.ticket(portal)?.status, .draft)
    }

    func testLinkingChecksTheAgentsWordAgainstTheFirstReport() throws {
        let first = try portalTicket(at: vn("2026-06-01T08:00:00"))
        try complete(first, unit: "P-GIAVIEN", forwardAt: vn("2026-06-01T08:30:00"), resolveAt: vn("2026-06-02T08:00:00"))
        let again = try portalTicket(at: vn("2026-06-10T08:00:00"))
        // Seed 000, 6a: the "duplicate" of a completed report is a recurrence; nothing changes on the wrong word.
        XCTAssertThrowsError(try store.linkDraft(again, to: first, as: .duplicate, by: lan, at: Date(), context: context)) {
            XCTAssertTrue("\($0)".contains("--recurrence-of"), "\($0)")
        }
        XCTAssertEqual(try store.ticket(again)?.status, .draft)
        XCTAssertEqual(try store.linkDraft(again, to: first, as: .recurrence, by: lan, at: Date(), context: context), .recurrence)
        XCTAssertEqual(try store.ticket(again)?.recurrenceOf, first)

        let open = try portalTicket(at: vn("2026-06-11T08:00:00"))
        try store.completeDraft(open, details: details, unit: nil, by: lan, at: vn("2026-06-11T08:10:00"), context: context)
        let repeat1 = try portalTicket(at: vn("2026-06-11T09:00:00"))
        XCTAssertThrowsError(try store.linkDraft(repeat1, to: open, as: .recurrence, by: lan, at: Date(), context: context))
        XCTAssertEqual(try store.linkDraft(repeat1, to: open, as: .duplicate, by: lan, at: Date(), context: context), .duplicate)
        XCTAssertEqual(try store.ticket(repeat1)?.status, .merged)
    }

    func testUnitStepsOnlyForTheUnitThatHoldsTheTicket() throws {
        let received = vn("2026-06-10T08:00:00")
        let code = try portalTicket(at: received)
        try store.completeDraft(code, details: details, unit: nil, by: lan, at: received.addingTimeInterval(600), context: context)
        XCTAssertEqual(try store.unitInbox("P-GIAVIEN", by: giaVien).map(\.trackingCode), [code])
        XCTAssertThrowsError(try store.unitInbox("P-GIAVIEN", by: leChan)) { XCTAssertTrue($0 is PermissionError) }
        XCTAssertThrowsError(try store.unitInbox("P-GIAVIEN", by: lan), "an agent reads no unit's inbox as the unit")
        XCTAssertThrowsError(try store.unitStep(.accept, on: code, by: leChan, at: received, context: context)) {
            XCTAssertTrue($0 is PermissionError, "\($0)")
        }
        XCTAssertThrowsError(try store.unitStep(.accept, on: code, by: lan, at: received, context: context)) {
            XCTAssertTrue($0 is PermissionError, "\($0)")
        }
        try store.unitStep(.accept, on: code, by: giaVien, at: vn("2026-06-10T09:00:00"), context: context)

        // Evidence of its own: a photo attached with an extension does not also prove the result.
        let photo = try evidenceFile("site.jpg")
        try store.unitStep(.extend(until: vn("2026-06-20T17:00:00"), note: "Chờ vật tư", evidenceCount: 0), on: code,
                           evidence: [photo], by: giaVien, at: vn("2026-06-12T09:00:00"), context: context)
        XCTAssertEqual(try store.ticket(code)?.responseDueAt, vn("2026-06-20T17:00:00"))
        XCTAssertThrowsError(try store.unitStep(.resolve(evidenceCount: 0), on: code, by: giaVien, at: vn("2026-06-13T09:00:00"),
                                                context: context)) { XCTAssertEqual(($0 as? LifecycleError)?.article, "Art. 8.1c") }
        // A refused step leaves no attachment: the 15-day cap with a new photo.
        let late = try evidenceFile("late.jpg")
        XCTAssertThrowsError(try store.unitStep(.extend(until: vn("2026-06-30T17:00:00"), note: "Thêm", evidenceCount: 0), on: code,
                                                evidence: [late], by: giaVien, at: vn("2026-06-13T09:00:00"), context: context)) {
            XCTAssertEqual(($0 as? LifecycleError)?.article, "Art. 8.2e")
        }
        XCTAssertEqual(try store.ticket(code)?.attachments.count, 1)
        let done = try evidenceFile("done.jpg")
        let resolved = try store.unitStep(.resolve(evidenceCount: 0), on: code, evidence: [done], by: giaVien,
                                          at: vn("2026-06-15T09:00:00"), context: context)
        XCTAssertEqual(resolved.status, .resolved)
        XCTAssertEqual(resolved.evidenceCount, 2)

        // The hotline reviews: a unit member cannot; a rejection sends it back to the unit, a confirmation completes.
        XCTAssertThrowsError(try store.pendingReview(by: giaVien))
        XCTAssertEqual(try store.pendingReview(by: lan).map(\.trackingCode), [code])
        XCTAssertThrowsError(try store.review(code, confirm: true, by: giaVien, at: Date(), context: context))
        XCTAssertEqual(try store.review(code, confirm: false, reason: "Ảnh chưa rõ", by: lan, at: vn("2026-06-15T10:00:00"),
                                        context: context).status, .inProgress)
        try store.unitStep(.resolve(evidenceCount: 0), on: code, evidence: [try evidenceFile("done2.jpg")], by: giaVien,
                           at: vn("2026-06-15T11:00:00"), context: context)
        XCTAssertEqual(try store.review(code, confirm: true, by: lan, at: vn("2026-06-15T12:00:00"), context: context).status,
                       .completed)
        XCTAssertEqual(try store.outbox().map(\.kind), [.result, .acknowledgement])
    }

    func testTransferWindowRunsFromTheUnitsReceipt() throws {
        let received = vn("2026-06-12T08:00:00")  // a Friday
        let code = try portalTicket(at: received)
        try store.completeDraft(code, details: details, unit: nil, by: lan, at: received.addingTimeInterval(600), context: context)
        // One working day from Friday 08:10 ends on Monday at 17:00 (the weekend does not count); with a field
        // check, on Tuesday at 17:00.
        XCTAssertThrowsError(try store.unitStep(.transfer(to: "SXD", reason: "Thuộc Sở Xây dựng"), on: code, by: giaVien,
                                                at: vn("2026-06-16T09:00:00"), context: context)) {
            XCTAssertEqual(($0 as? LifecycleError)?.article, "Art. 8.2f", "\($0)")
            XCTAssertTrue("\($0)".contains("17:00 15/06/2026"), "\($0)")
        }
        XCTAssertEqual(try store.ticket(code)?.status, .forwarded)
        let t = try store.unitStep(.transfer(to: "SXD", reason: "Thuộc Sở Xây dựng"), on: code, fieldCheck: true, by: giaVien,
                                   at: vn("2026-06-16T09:00:00"), context: context)
        XCTAssertEqual(t.status, .transferred)
        XCTAssertEqual(t.unitCode, "SXD")
        XCTAssertThrowsError(try store.unitStep(.accept, on: code, by: giaVien, at: Date(), context: context), "no longer theirs")
    }

    func testAPhoneDraftsDeadlineFollowsTheCallersCategory() throws {
        let friday = vn("2026-06-12T16:00:00")
        func draft(_ category: HotlineCore.Category?, _ n: Int) -> PhoneDraft {
            PhoneDraft(callID: "c\(n)", callerNumber: "09000000\(n)", category: category, confidential: false, receivedAt: friday,
                       recordingPath: nil, recordingDurationMs: 0, recordingSHA256: nil, dialplanVersion: "t", interrupted: false)
        }
        let road = try store.createPhoneDraft(draft(.infrastructure, 1), calendar: context.calendar)
        let idea = try store.createPhoneDraft(draft(.suggestion, 2), calendar: context.calendar)
        XCTAssertEqual(try store.ticket(road)?.dueAt, vn("2026-06-12T17:00:00"), "60 minutes (Art. 7.3)")
        XCTAssertEqual(try store.ticket(idea)?.dueAt, vn("2026-06-15T17:00:00"), "1 working day, over the weekend (Art. 8.3a)")
        XCTAssertEqual(try store.draftQueue(now: friday).map(\.trackingCode), [road, idea], "the most urgent first")
    }

    func testWatchListHasTheOverdueAndTheSoonDue() throws {
        let now = vn("2026-06-10T10:00:00")
        let late = try portalTicket(at: now.addingTimeInterval(-7200))      // due 09:00: overdue
        let soon = try portalTicket(at: now.addingTimeInterval(-1800))      // due 10:30: within the hour
        _ = try portalTicket(at: now)                                       // due 11:00: not yet
        XCTAssertEqual(try store.watchList(now: now, within: 3600, by: lan).map(\.trackingCode), [late, soon])
        XCTAssertEqual(try store.watchList(now: now, within: 0, by: lan).map(\.trackingCode), [late])
        XCTAssertThrowsError(try store.watchList(now: now, within: 0, by: giaVien))
    }
}
