import Foundation
import HotlineCore
import HotlineStore

/// Which report a download is.
public enum ReportKind: String, Sendable, CaseIterable {
    case weekly, monthly, quarterly

    public var label: String {
        switch self {
        case .weekly: "Báo cáo tuần"
        case .monthly: "Biểu mẫu 01 (tháng)"
        case .quarterly: "Báo cáo quý (góp ý, hiến kế)"
        }
    }
}

/// The period of a report, as the CLI's options name it: the week before a moment, a month, a quarter.
public struct ReportPeriod: Sendable, Equatable {
    public var from: Date
    public var to: Date
    /// For file names: `tuan-2026-06-11`, `thang-2026-06`, `quy-2026-Q2`.
    public var slug: String

    /// The 7 days before `to` (Vietnam time).
    public static func week(to: Date) -> ReportPeriod {
        ReportPeriod(from: to.addingTimeInterval(-7 * 86400), to: to, slug: "tuan-\(Day(to.addingTimeInterval(-1)))")
    }

    /// "2026-06": that month.
    public static func month(_ text: String) -> ReportPeriod? {
        let p = text.split(separator: "-").compactMap { Int($0) }
        guard p.count == 2, (2000...2100).contains(p[0]), (1...12).contains(p[1]) else { return nil }
        let next = p[1] == 12 ? Day(p[0] + 1, 1, 1) : Day(p[0], p[1] + 1, 1)
        return ReportPeriod(from: Day(p[0], p[1], 1).at(minutes: 0), to: next.at(minutes: 0),
                            slug: String(format: "thang-%04d-%02d", p[0], p[1]))
    }

    /// "2026-Q2": that quarter.
    public static func quarter(_ text: String) -> ReportPeriod? {
        let p = text.uppercased().split(separator: "-")
        guard p.count == 2, let y = Int(p[0]), (2000...2100).contains(y), p[1].hasPrefix("Q"), let q = Int(p[1].dropFirst()),
              (1...4).contains(q) else { return nil }
        let start = (q - 1) * 3 + 1
        let end = q == 4 ? Day(y + 1, 1, 1) : Day(y, start + 3, 1)
        return ReportPeriod(from: Day(y, start, 1).at(minutes: 0), to: end.at(minutes: 0), slug: "quy-\(y)-Q\(q)")
    }
}

/// A report as a file to download.
public struct ReportDownload: Sendable {
    public var bytes: [UInt8]
    public var filename: String
    public var contentType: String
}

/// What the report dashboard shows: the week, its trend, the charts, and what is overdue now.
public struct Dashboard: Sendable {
    public var report: WeeklyReport
    public var trend: WeeklyTrend
    public var trendChart: String
    public var topicsChart: String
    public var unitsChart: String
    /// Open tickets overdue now, or due within the next day, most urgent first.
    public var watch: [WorkItem]
}

extension Desk {
    /// The dashboard for the week before `to`: reports count tickets, no personal data; for the hotline and
    /// administrators (`oversee`), who also see the overdue board.
    public func dashboard(to: Date, weeks: Int = 8, as user: User) throws -> Dashboard {
        try check(user, .oversee)
        let period = ReportPeriod.week(to: to)
        let report = try weeklyReport(from: period.from, to: period.to, since: nil)
        let trend = try weeklyTrend(to: to, weeks: weeks)
        return Dashboard(report: report, trend: trend, trendChart: ReportCharts.trend(trend),
                         topicsChart: ReportCharts.topics(report), unitsChart: ReportCharts.unitsOnTime(report),
                         watch: try overdue(within: 86400, as: user))
    }

    /// A report as the file the City Office sends as is (.docx in seed 000's layout) or a spreadsheet (CSV with
    /// its byte order mark), for the hotline and administrators.
    public func reportFile(_ kind: ReportKind, period: ReportPeriod, format: ReportFileFormat, letter: ReportLetter = ReportLetter(),
                           as user: User) throws -> ReportDownload {
        try check(user, .oversee)
        let bytes: [UInt8]
        switch kind {
        case .weekly: bytes = try ReportRenderer.file(try weeklyReport(from: period.from, to: period.to, since: nil), as: format, letter: letter)
        case .monthly: bytes = try ReportRenderer.file(try monthlyReport(from: period.from, to: period.to, since: nil), as: format, letter: letter)
        case .quarterly: bytes = try ReportRenderer.file(try quarterlyReport(from: period.from, to: period.to), as: format, letter: letter)
        }
        let name = "bao-cao-1022-\(period.slug).\(format.fileExtension)"
        return ReportDownload(bytes: bytes, filename: name, contentType: format.contentType)
    }
}
