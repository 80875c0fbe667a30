import Foundation
import HotlineCore
import HotlineDesk
import HotlineStore
import XCTest

/// What a new user found at the desk (issue 11), each fixed and held here.
final class DeskBugTests: DeskTestCase {
    func testAnExtensionMustCommitToADateAfterNow() throws {
        let received = vn("2026-06-10T08:00:00")
        let code = try forwardedAndAccepted(at: received)
        let photo = try evidenceFile("site.jpg")
        // 2026-01-15 was accepted once, and the watch list then said "QUÁ HẠN 320 ngày".
        assertDesk(try at(vn("2026-06-11T09:00:00")).unitStep(
            UnitStepRequest(code: code, step: .extend(until: vn("2026-01-15T17:00:00"), note: "Chờ vật tư"), evidence: [photo]),
            as: giaVien), field(.until))
        assertDesk(try at(vn("2026-06-11T09:00:00")).unitStep(
            UnitStepRequest(code: code, step: .extend(until: vn("2026-06-11T08:00:00"), note: "Chờ vật tư"), evidence: [photo]),
            as: giaVien), field(.until), "an hour ago is past too")
        XCTAssertEqual(try store.ticket(code)?.attachments.count, 0, "a refused extension leaves no evidence behind")
        let t = try desk.unitStep(UnitStepRequest(code: code, step: .extend(until: vn("2026-06-20T17:00:00"), note: "Chờ vật tư"),
                                                  evidence: [photo]), as: giaVien)
        XCTAssertEqual(t.responseDueAt, vn("2026-06-20T17:00:00"))
    }

    func testAResultNeedsWordsAndTheNotesShowWhereTheTicketIsRead() throws {
        let code = try forwardedAndAccepted(at: vn("2026-06-10T08:00:00"))
        let photo = try evidenceFile("done.jpg")
        assertDesk(try at(vn("2026-06-11T09:00:00")).unitStep(UnitStepRequest(code: code, step: .resolve(result: "  "), evidence: [photo]),
                                                           as: giaVien), field(.result))
        _ = try at(vn("2026-06-11T08:00:00")).unitStep(UnitStepRequest(code: code, step: .progress(note: "Đã xuống hiện trường")),
                                                       as: giaVien)
        _ = try at(vn("2026-06-11T09:00:00")).unitStep(UnitStepRequest(code: code, step: .resolve(result: "Đã lập biên bản xử phạt"),
                                                                      evidence: [photo]), as: giaVien)
        let read = try desk.readTicket(code, as: lan)
        XCTAssertEqual(read.ticket.resultText, "Đã lập biên bản xử phạt")
        XCTAssertEqual(read.notes.map(\.text), ["Đã xuống hiện trường", "Đã lập biên bản xử phạt"])
        XCTAssertEqual(try desk.show(code, as: lan).notes.map(\.step), ["progress", "resolve"])
    }

    func testGuidanceNeedsTheDetailsAndItsLabelGoesOnceTheOfficeForwards() throws {
        let received = vn("2026-06-10T08:00:00")
        let code = try portalTicket(at: received, summary: "")
        assertDesk(try at(received).seekGuidance(GuidanceRequest(code: code, details: CaseDetails(), reason: "Nhiều đơn vị"), as: lan),
                   field(.name), "an empty case is not sent on")
        XCTAssertEqual(try store.ticket(code)?.status, .draft)
        let t = try desk.seekGuidance(GuidanceRequest(code: code, details: details, reason: "Liên quan hai phường"), as: lan)
        XCTAssertEqual(t.unitCode, "VPUBND")
        XCTAssertTrue(t.awaitingGuidance)
        XCTAssertEqual(t.summary, "Đốt rác gây ô nhiễm", "the Office reads what the case is")
        // The City Office forwards it to the competent unit: no longer waiting for guidance.
        try desk.addUser(User(name: "vp", role: .unit, unitCode: "VPUBND"), as: admin)
        let vp = try desk.user(named: "vp")
        let sent = try at(received.addingTimeInterval(3600)).unitStep(
            UnitStepRequest(code: code, step: .transfer(to: "P-GIAVIEN", reason: "Thuộc địa bàn Gia Viên", fieldCheck: false)), as: vp)
        XCTAssertEqual(sent.unitCode, "P-GIAVIEN")
        XCTAssertFalse(sent.awaitingGuidance, "the «chờ hướng dẫn» label goes")
    }

