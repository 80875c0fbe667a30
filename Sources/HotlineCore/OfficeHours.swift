import Foundation

/// The hours the hotline's agents answer the phone: working days, 07:30–17:00 Vietnam time.
/// Days off (weekends; holidays when a calendar is given) have no office hours.
public struct OfficeHours: Sendable {
    public var opensAtMinute = 7 * 60 + 30
    public var closesAtMinute = 17 * 60
    /// Extra closed days (holidays), as `yyyy-MM-dd` in Vietnam time.
    public var closedDays: Set<String> = []

    public init() {}

    public func isOpen(_ date: Date) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TrackingCode.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: date)
        guard let weekday = c.weekday, weekday != 1, weekday != 7 else { return false }  // Sunday = 1, Saturday = 7
        if closedDays.contains(String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)) { return false }
        let minute = c.hour! * 60 + c.minute!
        return minute >= opensAtMinute && minute < closesAtMinute
    }
}
