import Foundation
import HotlineCore

/// A problem in a dialplan, with where it is (a JSON path such as `$.nodes.main.options.5`).
public struct DialplanProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String
    public init(_ path: String, _ message: String) {
        (self.path, self.message) = (path, message)
    }
    public var description: String { "\(path): \(message)" }
}

/// All the problems of a plan that cannot be served.
public struct DialplanError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let problems: [DialplanProblem]
    public var description: String {
        "\(file): \(problems.count) problem(s)\n" + problems.map { "  " + $0.description }.joined(separator: "\n")
    }
}

public enum DialplanLoader {
    /// Reads, decodes strictly and validates a plan. `${name}` in strings is replaced from `variables`
    /// (e.g. `${agentsURI}`). With a `promptDirectory`, every prompt must have its WAV there.
    public static func load(path: String, promptDirectory: String?, variables: [String: String] = [:]) throws
        -> Dialplan
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DialplanError(file: path, problems: [DialplanProblem("$", "cannot read the file")])
        }
        let (plan, problems) = check(data, promptDirectory: promptDirectory, variables: variables)
        guard let plan, problems.isEmpty else { throw DialplanError(file: path, problems: problems) }
        return plan
    }

    /// Every problem of the plan in `data` (decoding and validation); the plan if it could be decoded.
    public static func check(_ data: Data, promptDirectory: String?, variables: [String: String] = [:])
        -> (Dialplan?, [DialplanProblem])
    {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            return (nil, [DialplanProblem("$", "not valid JSON\(JSONPosition.describe(error, in: data))")])
        }
        var reader = Reader(variables: variables)
        let plan = reader.plan(json)
        var problems = reader.problems
        if let plan { problems += DialplanValidator.validate(plan, promptDirectory: promptDirectory) }
        return (plan, problems)
    }
}

/// Decodes the JSON by hand so each problem carries its path and unknown keys are errors.
private struct Reader {
    let variables: [String: String]
    var problems: [DialplanProblem] = []

    init(variables: [String: String]) { self.variables = variables }

    mutating func fail(_ path: String, _ message: String) { problems.append(DialplanProblem(path, message)) }

    mutating func plan(_ json: Any) -> Dialplan? {
        guard let root = object(json, "$", allowed: ["version", "description", "start", "top", "unitPrompts", "nodes"]) else {
            return nil
        }
        let version = string(root, "version", "$") ?? ""
        let start = string(root, "start", "$") ?? ""
        // `top` is optional (the schema says so): without it, `@top` goes to the start node.
        let top = root["top"] == nil ? start : (string(root, "top", "$") ?? start)
        guard let rawNodes = object(root["nodes"] as Any, "$.nodes", allowed: nil) else { return nil }
        var nodes: [NodeID: Node] = [:]
        for (id, raw) in rawNodes.sorted(by: { $0.key < $1.key }) {
            if let node = node(id, raw, "$.nodes.\(id)") { nodes[id] = node }
        }
        if rawNodes.isEmpty { fail("$.nodes", "a plan needs at least one node") }
        let units = prompts(root, "unitPrompts", "$", required: false)
        for (i, unit) in units.enumerated() where !unit.rawValue.hasPrefix("unit-") {
            fail("$.unitPrompts[\(i)]", "a unit prompt is named unit-<code> (the unit's code in the directory), got '\(unit)'")
        }
        return Dialplan(version: version, start: start, top: top, nodes: nodes, unitPrompts: units)
    }

    static let keys: [String: Set<String>] = [
        "play": ["prompts", "bargeIn", "next"],
        "menu": ["greetLong", "greetShort", "options", "invalid", "timeoutPrompt", "timeoutSeconds", "maxFailures",
                 "maxTimeouts", "fallback"],
        "collect": ["prompts", "maxDigits", "terminator", "timeoutSeconds", "interDigitSeconds", "next", "timeout"],
        "record": ["prompts", "beep", "maxSeconds", "silenceSeconds", "minSeconds", "terminator", "next", "tooShort"],
        "review": ["prompts", "invalid", "timeoutSeconds", "maxTimeouts", "record", "next"],
        "set": ["category", "confidential", "next"],
        "submit": ["next", "failed"],
        "sayCode": ["before", "after", "next"],
        "sayDigits": ["before", "after", "next"],
        "status": ["mode", "next"],
        "rate": ["prompts", "invalid", "thanks", "timeoutSeconds", "maxFailures", "next"],
        "officeHours": ["open", "closed"],
        "transfer": ["uri", "prompts", "failed"],
        "queue": ["prompts", "hold", "strategy", "ringTimeoutSeconds", "maxWaitSeconds", "announceSeconds",
                  "wrapUpSeconds", "record", "callback", "overflow"],
        "goto": ["target"],
        "submenu": ["target", "return"],
        "hangup": ["prompts"],
    ]


