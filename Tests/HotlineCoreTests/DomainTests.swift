import Foundation
import XCTest

@testable import HotlineCore

/// The repository's `Config/` directory, found from this file's path.
let configDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Config").path

func vn(_ text: String) -> Date {
    let f = ISO8601DateFormatter()
    return f.date(from: text + "+07:00")!
}

final class DeadlinePolicyTests: XCTestCase {
    let calendar = WorkingCalendar()

    func due(_ s: TicketStatus, _ c: Category?, received: Date, step: Date? = nil, guidance: Bool = false,
             response: Date? = nil) -> Date? {
        DeadlinePolicy.due(status: s, category: c, receivedAt: received, stepStartedAt: step ?? received,
                           awaitingGuidance: guidance, responseDueAt: response, calendar: calendar)
    }

    func testTheHotlinesSixtyMinutesAndASuggestionsWorkingDay() {
        let friday = vn("2026-11-20T16:30:00")
        XCTAssertEqual(due(.draft, .infrastructure, received: friday), vn("2026-11-20T17:30:00"), "Art. 7.3, day or night")
        XCTAssertEqual(due(.draft, nil, received: vn("2026-11-21T23:30:00")), vn("2026-11-22T00:30:00"))
        // A suggestion on Friday: 1 working day → Monday's close.
        XCTAssertEqual(due(.draft, .suggestion, received: friday), vn("2026-11-23T17:00:00"), "Art. 8.3a")
        // Returned by a unit on Saturday: 60 minutes from the return.
        XCTAssertEqual(due(.returned, .socioeconomic, received: friday, step: vn("2026-11-21T09:00:00")), vn("2026-11-21T10:00:00"))
    }

    func testGuidanceIsTwoHoursInOfficeHoursFourOnDaysOff() {
        let r = vn("2026-11-19T09:00:00")
        XCTAssertEqual(due(.forwarded, .socioeconomic, received: r, step: vn("2026-11-20T09:00:00"), guidance: true),
                       vn("2026-11-20T11:00:00"))
        XCTAssertEqual(due(.forwarded, .socioeconomic, received: r, step: vn("2026-11-21T09:00:00"), guidance: true),
                       vn("2026-11-21T13:00:00"), "Saturday")
        XCTAssertEqual(due(.forwarded, .socioeconomic, received: r, step: vn("2026-02-18T09:00:00"), guidance: true),
                       vn("2026-02-18T13:00:00"), "Tết")
        XCTAssertEqual(due(.forwarded, .socioeconomic, received: r, step: vn("2026-11-20T18:00:00"), guidance: true),
                       vn("2026-11-20T22:00:00"), "after hours on a working day")
    }

    func testResponseDeadlinesByCategoryAcrossAWeekendAndTet() {
        // Socioeconomic: 5 working days. Wednesday 11 Feb 2026 → 12, 13, (Tết 16–20, weekend), 23, 24, 25.
        let beforeTet = vn("2026-02-11T10:00:00")
        XCTAssertEqual(DeadlinePolicy.responseStep(category: .socioeconomic, receivedAt: beforeTet).due(calendar),
                       vn("2026-02-25T17:00:00"))
        // Directive: 10 working days from Friday 20 Nov 2026 → Friday 4 Dec.
        let friday = vn("2026-11-20T10:00:00")
        XCTAssertEqual(DeadlinePolicy.responseStep(category: .directive, receivedAt: friday).due(calendar),
                       vn("2026-12-04T17:00:00"))
        // Suggestion: 10 calendar days, weekends included.
        XCTAssertEqual(DeadlinePolicy.responseStep(category: .suggestion, receivedAt: friday).due(calendar),
                       vn("2026-11-30T23:59:00"))
        // Infrastructure: verify 2 h + dispatch 1 h + fix 4 h, on a Sunday too.
        let sunday = vn("2026-11-22T20:00:00")
        XCTAssertEqual(DeadlinePolicy.responseStep(category: .infrastructure, receivedAt: sunday).due(calendar),
                       vn("2026-11-23T03:00:00"))
        XCTAssertEqual(due(.forwarded, .infrastructure, received: sunday, response: vn("2026-11-23T03:00:00")),
                       vn("2026-11-22T22:00:00"), "step 1, verification within 2 h (Art. 8.1a)")
        // A directive at the City Office: forwarded within 1 working day (Art. 8.4a), Friday → Monday.
        XCTAssertEqual(due(.forwarded, .directive, received: friday, response: vn("2026-12-04T17:00:00")),
                       vn("2026-11-23T17:00:00"))
        // An extension's committed date replaces the response deadline; a resolved ticket owes nothing.
        XCTAssertEqual(due(.inProgress, .socioeconomic, received: friday, response: vn("2026-12-01T12:00:00")),
                       vn("2026-12-01T12:00:00"))
        XCTAssertNil(due(.resolved, .socioeconomic, received: friday))
        XCTAssertNil(due(.completed, .socioeconomic, received: friday))
        // Transfer window: 1 working day, 2 with a field check (Art. 8.2f), across Tết.
        XCTAssertEqual(DeadlinePolicy.transferWindow(receivedAt: vn("2026-02-13T09:00:00"), fieldCheck: false, calendar: calendar),
                       vn("2026-02-23T17:00:00"))
        XCTAssertEqual(DeadlinePolicy.transferWindow(receivedAt: vn("2026-02-13T09:00:00"), fieldCheck: true, calendar: calendar),
                       vn("2026-02-24T17:00:00"))
    }

