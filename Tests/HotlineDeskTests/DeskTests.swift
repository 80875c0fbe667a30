import Foundation
import HotlineCore
import HotlineDesk
import HotlineStore
import XCTest

/// The desk's operations through the application layer: users, claims, the agent's completion in one
/// transaction, unit steps, review, watch; permission checked once, here.
final class DeskTests: DeskTestCase {
    func testUsersNeedAnAdministratorAndAUnitThatExists() throws {
        XCTAssertThrowsError(try desk.addUser(User(name: "x", role: .administrator), as: nil),
                             "the first-user shortcut is gone once users exist")
        assertDesk(try desk.addUser(User(name: "x", role: .agent), as: lan), isForbidden)
        assertDesk(try desk.addUser(User(name: "x", role: .unit, unitCode: "NOWHERE"), as: admin), { $0 == .notFound(.unit, "NOWHERE") })
        assertDesk(try desk.addUser(User(name: "Bad Name", role: .agent), as: admin), field(.userName))
        assertDesk(try desk.addUser(User(name: "lan", role: .agent), as: admin), field(.userName), "names are unique")
        try desk.setUserActive("lan", false, as: admin)
        assertDesk(try desk.user(named: "lan"), { "\($0)".contains("đã bị khóa") })
        assertDesk(try desk.user(named: "nobody"), { $0 == .notFound(.user, "nobody") })
        XCTAssertEqual(try desk.users(as: admin).count, 5)
        // A unit code is stored as the directory spells it.
        try desk.addUser(User(name: "hoa", role: .unit, unitCode: "p-lechan"), as: admin)
        XCTAssertEqual(try desk.user(named: "hoa").unitCode, "P-LECHAN")
    }

    func testTwoAgentsRacingForOneCaseOneWins() throws {
        let code = try portalTicket(at: Date())
        // Two connections, as two `agent claim` processes would have; each takes the write lock first.
        let second = Desk(store: try TicketStore(path: store.path), context: context)
        defer { try? second.store.close() }
        final class Box: @unchecked Sendable { var r: [Result<Claim, Error>?] = [nil, nil] }
        let box = Box()
        let desks = [desk!, second]
        let users = [lan!, minh!]
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            box.r[i] = Result { try desks[i].claim(code, as: users[i]) }
        }
        let won = box.r.compactMap { try? $0?.get() }
        XCTAssertEqual(won.count, 1, "exactly one claim wins: \(box.r)")
        let lost = box.r.compactMap { r -> DeskError? in
            if case .failure(let e)? = r { return e as? DeskError }
            return nil
        }
        XCTAssertEqual(lost.count, 1)
        guard case .conflict(_, let holder, _) = lost[0] else { return XCTFail("\(lost[0])") }
        XCTAssertEqual(holder, won[0].userName, "the loser is told who holds it")
        XCTAssertTrue(lost[0].description.contains(won[0].userName))

