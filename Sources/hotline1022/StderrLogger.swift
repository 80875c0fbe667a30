import Foundation
import Gateway
import HotlineCore

/// One line per event on stderr: `<time> <LEVEL> event=<name> call=<id> code=<tracking code> key=value…`.
/// The time is Vietnam time with its offset (`2026-12-01T22:15:03.120+07:00`), as the CLI prints times: one
/// clock for the whole desk, unambiguous wherever the log is read.
/// Values with spaces are quoted. Callers pass identifiers, never personal data.
struct StderrLogger: EventLogger {
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
        let v = VietnamTime(Date())
        return String(format: "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld.%03ld+07:00", v.year, v.month, v.day, v.hour, v.minute,
                      v.second, v.millisecond)
    }
}
