import Foundation

/// Where a JSON path (`$.nodes.main.options.5`, `$.unitPrompts[0]`) is written in a JSON text: the 1-based
/// line and column (in characters) of the member's key, or of an array element's value. Lets an editor put a
/// problem the validator names by path on the line the administrator wrote it.
public struct JSONLocator: Sendable {
    public struct Position: Sendable, Equatable {
        public let line: Int
        public let column: Int
        public init(line: Int, column: Int) {
            (self.line, self.column) = (line, column)
        }
    }

    public let positions: [String: Position]

    /// Scans `data` (tolerantly: a syntax error ends the scan with what was found so far).
    public init(_ data: Data) {
        var scanner = Scanner(bytes: [UInt8](data))
        scanner.value(path: "$")
        positions = scanner.found
    }

    /// The position of `path`, or of its nearest ancestor written in the text (a missing key is reported at
    /// the object that lacks it).
    public func position(of path: String) -> Position? {
        var p = path
        while true {
            if let found = positions[p] { return found }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            p = String(p[..<cut])
        }
    }

    /// The line and column of a syntax error in a message from `DialplanLoader` ("... at line 3, column 7 ...").
    public static func syntaxPosition(in message: String) -> Position? {
        guard let r = message.range(of: #"line (\d+), column (\d+)"#, options: .regularExpression) else { return nil }
        let numbers = message[r].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        return Position(line: numbers[0], column: numbers[1])
    }

    /// The position of a JSON syntax error in `data`, with JSONSerialization's own words; nil when it parses.
    public static func syntaxError(in data: Data) -> (Position?, String)? {
        do {
            _ = try JSONSerialization.jsonObject(with: data)
            return nil
        } catch {
            let text = JSONPosition.describe(error, in: data)
            return (syntaxPosition(in: text), text.hasPrefix(": ") ? String(text.dropFirst(2)) : text.trimmingCharacters(in: .whitespaces))
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0
        var line = 1
        var column = 1
        var found: [String: Position] = [:]
        var depth = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        var here: Position { Position(line: line, column: column) }

        mutating func advance() {
            guard i < bytes.count else { return }
            let b = bytes[i]
            i += 1
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { advance() }
        }

        /// A string token; returns its text (escapes resolved roughly: enough for keys).
        mutating func string() -> String? {
            guard i < bytes.count, bytes[i] == 0x22 else { return nil }
            advance()
            var out: [UInt8] = []
            while i < bytes.count, bytes[i] != 0x22 {
                if bytes[i] == 0x5C {
                    advance()
                    guard i < bytes.count else { return nil }
                    let e = bytes[i]
                    switch e {
                    case 0x6E: out.append(0x0A)
                    case 0x74: out.append(0x09)
                    case 0x75:
                        // \uXXXX: decoded for the BMP.
                        var hex = ""
                        for _ in 0..<4 {
                            advance()
                            if i < bytes.count { hex.unicodeScalars.append(UnicodeScalar(bytes[i])) }
                        }
                        if let v = UInt32(hex, radix: 16), let s = UnicodeScalar(v) { out += Array(String(s).utf8) }
                    default: out.append(e)
                    }
                    advance()
                    continue
                }
                out.append(bytes[i])
                advance()
            }
            guard i < bytes.count else { return nil }
            advance()
            return String(decoding: out, as: UTF8.self)
        }

        /// After a member or an element: true past a comma (another follows); false past the closing `close`,
        /// at the end of the text, or at anything else (which ends the scan).
        mutating func another(closedBy close: UInt8) -> Bool {
            skipSpace()
            guard i < bytes.count else { return false }
            if bytes[i] == 0x2C { advance(); return true }
            if bytes[i] == close { advance() } else { i = bytes.count }
            return false
        }

        mutating func value(path: String) {
            depth += 1
            defer { depth -= 1 }
            guard depth < 200 else { return }
            skipSpace()
            if found[path] == nil { found[path] = here }
            guard i < bytes.count else { return }
            switch bytes[i] {
            case 0x7B:  // {
                advance()
                skipSpace()
                if i < bytes.count, bytes[i] == 0x7D { advance(); return }
                while i < bytes.count {
                    skipSpace()
                    let at = here
                    guard let key = string() else { i = bytes.count; return }
                    let member = path + "." + key
                    found[member] = at
                    skipSpace()
                    guard i < bytes.count, bytes[i] == 0x3A else { i = bytes.count; return }
                    advance()
                    skipSpace()
                    let valueAt = here
                    value(path: member)
                    found[member] = found[member] ?? valueAt
                    guard another(closedBy: 0x7D) else { return }
                }
            case 0x5B:  // [
                advance()
                skipSpace()
                if i < bytes.count, bytes[i] == 0x5D { advance(); return }
                var n = 0
                while i < bytes.count {
                    let element = "\(path)[\(n)]"
                    skipSpace()
                    found[element] = here
                    value(path: element)
                    n += 1
                    guard another(closedBy: 0x5D) else { return }
                }
            case 0x22:
                _ = string()
            default:
                // A number, true, false, null: up to the next delimiter.
                while i < bytes.count, ![0x2C, 0x7D, 0x5D, 0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { advance() }
            }
        }
    }
}
