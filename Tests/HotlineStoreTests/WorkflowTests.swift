import Foundation
import HotlineCore
import XCTest

@testable import HotlineStore

final class WorkflowTests: StoreTestCase {
    func testFromReportToRatedResultWithAuditAndMessages() throws {
        let received = vn("2026-06-10T08:00:00")
        let code = try portalTicket(at: received)
        try store.updateDetails(code, TicketDetails(reporterName: "Trần Thị Bình B", summary: "Đốt rác ở ngõ 5"), by: agent,
                                at: received.addingTimeInterval(300))
        let forwarded = try store.perform(.forward(unit: "P-GIAVIEN"), on: code, by: agent, at: received.addingTimeInterval(1200),
                                          context: context)
        XCTAssertEqual(forwarded.status, .forwarded)
        XCTAssertEqual(forwarded.unitCode, "P-GIAVIEN")
        XCTAssertEqual(forwarded.dueAt, vn("2026-06-17T17:00:00"), "5 working days (Art. 8.2d)")

        // The acknowledgement is in the outbox, with the code and the unit, and nothing about the reporter.
        let ack = try store.outbox()
        XCTAssertEqual(ack.map(\.kind), [.acknowledgement])
        XCTAssertEqual(ack[0].recipient, "0912345678")
        XCTAssertTrue(ack[0].body.contains(code) && ack[0].body.contains("Phường Gia Viên"), ack[0].body)
        XCTAssertFalse(ack[0].body.contains("Bình"))

        try store.perform(.accept, on: code, by: unitMember, at: vn("2026-06-10T10:00:00"), context: context)
        // The evidence rule: no attachment, no result (seed 000, 6b).
        XCTAssertThrowsError(try store.perform(.resolve(result: "Đã sửa xong đèn chiếu sáng", evidenceCount: 5), on: code, by: unitMember, at: vn("2026-06-11T10:00:00"),
                                               context: context)) { error in
            XCTAssertEqual((error as? DeskError)?.article, "Art. 8.1c", "\(error)")
        }
        try store.addAttachment(code, kind: .photo, path: try evidenceFile(), by: unitMember, at: vn("2026-06-11T10:00:00"))
        try store.perform(.resolve(result: "Đã sửa xong đèn chiếu sáng", evidenceCount: 0), on: code, by: unitMember, at: vn("2026-06-11T10:05:00"), context: context)
        // Only the hotline confirms.
        XCTAssertThrowsError(try store.perform(.confirm, on: code, by: unitMember, at: vn("2026-06-11T11:00:00"), context: context))
        let done = try store.perform(.confirm, on: code, by: agent, at: vn("2026-06-11T11:00:00"), context: context)
        XCTAssertEqual(done.status, .completed)
        XCTAssertEqual(done.completedOnTime, true)
        XCTAssertEqual(done.attachments.first?.sha256, SHA256.hex(Data("JPEG photo.jpg".utf8)))
        XCTAssertEqual(try store.outbox().map(\.kind), [.result, .acknowledgement])

        try store.rate(code, score: 2, comment: "Vẫn còn đốt", at: vn("2026-06-12T08:00:00"))
        XCTAssertEqual(try store.ticket(code)?.rating, 2)
        XCTAssertThrowsError(try store.rate(code, score: 6, comment: "", at: Date()))
        try store.perform(.reopen(reason: "Người dân phản ánh vẫn còn đốt rác"), on: code, by: agent, at: vn("2026-06-12T09:00:00"),
                          context: context)
        let reopened = try XCTUnwrap(store.ticket(code))
        XCTAssertEqual(reopened.status, .inProgress)
        XCTAssertNil(reopened.completedAt)
        XCTAssertThrowsError(try store.rate(code, score: 5, comment: "", at: Date()), "no rating before a new result")

        let history = try store.history(code)
        XCTAssertEqual(history.map(\.action), ["create", "edit", "forward", "accept", "attach", "resolve", "confirm", "rate", "reopen"])
        XCTAssertEqual(history[2].actor, "hotline:agent-1")
        XCTAssertEqual(history[2].before, #"{"status":"draft","unit":null}"#)
        // Personal data changed is audited as changed, never copied into the log.
        let edit = try XCTUnwrap(history[1].after)
        XCTAssertTrue(edit.contains("reporter_name") && edit.contains("Đốt rác ở ngõ 5"), edit)
        XCTAssertFalse(edit.contains("Bình"), edit)
    }

    func testAFailedStepChangesNothing() throws {
        let code = try portalTicket(at: vn("2026-06-10T08:00:00"))
        XCTAssertThrowsError(try store.perform(.forward(unit: "NO-SUCH-UNIT"), on: code, by: agent, at: vn("2026-06-10T08:10:00"),
                                               context: context)) { error in
            XCTAssertEqual(error as? DeskError, .notFound(.unit, "NO-SUCH-UNIT"), "\(error)")
        }
        XCTAssertEqual(try store.ticket(code)?.status, .draft)
        XCTAssertEqual(try store.outbox().count, 0, "the message is stored with the change or not at all")
        XCTAssertEqual(try store.history(code).count, 1)
        XCTAssertThrowsError(try store.perform(.accept, on: "20990101-0000001", by: unitMember, at: Date(), context: context)) {
            XCTAssertTrue("\($0)".contains("Không tìm thấy phản ánh mã số 20990101-0000001"))
        }
        XCTAssertThrowsError(try store.perform(.forward(unit: "P-GIAVIEN"), on: code, by: unitMember, at: Date(), context: context)) {
            XCTAssertEqual("\($0)", "Không thể chuyển xử lý phản ánh đang ở trạng thái «Chờ tiếp nhận» (draft): chỉ Tổng đài 1022 được làm việc này (Art. 7.1)")
        }
    }

    func testRefusalCarriesItsReasonToTheCitizen() throws {
        let code = try portalTicket(at: vn("2026-06-10T08:00:00"))
        XCTAssertThrowsError(try store.perform(.refuse(reason: " "), on: code, by: agent, at: vn("2026-06-10T08:10:00"), context: context))
        try store.perform(.refuse(reason: "Nội dung khiếu nại, đề nghị gửi Ban Tiếp công dân thành phố"), on: code, by: agent,
                          at: vn("2026-06-10T08:10:00"), context: context)
        let t = try XCTUnwrap(store.ticket(code))
        XCTAssertEqual(t.status, .refused)
        XCTAssertEqual(t.publicView(at: Date()).refusalReason, "Nội dung khiếu nại, đề nghị gửi Ban Tiếp công dân thành phố")
        let m = try store.outbox()
        XCTAssertEqual(m.map(\.kind), [.refusal])
        XCTAssertTrue(m[0].body.contains("Ban Tiếp công dân"))
    }

    func testExtensionsGuidanceReturnsAndTransfers() throws {
        let received = vn("2026-06-10T08:00:00")
        let code = try portalTicket(at: received)
        // No single unit: the City Office, 2 h in office hours (Art. 7.4).
        let guided = try store.perform(.seekGuidance(reason: "Liên quan nhiều sở"), on: code, by: agent, at: vn("2026-06-10T08:30:00"),
                                       context: context)
        XCTAssertEqual(guided.unitCode, "VPUBND")
        XCTAssertTrue(guided.awaitingGuidance)
        XCTAssertEqual(guided.dueAt, vn("2026-06-10T10:30:00"))
        // The City Office's guidance sends it back; the hotline forwards it where told.
        try store.perform(.giveBack(reason: "Giao Phường Gia Viên chủ trì"), on: code, by: Actor(.unit, "vp"), at: vn("2026-06-10T09:30:00"),
                          context: context)
        XCTAssertEqual(try store.ticket(code)?.dueAt, vn("2026-06-10T10:30:00"), "the hotline's 60 minutes from the return")
        try store.perform(.forward(unit: "P-GIAVIEN"), on: code, by: agent, at: vn("2026-06-10T09:40:00"), context: context)
        try store.perform(.accept, on: code, by: unitMember, at: vn("2026-06-10T10:00:00"), context: context)
        // An extension needs a progress note, evidence, and at most 15 days from receipt (Art. 8.2e).
        XCTAssertThrowsError(try store.perform(.extend(until: vn("2026-06-20T17:00:00"), note: "Chờ kiểm tra", evidenceCount: 9), on: code,
                                               by: unitMember, at: vn("2026-06-16T10:00:00"), context: context)) {
            XCTAssertEqual(($0 as? DeskError)?.article, "Art. 8.2e")
        }
        try store.addAttachment(code, kind: .document, path: try evidenceFile("bien-ban.pdf"), by: unitMember, at: vn("2026-06-16T10:00:00"))
        XCTAssertThrowsError(try store.perform(.extend(until: vn("2026-06-26T17:00:00"), note: "Chờ", evidenceCount: 1), on: code,
                                               by: unitMember, at: vn("2026-06-16T10:00:00"), context: context)) {
            XCTAssertTrue("\($0)".contains("15 ngày"), "\($0)")
        }
        let extended = try store.perform(.extend(until: vn("2026-06-24T17:00:00"), note: "Chờ kiểm tra liên ngành", evidenceCount: 0),
                                         on: code, by: unitMember, at: vn("2026-06-16T10:00:00"), context: context)
        XCTAssertEqual(extended.dueAt, vn("2026-06-24T17:00:00"))
        XCTAssertFalse(extended.isOverdue(at: vn("2026-06-20T10:00:00")))
        XCTAssertTrue(extended.isOverdue(at: vn("2026-06-25T10:00:00")))
        XCTAssertEqual(try store.phoneStatus(trackingCode: code, now: vn("2026-06-25T10:00:00"))?.overdue, true)
        // A transfer is only before work starts (Art. 8.2f).
        XCTAssertThrowsError(try store.perform(.transfer(to: "CATP", reason: "x"), on: code, by: unitMember, at: Date(), context: context))
    }

    func testDuplicateOfAnOpenTicketVersusRecurrenceOfACompletedOne() throws {
        let first = try portalTicket(at: vn("2026-06-03T08:00:00"), phone: "0911111111", summary: "Đốt rác gây ô nhiễm môi trường ngõ 5")
        try store.perform(.forward(unit: "P-GIAVIEN"), on: first, by: agent, at: vn("2026-06-03T08:30:00"), context: context)

        // The same matter again while the first is open: a duplicate, merged, the reporter told.
        let repeatWhileOpen = try portalTicket(at: vn("2026-06-05T08:00:00"), phone: "0922222222", summary: "Đốt rác ô nhiễm ngõ 5")
        let candidates = try store.duplicateCandidates(for: repeatWhileOpen)
        XCTAssertEqual(candidates.first?.trackingCode, first)
        XCTAssertEqual(candidates.first?.link, .duplicate)
        XCTAssertEqual(try store.link(repeatWhileOpen, to: first, by: agent, at: vn("2026-06-05T08:20:00"), context: context), .duplicate)
        let merged = try XCTUnwrap(store.ticket(repeatWhileOpen))
        XCTAssertEqual(merged.status, .merged)
        XCTAssertEqual(merged.duplicateOf, first)
        let note = try XCTUnwrap(store.outbox().first)
        XCTAssertEqual(note.kind, .duplicate)
        XCTAssertTrue(note.body.contains(first), note.body)
        XCTAssertEqual(try store.phoneStatus(trackingCode: repeatWhileOpen, now: vn("2026-06-05T09:00:00"))?.status, .forwarded,
                       "a caller asking about the merged report hears the first report's status")

        // The first is marked done; the burning comes back (seed 000, 6a): a recurrence, never a refusal.
        try store.perform(.accept, on: first, by: unitMember, at: vn("2026-06-05T09:00:00"), context: context)
        try store.addAttachment(first, kind: .photo, path: try evidenceFile(), by: unitMember, at: vn("2026-06-06T09:00:00"))
        try store.perform(.resolve(result: "Đã sửa xong đèn chiếu sáng", evidenceCount: 0), on: first, by: unitMember, at: vn("2026-06-06T09:00:00"), context: context)
        try store.perform(.confirm, on: first, by: agent, at: vn("2026-06-06T10:00:00"), context: context)
        let recurrence = try portalTicket(at: vn("2026-06-10T08:00:00"), phone: "0933333333", summary: "Lại đốt rác gây ô nhiễm ngõ 5")
        XCTAssertEqual(try store.duplicateCandidates(for: recurrence).first?.link, .recurrence)
        XCTAssertEqual(try store.link(recurrence, to: repeatWhileOpen, by: agent, at: vn("2026-06-10T08:10:00"), context: context), .recurrence,
                       "linking to the merged report links to the first one")
        let r = try XCTUnwrap(store.ticket(recurrence))
        XCTAssertEqual(r.status, .draft, "a new ticket, to be forwarded")
        XCTAssertEqual(r.recurrenceOf, first)
        try store.perform(.forward(unit: "P-GIAVIEN"), on: recurrence, by: agent, at: vn("2026-06-10T08:15:00"), context: context)
        XCTAssertEqual(try store.outbox().first?.kind, .recurrence)
        XCTAssertEqual(try store.history(first).last?.action, "recurred")

        // Nothing links to a refused report.
        let refused = try portalTicket(at: vn("2026-06-10T09:00:00"), phone: "0944")
        try store.perform(.refuse(reason: "Nội dung khiếu nại"), on: refused, by: agent, at: vn("2026-06-10T09:05:00"), context: context)
        let later = try portalTicket(at: vn("2026-06-10T10:00:00"), phone: "0944")
        XCTAssertThrowsError(try store.link(later, to: refused, by: agent, at: vn("2026-06-10T10:05:00"), context: context))
    }

    func testRoutingSuggestionFromTheStoredDirectory() throws {
        let code = try portalTicket(at: vn("2026-06-10T08:00:00"), topic: .publicOrder)
        guard case .unit("CATP", _) = try store.suggestRoute(code) else { return XCTFail() }
        let directive = try portalTicket(at: vn("2026-06-10T08:00:00"), category: .directive, topic: nil)
        guard case .unit("VPUBND", _) = try store.suggestRoute(directive) else { return XCTFail() }
        XCTAssertEqual(try store.unitDirectory().units.count, 24)
        // Re-importing without a unit keeps it, inactive, for the tickets that name it.
        var smaller = try store.unitDirectory()
        smaller.units.removeAll { $0.code == "P-GIAVIEN" }
        try store.importUnits(smaller)
        XCTAssertEqual(try store.unitDirectory().units.count, 23)
        XCTAssertThrowsError(try store.perform(.forward(unit: "P-GIAVIEN"), on: code, by: agent, at: Date(), context: context))
    }
}