    mutating func node(_ id: NodeID, _ raw: Any, _ path: String) -> Node? {
        guard let o = raw as? [String: Any] else {
            fail(path, "a node must be an object")
            return nil
        }
        guard let type = o["type"] as? String else {
            fail(path + ".type", "missing node type (one of \(Reader.keys.keys.sorted().joined(separator: ", ")))")
            return nil
        }
        guard let allowed = Reader.keys[type] else {
            fail(path + ".type", "unknown node type '\(type)' (known: \(Reader.keys.keys.sorted().joined(separator: ", ")))")
            return nil
        }
        for key in o.keys.sorted() where key != "type" && key != "comment" && !allowed.contains(key) {
            fail(path + "." + key, "unknown key for a \(type) node (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
        let before = problems.count
        let kind: Node.Kind
        switch type {
        case "play":
            kind = .play(prompts: prompts(o, "prompts", path, required: true),
                         bargeIn: bool(o, "bargeIn", path) ?? true, next: target(o, "next", path))
        case "menu":
            var options: [Character: Target] = [:]
            if let raw = object(o["options"] as Any, path + ".options", allowed: nil) {
                for (key, value) in raw.sorted(by: { $0.key < $1.key }) {
                    let p = path + ".options." + key
                    guard key.count == 1, let c = key.first, "0123456789*#".contains(c) else {
                        fail(p, "an option key must be one of 0-9, * or #")
                        continue
                    }
                    guard let t = value as? String, !t.isEmpty else {
                        fail(p, "an option must name a node, @back, @top or @repeat")
                        continue
                    }
                    options[c] = Target(t)
                }
                if raw.isEmpty { fail(path + ".options", "a menu needs at least one option") }
            }
            kind = .menu(Node.Menu(
                greetLong: prompts(o, "greetLong", path, required: true),
                greetShort: prompts(o, "greetShort", path, required: false),
                options: options, invalid: prompts(o, "invalid", path, required: false),
                timeoutPrompt: prompts(o, "timeoutPrompt", path, required: false),
                timeoutSeconds: int(o, "timeoutSeconds", path, default: 6, range: 1...60),
                maxFailures: int(o, "maxFailures", path, default: 3, range: 1...10),
                maxTimeouts: int(o, "maxTimeouts", path, default: 3, range: 1...10),
                fallback: target(o, "fallback", path)))
        case "collect":
            kind = .collect(Node.Collect(
                prompts: prompts(o, "prompts", path, required: false),
                maxDigits: int(o, "maxDigits", path, default: 15, range: 1...32),
                terminator: key(o, "terminator", path, default: "#"),
                timeoutSeconds: int(o, "timeoutSeconds", path, default: 10, range: 1...60),
                interDigitSeconds: int(o, "interDigitSeconds", path, default: 5, range: 1...30),
                next: target(o, "next", path), timeout: target(o, "timeout", path)))
        case "record":
            kind = .record(Node.Record(
                prompts: prompts(o, "prompts", path, required: false), beep: bool(o, "beep", path) ?? true,
                maxSeconds: int(o, "maxSeconds", path, default: 180, range: 5...600),
                silenceSeconds: int(o, "silenceSeconds", path, default: 5, range: 0...60),
                minSeconds: int(o, "minSeconds", path, default: 0, range: 0...30),
                terminator: key(o, "terminator", path, default: "#"), next: target(o, "next", path),
                tooShort: o["tooShort"] == nil ? nil : target(o, "tooShort", path)))
        case "review":
            kind = .review(Node.Review(
                prompts: prompts(o, "prompts", path, required: true), invalid: prompts(o, "invalid", path, required: false),
                timeoutSeconds: int(o, "timeoutSeconds", path, default: 6, range: 1...60),
                maxTimeouts: int(o, "maxTimeouts", path, default: 2, range: 1...10),
                record: string(o, "record", path) ?? "", next: target(o, "next", path)))
        case "set":
            let next = target(o, "next", path)
            if let c = o["category"] {
                guard let s = c as? String, let category = HotlineCore.Category(rawValue: s) else {
                    fail(path + ".category", "must be one of \(HotlineCore.Category.allCases.map(\.rawValue).joined(separator: ", "))")
                    return nil
                }
                if o["confidential"] != nil { fail(path, "set one field per node: category or confidential") }
                kind = .set(.category(category), next: next)
            } else if o["confidential"] != nil {
                kind = .set(.confidential(bool(o, "confidential", path) ?? false), next: next)
            } else {
                fail(path, "a set node needs category or confidential")
                return nil
            }
        case "submit":
            kind = .submit(next: target(o, "next", path), failed: target(o, "failed", path))
        case "sayCode":
            kind = .sayCode(before: prompts(o, "before", path, required: false),
                            after: prompts(o, "after", path, required: false), next: target(o, "next", path))
        case "sayDigits":
            kind = .sayDigits(before: prompts(o, "before", path, required: false),
                              after: prompts(o, "after", path, required: false), next: target(o, "next", path))
        case "status":
            let raw = string(o, "mode", path) ?? ""
            guard let mode = StatusMode(rawValue: raw) else {
                fail(path + ".mode", "must be 'typed' or 'latest'")
                return nil
            }
            kind = .status(mode: mode, next: target(o, "next", path))
        case "rate":
            kind = .rate(Node.Rate(
                prompts: prompts(o, "prompts", path, required: true), invalid: prompts(o, "invalid", path, required: false),
                thanks: prompts(o, "thanks", path, required: false),
                timeoutSeconds: int(o, "timeoutSeconds", path, default: 6, range: 1...60),
                maxFailures: int(o, "maxFailures", path, default: 2, range: 1...10), next: target(o, "next", path)))
        case "officeHours":
            kind = .officeHours(open: target(o, "open", path), closed: target(o, "closed", path))
        case "transfer":
            let uri = string(o, "uri", path) ?? ""
            if !(uri.hasPrefix("sip:") || uri.hasPrefix("sips:")) {
                fail(path + ".uri", "must be a sip: or sips: URI, got '\(uri)'")
            }
            kind = .transfer(uri: uri, prompts: prompts(o, "prompts", path, required: false),
                             failed: target(o, "failed", path))
        case "queue":
            var settings = QueueSettings()
            if o["strategy"] != nil {
                let raw = string(o, "strategy", path) ?? ""
                if let strategy = QueueStrategy(rawValue: raw) {
                    settings.strategy = strategy
                } else {
                    fail(path + ".strategy", "must be one of \(QueueStrategy.allCases.map(\.rawValue).joined(separator: ", ")), got '\(raw)'")
                }
            }
            settings.ringTimeout = .seconds(int(o, "ringTimeoutSeconds", path, default: 15, range: 5...120))
            settings.maxWait = .seconds(int(o, "maxWaitSeconds", path, default: 300, range: 10...3600))
            settings.announceEvery = .seconds(int(o, "announceSeconds", path, default: 45, range: 10...600))
            settings.wrapUp = .seconds(int(o, "wrapUpSeconds", path, default: 30, range: 0...600))
            kind = .queue(Node.Queue(
                prompts: prompts(o, "prompts", path, required: false), hold: prompts(o, "hold", path, required: true),
                settings: settings, record: target(o, "record", path),
                callback: o["callback"] == nil ? nil : target(o, "callback", path), overflow: target(o, "overflow", path)))
        case "goto":
            kind = .goto(target(o, "target", path))
        case "submenu":
            kind = .submenu(target: target(o, "target", path), returnTo: target(o, "return", path))
        case "hangup":
            kind = .hangup(prompts: prompts(o, "prompts", path, required: false))
        default:
            return nil
        }
        return problems.count == before ? Node(id: id, kind: kind) : nil
    }

    // MARK: Typed readers

    mutating func object(_ raw: Any, _ path: String, allowed: Set<String>?) -> [String: Any]? {
        guard let o = raw as? [String: Any] else {
            fail(path, "must be an object")
            return nil
        }
        if let allowed {
            for key in o.keys.sorted() where !allowed.contains(key) {
                fail(path + "." + key, "unknown key (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        return o
    }

    mutating func string(_ o: [String: Any], _ key: String, _ path: String) -> String? {
        guard let raw = o[key] else {
            fail(path + "." + key, "missing")
            return nil
        }
        guard let s = raw as? String, !s.isEmpty else {
            fail(path + "." + key, "must be a non-empty string")
            return nil
        }
        return substitute(s, path + "." + key)
    }

    mutating func substitute(_ s: String, _ path: String) -> String {
        var out = s
        while let open = out.range(of: "${"), let close = out[open.upperBound...].firstIndex(of: "}") {
            let name = String(out[open.upperBound..<close])
            guard let value = variables[name] else {
                fail(path, "unknown variable ${\(name)} (known: \(variables.keys.sorted().joined(separator: ", ")))")
                return out
            }
            out.replaceSubrange(open.lowerBound...close, with: value)
        }
        return out
    }

    mutating func target(_ o: [String: Any], _ key: String, _ path: String) -> Target {
        Target(string(o, key, path) ?? "")
    }

    mutating func bool(_ o: [String: Any], _ key: String, _ path: String) -> Bool? {
        guard let raw = o[key] else { return nil }
        guard let n = raw as? NSNumber, isBoolean(n) else {
            fail(path + "." + key, "must be true or false")
            return nil
        }
        return n.boolValue
    }

    mutating func int(_ o: [String: Any], _ key: String, _ path: String, default d: Int, range: ClosedRange<Int>) -> Int {
        guard let raw = o[key] else { return d }
        guard let n = raw as? NSNumber, !isBoolean(n), let v = Int(exactly: n.doubleValue)
        else {
            fail(path + "." + key, "must be a whole number")
            return d
        }
        guard range.contains(v) else {
            fail(path + "." + key, "\(v) is out of range \(range.lowerBound)–\(range.upperBound)")
            return d
        }
        return v
    }

    /// JSON true/false arrive as NSNumber of type char ("c"); JSON numbers never do.
    func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    mutating func key(_ o: [String: Any], _ key: String, _ path: String, default d: Character) -> Character {
        guard let raw = o[key] else { return d }
        guard let s = raw as? String, s.count == 1, let c = s.first, "0123456789*#".contains(c) else {
            fail(path + "." + key, "must be one key: 0-9, * or #")
            return d
        }
        return c
    }

    mutating func prompts(_ o: [String: Any], _ key: String, _ path: String, required: Bool) -> [PromptName] {
        guard let raw = o[key] else {
            if required { fail(path + "." + key, "missing (a list of prompt names)") }
            return []
        }
        guard let list = raw as? [Any] else {
            fail(path + "." + key, "must be a list of prompt names")
            return []
        }
        var names: [PromptName] = []
        for (i, item) in list.enumerated() {
            guard let s = item as? String, !s.isEmpty,
                  s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            else {
                fail("\(path).\(key)[\(i)]", "a prompt name is ASCII letters, digits, - and _ (the file Prompts/vi/<name>.wav)")
                continue
            }
            names.append(PromptName(s))
        }
        if required && list.isEmpty { fail(path + "." + key, "needs at least one prompt") }
        return names
    }
}

/// Where a JSON syntax error is, as an editor shows it: Foundation reports a byte offset ("around character
/// 25"); people look for a line and a column.
enum JSONPosition {
    static func describe(_ error: Error, in data: Data) -> String {
        let info = (error as NSError).userInfo
        let text = (info["NSDebugDescription"] as? String) ?? error.localizedDescription
        guard let range = text.range(of: #"character (\d+)"#, options: .regularExpression),
              let offset = Int(text[range].dropFirst("character ".count)) else { return ": \(text)" }
        let (line, column) = lineAndColumn(offset, in: data)
        return " at line \(line), column \(column) (\(text))"
    }

    /// 1-based line and column (in characters) of a byte offset.
    static func lineAndColumn(_ offset: Int, in data: Data) -> (Int, Int) {
        // Counted on bytes: in a Swift string "\r\n" is one character, not a line feed.
        let prefix = [UInt8](data.prefix(max(0, min(offset, data.count))))
        let line = prefix.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        let start = (prefix.lastIndex(of: 0x0A) ?? -1) + 1
        let column = prefix[start...].filter { $0 & 0xC0 != 0x80 && $0 != 0x0D }.count + 1
        return (line, column)
    }
}
