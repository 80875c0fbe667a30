import Foundation
import Gateway

/// One line per event on stderr: `<time> <LEVEL> event=<name> call=<id> code=<tracking code> key=value…`.
/// The time is Vietnam time with its offset (`2026-12-01T22:15:03.120+07:00`), as the CLI prints times: one
/// clock for the whole desk, unambiguous wherever the log is read.
/// Values with spaces are quoted. Callers pass identifiers, never personal data.
struct StderrLogger: GatewayLogger {
    let minimum: LogLevel
    private static let lock = NSLock()

    func log(_ level: LogLevel, _ event: String, _ metadata: [(String, String)]) {
        guard level >= minimum else { return }
        var line = Self.timestamp() + " " + level.rawValue.uppercased()
        for (key, value) in metadata where key == "call" { line += " call=" + Self.quoted(value) }
        line += " event=" + event
        for (key, value) in metadata where key != "call" { line += " \(key)=" + Self.quoted(value) }
        line += "\n"
        Self.lock.lock()
        FileHandle.standardError.write(Data(line.utf8))
        Self.lock.unlock()
    }

    private static func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline })
            ? "\"" + value.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ") + "\""
            : value
    }

    private static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = time_t(tv.tv_sec)
        // Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset, no time zone database.
        t += 7 * 3600
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03d+07:00", parts.tm_year + 1900, parts.tm_mon + 1,
                      parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, Int(tv.tv_usec / 1000))
    }
}
