import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let reportCommands = Command.group("report", "Reports for the city office: weekly (seed 000), monthly Form 01, quarterly.", [
    reportWeeklyCommand,
    reportMonthlyCommand,
    reportQuarterlyCommand,
])

let reportWeeklyCommand = Command.leaf(
    "weekly", "The weekly report: this week vs last, by topic, channel and unit, overdue named.",
    help: """
        [--to DATE[THH:MM]] [--since DATE] [--format md|csv|json] [--db PATH]

        The week is the 7 days before --to (Vietnam time; default now), e.g. --to 2026-06-11T10:00 for
        Thursday's report. Cumulative figures start at --since (default: the first ticket).
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let format = try reportFormat(&args)
    let to = try args.option("--to").map { try parseVietnamDate($0, option: "--to") } ?? Date()
    let since = try args.option("--since").map { try parseVietnamDate($0, option: "--since") }
    try args.finish()
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let report = try desk.weeklyReport(from: to.addingTimeInterval(-7 * 86400), to: to, since: since)
    print(try ReportRenderer.render(report, as: format), terminator: format == .json ? "\n" : "")
}

let reportMonthlyCommand = Command.leaf(
    "monthly", "Form 01 (Art. 11.2): cumulative totals, on time and overdue, by field, the units to watch.",
    help: """
        [--month YYYY-MM] [--since DATE] [--format md|csv|json] [--db PATH]

        --month defaults to the current month. Cumulative figures run from --since (default: the first
        ticket) to the end of the month.
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let format = try reportFormat(&args)
    let month = try args.option("--month")
    let since = try args.option("--since").map { try parseVietnamDate($0, option: "--since") }
    try args.finish()
    let (from, to) = try monthRange(month)
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let report = try desk.monthlyReport(from: from, to: to, since: since)
    print(try ReportRenderer.render(report, as: format), terminator: format == .json ? "\n" : "")
}

let reportQuarterlyCommand = Command.leaf(
    "quarterly", "The quarter's suggestions (góp ý, hiến kế) with their public summaries.",
    help: """
        [--quarter YYYY-QN] [--format md|csv|json] [--db PATH]

        --quarter like 2026-Q2; defaults to the current quarter.
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let format = try reportFormat(&args)
    let quarter = try args.option("--quarter")
    try args.finish()
    let (from, to) = try quarterRange(quarter)
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let report = try desk.quarterlyReport(from: from, to: to)
    print(try ReportRenderer.render(report, as: format), terminator: format == .json ? "\n" : "")
}

func reportFormat(_ args: inout Arguments) throws -> ReportOutput {
    let text = try args.option("--format") ?? "md"
    guard let f = ReportOutput(rawValue: text) else { throw UsageError("--format is md, csv or json, not '\(text)'") }
    return f
}

/// `2026-06-11` (midnight) or `2026-06-11T10:00`, Vietnam time.
func parseVietnamDate(_ text: String, option: String) throws -> Date {
    let parts = text.split(separator: "T", maxSplits: 1)
    guard let day = Day(String(parts[0])) else {
        throw UsageError("\(option) expects a date like 2026-06-11 or 2026-06-11T10:00, got '\(text)'")
    }
    var minutes = 0
    if parts.count == 2 {
        let hm = parts[1].split(separator: ":").compactMap { Int($0) }
        guard hm.count == 2, (0..<24).contains(hm[0]), (0..<60).contains(hm[1]) else {
            throw UsageError("\(option): the time in '\(text)' should be HH:MM")
        }
        minutes = hm[0] * 60 + hm[1]
    }
    return day.at(minutes: minutes)
}

func monthRange(_ text: String?) throws -> (Date, Date) {
    let (year, month): (Int, Int)
    if let text {
        let p = text.split(separator: "-").compactMap { Int($0) }
        guard p.count == 2, (1...12).contains(p[1]) else { throw UsageError("--month expects YYYY-MM, got '\(text)'") }
        (year, month) = (p[0], p[1])
    } else {
        let today = Day(Date())
        (year, month) = (today.year, today.month)
    }
    let next = month == 12 ? Day(year + 1, 1, 1) : Day(year, month + 1, 1)
    return (Day(year, month, 1).at(minutes: 0), next.at(minutes: 0))
}

func quarterRange(_ text: String?) throws -> (Date, Date) {
    let (year, quarter): (Int, Int)
    if let text {
        let p = text.uppercased().split(separator: "-")
        guard p.count == 2, let y = Int(p[0]), p[1].hasPrefix("Q"), let q = Int(p[1].dropFirst()), (1...4).contains(q) else {
            throw UsageError("--quarter expects YYYY-QN like 2026-Q2, got '\(text)'")
        }
        (year, quarter) = (y, q)
    } else {
        let today = Day(Date())
        (year, quarter) = (today.year, (today.month - 1) / 3 + 1)
    }
    let startMonth = (quarter - 1) * 3 + 1
    let end = quarter == 4 ? Day(year + 1, 1, 1) : Day(year, startMonth + 3, 1)
    return (Day(year, startMonth, 1).at(minutes: 0), end.at(minutes: 0))
}
