import Foundation

/// The messages a citizen receives by SMS/Zalo (Art. 7.1b, 4.7, 7.5, 8.5a).
public enum NotificationKind: String, Codable, Sendable, CaseIterable {
    /// Received and forwarded, with the tracking code (Art. 7.1b).
    case acknowledgement
    /// Refused, with the reason (Art. 4.7).
    case refusal
    /// Already being handled under the first report's code (Art. 7.5).
    case duplicate
    /// A repeat of a completed report, accepted as a new ticket linked to the old one.
    case recurrence
    /// The result, and where to look it up and rate it (Art. 8.5).
    case result
}

/// Vietnamese message templates, a data file administrators edit (`Config/templates.vi.json`). Placeholders are
/// `{code}`, `{original}`, `{reason}`, `{unit}`, `{lookup}`, `{result}`. Messages carry the tracking code, never a name or
/// an address: the phone number they go to is all the personal data they need.
public struct NotificationTemplates: Sendable, Equatable {
    public var texts: [NotificationKind: String]
    public static let placeholders: Set<String> = ["code", "original", "reason", "unit", "lookup", "result"]

    public struct InvalidTemplates: Error, CustomStringConvertible {
        public let description: String
    }

    public init(texts: [NotificationKind: String]) throws {
        self.texts = texts
        try validate(source: "templates")
    }

    public static func load(path: String) throws -> NotificationTemplates {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InvalidTemplates(description: "\(path): cannot read the message templates")
        }
        let raw: [String: String]
        do {
            raw = try JSONDecoder().decode([String: String].self, from: data)
        } catch {
            throw InvalidTemplates(description: "\(path): \(error)")
        }
        var texts: [NotificationKind: String] = [:]
        for (key, text) in raw {
            guard let kind = NotificationKind(rawValue: key) else {
                throw InvalidTemplates(description: "\(path): unknown message \"\(key)\"; known: "
                                       + NotificationKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            texts[kind] = text
        }
        var t = NotificationTemplates(unchecked: texts)
        try t.validate(source: path)
        t.texts = texts
        return t
    }

    private init(unchecked texts: [NotificationKind: String]) { self.texts = texts }

    /// Texts not (yet) checked: what a form shows while an administrator edits them.
    public init(unvalidated texts: [NotificationKind: String]) { self.texts = texts }

    func validate(source: String) throws {
        for kind in NotificationKind.allCases {
            guard let text = texts[kind], !text.isEmpty else {
                throw InvalidTemplates(description: "\(source): the message \"\(kind.rawValue)\" is missing")
            }
            for name in Self.names(in: text) where !Self.placeholders.contains(name) {
                throw InvalidTemplates(description: "\(source): \"\(kind.rawValue)\" uses {\(name)}; known: "
                                       + Self.placeholders.sorted().map { "{\($0)}" }.joined(separator: ", "))
            }
        }
    }

    /// The `{name}` placeholders a text uses.
    public static func placeholderNames(in text: String) -> [String] { names(in: text) }

    static func names(in text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return out
    }

    public func render(_ kind: NotificationKind, _ values: [String: String]) -> String {
        var text = texts[kind] ?? ""
        for (k, v) in values { text = text.replacingOccurrences(of: "{\(k)}", with: v) }
        return text
    }
}

/// Back-off between delivery attempts; after the last one the message is marked failed for a person to see.
public struct RetryPolicy: Sendable, Equatable {
    public var delays: [TimeInterval]
    public init(delays: [TimeInterval] = [30, 120, 600, 3600, 6 * 3600]) { self.delays = delays }
    public var maxAttempts: Int { delays.count + 1 }

    /// When to try again after `attempts` failed attempts; nil when no attempt is left.
    public func nextAttempt(after attempts: Int, at now: Date) -> Date? {
        guard attempts >= 1, attempts <= delays.count else { return nil }
        return now.addingTimeInterval(delays[attempts - 1])
    }
}
