import Foundation
import HotlineCore

extension TicketStore {
    /// Tickets received in [from, to), counted by channel, category, topic, unit, status and lateness at `asOf`.
    /// One GROUP BY over the covering index `tickets_report`.
    public func reportCells(from: Date, to: Date, asOf: Date) throws -> [ReportCell] {
        try db.prepare("""
            SELECT channel, category, topic, unit_code, status,
                CASE WHEN status = 'completed' THEN COALESCE(resolved_at, completed_at) > COALESCE(response_due_at, 1e18)
                     WHEN status IN \(Self.openStatuses) THEN COALESCE(due_at, 1e18) < ?
                     ELSE FALSE END AS late,
                count(*)
            FROM tickets WHERE received_at >= ? AND received_at < ?
            GROUP BY 1, 2, 3, 4, 5, 6
            """).query([.double(asOf.timeIntervalSince1970), .double(from.timeIntervalSince1970),
                        .double(to.timeIntervalSince1970)]) { r in
                ReportCell(channel: r.channel(0),
                           category: r.category(1),
                           topic: r.topic(2), unitCode: r.text(3),
                           status: r.status(4), late: r.int(5) != 0,
                           count: Int(r.int(6)))
            }
    }

    /// Totals of tickets received in [from, to): whole Vietnam days from the trigger-kept `daily_counts`, the
    /// partial days at either end from the tickets, and open tickets' lateness at `asOf` from the partial index
    /// of open tickets. Equal to `Tally(reportCells(from:to:asOf:))`, at a fraction of the cost.
    public func tally(from: Date, to: Date, asOf: Date) throws -> Tally {
        var tally = Tally()
        let a = from.timeIntervalSince1970
        let b = to.timeIntervalSince1970
        guard b > a else { return tally }
        let offset = Double(TrackingCode.timeZone.secondsFromGMT())
        let firstWholeDay = ((a + offset) / 86400).rounded(.up)
        let endWholeDay = ((b + offset) / 86400).rounded(.down)
        func direct(_ x: Double, _ y: Double) throws {
            guard y > x else { return }
            for (status, late, n) in try db.prepare("""
                SELECT status, (status = 'completed' AND COALESCE(resolved_at, completed_at) > COALESCE(response_due_at, 1e18)),
                       count(*)
                FROM tickets WHERE received_at >= ? AND received_at < ? GROUP BY 1, 2
                """).query([.double(x), .double(y)], { ($0.text(0) ?? "", $0.int(1) != 0, Int($0.int(2))) }) {
                tally.add(status: TicketStatus(rawValue: status) ?? .draft, late: late, count: n)
            }
        }
        if firstWholeDay < endWholeDay {
            for (status, late, n) in try db.prepare("""
                SELECT status, late, sum(n) FROM daily_counts WHERE day >= ? AND day < ? GROUP BY 1, 2
                """).query([.int(Int64(firstWholeDay)), .int(Int64(endWholeDay))], { ($0.text(0) ?? "", $0.int(1) != 0, Int($0.int(2))) }) {
                tally.add(status: TicketStatus(rawValue: status) ?? .draft, late: late, count: n)
            }
            try direct(a, firstWholeDay * 86400 - offset)
            try direct(endWholeDay * 86400 - offset, b)
        } else {
            try direct(a, b)
        }
        // Left to itself the planner scans the receipt-time index over every ticket; the open tickets are few.
        tally.inProgressOverdue = try db.prepare("""
            SELECT count(*) FROM tickets INDEXED BY tickets_open_due
            WHERE \(Self.openCondition) AND due_at < ? AND received_at >= ? AND received_at < ?
            """).query([.double(asOf.timeIntervalSince1970), .double(a), .double(b)]) { Int($0.int(0)) }[0]
        return tally
    }

    public func receivedCount(from: Date, to: Date) throws -> Int {
        try db.prepare("SELECT count(*) FROM tickets WHERE received_at >= ? AND received_at < ?")
            .query([.double(from.timeIntervalSince1970), .double(to.timeIntervalSince1970)]) { Int($0.int(0)) }[0]
    }

    /// Open tickets past their step's deadline at `asOf`, most overdue first (the list letter 6180 asks to name).
    public func overdueTickets(asOf: Date, limit: Int = 200) throws -> [OverdueItem] {
        let names = try unitNames()
        return try db.prepare("""
            SELECT tracking_code, unit_code, due_at FROM tickets
            WHERE \(Self.openCondition) AND due_at < ? ORDER BY due_at LIMIT ?
            """).query([.double(asOf.timeIntervalSince1970), .int(Int64(limit))]) { r in
                let unit = r.text(1)
                return OverdueItem(trackingCode: r.text(0) ?? "", unit: unit.map { names[$0] ?? $0 } ?? "Tổng đài 1022 HP",
                                   dueAt: r.date(2))
            }
    }

