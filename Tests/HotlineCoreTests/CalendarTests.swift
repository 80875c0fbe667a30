import Foundation
import XCTest

@testable import HotlineCore

final class LunarCalendarTests: XCTestCase {
    func testLunarNewYearAndHungKingsDayArePinned() {
        XCTAssertTrue(LunarCalendar.lunarNewYear(2025) == (29, 1, 2025))
        XCTAssertTrue(LunarCalendar.lunarNewYear(2026) == (17, 2, 2026))
        XCTAssertTrue(LunarCalendar.lunarNewYear(2027) == (6, 2, 2027))
        XCTAssertTrue(LunarCalendar.hungKingsDay(2025) == (7, 4, 2025))
        XCTAssertTrue(LunarCalendar.hungKingsDay(2026) == (26, 4, 2026))
    }

    func testConversionRoundTripsAcrossLeapMonths() {
        // 2023 had a leap 2nd month; 2025 a leap 6th month.
        XCTAssertEqual(LunarCalendar.lunar(day: 22, month: 3, year: 2023), .init(day: 1, month: 2, year: 2023, leap: true))
        XCTAssertEqual(LunarCalendar.lunar(day: 25, month: 7, year: 2025), .init(day: 1, month: 6, year: 2025, leap: true))
        var jd = LunarCalendar.julianDay(1, 1, 2024)
        while jd < LunarCalendar.julianDay(31, 12, 2027) {
            let g = LunarCalendar.gregorian(julianDay: jd)
            let l = LunarCalendar.lunar(day: g.day, month: g.month, year: g.year)
            let back = LunarCalendar.solar(lunarDay: l.day, lunarMonth: l.month, lunarYear: l.year, leap: l.leap)
            XCTAssertTrue(back.map { $0 == g } ?? false, "\(g) → \(l) → \(String(describing: back))")
            jd += 5
        }
    }
}

final class WorkingCalendarTests: XCTestCase {
    let calendar = WorkingCalendar()

    func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    func testWeekendsHolidaysAndTet() {
        XCTAssertFalse(calendar.isWorkingDay(Day(2026, 11, 21)), "Saturday")
        XCTAssertTrue(calendar.isWorkingDay(Day(2026, 11, 23)), "Monday")
        XCTAssertFalse(calendar.isWorkingDay(Day(2026, 4, 30)))
        XCTAssertFalse(calendar.isWorkingDay(Day(2026, 9, 2)))
        // Tết 2026: lunar new year on Tuesday 17 Feb; 16–20 Feb off.
        for d in 16...20 { XCTAssertFalse(calendar.isWorkingDay(Day(2026, 2, d)), "Tết \(d)/2") }
        XCTAssertTrue(calendar.isWorkingDay(Day(2026, 2, 13)))
        XCTAssertTrue(calendar.isWorkingDay(Day(2026, 2, 23)))
        XCTAssertFalse(calendar.isWorkingDay(Day(2025, 4, 7)), "Giỗ Tổ 2025")
    }

