/// The one logging shape of the product: one line per event, a level, an event name and identifiers (call id,
/// tracking code, counts), never personal data. The gateway, the services, the transcription workers and the
/// web server all write through it; the executable decides where lines go (stderr, the metrics counter).
public protocol EventLogger: Sendable {
    func log(_ level: LogLevel, _ event: String, _ metadata: [(String, String)])
}

public enum LogLevel: String, Sendable, Comparable {
    case debug, info, warning, error
    private var rank: Int {
        switch self {
        case .debug: 0
        case .info: 1
        case .warning: 2
        case .error: 3
        }
    }
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }
}

/// Writes nothing: for a caller that wants no lines (a test, a one-off command).
public struct SilentLogger: EventLogger {
    public init() {}
    public func log(_ level: LogLevel, _ event: String, _ metadata: [(String, String)]) {}
}