    func testTheShippedCalendarFileLoadsAndAMakeUpSaturdayCounts() throws {
        _ = try WorkingCalendar.load(path: configDirectory + "/calendar.json")
        var adjustments = WorkingCalendar.Adjustments()
        adjustments.workingWeekendDays = [Day(2026, 11, 21)]
        let withSaturday = WorkingCalendar(adjustments: adjustments)
        XCTAssertEqual(DeadlineRule.workingDays(1).deadline(from: vn("2026-11-20T10:00:00"), calendar: withSaturday),
                       vn("2026-11-21T17:00:00"))
    }
}

final class LifecycleAdditionsTests: XCTestCase {
    let received = Date(timeIntervalSince1970: 1_800_000_000)

    func testReopenGuidanceAndDuplicates() throws {
        XCTAssertEqual(try TicketLifecycle.next(.completed, .reopen(reason: "Rác vẫn bị đốt"), by: .hotline, receivedAt: received), .inProgress)
        XCTAssertThrowsError(try TicketLifecycle.next(.completed, .reopen(reason: " "), by: .hotline, receivedAt: received))
        XCTAssertThrowsError(try TicketLifecycle.next(.completed, .reopen(reason: "x"), by: .unit, receivedAt: received)) {
            XCTAssertEqual(($0 as? DeskError)?.article, "Art. 8.5b")
        }
        XCTAssertThrowsError(try TicketLifecycle.next(.inProgress, .reopen(reason: "x"), by: .hotline, receivedAt: received)) {
            XCTAssertEqual("\($0)", "Không thể mở lại phản ánh đang ở trạng thái «Đang xử lý» (in_progress): chỉ mở lại phản ánh đã hoàn thành (Art. 8.5b)")
        }
        XCTAssertEqual(try TicketLifecycle.next(.draft, .seekGuidance(reason: "Nhiều đơn vị"), by: .hotline, receivedAt: received), .forwarded)
        XCTAssertThrowsError(try TicketLifecycle.next(.accepted, .seekGuidance(reason: "x"), by: .hotline, receivedAt: received))
        XCTAssertEqual(try TicketLifecycle.next(.draft, .markDuplicate(of: "20260610-0000001"), by: .hotline, receivedAt: received), .merged)
        XCTAssertThrowsError(try TicketLifecycle.next(.merged, .forward(unit: "SXD"), by: .hotline, receivedAt: received))
        XCTAssertFalse(TicketStatus.merged.isOpen)
    }
}

final class RoutingTests: XCTestCase {
    func directory() throws -> UnitDirectory { try UnitDirectory.load(path: configDirectory + "/units.json") }

    func testTheShippedDirectoryHoldsTheSeedUnits() throws {
        let d = try directory()
        XCTAssertEqual(d.cityOffice?.name, "Văn phòng UBND TP")
        for name in ["Sở Xây dựng", "Công an thành phố", "Phường Gia Viên", "Xã Yết Kiêu", "Đặc khu Cát Hải", "Phường Tứ Minh"] {
            XCTAssertTrue(d.units.contains { $0.name == name }, name)
        }
        XCTAssertEqual(d.units.count, 24)
    }

