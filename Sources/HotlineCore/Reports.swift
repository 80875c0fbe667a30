import Foundation

/// A count of tickets sharing channel, category, topic, unit, status and lateness: what the store aggregates
/// in SQL, so a report over a million tickets moves a few hundred cells, not a million rows.
public struct ReportCell: Sendable, Equatable {
    public var channel: Channel
    public var category: Category?
    public var topic: Topic?
    public var unitCode: String?
    public var status: TicketStatus
    /// Completed after the unit's deadline, or open past its step's deadline at the report's moment.
    public var late: Bool
    public var count: Int
    public init(channel: Channel, category: Category?, topic: Topic?, unitCode: String?, status: TicketStatus,
                late: Bool, count: Int) {
        (self.channel, self.category, self.topic, self.unitCode) = (channel, category, topic, unitCode)
        (self.status, self.late, self.count) = (status, late, count)
    }
}

/// Totals over some cells. Every ticket is exactly one of completed, in progress (open) or closed otherwise, so
/// the columns add up by construction (seed 000's unit table did not).
public struct Tally: Codable, Sendable, Equatable {
    public var total = 0
    public var completed = 0
    public var completedLate = 0
    public var inProgress = 0
    public var inProgressOverdue = 0
    public var refused = 0
    public var withdrawn = 0
    public var merged = 0

    public init() {}

    public init<S: Sequence>(_ cells: S) where S.Element == ReportCell {
        for c in cells { add(c) }
    }

    mutating func add(_ c: ReportCell) { add(status: c.status, late: c.late, count: c.count) }

    /// Counts `count` tickets of a status; `late` is a completed ticket resolved after its deadline, or an open
    /// one past its step's deadline.
    public mutating func add(status: TicketStatus, late: Bool, count: Int) {
        total += count
        switch status {
        case .completed:
            completed += count
            if late { completedLate += count }
        case .refused: refused += count
        case .withdrawn: withdrawn += count
        case .merged: merged += count
        default:
            inProgress += count
            if late { inProgressOverdue += count }
        }
    }

    public var completedOnTime: Int { completed - completedLate }
    public var closedOtherwise: Int { refused + withdrawn + merged }
}

/// A share line of a table: label, count, share of the total.
public struct ShareLine: Codable, Sendable, Equatable {
    public var label: String
    public var count: Int
    public var share: Double
}

public struct UnitLine: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    public var tally: Tally
    public var overdueRate: Double? {
        let late = tally.completedLate + tally.inProgressOverdue
        return tally.total == 0 ? nil : Double(late) / Double(tally.total)
    }
}

/// An overdue ticket named in the weekly report (letter 6180): code, unit, deadline; no personal data.
public struct OverdueItem: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var unit: String
    public var dueAt: Date
    public init(trackingCode: String, unit: String, dueAt: Date) {
        (self.trackingCode, self.unit, self.dueAt) = (trackingCode, unit, dueAt)
    }
}

/// A suggestion listed in the quarterly report (Art. 11.2): its public summary only.
public struct SuggestionItem: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var summary: String
    public var unit: String
    public var status: TicketStatus
    public var rating: Int?
    public init(trackingCode: String, summary: String, unit: String, status: TicketStatus, rating: Int?) {
        (self.trackingCode, self.summary, self.unit, self.status) = (trackingCode, summary, unit, status)
        self.rating = rating
    }
}

/// The weekly report in the layout of seed 000 (tables 1–5).
public struct WeeklyReport: Codable, Sendable, Equatable {
    public var from: Date
    public var to: Date
    public var cumulativeSince: Date
    public var week: Tally
    public var previousWeekReceived: Int
    /// Rounded percent change against the previous week; nil when the previous week had none.
    public var changePercent: Int?
    public var cumulative: Tally
    public var byTopic: [ShareLine]
    public var byChannel: [ShareLine]
    public var byUnit: [UnitLine]
    public var completionRate: Double?
    public var onTimeRate: Double?
    public var overdue: [OverdueItem]
    /// The live queue's week (issue 23 §7), nil when no caller entered it in the period.
    public var phone: PhoneWeek?