    /// A citizen's own words from the web page stay when the agent completes the case without typing a content;
    /// a phone draft, which has none, takes the summary; a content typed in replaces both.
    func testCompletingWithoutAContentKeepsTheCitizensOwnWords() throws {
        let received = vn("2026-06-10T08:00:00")
        let portal = try portalTicket(at: received, summary: "")
        let t = try at(received.addingTimeInterval(600)).complete(CompleteRequest(code: portal, details: details), as: lan)
        XCTAssertEqual(t.content, "Nhà bên cạnh đốt rác hằng tối")
        XCTAssertEqual(t.summary, "Đốt rác gây ô nhiễm")
        let other = try portalTicket(at: received, phone: "0912000002", summary: "")
        var typed = details
        typed.content = "Đốt rác nhựa mỗi tối sau 21 giờ"
        XCTAssertEqual(try desk.complete(CompleteRequest(code: other, details: typed), as: lan).content, typed.content)
    }

    func testAnAgentSeesWhyAUnitReturnedACase() throws {
        let code = try forwardedAndAccepted(at: vn("2026-06-10T08:00:00"))
        _ = try at(vn("2026-06-10T09:00:00")).unitStep(
            UnitStepRequest(code: code, step: .giveBack(reason: "Địa chỉ thuộc phường Lê Chân, không thuộc Gia Viên")), as: giaVien)
        XCTAssertEqual(try desk.show(code, as: lan).returnReason, "Địa chỉ thuộc phường Lê Chân, không thuộc Gia Viên")
    }

    /// A phone draft with a real recording file, forwarded to Gia Viên.
    func recordedCase(confidential: Bool) throws -> String {
        let wav = dir + "/call.wav"
        try Data("RIFF fake wav".utf8).write(to: URL(fileURLWithPath: wav))
        let received = vn("2026-06-10T08:00:00")
        let code = try store.createPhoneDraft(PhoneDraft(
            callID: "c1", callerNumber: "0912000111", category: .socioeconomic, confidential: confidential, receivedAt: received,
            recordingPath: wav, recordingDurationMs: 9000, recordingSHA256: try SHA256.hexOfFile(atPath: wav), dialplanVersion: "t",
            interrupted: false), calendar: context.calendar)
        var d = details
        d.confidential = confidential
        _ = try at(received.addingTimeInterval(600)).complete(CompleteRequest(code: code, details: d), as: lan)
        return code
    }

    func testAUnitHearsItsCasesRecordingAuditedAndConfidentialityHidesTheReporter() throws {
        let code = try recordedCase(confidential: true)
        let r = try desk.recording(code, as: giaVien)
        XCTAssertEqual(r.durationMs, 9000)
        XCTAssertEqual(try store.history(code).last.map { "\($0.actor):\($0.action)" }, "unit:gv1:listen", "audited")
        assertDesk(try desk.recording(code, as: leChan), isForbidden, "another unit does not hear it")
        let read = try desk.readTicket(code, as: giaVien)
        XCTAssertTrue(read.reporterWithheld)
        XCTAssertEqual(read.ticket.summary, "Đốt rác gây ô nhiễm", "the content is shown")
        XCTAssertFalse(read.ticket.reporter.name.contains("Bình"))
        XCTAssertEqual(read.ticket.reporter.phone, "")
        XCTAssertEqual(read.ticket.reporter.email, "")
        XCTAssertEqual(try desk.readTicket(code, as: lan).ticket.reporter.phone, "0912000111", "the hotline sees who called")
    }

    func testAFailedExportIsAClearErrorAndNoExport() throws {
        let code = try recordedCase(confidential: false)
        let before = try store.history(code).count
        assertDesk(try desk.exportRecording(code, to: dir + "/missing/folder/a.wav", as: lan), field(.output))
        XCTAssertEqual(try store.history(code).count, before, "a failed export is not audited as an export")
        _ = try desk.exportRecording(code, to: dir + "/a.wav", as: lan)
        XCTAssertEqual(try store.history(code).last?.action, "export-recording")
    }

    func testTheSameFileAgainSaysItIsAlreadyAttached() throws {
        let code = try forwardedAndAccepted(at: vn("2026-06-10T08:00:00"))
        let photo = try evidenceFile("site.jpg")
        _ = try at(vn("2026-06-11T09:00:00")).unitStep(UnitStepRequest(code: code, step: .progress(note: "Đã kiểm tra"), evidence: [photo]),
                                                       as: giaVien)
        assertDesk(try at(vn("2026-06-12T09:00:00")).unitStep(
            UnitStepRequest(code: code, step: .resolve(result: "Đã xử lý xong"), evidence: [photo]), as: giaVien),
                   { e in if case .invalidField(.evidence, let why) = e { return why.contains("đã được đính kèm") } else { return false } })
    }