    /// The first ticket's receipt: where cumulative figures start by default (the hotline's first day).
    public func firstReceipt() throws -> Date? {
        try db.prepare("SELECT min(received_at) FROM tickets").query { Self.date($0, 0) }.first ?? nil
    }

    func unitNames() throws -> [String: String] {
        Dictionary(try db.prepare("SELECT code, name FROM units").query { ($0.text(0) ?? "", $0.text(1) ?? "") },
                   uniquingKeysWith: { a, _ in a })
    }

    /// The weekly report for [from, to) (seed 000: Thursday 10:00 to Thursday 10:00), compared with the
    /// previous 7 days; cumulative figures from `since` (default: the first ticket).
    public func weeklyReport(from: Date, to: Date, since: Date? = nil, asOf: Date) throws -> WeeklyReport {
        let start = try cumulativeStart(since: since, from: from)
        let length = to.timeIntervalSince(from)
        return WeeklyReport.build(
            from: from, to: to, cumulativeSince: start, week: try reportCells(from: from, to: to, asOf: asOf),
            previousWeekReceived: try receivedCount(from: from.addingTimeInterval(-length), to: from),
            cumulative: try tally(from: start, to: to, asOf: asOf), overdue: try overdueTickets(asOf: asOf),
            units: try unitNames(), queue: try queueRecords(since: from, until: to))
    }

    /// Where cumulative figures start: `since`, else the first ticket; never after the period's own start (a
    /// report for June printed from a database whose first ticket is of December counts from June, not
    /// "từ 01/12/2026" for a period that ends in June).
    func cumulativeStart(since: Date?, from: Date) throws -> Date {
        min(try since ?? firstReceipt() ?? from, from)
    }

    /// The week [to − 7 days, to) and the `weeks − 1` weeks before it, oldest first: received in each, and how many
    /// of those are completed at `asOf` (from the daily counters, like `tally`).
    public func weeklyTrend(to: Date, weeks: Int, asOf: Date) throws -> WeeklyTrend {
        let week: TimeInterval = 7 * 86400
        return WeeklyTrend(weeks: try (0..<max(1, weeks)).reversed().map { k in
            let end = to.addingTimeInterval(-week * Double(k))
            let t = try tally(from: end.addingTimeInterval(-week), to: end, asOf: asOf)
            return WeekPoint(from: end.addingTimeInterval(-week), to: end, received: t.total, completed: t.completed)
        })
    }

    /// Monthly Form 01 for [from, to), cumulative from `since` (default: the first ticket).
    public func monthlyReport(from: Date, to: Date, since: Date? = nil, asOf: Date) throws -> MonthlyReport {
        let start = try cumulativeStart(since: since, from: from)
        return MonthlyReport.build(from: from, to: to, cumulativeSince: start,
                                   month: try reportCells(from: from, to: to, asOf: asOf),
                                   cumulative: try tally(from: start, to: to, asOf: asOf), units: try unitNames())
    }

    /// The quarter's suggestions (Art. 11.2). A confidential report's summary is not printed.
    public func quarterlyReport(from: Date, to: Date, asOf: Date) throws -> QuarterlyReport {
        let cells = try reportCells(from: from, to: to, asOf: asOf)
        let names = try unitNames()
        let items = try db.prepare("""
            SELECT tracking_code, summary, confidential, unit_code, status, rating FROM tickets
            WHERE category = 'suggestion' AND received_at >= ? AND received_at < ? AND status NOT IN ('refused', 'merged')
            ORDER BY (status = 'completed') DESC, rating DESC, received_at
            """).query([.double(from.timeIntervalSince1970), .double(to.timeIntervalSince1970)]) { r in
                SuggestionItem(trackingCode: r.text(0) ?? "", summary: r.int(2) != 0 ? "(bảo mật)" : r.text(1) ?? "",
                               unit: r.text(3).map { names[$0] ?? $0 } ?? "Tổng đài 1022 HP",
                               status: r.status(4),
                               rating: r.isNull(5) ? nil : Int(r.int(5)))
            }
        return QuarterlyReport(from: from, to: to, quarter: Tally(cells),
                               suggestions: Tally(cells.filter { $0.category == .suggestion }), items: items)
    }
}
