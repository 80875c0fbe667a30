import Foundation

/// A day in Vietnam time, without a clock.
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(_ year: Int, _ month: Int, _ day: Int) {
        (self.year, self.month, self.day) = (year, month, day)
    }

    /// `yyyy-MM-dd`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else { return nil }
        self.init(parts[0], parts[1], parts[2])
    }

    public init(_ date: Date) {
        let c = Day.calendar.dateComponents([.year, .month, .day], from: date)
        self.init(c.year!, c.month!, c.day!)
    }

    static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TrackingCode.timeZone
        return c
    }()

    var julianDay: Int { LunarCalendar.julianDay(day, month, year) }

    init(julianDay: Int) {
        let g = LunarCalendar.gregorian(julianDay: julianDay)
        self.init(g.year, g.month, g.day)
    }

    public func adding(days: Int) -> Day { Day(julianDay: julianDay + days) }

    /// 1 = Monday … 7 = Sunday.
    public var isoWeekday: Int { (julianDay % 7) + 1 }

    /// The moment `minutes` after midnight of this day, Vietnam time.
    public func at(minutes: Int) -> Date {
        Day.calendar.date(from: DateComponents(year: year, month: month, day: day, hour: minutes / 60,
                                               minute: minutes % 60))!
    }

    public static func < (a: Day, b: Day) -> Bool { a.julianDay < b.julianDay }
    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let d = Day(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(text)' is not a yyyy-MM-dd date")
        }
        self = d
    }
}

/// Vietnam's working days: Monday to Friday, minus public holidays (Labour Code 2019, Art. 112) — the fixed ones,
/// Tết (5 days around the lunar new year) and Giỗ Tổ (10/3 lunar) computed from the lunar calendar — and minus the
/// extra days off the government announces each year, plus the Saturdays it makes working days in exchange.
/// Those announcements live in a data file administrators edit (`Config/calendar.json`).
public struct WorkingCalendar: Sendable {
    /// What administrators add each year.
    public struct Adjustments: Codable, Sendable, Equatable {
        /// Announced extra days off (bridges, compensation days).
        public var extraDaysOff: [Day] = []
        /// Weekend days announced as working days (make-up Saturdays).
        public var workingWeekendDays: [Day] = []
        /// Which day accompanies 2/9 (National Day) when announced: 1/9 or 3/9; default 1/9.
        public var nationalDaySecondDay: [String: Day] = [:]

        public init() {}
    }

    public var adjustments: Adjustments
    /// Office hours on working days, in minutes after midnight.
    public var opensAtMinute = 7 * 60 + 30
    public var closesAtMinute = 17 * 60

    public init(adjustments: Adjustments = Adjustments()) { self.adjustments = adjustments }

    /// Reads the administrators' file; a missing file means no adjustments.
    public static func load(path: String) throws -> WorkingCalendar {
        guard let data = FileManager.default.contents(atPath: path) else { return WorkingCalendar() }
        do {
            return WorkingCalendar(adjustments: try JSONDecoder().decode(Adjustments.self, from: data))
        } catch {
            throw CalendarError(message: "\(path): \(error)")
        }
    }

    public struct CalendarError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The public holidays of a year with their Vietnamese names.
    public func holidays(_ year: Int) -> [(day: Day, name: String)] {
        var list: [(Day, String)] = [
            (Day(year, 1, 1), "Tết Dương lịch"),
            (Day(year, 4, 30), "Ngày Chiến thắng"),
            (Day(year, 5, 1), "Ngày Quốc tế Lao động"),
            (Day(year, 9, 2), "Quốc khánh"),
            (adjustments.nationalDaySecondDay[String(year)] ?? Day(year, 9, 1), "Quốc khánh (ngày liền kề)"),
        ]
        let tet = LunarCalendar.lunarNewYear(year)
        let newYear = Day(tet.year, tet.month, tet.day)
        for offset in -1...3 { list.append((newYear.adding(days: offset), "Tết Nguyên Đán")) }
        let hung = LunarCalendar.hungKingsDay(year)
        list.append((Day(hung.year, hung.month, hung.day), "Giỗ Tổ Hùng Vương"))
        return list.sorted { $0.0 < $1.0 }
    }

    public func isWorkingDay(_ day: Day) -> Bool {
        if adjustments.workingWeekendDays.contains(day) { return true }
        if day.isoWeekday >= 6 { return false }
        if adjustments.extraDaysOff.contains(day) { return false }
        return !holidays(day.year).contains { $0.day == day }
    }

    /// Inside office hours on a working day.
    public func isOfficeHours(_ date: Date) -> Bool {
        let day = Day(date)
        guard isWorkingDay(day) else { return false }
        let c = Day.calendar.dateComponents([.hour, .minute], from: date)
        let minute = c.hour! * 60 + c.minute!
        return minute >= opensAtMinute && minute < closesAtMinute
    }

    /// The end of office hours on the `n`-th working day after the day of `date` (the receipt day itself is
    /// not counted).
    public func addingWorkingDays(_ n: Int, to date: Date) -> Date {
        var day = Day(date)
        var left = n
        while left > 0 {
            day = day.adding(days: 1)
            if isWorkingDay(day) { left -= 1 }
        }
        return day.at(minutes: closesAtMinute)
    }
}

/// The deadline kinds of the Regulation's table (DOMAIN.md), each computed from the moment its step began.
public enum DeadlineRule: Sendable, Equatable {
    /// A fixed number of minutes, day or night (60 min to forward; 2 h to verify; 4 h to fix on site).
    case minutes(Int)
    /// Guidance from the City Office: 2 h if the ticket arrives in office hours, 4 h otherwise (Art. 7.4).
    case officeHoursOrDaysOff(inHours: Int, offHours: Int)
    /// N working days (Art. 8.2d, 8.3a, 8.4).
    case workingDays(Int)
    /// N calendar days, to the end of the last day (Art. 8.2e, 8.3).
    case calendarDays(Int)

    public func deadline(from start: Date, calendar: WorkingCalendar) -> Date {
        switch self {
        case .minutes(let m):
            return start.addingTimeInterval(TimeInterval(m * 60))
        case .officeHoursOrDaysOff(let inHours, let offHours):
            let hours = calendar.isOfficeHours(start) ? inHours : offHours
            return start.addingTimeInterval(TimeInterval(hours * 3600))
        case .workingDays(let n):
            return calendar.addingWorkingDays(n, to: start)
        case .calendarDays(let n):
            return Day(start).adding(days: n).at(minutes: 24 * 60 - 1)
        }
    }
}