    func testWardsAndUnitCodesAreTheDirectorysWhateverWasTyped() throws {
        for typed in ["gia vien", "GIA VIÊN", "Gia Vie\u{0302}n"] {
            let code = try portalTicket(at: vn("2026-06-10T08:00:00"), summary: "")
            var d = details
            d.ward = typed
            let t = try desk.complete(CompleteRequest(code: code, details: d), as: lan)
            XCTAssertEqual(t.ward, "Gia Viên", typed)
            XCTAssertEqual(t.unitCode, "P-GIAVIEN", typed)
        }
        let code = try portalTicket(at: vn("2026-06-10T08:00:00"))
        XCTAssertEqual(try desk.complete(CompleteRequest(code: code, details: details, unit: "p-lechan"), as: lan).unitCode, "P-LECHAN")
        XCTAssertEqual(try desk.inbox(nil, as: leChan).map(\.trackingCode), [code], "no code: the member's own unit")
        XCTAssertEqual(try desk.inbox("p-lechan", as: leChan).count, 1)
    }

    func testASecondRatingIsRefusedAndAReopeningClearsIt() throws {
        let code = try forwardedAndAccepted(at: vn("2026-06-10T08:00:00"))
        _ = try at(vn("2026-06-11T09:00:00")).unitStep(UnitStepRequest(code: code, step: .resolve(result: "Đã xử lý"),
                                                                      evidence: [try evidenceFile("a.jpg")]), as: giaVien)
        _ = try desk.confirm(code, as: lan)
        try desk.rate(code, score: 2, as: lan)
        assertDesk(try desk.rate(code, score: 5, as: lan), { $0.article == "Art. 8.5b" && "\($0)".contains("2/5") })
        XCTAssertEqual(try store.ticket(code)?.rating, 2, "the first rating stands")
        _ = try desk.reopen(code, reason: "Vẫn còn đốt rác", as: lan)
        XCTAssertNil(try store.ticket(code)?.rating, "the next result is rated anew")
        XCTAssertEqual(try store.history(code).filter { $0.action == "rate" }.count, 1, "the history keeps the first")
    }

    func testCompletingAnUnclaimedCaseClaimsItForTheAgent() throws {
        let code = try portalTicket(at: vn("2026-06-10T08:00:00"))
        _ = try desk.complete(CompleteRequest(code: code, details: details), as: lan)
        let claim = try XCTUnwrap(store.history(code).first { $0.action == "claim" })
        XCTAssertEqual(claim.actor, "hotline:lan")
        XCTAssertTrue(claim.after?.contains("implicit") == true, "audited as claimed with the step")
    }

    func testAReportPeriodNeverStartsAfterItEnds() throws {
        assertDesk(try desk.weeklyReport(from: vn("2026-12-01T00:00:00"), to: vn("2026-06-30T00:00:00"), since: nil), field(.until))
        // Cumulative figures never start after the period: an explicit --since later than the week is refused,
        // and the default (the first ticket, here in December) moves back to the week's start.
        assertDesk(try desk.weeklyReport(from: vn("2026-06-23T00:00:00"), to: vn("2026-06-30T00:00:00"), since: vn("2026-12-01T00:00:00")),
                   field(.since))
        assertDesk(try desk.monthlyReport(from: vn("2026-06-01T00:00:00"), to: vn("2026-07-01T00:00:00"), since: vn("2026-06-15T00:00:00")),
                   field(.since))
        _ = try portalTicket(at: vn("2026-12-01T09:00:00"))
        let r = try desk.weeklyReport(from: vn("2026-06-23T00:00:00"), to: vn("2026-06-30T00:00:00"), since: nil)
        XCTAssertEqual(r.cumulativeSince, vn("2026-06-23T00:00:00"))
        XCTAssertFalse(try ReportRenderer.render(r, as: .md).contains("01/12/2026"))
        XCTAssertEqual(try desk.weeklyTrend(to: vn("2026-12-03T00:00:00"), weeks: 2).weeks.map(\.received), [0, 1])
        assertDesk(try desk.weeklyTrend(to: vn("2026-12-03T00:00:00"), weeks: 0), field(.weeks))
    }
}
