import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let reportCommands = Command.group("report", "Reports for the city office: weekly (seed 000), monthly Form 01, quarterly, charts.", [
    reportWeeklyCommand,
    reportMonthlyCommand,
    reportQuarterlyCommand,
    reportChartCommand,
])

/// The options every report shares: the database, the format, the letter for a .docx, the output file.
let reportOutputHelp = """
    --format md|csv|json|docx (default md). docx is the letter the city office sends as is, in seed 000's
    layout; it is written to --out FILE, or to standard output only when that is not a terminal. The CSV
    starts with a UTF-8 byte order mark so Excel shows the Vietnamese.
    --letter FILE.json overrides the letter's fixed parts (seed 000's by default), any of: parentAgency,
    agency, agencyName, number, place, issued ("2026-06-11"), addressees [..], difficulties [..] (section 6),
    proposals [..] (section 7), closing, copies [..], signerTitle [..], signerName.
    --out FILE writes the report there instead of standard output.
    """

struct ReportOutputOptions {
    var format: ReportFileFormat
    var letter: ReportLetter
    var out: String?

    init(_ args: inout Arguments) throws {
        let text = try args.option("--format") ?? "md"
        guard let f = ReportFileFormat(rawValue: text) else {
            throw UsageError("--format là md, csv, json hoặc docx, không phải '\(text)'")
        }
        format = f
        out = try args.option("--out")
        if let path = try args.option("--letter") {
            guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("không đọc được \(path)") }
            do {
                letter = try ReportLetter.decode(data)
            } catch {
                throw CommandFailure("\(path) không phải thư báo cáo hợp lệ (JSON): \(error)")
            }
        } else {
            letter = ReportLetter()
        }
        // Checked before the report is built: a Word file sprayed over a terminal helps no one.
        if format == .docx, out == nil, isatty(STDOUT_FILENO) != 0 {
            throw UsageError("tệp .docx cần --out FILE.docx (hoặc chuyển hướng đầu ra vào một tệp)")
        }
    }

    func emit(_ bytes: [UInt8]) throws {
        try writeReportOutput(bytes, to: out)
        if let out { print("Đã ghi \(out) (\(bytes.count) byte).") }
    }
}

/// Writes to `path` (whole, renamed over any earlier file) or to standard output.
func writeReportOutput(_ bytes: [UInt8], to path: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(Data(bytes))
        return
    }
    do {
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw CommandFailure("không ghi được \(path): \(error.localizedDescription)")
    }
}

let reportWeeklyCommand = Command.leaf(
    "weekly", "The weekly report: this week vs last, by topic, channel and unit, overdue named.",
    help: """
        [--to DATE[THH:MM]] [--since DATE] [--format md|csv|json|docx] [--letter FILE.json] [--out FILE] [--db PATH]

        The week is the 7 days before --to (Vietnam time; default now), e.g. --to 2026-06-11T10:00 for
        Thursday's report. Cumulative figures start at --since (default: the first ticket, or the week's
        start if that is earlier); --since after the week's start is refused.
        \(reportOutputHelp)
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let output = try ReportOutputOptions(&args)
    let to = try args.option("--to").map { try parseVietnamDate($0, option: "--to") } ?? Date()
    let since = try args.option("--since").map { try parseVietnamDate($0, option: "--since") }
    try args.finish()
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let report = try desk.weeklyReport(from: to.addingTimeInterval(-7 * 86400), to: to, since: since)
    try output.emit(try ReportRenderer.file(report, as: output.format, letter: output.letter) + newline(output.format))
}

let reportMonthlyCommand = Command.leaf(
    "monthly", "Form 01 (Art. 11.2): cumulative totals, on time and overdue, by field, the units to watch.",
    help: """
        [--month YYYY-MM] [--since DATE] [--format md|csv|json|docx] [--letter FILE.json] [--out FILE] [--db PATH]

        --month defaults to the current month. Cumulative figures run from --since (default: the first
        ticket, or the month's first day if that is earlier) to the end of the month.
        \(reportOutputHelp)
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let output = try ReportOutputOptions(&args)
    let month = try args.option("--month")
    let since = try args.option("--since").map { try parseVietnamDate($0, option: "--since") }
    try args.finish()
    let (from, to) = try monthRange(month)
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let report = try desk.monthlyReport(from: from, to: to, since: since)
    try output.emit(try ReportRenderer.file(report, as: output.format, letter: output.letter) + newline(output.format))
}

let reportQuarterlyCommand = Command.leaf(
    "quarterly", "The quarter's suggestions (góp ý, hiến kế) with their public summaries.",
    help: """
        [--quarter YYYY-QN] [--format md|csv|json|docx] [--letter FILE.json] [--out FILE] [--db PATH]

        --quarter like 2026-Q2; defaults to the current quarter.
        \(reportOutputHelp)
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let output = try ReportOutputOptions(&args)
    let quarter = try args.option("--quarter")
    try args.finish()
    let (from, to) = try quarterRange(quarter)
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let report = try desk.quarterlyReport(from: from, to: to)
    try output.emit(try ReportRenderer.file(report, as: output.format, letter: output.letter) + newline(output.format))
}

let reportChartCommand = Command.leaf(
    "chart", "SVG charts: the weekly trend, the week's topics, each unit's on-time rate.",
    help: """
        trend|topics|units [--to DATE[THH:MM]] [--weeks N] [--out FILE.svg] [--db PATH]

        trend: tickets received and completed in the week before --to and the weeks before it (--weeks,
        default 8, at most 104), the report's week highlighted. topics: the week's tickets by topic.
        units: each unit's share of the week's completed tickets resolved on time. The week is the 7 days
        before --to (default now), as in `report weekly`. Without --out the SVG goes to standard output.
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    guard let kind = args.positional() else { throw UsageError("thiếu loại biểu đồ: trend, topics hoặc units") }
    guard ["trend", "topics", "units"].contains(kind) else {
        throw UsageError("loại biểu đồ là trend, topics hoặc units, không phải '\(kind)'")
    }
    let to = try args.option("--to").map { try parseVietnamDate($0, option: "--to") } ?? Date()
    let weeks = try args.intOption("--weeks") ?? 8
    let out = try args.option("--out")
    try args.finish()
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let svg: String
    switch kind {
    case "trend": svg = ReportCharts.trend(try desk.weeklyTrend(to: to, weeks: weeks))
    default:
        let report = try desk.weeklyReport(from: to.addingTimeInterval(-7 * 86400), to: to, since: nil)
        svg = kind == "topics" ? ReportCharts.topics(report) : ReportCharts.unitsOnTime(report)
    }
    try writeReportOutput(Array(svg.utf8), to: out)
    if let out { print("Đã ghi \(out).") }
}

/// JSON as rendered has no final newline; the text formats have one; a Word file gets none.
func newline(_ format: ReportFileFormat) -> [UInt8] { format == .json ? [0x0A] : [] }

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