    func testRoutingRules() throws {
        let d = try directory()
        XCTAssertEqual(Router.route(category: .directive, topic: nil, ward: "Gia Viên", in: d),
                       .unit("VPUBND", why: "nội dung đã có chỉ đạo chuyển Văn phòng UBND TP (Art. 7.2)"))
        XCTAssertEqual(Router.route(category: .socioeconomic, topic: .publicOrder, ward: "Gia Viên", in: d),
                       .unit("CATP", why: "quy tắc phân luồng số 1"))
        guard case .unit("P-GIAVIEN", _) = Router.route(category: .infrastructure, topic: .infrastructureIncident,
                                                         ward: "phường gia viên", in: d) else {
            return XCTFail("the ward's own unit, whatever the spelling")
        }
        guard case .guidance("VPUBND", _) = Router.route(category: .infrastructure, topic: nil, ward: "", in: d) else {
            return XCTFail("no unit known: to the City Office (Art. 7.4)")
        }
        var several = d
        several.rules.insert(RoutingRule(category: .infrastructure, ward: "Gia Viên", units: ["P-GIAVIEN", "SKHCN"]), at: 0)
        guard case .guidance(_, let reason) = Router.route(category: .infrastructure, topic: nil, ward: "Gia Viên", in: several) else {
            return XCTFail("several units: guidance")
        }
        XCTAssertTrue(reason.contains("SKHCN"))
    }

    func testABadDirectoryIsRejectedWithWhere() throws {
        let bad = UnitDirectory(units: [Unit(code: "A", name: "A", kind: .ward)], rules: [])
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("city_office")) }
        let unknown = UnitDirectory(units: [Unit(code: "V", name: "V", kind: .cityOffice)], rules: [RoutingRule(units: ["X"])])
        XCTAssertThrowsError(try unknown.validate()) { XCTAssertTrue("\($0)".contains("rules[0]")) }
    }
}

final class DuplicateFinderTests: XCTestCase {
    func testCandidatesAndWhatLinkingMeans() {
        let t0 = vn("2026-06-03T08:00:00")
        let earlier = [
            EarlierTicket(trackingCode: "20260603-0000001", status: .completed, callerNumber: "0911", ward: "Gia Viên",
                          topic: .fieldReport, summary: "Đốt rác gây ô nhiễm môi trường ở ngõ 5", receivedAt: t0),
            EarlierTicket(trackingCode: "20260604-0000002", status: .inProgress, callerNumber: "0922", ward: "Lê Chân",
                          topic: .infrastructureIncident, summary: "Đèn đường hỏng", receivedAt: t0.addingTimeInterval(86400)),
            EarlierTicket(trackingCode: "20260401-0000003", status: .inProgress, callerNumber: "0933", ward: "Gia Viên",
                          topic: .fieldReport, summary: "Lấn chiếm vỉa hè", receivedAt: vn("2026-04-01T08:00:00")),
        ]
        let c = DuplicatePolicy.candidates(callerNumber: "0999", ward: "Phường Gia Viên", topic: .fieldReport,
                                           summary: "dot rac gay o nhiem moi truong ngo 5", receivedAt: vn("2026-06-10T09:00:00"),
                                           among: earlier)
        XCTAssertEqual(c.map(\.trackingCode), ["20260603-0000001"], "old ticket outside the window, other ward ignored")
        XCTAssertEqual(c[0].reasons, [.sameWardAndTopic, .similarText])
        XCTAssertEqual(c[0].link, .recurrence, "the first was marked done: the fix did not hold (seed 000, 6a)")
        let byCaller = DuplicatePolicy.candidates(callerNumber: "0922", ward: "", topic: nil, summary: "",
                                                  receivedAt: vn("2026-06-10T09:00:00"), among: earlier)
        XCTAssertEqual(byCaller.first?.link, .duplicate)
        XCTAssertNil(DuplicatePolicy.linkKind(originalStatus: .refused))
    }
}