    func testAdministratorsAdjustments() throws {
        var adjustments = WorkingCalendar.Adjustments()
        adjustments.extraDaysOff = [Day(2026, 2, 13)]
        adjustments.workingWeekendDays = [Day(2026, 2, 28)]
        let adjusted = WorkingCalendar(adjustments: adjustments)
        XCTAssertFalse(adjusted.isWorkingDay(Day(2026, 2, 13)))
        XCTAssertTrue(adjusted.isWorkingDay(Day(2026, 2, 28)), "a make-up Saturday")
        let path = NSTemporaryDirectory() + "cal-\(UUID().uuidString).json"
        try Data(#"{"extraDaysOff": ["2026-02-13"], "workingWeekendDays": [], "nationalDaySecondDay": {}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        XCTAssertFalse(try WorkingCalendar.load(path: path).isWorkingDay(Day(2026, 2, 13)))
        try Data(#"{"extraDaysOff": ["13/02/2026"]}"#.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try WorkingCalendar.load(path: path))
    }

    func testDeadlinesAcrossAWeekendAndAcrossTet() {
        // Friday 2026-11-20 10:00 (03:00Z) + 5 working days → Friday 2026-11-27 17:00.
        let friday = at("2026-11-20T03:00:00Z")
        XCTAssertEqual(DeadlineRule.workingDays(5).deadline(from: friday, calendar: calendar), Day(2026, 11, 27).at(minutes: 17 * 60))
        XCTAssertEqual(DeadlineRule.workingDays(1).deadline(from: friday, calendar: calendar), Day(2026, 11, 23).at(minutes: 17 * 60))
        // Thursday 12 Feb 2026 + 1 working day → Friday 13; + 2 → Monday 23 (16–20 Tết, 21–22 weekend).
        let beforeTet = at("2026-02-12T02:00:00Z")
        XCTAssertEqual(DeadlineRule.workingDays(2).deadline(from: beforeTet, calendar: calendar), Day(2026, 2, 23).at(minutes: 17 * 60))
        // Hours-based: 60 minutes flat; guidance 2 h in office hours, 4 h on a day off.
        XCTAssertEqual(DeadlineRule.minutes(60).deadline(from: friday, calendar: calendar), friday.addingTimeInterval(3600))
        let guidance = DeadlineRule.officeHoursOrDaysOff(inHours: 2, offHours: 4)
        XCTAssertEqual(guidance.deadline(from: friday, calendar: calendar), friday.addingTimeInterval(2 * 3600))
        let saturday = at("2026-11-21T03:00:00Z")
        XCTAssertEqual(guidance.deadline(from: saturday, calendar: calendar), saturday.addingTimeInterval(4 * 3600))
        let tetMorning = at("2026-02-17T03:00:00Z")
        XCTAssertEqual(guidance.deadline(from: tetMorning, calendar: calendar), tetMorning.addingTimeInterval(4 * 3600))
        // Calendar days: 10 days, to the end of the last day.
        XCTAssertEqual(DeadlineRule.calendarDays(10).deadline(from: friday, calendar: calendar), Day(2026, 11, 30).at(minutes: 24 * 60 - 1))
    }

    func testOfficeHours() {
        XCTAssertTrue(calendar.isOfficeHours(at("2026-11-23T01:00:00Z")), "Monday 08:00")
        XCTAssertFalse(calendar.isOfficeHours(at("2026-11-23T00:00:00Z")), "Monday 07:00")
        XCTAssertFalse(calendar.isOfficeHours(at("2026-11-23T10:00:00Z")), "Monday 17:00")
        XCTAssertFalse(calendar.isOfficeHours(at("2026-02-17T03:00:00Z")), "Tết")
    }
}

/// The hot paths' Vietnam time (log lines, recording paths, queue pages) against a formatter in Asia/Ho_Chi_Minh.
final class VietnamTimeTests: XCTestCase {
    func testFieldsMatchAFormatterInVietnamTime() {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        // Just before and at midnight in Vietnam (17:00 UTC), a year's end, a leap day, and now.
        for seconds in [1_796_144_399.987, 1_796_144_400.0, 1_798_736_399.5, 1_709_164_800.25, Date().timeIntervalSince1970] {
            let date = Date(timeIntervalSince1970: seconds)
            let v = VietnamTime(date), two = VietnamTime.two
            XCTAssertEqual("\(v.year)-\(two(v.month))-\(two(v.day)) \(two(v.hour)):\(two(v.minute)):\(two(v.second))",
                           f.string(from: date), "\(seconds)")
            // Milliseconds are cut, not rounded, as a log line's time never runs ahead of the clock.
            XCTAssertEqual(v.millisecond, Int(((seconds - seconds.rounded(.down)) * 1000).rounded(.down)), "\(seconds)")
        }
    }
}
