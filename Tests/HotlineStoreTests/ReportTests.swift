import Foundation
import HotlineCore
import XCTest

@testable import HotlineStore

/// Seed 000: the city office's first weekly report (10:00 4/6 to 10:00 11/6/2026), rebuilt from tickets.
final class Seed000ReportTests: StoreTestCase {
    let from = vn("2026-06-04T10:00:00")
    let to = vn("2026-06-11T10:00:00")

    /// The week's 43 tickets: topics and channels as seed 000's tables 2 and 3 print them; 24 completed, 20 of
    /// them on time (83.3%); 19 still open.
    func buildWeek() throws {
        let topics: [Topic] = Array(repeating: .fieldReport, count: 4) + [.infrastructureIncident]
            + Array(repeating: .economySocietyDefence, count: 24) + Array(repeating: .administrativeProcedure, count: 8)
            + Array(repeating: .publicOrder, count: 4) + Array(repeating: .citySuggestion, count: 2)
        XCTAssertEqual(topics.count, 43)
        let wardUnits = ["P-LECHAN", "P-GIAVIEN", "P-HAIAN", "P-ANBIEN", "P-HONGBANG", "P-ANDUONG", "X-VINHTHINH", "SXD"]
        for (i, topic) in topics.enumerated() {
            let channel: Channel = i < 21 ? .portal : i < 41 ? .app : .phone
            let category: HotlineCore.Category = switch topic {
            case .fieldReport, .infrastructureIncident: .infrastructure
            case .citySuggestion: .suggestion
            default: .socioeconomic
            }
            let received = from.addingTimeInterval(1800 + Double(i) * 3 * 3600)
            let code = try portalTicket(at: received, phone: "09000000\(i)", category: category, topic: topic, ward: "",
                                        summary: "PAKN \(i)", channel: channel)
            let unit = wardUnits[i % wardUnits.count]
            switch i {
            case 0..<4:  // infrastructure field reports fixed 10 h after receipt: late (2 h + 1 h + 4 h, Art. 8.1)
                try complete(code, unit: unit, forwardAt: received.addingTimeInterval(1800), resolveAt: received.addingTimeInterval(10 * 3600))
            case 4..<24:
                try complete(code, unit: unit, forwardAt: received.addingTimeInterval(1800), resolveAt: received.addingTimeInterval(3 * 3600))
            case 24..<37:
                try store.perform(.forward(unit: unit), on: code, by: agent, at: received.addingTimeInterval(1800), context: context)
            default:
                break  // still with the hotline
            }
        }
    }

    /// The 24 tickets of the first days (1/6 to 4/6 10:00): 20 completed, 4 open.
    func buildPreviousDays() throws {
        for i in 0..<24 {
            let received = vn("2026-06-01T08:00:00").addingTimeInterval(Double(i) * 2 * 3600)
            let code = try portalTicket(at: received, phone: "09100000\(i)", category: .socioeconomic, topic: .economySocietyDefence,
                                        ward: "", summary: "PAKN cũ \(i)", channel: i % 2 == 0 ? .portal : .app)
            if i < 20 {
                try complete(code, unit: "P-LECHAN", forwardAt: received.addingTimeInterval(600), resolveAt: received.addingTimeInterval(86400))
            } else {
                try store.perform(.forward(unit: "P-GIAVIEN"), on: code, by: agent, at: received.addingTimeInterval(600), context: context)
            }
        }
    }

