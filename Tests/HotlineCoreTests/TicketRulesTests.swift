import Foundation
import XCTest

@testable import HotlineCore

/// The rules that left the store for the core: editing, linking, rating, claims and the desk's accounts.
final class TicketRulesTests: XCTestCase {
    let reporter = Reporter(name: "Nguyễn Văn An", phone: "0912345678", address: "12 Lạch Tray", email: "an@example.vn")

    func ticket(_ code: String, _ status: TicketStatus, at: String, duplicateOf: String? = nil, rating: Int? = nil) -> Ticket {
        Ticket(trackingCode: code, channel: .phone, status: status, category: .socioeconomic, reporter: reporter,
               content: "Đốt rác", summary: "Đốt rác", ward: "Gia Viên", receivedAt: vn(at), duplicateOf: duplicateOf,
               rating: rating)
    }

    func reason(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func testAnEditChangesWhatDiffersAndAuditsPersonalDataWithoutItsValue() throws {
        let t = ticket("20260610-0000001", .draft, at: "2026-06-10T08:00:00")
        let edit = try XCTUnwrap(TicketEditing.decide(t, TicketDetails(reporterName: "Trần Thị Bình", summary: "Đốt rác",
                                                                         ward: "Lê Chân")))
        XCTAssertEqual(edit.values, [.reporterName: "Trần Thị Bình", .ward: "Lê Chân"], "the unchanged summary is left out")
        XCTAssertEqual(edit.audit.after?["reporter_name"], "…")
        XCTAssertEqual(edit.audit.before?["reporter_name"], "…")
        XCTAssertEqual(edit.audit.after?["ward"], "Lê Chân")
        XCTAssertFalse("\(edit.audit)".contains("Bình"), "no personal value in the audit line")
        XCTAssertNil(try TicketEditing.decide(t, TicketDetails(confidential: false, summary: "Đốt rác")), "nothing changes")
        XCTAssertEqual(try TicketEditing.decide(t, TicketDetails(confidential: true))?.confidential, true)
        var forwarded = t
        forwarded.status = .forwarded
        XCTAssertTrue(reason { try TicketEditing.decide(forwarded, TicketDetails(ward: "Lê Chân")) as Any }.contains("Art. 7.1"))
    }

    func testARepeatOfAnOpenTicketIsMergedAndOfACompletedOneIsARecurrence() throws {
        let open = ticket("20260601-0000001", .inProgress, at: "2026-06-01T08:00:00")
        let done = ticket("20260602-0000002", .completed, at: "2026-06-02T08:00:00")
        let new = ticket("20260610-0000003", .draft, at: "2026-06-10T08:00:00")
        let merged = try TicketLinking.decide(new, to: open, by: .hotline, at: vn("2026-06-10T09:00:00"))
        XCTAssertEqual(merged.kind, .duplicate)
        XCTAssertEqual(merged.status, .merged)
        XCTAssertEqual(merged.message, CitizenMessage(.duplicate, ["original": open.trackingCode]))
        let recurred = try TicketLinking.decide(new, to: done, by: .hotline, at: vn("2026-06-10T09:00:00"))
        XCTAssertEqual(recurred.kind, .recurrence)
        XCTAssertNil(recurred.status, "a recurrence stays a new ticket")
        XCTAssertEqual(recurred.originalAudit?.after?["by"], new.trackingCode)
        XCTAssertNil(recurred.message)
    }

    func testLinkingIsRefusedToItselfToALaterReportAndToARefusedOne() {
        let new = ticket("20260610-0000003", .draft, at: "2026-06-10T08:00:00")
        let later = ticket("20260611-0000004", .inProgress, at: "2026-06-11T08:00:00")
        let refused = ticket("20260601-0000005", .refused, at: "2026-06-01T08:00:00")
        XCTAssertTrue(reason { try TicketLinking.decide(new, to: new, by: .hotline, at: Date()) }.contains("chính nó"))
        XCTAssertTrue(reason { try TicketLinking.decide(new, to: later, by: .hotline, at: Date()) }.contains("sau"))
        XCTAssertTrue(reason { try TicketLinking.decide(new, to: refused, by: .hotline, at: Date()) }.contains("không liên kết được"))
        var forwarded = new
        forwarded.status = .forwarded
        let done = ticket("20260602-0000002", .completed, at: "2026-06-02T08:00:00")
        XCTAssertTrue(reason { try TicketLinking.decide(forwarded, to: done, by: .hotline, at: Date()) }.contains("Art. 7.5"))
    }

    func testTheAgentsExpectedKindMustAgreeAndAMergedReportStandsForItsFirst() {
        let new = ticket("20260610-0000003", .draft, at: "2026-06-10T08:00:00")
        let done = ticket("20260602-0000002", .completed, at: "2026-06-02T08:00:00")
        XCTAssertTrue(reason { try TicketLinking.decide(new, to: done, expected: .duplicate, by: .hotline, at: Date()) }
            .contains("liên kết là tái diễn"))
        let open = ticket("20260601-0000001", .inProgress, at: "2026-06-01T08:00:00")
        XCTAssertTrue(reason { try TicketLinking.decide(new, to: open, typedCode: "20260605-0000009", expected: .recurrence,
                                                        by: .hotline, at: Date()) }
            .contains("20260605-0000009 đang xử lý"), "the error names the code the agent typed")
        XCTAssertEqual(TicketLinking.standIn(for: ticket("20260605-0000009", .merged, at: "2026-06-05T08:00:00",
                                                        duplicateOf: open.trackingCode)), open.trackingCode)
        XCTAssertNil(TicketLinking.standIn(for: open))
    }

    func testOneRatingPerResultFromOneToFive() throws {
        let done = ticket("20260602-0000002", .completed, at: "2026-06-02T08:00:00")
        let (actor, audit) = try TicketRating.decide(done, score: 4, recordedBy: nil)
        XCTAssertEqual(actor, Actor(.citizen, "citizen"))
        XCTAssertEqual(audit.after?["rating"], "4")
        let typedIn = try TicketRating.decide(done, score: 5, recordedBy: Actor(.hotline, "agent-1"))
        XCTAssertEqual(typedIn.actor.name, "agent-1")
        XCTAssertEqual(typedIn.audit.after?["for"], "citizen")
        XCTAssertTrue(reason { try TicketRating.decide(done, score: 6, recordedBy: nil) }.contains("từ 1 đến 5"))
        XCTAssertTrue(reason { try TicketRating.decide(ticket("20260602-0000002", .completed, at: "2026-06-02T08:00:00", rating: 3),
                                                       score: 5, recordedBy: nil) }.contains("đã được đánh giá 3/5"))
        XCTAssertTrue(reason { try TicketRating.decide(ticket("20260602-0000002", .forwarded, at: "2026-06-02T08:00:00"),
                                                       score: 5, recordedBy: nil) }.contains("Art. 8.5b"))
    }

    func testAClaimIsExclusiveAndOnlyOnWhatTheHotlineHolds() throws {
        let draft = ticket("20260610-0000003", .draft, at: "2026-06-10T08:00:00")
        let now = vn("2026-06-10T09:00:00")
        let a = User(name: "agent-a", role: .agent), b = User(name: "agent-b", role: .agent)
        let claim = try ClaimRules.claim(draft, held: nil, by: a, at: now)
        XCTAssertEqual(claim.expiresAt, now.addingTimeInterval(Claim.defaultDuration))
        XCTAssertEqual(try ClaimRules.claim(draft, held: claim, by: a, at: now.addingTimeInterval(60)).userName, "agent-a",
                       "one's own claim is renewed")
        XCTAssertThrowsError(try ClaimRules.claim(draft, held: claim, by: b, at: now)) {
            guard case DeskError.conflict(_, "agent-a", _) = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertTrue(reason { try ClaimRules.claim(ticket("20260610-0000003", .forwarded, at: "2026-06-10T08:00:00"),
                                                    held: nil, by: a, at: now) }.contains("Art. 7.1"))
        XCTAssertTrue(reason { try ClaimRules.releasable(draft.trackingCode, held: nil) }.contains("chưa có ai"))
    }

    func testTheFirstUserIsAnAdministratorAndUnitMembersNeedAKnownUnit() throws {
        let directory = UnitDirectory(units: [Unit(code: "P-GIAVIEN", name: "UBND phường Gia Viên", kind: .ward)], rules: [])
        let admin = User(name: "admin", role: .administrator)
        XCTAssertEqual(try UserRules.admit(admin, by: nil, existingUsers: 0, nameTaken: false, directory: directory), admin)
        XCTAssertThrowsError(try UserRules.admit(admin, by: nil, existingUsers: 1, nameTaken: false, directory: directory)) {
            guard case DeskError.forbidden = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertTrue(reason { try UserRules.admit(User(name: "an", role: .agent), by: nil, existingUsers: 0, nameTaken: false,
                                                   directory: directory) }.contains("người dùng đầu tiên"))
        XCTAssertTrue(reason { try UserRules.admit(User(name: "Có Dấu", role: .agent), by: admin, existingUsers: 1,
                                                   nameTaken: false, directory: directory) }.contains("không hợp lệ"))
        XCTAssertTrue(reason { try UserRules.admit(User(name: "an", role: .agent), by: admin, existingUsers: 1, nameTaken: true,
                                                   directory: directory) }.contains("đã có"))
        let member = try UserRules.admit(User(name: "gv", role: .unit, unitCode: " p-giavien "), by: admin, existingUsers: 1,
                                         nameTaken: false, directory: directory)
        XCTAssertEqual(member.unitCode, "P-GIAVIEN", "the directory's spelling")
        XCTAssertThrowsError(try UserRules.admit(User(name: "gv", role: .unit, unitCode: "X"), by: admin, existingUsers: 1,
                                                 nameTaken: false, directory: directory)) {
            guard case DeskError.notFound(.unit, "X") = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertTrue(reason { try UserRules.admit(User(name: "an", role: .agent, unitCode: "P-GIAVIEN"), by: admin,
                                                   existingUsers: 1, nameTaken: false, directory: directory) }
            .contains("chỉ cán bộ đơn vị"))
        XCTAssertTrue(reason { try UserRules.checkActivation(of: admin, active: false, by: admin) as Any }.contains("tự khóa"))
        XCTAssertTrue(reason { try UserRules.roleChange(of: admin, to: .agent, unitCode: nil, by: admin, directory: directory) as Any }
            .contains("tự bỏ quyền"))
        XCTAssertEqual(try UserRules.roleChange(of: User(name: "an", role: .agent), to: .unit, unitCode: "P-GIAVIEN", by: admin,
                                                directory: directory), "P-GIAVIEN")
    }

    func testAKeyedInCodeGetsItsDash() {
        XCTAssertEqual(TrackingCode.fromKeypad("202606100000003"), "20260610-0000003")
        XCTAssertNil(TrackingCode.fromKeypad("20260610000000"))
        XCTAssertNil(TrackingCode.fromKeypad("2026061000000*3"))
    }
}

/// The rules around a unit's and an agent's steps.
final class StepRulesTests: XCTestCase {
    func testTheForwardTargetIsTheTypedUnitElseTheRoutersElseAQuestionForTheCityOffice() throws {
        XCTAssertEqual(try StepRules.forwardTarget(typed: "P-LECHAN", suggestion: .unit("P-GIAVIEN", why: "ward"), code: "c"), "P-LECHAN")
        XCTAssertEqual(try StepRules.forwardTarget(typed: "", suggestion: .unit("P-GIAVIEN", why: "ward"), code: "c"), "P-GIAVIEN")
        XCTAssertThrowsError(try StepRules.forwardTarget(typed: nil, suggestion: .guidance(cityOffice: "VP", reason: "hai đơn vị"),
                                                         code: "20260610-0000001")) {
            XCTAssertTrue("\($0)".contains("Art. 7.4"), "\($0)")
        }
    }

    func testATransferAfterItsWindowIsRefusedAndTheSameFileIsNoNewEvidence() throws {
        let calendar = WorkingCalendar()
        let forwarded = vn("2026-06-10T09:00:00")  // a Wednesday
        let t = Ticket(trackingCode: "20260610-0000001", channel: .phone, status: .accepted, receivedAt: forwarded)
        let transfer = TicketAction.transfer(to: "P-LECHAN", reason: "không thuộc thẩm quyền")
        XCTAssertNoThrow(try StepRules.checkTransferWindow(t, transfer, forwardedAt: forwarded, fieldCheck: false,
                                                           at: vn("2026-06-10T16:00:00"), calendar: calendar))
        XCTAssertThrowsError(try StepRules.checkTransferWindow(t, transfer, forwardedAt: forwarded, fieldCheck: false,
                                                               at: vn("2026-06-15T09:00:00"), calendar: calendar)) {
            XCTAssertTrue("\($0)".contains("Art. 8.2f"), "\($0)")
        }
        XCTAssertNoThrow(try StepRules.checkTransferWindow(t, .accept, forwardedAt: forwarded, fieldCheck: false,
                                                           at: vn("2026-07-15T09:00:00"), calendar: calendar), "other steps pass")
        XCTAssertNoThrow(try StepRules.checkNewEvidence("/x/anh.jpg", attachedBefore: nil))
        XCTAssertThrowsError(try StepRules.checkNewEvidence("/x/anh.jpg", attachedBefore: forwarded)) {
            XCTAssertTrue("\($0)".contains("anh.jpg"), "\($0)")
        }
        XCTAssertEqual(AttachmentKind.evidence(forFile: "/x/Anh.JPG"), .photo)
        XCTAssertEqual(AttachmentKind.evidence(forFile: "/x/bien-ban.pdf"), .document)
    }
}