    public static func build(from: Date, to: Date, cumulativeSince: Date, week cells: [ReportCell],
                             previousWeekReceived: Int, cumulative: Tally, overdue: [OverdueItem],
                             units: [String: String], queue: [(at: Date, record: QueueRecord)] = []) -> WeeklyReport {
        let week = Tally(cells)
        let change = previousWeekReceived == 0 ? nil
            : Int((Double(week.total - previousWeekReceived) / Double(previousWeekReceived) * 100).rounded())
        return WeeklyReport(
            from: from, to: to, cumulativeSince: cumulativeSince, week: week, previousWeekReceived: previousWeekReceived,
            changePercent: change, cumulative: cumulative,
            byTopic: shares(cells, total: week.total, order: Topic.allCases.map(\.label)) { $0.topic?.label ?? "Chưa phân loại" },
            byChannel: shares(cells, total: week.total, order: Channel.allCases.map(\.label)) { $0.channel.label },
            byUnit: unitLines(cells, units: units),
            completionRate: week.total == 0 ? nil : Double(week.completed) / Double(week.total),
            onTimeRate: week.completed == 0 ? nil : Double(week.completedOnTime) / Double(week.completed),
            overdue: overdue, phone: PhoneWeek(queue))
    }
}

/// The weekly report's phone section: the calls the operators answered live, from the queue log of the period.
public struct PhoneWeek: Codable, Sendable, Equatable {
    /// Offered, answered, abandoned, and the rates (service level, ASA, abandonment) that follow from them.
    public var queue: QueueFigures
    /// Callers who left for a voice report or the overflow (key 1, the maximum wait, no agent logged in).
    public var toVoiceReport: Int
    /// Callback items (one a number a day), and of them the ones where the citizen was reached.
    public var callbacks: Int
    public var callbacksReached: Int

    /// nil when nobody entered the queue in `records`.
    public init?(_ records: [(at: Date, record: QueueRecord)]) {
        queue = QueueFigures(records: records.map(\.record))
        guard queue.offered > 0 else { return nil }
        toVoiceReport = records.filter { [.exitByKey, .exitByTimeout, .exitEmpty].contains($0.record.kind) }.count
        // Callback items are per number per Vietnam day.
        let days = Dictionary(grouping: records) { Day($0.at) }
        let items = days.values.flatMap { QueueCallback.items($0.sorted { $0.at < $1.at }) }
        callbacks = items.count
        callbacksReached = items.filter { $0.lastOutcome == CallbackOutcome.reached.rawValue }.count
    }
}

/// Monthly Form 01 (Art. 11.2, Biểu mẫu 01).
public struct MonthlyReport: Codable, Sendable, Equatable {
    public var from: Date
    public var to: Date
    public var cumulativeSince: Date
    public var month: Tally
    public var cumulative: Tally
    /// Form 01 section 2: the socioeconomic category split into economy/culture/society and defence/security.
    public var byField: [ShareLine]
    public var mostTickets: [UnitLine]
    public var highestOverdueRate: [UnitLine]