    func testTheHeadlineFiguresOfSeed000() throws {
        try buildPreviousDays()
        try buildWeek()
        let r = try store.weeklyReport(from: from, to: to, since: vn("2026-06-01T00:00:00"), asOf: to)

        XCTAssertEqual(r.week.total, 43)
        XCTAssertEqual(r.previousWeekReceived, 24)
        XCTAssertEqual(r.changePercent, 79)
        XCTAssertEqual(r.cumulative.total, 67)
        XCTAssertEqual([r.week.completed, r.cumulative.completed], [24, 44])
        XCTAssertEqual([r.week.inProgress, r.cumulative.inProgress], [19, 23])
        XCTAssertEqual(ReportFormat.percent(r.completionRate), "55,8%")
        XCTAssertEqual(ReportFormat.percent(r.onTimeRate), "83,3%")

        // Table 2 as printed, in its order. (The seed prints 4,6% for 2 of 43; 2/43 = 4.65%, which rounds to
        // 4,7%, the figure it prints for the same 2 of 43 in table 3.)
        XCTAssertEqual(r.byTopic.map(\.label), Topic.allCases.map(\.label))
        XCTAssertEqual(r.byTopic.map(\.count), [24, 8, 4, 4, 1, 2])
        XCTAssertEqual(r.byTopic.map { ReportFormat.percent($0.share) }, ["55,8%", "18,6%", "9,3%", "9,3%", "2,3%", "4,7%"])
        // Table 3.
        XCTAssertEqual(r.byChannel.map(\.label), ["Tổng đài thoại 1022", "Trang tin 1022", "Smart Hải Phòng"])
        XCTAssertEqual(r.byChannel.map(\.count), [2, 21, 20])
        XCTAssertEqual(r.byChannel.map { ReportFormat.percent($0.share) }, ["4,7%", "48,8%", "46,5%"])
        // Table 4 adds up, unit by unit and in total.
        for u in r.byUnit { XCTAssertEqual(u.tally.total, u.tally.completed + u.tally.inProgress + u.tally.closedOtherwise, u.name) }
        XCTAssertEqual(r.byUnit.map(\.tally.total).reduce(0, +), 43)
        XCTAssertEqual(r.byUnit.first { $0.code == "" }?.tally.total, 6, "the 6 still with the hotline")
        // Named as overdue: the 6 drafts left with the hotline (60 minutes, Art. 7.3) and the 4 open tickets of
        // 1 June, past their 5 working days on 8 June (Art. 8.2d).
        XCTAssertEqual(r.overdue.count, 10)
        XCTAssertEqual(r.week.inProgressOverdue, 6)

        let md = try ReportRenderer.render(r, as: .md)
        XCTAssertTrue(md.contains("Tổng số PAKN từ 01/06/2026 đến nay là 67"), md)
        XCTAssertTrue(md.contains("trong tuần này là 43, so sánh với số PAKN tiếp nhận tuần trước là 24, tăng 79%"), md)
        XCTAssertTrue(md.contains("| 43 | 67 | 24 | 44 | 19 | 23 | 0 |"), md)
        XCTAssertTrue(md.contains("| Kinh tế văn hóa xã hội - quốc phòng an ninh | 24 | 55,8% |"), md)
        XCTAssertTrue(md.contains("| TỔNG CỘNG | 43 | Tỷ lệ HT: 55,8% |"), md)
        XCTAssertTrue(md.contains("đúng hạn trong số hồ sơ đã hoàn thành đạt 83,3%"), md)
        XCTAssertFalse(md.contains("Trần Thị Bình") || md.contains("0900000"), "no personal data in a report")

        let csv = try ReportRenderer.render(r, as: .csv)
        XCTAssertTrue(csv.contains("kenh,Trang tin 1022,21,\"48,8%\""), csv)
        let json = try JSONSerialization.jsonObject(with: Data(try ReportRenderer.render(r, as: .json).utf8)) as? [String: Any]
        XCTAssertEqual((json?["week"] as? [String: Any])?["total"] as? Int, 43)

        // The counters kept by triggers agree with counting the tickets, over whole days, part days and both.
        for (a, b) in [(vn("2026-06-01T00:00:00"), to), (from, to), (vn("2026-05-01T00:00:00"), vn("2026-07-01T00:00:00")),
                       (vn("2026-06-05T13:00:00"), vn("2026-06-05T19:00:00")), (vn("2026-06-02T09:00:00"), vn("2026-06-09T15:30:00"))] {
            XCTAssertEqual(try store.tally(from: a, to: b, asOf: to), Tally(try store.reportCells(from: a, to: b, asOf: to)), "\(a)–\(b)")
        }

        // Form 01 for June, as of the same moment: 67 received, 44 completed (4 late), 23 open.
        let monthly = try store.monthlyReport(from: vn("2026-06-01T00:00:00"), to: vn("2026-07-01T00:00:00"), asOf: to)
        XCTAssertEqual([monthly.cumulative.total, monthly.cumulative.completed, monthly.cumulative.completedLate,
                        monthly.cumulative.inProgress], [67, 44, 4, 23])
        XCTAssertEqual(monthly.byField.first { $0.label == "Quốc phòng an ninh" }?.count, 4)
        XCTAssertEqual(monthly.mostTickets.first?.name, "Phường Lê Chân")
        XCTAssertFalse(monthly.highestOverdueRate.isEmpty)
        let form = try ReportRenderer.render(monthly, as: .md)
        XCTAssertTrue(form.contains("Đã hoàn thành: 44 phản ánh, kiến nghị (65,7%). Trong đó 40 phản ánh, kiến nghị đúng hạn (90,9%)"), form)
    }

    func testQuarterlyListsSuggestionsWithoutConfidentialWording() throws {
        let a = try portalTicket(at: vn("2026-05-02T09:00:00"), category: .suggestion, topic: .citySuggestion,
                                 summary: "Trồng thêm cây xanh dọc sông Lạch Tray")
        let b = try portalTicket(at: vn("2026-05-03T09:00:00"), category: .suggestion, topic: .citySuggestion, summary: "Riêng tư")
        try store.updateDetails(b, TicketDetails(confidential: true), by: agent, at: vn("2026-05-03T09:10:00"))
        _ = try portalTicket(at: vn("2026-07-03T09:00:00"), category: .suggestion, topic: .citySuggestion, summary: "Quý sau")
        let q = try store.quarterlyReport(from: vn("2026-04-01T00:00:00"), to: vn("2026-07-01T00:00:00"), asOf: vn("2026-07-01T00:00:00"))
        XCTAssertEqual(q.items.map(\.trackingCode).sorted(), [a, b].sorted())
        XCTAssertEqual(q.items.first { $0.trackingCode == b }?.summary, "(bảo mật)")
        XCTAssertTrue(try ReportRenderer.render(q, as: .md).contains("Trồng thêm cây xanh"))
    }
}
