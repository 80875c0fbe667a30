import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A moment's calendar fields in Vietnam time, for the paths that write many times a second (log lines,
/// recording paths, queue pages). Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset and
/// `gmtime_r`, no time zone database and no `DateFormatter` (one per call cost the gateway's owner thread 2%).
public struct VietnamTime: Sendable, Equatable {
    public let year: Int
    /// 1–12.
    public let month: Int
    public let day: Int
    public let hour: Int
    public let minute: Int
    public let second: Int
    public let millisecond: Int

    public init(_ date: Date) {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        var t = time_t(seconds) + 7 * 3600
        var parts = tm()
        gmtime_r(&t, &parts)
        year = Int(parts.tm_year) + 1900
        month = Int(parts.tm_mon) + 1
        day = Int(parts.tm_mday)
        hour = Int(parts.tm_hour)
        minute = Int(parts.tm_min)
        second = Int(parts.tm_sec)
        millisecond = min(999, Int(((date.timeIntervalSince1970 - seconds) * 1000).rounded(.down)))
    }

    /// `n` with at least two digits: `07`.
    public static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