    public static func build(from: Date, to: Date, cumulativeSince: Date, month cells: [ReportCell],
                             cumulative: Tally, units: [String: String], top: Int = 5) -> MonthlyReport {
        let month = Tally(cells)
        let fields = ["Kinh tế, văn hóa - xã hội", "Quốc phòng an ninh", "Góp ý hiến kế", "Sự cố hạ tầng kỹ thuật",
                      "Thực hiện chỉ đạo của lãnh đạo thành phố", "Chưa phân loại"]
        let byField = shares(cells, total: month.total, order: fields) { c in
            switch c.category {
            case .socioeconomic: c.topic == .publicOrder ? fields[1] : fields[0]
            case .suggestion: fields[2]
            case .infrastructure: fields[3]
            case .directive: fields[4]
            case nil: fields[5]
            }
        }
        let lines = unitLines(cells, units: units).filter { $0.code != "" }
        return MonthlyReport(
            from: from, to: to, cumulativeSince: cumulativeSince, month: month, cumulative: cumulative,
            byField: byField, mostTickets: Array(lines.prefix(top)),
            highestOverdueRate: Array(lines.filter { ($0.overdueRate ?? 0) > 0 }
                .sorted { ($0.overdueRate!, $0.tally.total, $1.name) > ($1.overdueRate!, $1.tally.total, $0.name) }
                .prefix(top)))
    }
}

/// Quarterly: the suggestions received (Art. 11.2), with their public summaries.
public struct QuarterlyReport: Codable, Sendable, Equatable {
    public var from: Date
    public var to: Date
    public var quarter: Tally
    public var suggestions: Tally
    public var items: [SuggestionItem]
    public init(from: Date, to: Date, quarter: Tally, suggestions: Tally, items: [SuggestionItem]) {
        (self.from, self.to, self.quarter, self.suggestions, self.items) = (from, to, quarter, suggestions, items)
    }
}

/// Lines in `order` first (keeping zero lines out), then any others by count.
func shares(_ cells: [ReportCell], total: Int, order: [String], key: (ReportCell) -> String) -> [ShareLine] {
    var counts: [String: Int] = [:]
    for c in cells { counts[key(c), default: 0] += c.count }
    let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
    return counts.map { ShareLine(label: $0.key, count: $0.value, share: total == 0 ? 0 : Double($0.value) / Double(total)) }
        .sorted { (rank[$0.label] ?? Int.max, $0.label) < (rank[$1.label] ?? Int.max, $1.label) }
}

/// Per unit, most tickets first; tickets with no unit yet are the hotline's own (seed 000 lists "Tổng đài 1022 HP").
func unitLines(_ cells: [ReportCell], units: [String: String]) -> [UnitLine] {
    var byUnit: [String: Tally] = [:]
    for c in cells { byUnit[c.unitCode ?? "", default: Tally()].add(c) }
    return byUnit.map { code, tally in
        UnitLine(code: code, name: code.isEmpty ? "Tổng đài 1022 HP" : units[code] ?? code, tally: tally)
    }.sorted { ($0.tally.total, $1.name) > ($1.tally.total, $0.name) }
}

/// Numbers as Vietnamese reports print them.
public enum ReportFormat {
    /// `55,8%`.
    public static func percent(_ x: Double?) -> String {
        guard let x else { return "–" }
        let tenths = (x * 1000).rounded()
        let s = String(format: "%.1f", tenths / 10)
        return s.replacingOccurrences(of: ".", with: ",") + "%"
    }

    public static func date(_ d: Date, time: Bool = false) -> String {
        let f = DateFormatter()
        f.timeZone = TrackingCode.timeZone
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = time ? "HH'h'mm dd/MM/yyyy" : "dd/MM/yyyy"
        return f.string(from: d)
    }
}

/// One week of the trend: tickets received in [from, to) and how many of them are completed by the report's moment.
public struct WeekPoint: Codable, Sendable, Equatable {
    public var from: Date
    public var to: Date
    public var received: Int
    public var completed: Int
    public init(from: Date, to: Date, received: Int, completed: Int) {
        (self.from, self.to, self.received, self.completed) = (from, to, received, completed)
    }
}

/// The report's week and the weeks before it, oldest first (the weekly trend chart).
public struct WeeklyTrend: Codable, Sendable, Equatable {
    public var weeks: [WeekPoint]
    public init(weeks: [WeekPoint]) { self.weeks = weeks }
    /// The report's own week.
    public var current: WeekPoint? { weeks.last }
}
