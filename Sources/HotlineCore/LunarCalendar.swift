import Foundation

/// The Vietnamese lunisolar calendar (time zone UTC+7), computed from astronomical new moons and solar terms
/// (the well-known algorithm of Hồ Ngọc Đức after Jean Meeus). It gives the dates of Tết Nguyên Đán (1/1 lunar)
/// and Giỗ Tổ Hùng Vương (10/3 lunar), which move every year.
public enum LunarCalendar {
    public static let timeZone = 7.0

    /// A date in the lunar calendar; `leap` marks the repeated month of a leap year.
    public struct LunarDate: Equatable, Sendable {
        public let day: Int
        public let month: Int
        public let year: Int
        public let leap: Bool
    }

    /// The Julian day number of a Gregorian date.
    static func julianDay(_ day: Int, _ month: Int, _ year: Int) -> Int {
        let a = (14 - month) / 12
        let y = year + 4800 - a
        let m = month + 12 * a - 3
        return day + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045
    }

    static func gregorian(julianDay jd: Int) -> (day: Int, month: Int, year: Int) {
        let a = jd + 32044
        let b = (4 * a + 3) / 146097
        let c = a - b * 146097 / 4
        let d = (4 * c + 3) / 1461
        let e = c - 1461 * d / 4
        let m = (5 * e + 2) / 153
        return (e - (153 * m + 2) / 5 + 1, m + 3 - 12 * (m / 10), b * 100 + d - 4800 + m / 10)
    }

    /// The Julian day (local) of the k-th new moon after 1900-01-01.
    static func newMoonDay(_ k: Int) -> Int {
        let k = Double(k)
        let t = k / 1236.85
        let t2 = t * t
        let t3 = t2 * t
        let dr = Double.pi / 180
        var jd1 = 2_415_020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
        jd1 += 0.00033 * sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
        let m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
        let mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
        let f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
        var c1 = (0.1734 - 0.000393 * t) * sin(m * dr) + 0.0021 * sin(2 * dr * m)
        c1 = c1 - 0.4068 * sin(mpr * dr) + 0.0161 * sin(dr * 2 * mpr)
        c1 = c1 - 0.0004 * sin(dr * 3 * mpr)
        c1 = c1 + 0.0104 * sin(dr * 2 * f) - 0.0051 * sin(dr * (m + mpr))
        c1 = c1 - 0.0074 * sin(dr * (m - mpr)) + 0.0004 * sin(dr * (2 * f + m))
        c1 = c1 - 0.0004 * sin(dr * (2 * f - m)) - 0.0006 * sin(dr * (2 * f + mpr))
        c1 = c1 + 0.0010 * sin(dr * (2 * f - mpr)) + 0.0005 * sin(dr * (2 * mpr + m))
        let deltaT = t < -11
            ? 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
            : -0.000278 + 0.000265 * t + 0.000262 * t2
        let jdNew = jd1 + c1 - deltaT
        return Int((jdNew + 0.5 + timeZone / 24).rounded(.down))
    }

    /// The sun's longitude at local midnight of Julian day `jd`, as one of 12 sectors of 30°.
    static func sunLongitudeSector(_ jd: Int) -> Int {
        let t = (Double(jd) - 2_451_545.5 - timeZone / 24) / 36525
        let t2 = t * t
        let dr = Double.pi / 180
        let m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
        let l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
        var dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * sin(dr * m)
        dl += (0.019993 - 0.000101 * t) * sin(dr * 2 * m) + 0.000290 * sin(dr * 3 * m)
        var l = (l0 + dl) * dr
        l -= Double.pi * 2 * (l / (Double.pi * 2)).rounded(.down)
        return Int((l / Double.pi * 6).rounded(.down))
    }

    /// The Julian day of the start of lunar month 11 (the one holding the winter solstice) of `year`.
    static func lunarMonth11(_ year: Int) -> Int {
        let off = julianDay(31, 12, year) - 2_415_021
        let k = Int((Double(off) / 29.530588853).rounded(.down))
        var nm = newMoonDay(k)
        if sunLongitudeSector(nm) >= 9 { nm = newMoonDay(k - 1) }
        return nm
    }

    /// Which month after month 11 is the leap month (the first without a major solar term).
    static func leapMonthOffset(_ a11: Int) -> Int {
        let k = Int(((Double(a11) - 2_415_021.076998695) / 29.530588853 + 0.5).rounded(.down))
        var last = 0
        var i = 1
        var arc = sunLongitudeSector(newMoonDay(k + i))
        repeat {
            last = arc
            i += 1
            arc = sunLongitudeSector(newMoonDay(k + i))
        } while arc != last && i < 14
        return i - 1
    }

    public static func lunar(day: Int, month: Int, year: Int) -> LunarDate {
        let dayNumber = julianDay(day, month, year)
        let k = Int(((Double(dayNumber) - 2_415_021.076998695) / 29.530588853).rounded(.down))
        var monthStart = newMoonDay(k + 1)
        if monthStart > dayNumber { monthStart = newMoonDay(k) }
        var a11 = lunarMonth11(year)
        var b11 = a11
        var lunarYear: Int
        if a11 >= monthStart {
            lunarYear = year
            a11 = lunarMonth11(year - 1)
        } else {
            lunarYear = year + 1
            b11 = lunarMonth11(year + 1)
        }
        let lunarDay = dayNumber - monthStart + 1
        let diff = (monthStart - a11) / 29
        var leap = false
        var lunarMonth = diff + 11
        if b11 - a11 > 365 {
            let leapDiff = leapMonthOffset(a11)
            if diff >= leapDiff {
                lunarMonth = diff + 10
                if diff == leapDiff { leap = true }
            }
        }
        if lunarMonth > 12 { lunarMonth -= 12 }
        if lunarMonth >= 11 && diff < 4 { lunarYear -= 1 }
        return LunarDate(day: lunarDay, month: lunarMonth, year: lunarYear, leap: leap)
    }

    /// The Gregorian date of a lunar date (nil for a leap month that year does not have).
    public static func solar(lunarDay: Int, lunarMonth: Int, lunarYear: Int, leap: Bool = false)
        -> (day: Int, month: Int, year: Int)?
    {
        var a11: Int
        var b11: Int
        if lunarMonth < 11 {
            a11 = lunarMonth11(lunarYear - 1)
            b11 = lunarMonth11(lunarYear)
        } else {
            a11 = lunarMonth11(lunarYear)
            b11 = lunarMonth11(lunarYear + 1)
        }
        let k = Int((0.5 + (Double(a11) - 2_415_021.076998695) / 29.530588853).rounded(.down))
        var off = lunarMonth - 11
        if off < 0 { off += 12 }
        if b11 - a11 > 365 {
            let leapOff = leapMonthOffset(a11)
            var leapMonth = leapOff - 2
            if leapMonth < 0 { leapMonth += 12 }
            if leap && lunarMonth != leapMonth { return nil }
            if leap || off >= leapOff { off += 1 }
        } else if leap {
            return nil
        }
        let monthStart = newMoonDay(k + off)
        return gregorian(julianDay: monthStart + lunarDay - 1)
    }

    /// Tết: the first day of the lunar year that begins in Gregorian `year`.
    public static func lunarNewYear(_ year: Int) -> (day: Int, month: Int, year: Int) {
        solar(lunarDay: 1, lunarMonth: 1, lunarYear: year)!
    }

    /// Giỗ Tổ Hùng Vương: 10th day of the 3rd lunar month.
    public static func hungKingsDay(_ year: Int) -> (day: Int, month: Int, year: Int) {
        solar(lunarDay: 10, lunarMonth: 3, lunarYear: year)!
    }
}