        // The loser cannot work the case either, until the claim expires or is released.
        let loser = users.first { $0.name != won[0].userName }!
        XCTAssertThrowsError(try desk.complete(CompleteRequest(code: code, details: details), as: loser))
        XCTAssertEqual(try store.ticket(code)?.status, .draft)
        XCTAssertNoThrow(try at(Date().addingTimeInterval(Claim.defaultDuration + 1)).claim(code, as: loser), "an expired claim is free")
    }

    func testReleaseIsTheHoldersOrASupervisors() throws {
        let code = try portalTicket(at: Date())
        _ = try desk.claim(code, as: lan)
        try desk.addUser(User(name: "tuan", role: .agent), as: admin)
        let tuan = try desk.user(named: "tuan")
        assertDesk(try desk.release(code, as: tuan), isForbidden)
        try desk.release(code, as: minh)
        XCTAssertNil(try store.claim(of: code, at: Date()))
        assertDesk(try desk.claim(code, as: giaVien), isForbidden, "a unit member does not claim hotline cases")
        XCTAssertEqual(try store.history(code).map(\.action), ["create", "claim", "release"])
    }

    func testCompletingADraftFillsItInForwardsAndAcknowledgesInOneTransaction() throws {
        let received = vn("2026-06-10T08:00:00")
        let code = try portalTicket(at: received, summary: "")
        _ = try at(received.addingTimeInterval(60)).claim(code, as: lan)
        let t = try at(received.addingTimeInterval(600)).complete(CompleteRequest(code: code, details: details), as: lan)
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
        noWard.name = "Người khác"
        assertDesk(try desk.complete(CompleteRequest(code: other, details: noWard), as: lan),
                   { "\($0)".contains("Văn phòng UBND TP xin hướng dẫn") })
        let unchanged = try XCTUnwrap(store.ticket(other))
        XCTAssertEqual(unchanged.status, .draft)
        XCTAssertEqual(unchanged.reporter.name, "Trần Thị Bình", "the edit was rolled back with the failed forward")
        XCTAssertEqual(try store.outbox().count, 1)

        // A directive goes to the City Office, whatever the agent names (Art. 7.2).
        let directive = try portalTicket(at: received, category: .directive)
        var d = details
        d.category = .directive
        assertDesk(try desk.complete(CompleteRequest(code: directive, details: d, unit: "SXD"), as: lan), article("Art. 7.2"))
        XCTAssertEqual(try desk.complete(CompleteRequest(code: directive, details: d), as: lan).unitCode, "VPUBND")
        // The rule holds in the lifecycle step itself, for a portal ticket forwarded without `complete`.
        let portal = try portalTicket(at: received, category: .directive)
        XCTAssertThrowsError(try store.perform(.forward(unit: "SXD"), on: portal, by: lan.actor, at: received, context: context)) {
            XCTAssertEqual(($0 as? DeskError)?.article, "Art. 7.2", "\($0)")
        }
        XCTAssertEqual(try store.ticket(portal)?.status, .draft)
    }

    func testLinkingChecksTheAgentsWordAgainstTheFirstReport() throws {
        let first = try forwardedAndAccepted(at: vn("2026-06-01T08:00:00"))
        _ = try at(vn("2026-06-02T08:00:00")).unitStep(UnitStepRequest(code: first, step: .resolve(result: "Đã nhắc nhở, ngừng đốt rác"),
                                                                      evidence: [try evidenceFile("first.jpg")]), as: giaVien)
        _ = try at(vn("2026-06-02T09:00:00")).confirm(first, as: lan)
        let again = try portalTicket(at: vn("2026-06-10T08:00:00"))
        // Seed 000, 6a: the "duplicate" of a completed report is a recurrence; nothing changes on the wrong word.
        assertDesk(try desk.link(again, to: first, as: .duplicate, user: lan), { "\($0)".contains("tái diễn") })
        XCTAssertEqual(try store.ticket(again)?.status, .draft)
        XCTAssertEqual(try desk.link(again, to: first, as: .recurrence, user: lan), .recurrence)
        XCTAssertEqual(try store.ticket(again)?.recurrenceOf, first)

        let open = try portalTicket(at: vn("2026-06-11T08:00:00"))
        _ = try at(vn("2026-06-11T08:10:00")).complete(CompleteRequest(code: open, details: details), as: lan)
        let repeat1 = try portalTicket(at: vn("2026-06-11T09:00:00"))
        XCTAssertThrowsError(try desk.link(repeat1, to: open, as: .recurrence, user: lan))
        XCTAssertEqual(try desk.link(repeat1, to: open, as: .duplicate, user: lan), .duplicate)
        XCTAssertEqual(try store.ticket(repeat1)?.status, .merged)
    }

    func testUnitStepsOnlyForTheUnitThatHoldsTheTicket() throws {
        let received = vn("2026-06-10T08:00:00")
        let code = try portalTicket(at: received)
        _ = try at(received.addingTimeInterval(600)).complete(CompleteRequest(code: code, details: details), as: lan)
        XCTAssertEqual(try desk.inbox("P-GIAVIEN", as: giaVien).map(\.trackingCode), [code])
        assertDesk(try desk.inbox("P-GIAVIEN", as: leChan), isForbidden)
        assertDesk(try desk.inbox("P-GIAVIEN", as: lan), isForbidden, "an agent reads no unit's inbox as the unit")
        assertDesk(try desk.unitStep(UnitStepRequest(code: code, step: .accept), as: leChan), isForbidden)
        assertDesk(try desk.unitStep(UnitStepRequest(code: code, step: .accept), as: lan), isForbidden)
        _ = try at(vn("2026-06-10T09:00:00")).unitStep(UnitStepRequest(code: code, step: .accept), as: giaVien)

        // Evidence of its own: a photo attached with an extension does not also prove the result.
        let photo = try evidenceFile("site.jpg")
        _ = try at(vn("2026-06-12T09:00:00")).unitStep(UnitStepRequest(code: code, step: .extend(until: vn("2026-06-20T17:00:00"), note: "Chờ vật tư"),
                                                                      evidence: [photo]), as: giaVien)
        XCTAssertEqual(try store.ticket(code)?.responseDueAt, vn("2026-06-20T17:00:00"))
        assertDesk(try at(vn("2026-06-13T09:00:00")).unitStep(UnitStepRequest(code: code, step: .resolve(result: "Đã xử lý")), as: giaVien),
                   article("Art. 8.1c"))
        // A refused step leaves no attachment: the 15-day cap with a new photo.
        let late = try evidenceFile("late.jpg")
        assertDesk(try desk.unitStep(UnitStepRequest(code: code, step: .extend(until: vn("2026-06-30T17:00:00"), note: "Thêm"),
                                                     evidence: [late]), as: giaVien), article("Art. 8.2e"))
        XCTAssertEqual(try store.ticket(code)?.attachments.count, 1)
        let done = try evidenceFile("done.jpg")
        let resolved = try at(vn("2026-06-15T09:00:00")).unitStep(
            UnitStepRequest(code: code, step: .resolve(result: "Đã lập biên bản, hộ gia đình cam kết không đốt rác"), evidence: [done]),
            as: giaVien)
        XCTAssertEqual(resolved.status, .resolved)
        XCTAssertEqual(resolved.evidenceCount, 2)

        // The hotline reviews: a unit member cannot; a rejection sends it back to the unit, a confirmation completes.
        assertDesk(try desk.pendingReview(as: giaVien), isForbidden)
        let pending = try desk.pendingReview(as: lan)
        XCTAssertEqual(pending.map(\.item.trackingCode), [code])
        XCTAssertEqual(pending[0].resultText, "Đã lập biên bản, hộ gia đình cam kết không đốt rác", "review shows the result text")
        XCTAssertEqual(pending[0].notes.map(\.step), ["extend", "resolve"], "and the notes on the way")
        assertDesk(try desk.confirm(code, as: giaVien), isForbidden)
        XCTAssertEqual(try at(vn("2026-06-15T10:00:00")).reject(code, reason: "Ảnh chưa rõ", as: lan).status, .inProgress)
        _ = try at(vn("2026-06-15T11:00:00")).unitStep(UnitStepRequest(code: code, step: .resolve(result: "Đã dọn sạch bãi rác, ảnh kèm"),
                                                                      evidence: [try evidenceFile("done2.jpg")]), as: giaVien)
        XCTAssertEqual(try at(vn("2026-06-15T12:00:00")).confirm(code, as: lan).status, .completed)
        let messages = try store.outbox()
        XCTAssertEqual(messages.map(\.kind), [.result, .acknowledgement])
        XCTAssertTrue(messages[0].body.contains("Đã dọn sạch bãi rác, ảnh kèm"), "the citizen's message holds the result: \(messages[0].body)")
    }

    func testTransferWindowRunsFromTheUnitsReceipt() throws {
        let received = vn("2026-06-12T08:00:00")  // a Friday
        let code = try portalTicket(at: received)
        _ = try at(received.addingTimeInterval(600)).complete(CompleteRequest(code: code, details: details), as: lan)
        // One working day from Friday 08:10 ends on Monday at 17:00 (the weekend does not count); with a field
        // check, on Tuesday at 17:00.
        assertDesk(try at(vn("2026-06-16T09:00:00")).unitStep(
            UnitStepRequest(code: code, step: .transfer(to: "SXD", reason: "Thuộc Sở Xây dựng", fieldCheck: false)), as: giaVien),
                   { $0.article == "Art. 8.2f" && "\($0)".contains("17:00 15/06/2026") })
        XCTAssertEqual(try store.ticket(code)?.status, .forwarded)
        let t = try desk.unitStep(UnitStepRequest(code: code, step: .transfer(to: "sxd", reason: "Thuộc Sở Xây dựng", fieldCheck: true)),
                                  as: giaVien)
        XCTAssertEqual(t.status, .transferred)
        XCTAssertEqual(t.unitCode, "SXD", "a unit code in any case is the directory's")
        assertDesk(try desk.unitStep(UnitStepRequest(code: code, step: .accept), as: giaVien), isForbidden, "no longer theirs")
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
        XCTAssertEqual(try at(friday).queue(as: lan).map(\.trackingCode), [road, idea], "the most urgent first")
    }

    func testWatchListHasTheOverdueAndTheSoonDue() throws {
        let now = vn("2026-06-10T10:00:00")
        let late = try portalTicket(at: now.addingTimeInterval(-7200))      // due 09:00: overdue
        let soon = try portalTicket(at: now.addingTimeInterval(-1800))      // due 10:30: within the hour
        _ = try portalTicket(at: now)                                       // due 11:00: not yet
        XCTAssertEqual(try at(now).overdue(within: 3600, as: lan).map(\.trackingCode), [late, soon])
        XCTAssertEqual(try at(now).overdue(within: 0, as: lan).map(\.trackingCode), [late])
        assertDesk(try desk.overdue(within: 0, as: giaVien), isForbidden)
    }
}