final class NotificationTemplateTests: XCTestCase {
    func testTheShippedTemplatesAndTheirChecks() throws {
        let t = try NotificationTemplates.load(path: configDirectory + "/templates.vi.json")
        let text = t.render(.acknowledgement, ["code": "20260610-0134036", "unit": "Phường Gia Viên", "lookup": "1022.haiphong.gov.vn"])
        XCTAssertTrue(text.contains("20260610-0134036") && text.contains("Phường Gia Viên"), text)
        XCTAssertFalse(text.contains("{"), text)
        XCTAssertThrowsError(try NotificationTemplates(texts: [:])) { XCTAssertTrue("\($0)".contains("acknowledgement")) }
        var texts = t.texts
        texts[.refusal] = "Xin chào {name}"
        XCTAssertThrowsError(try NotificationTemplates(texts: texts)) { XCTAssertTrue("\($0)".contains("{name}")) }
    }

    func testBackOff() {
        let p = RetryPolicy(delays: [10, 60])
        let t = Date(timeIntervalSince1970: 0)
        XCTAssertEqual(p.nextAttempt(after: 1, at: t), Date(timeIntervalSince1970: 10))
        XCTAssertEqual(p.nextAttempt(after: 2, at: t), Date(timeIntervalSince1970: 60))
        XCTAssertNil(p.nextAttempt(after: 3, at: t))
        XCTAssertEqual(p.maxAttempts, 3)
    }
}

final class PrivacyTests: XCTestCase {
    func testThePublicViewHasNoPersonalDataAndConfidentialityHidesMore() throws {
        var t = Ticket(trackingCode: "20260610-0000009", channel: .phone, status: .forwarded, category: .socioeconomic,
                       reporter: Reporter(name: "Nguyễn Văn An", phone: "0912345678", address: "12 Lạch Tray", email: "an@example.vn"),
                       content: "Tôi là An ở 12 Lạch Tray, hàng xóm đốt rác", summary: "Đốt rác", ward: "Gia Viên",
                       unitCode: "P-GIAVIEN", receivedAt: vn("2026-06-10T08:00:00"), dueAt: vn("2026-06-17T17:00:00"))
        let encoded = String(decoding: try JSONEncoder().encode(t.publicView(at: vn("2026-06-10T09:00:00"))), as: UTF8.self)
        for secret in ["Nguyễn", "0912345678", "Lạch Tray", "example.vn"] { XCTAssertFalse(encoded.contains(secret), secret) }
        XCTAssertEqual(t.publicView(at: vn("2026-06-10T09:00:00")).ward, "Gia Viên")
        XCTAssertFalse(t.publicView(at: vn("2026-06-10T09:00:00")).overdue)
        XCTAssertTrue(t.publicView(at: vn("2026-06-18T09:00:00")).overdue)
        t.confidential = true
        XCTAssertNil(t.publicView(at: Date()).ward)
        XCTAssertNil(t.publicView(at: Date()).summary)
    }
}

final class ReportArithmeticTests: XCTestCase {
    func testTalliesAddUpAndPercentsPrintTheVietnameseWay() {
        let cells = [
            ReportCell(channel: .portal, category: .socioeconomic, topic: nil, unitCode: "A", status: .completed, late: true, count: 1),
            ReportCell(channel: .portal, category: .socioeconomic, topic: nil, unitCode: "A", status: .completed, late: false, count: 2),
            ReportCell(channel: .app, category: nil, topic: nil, unitCode: "A", status: .inProgress, late: true, count: 3),
            ReportCell(channel: .app, category: nil, topic: nil, unitCode: nil, status: .refused, late: false, count: 1),
        ]
        let t = Tally(cells)
        XCTAssertEqual(t.total, t.completed + t.inProgress + t.closedOtherwise)
        XCTAssertEqual([t.completed, t.completedOnTime, t.inProgress, t.inProgressOverdue, t.refused], [3, 2, 3, 3, 1])
        let units = unitLines(cells, units: ["A": "Phường A"])
        XCTAssertEqual(units.map(\.name), ["Phường A", "Tổng đài 1022 HP"])
        for u in units { XCTAssertEqual(u.tally.total, u.tally.completed + u.tally.inProgress + u.tally.closedOtherwise) }
        XCTAssertEqual(ReportFormat.percent(24.0 / 43), "55,8%")
        XCTAssertEqual(ReportFormat.percent(20.0 / 24), "83,3%")
        XCTAssertEqual(ReportFormat.percent(nil), "–")
    }
}
