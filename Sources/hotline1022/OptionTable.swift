import Foundation

/// One option of a command, declared once: its flag, its key in a JSON config file, the placeholder and help
/// `--help` shows, and how its value is read and checked. The synopsis, the explanation, the config file's
/// known keys and the parsing all come from the same declaration.
struct OptionSpec<Settings>: @unchecked Sendable {
    let flag: String
    /// The key in a `--config` file; nil for an option given on the command line only.
    let key: String?
    /// `N`, `PATH`, `URI`…; empty for a flag that takes no value.
    let placeholder: String
    /// What it does, in Vietnamese.
    let help: String
    let repeatable: Bool
    /// Reads one value (a flag's is "true") into the settings; throws a Vietnamese reason when it is wrong.
    let set: (inout Settings, String) throws -> Void
    /// Reads a config file's JSON value (a number, a string, a list, a bool).
    let setJSON: (inout Settings, Any) throws -> Void
    /// The default, as `--help` shows it.
    let show: (Settings) -> String

    var isFlag: Bool { placeholder.isEmpty }
}

/// JSONSerialization gives true and false as NSNumbers of C type `char`; numbers are `int`, `long`, `double`.
func isJSONBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

/// A reason an option's value is wrong, said without the flag (the table adds it: `--sip-port: …`).
struct OptionValueError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension OptionSpec {
    static func int(_ flag: String, key: String?, _ path: WritableKeyPath<Settings, Int>, _ range: ClosedRange<Int>,
                    placeholder: String = "N", help: String) -> OptionSpec {
        ranged(flag, key: key, path, range, placeholder: placeholder, help: help,
               text: (Int.init, "cần một số nguyên"),
               json: ({ $0.doubleValue == $0.doubleValue.rounded() ? $0.intValue : nil }, "cần một số nguyên"))
    }

    static func double(_ flag: String, key: String?, _ path: WritableKeyPath<Settings, Double>, _ range: ClosedRange<Double>,
                       placeholder: String = "N", help: String) -> OptionSpec {
        ranged(flag, key: key, path, range, placeholder: placeholder, help: help,
               text: (Double.init, "cần một số"), json: ({ $0.doubleValue }, "cần một số"))
    }

    /// A number within `range`: read from the command line by `text.parse`, from a config file's JSON number
    /// (never a bool) by `json.parse`; each names what it wanted when the value is not one.
    private static func ranged<V: Comparable & CustomStringConvertible>(
        _ flag: String, key: String?, _ path: WritableKeyPath<Settings, V>, _ range: ClosedRange<V>,
        placeholder: String, help: String,
        text: (parse: (String) -> V?, wanted: String), json: (parse: (NSNumber) -> V?, wanted: String)
    ) -> OptionSpec {
        func store(_ s: inout Settings, _ v: V) throws {
            guard range.contains(v) else {
                throw OptionValueError("cần từ \(range.lowerBound) đến \(range.upperBound), nhận được \(v)")
            }
            s[keyPath: path] = v
        }
        return OptionSpec(
            flag: flag, key: key, placeholder: placeholder, help: help, repeatable: false,
            set: { s, raw in
                guard let v = text.parse(raw) else { throw OptionValueError("\(text.wanted), nhận được '\(raw)'") }
                try store(&s, v)
            },
            setJSON: { s, any in
                guard let n = any as? NSNumber, !isJSONBool(n), let v = json.parse(n) else {
                    throw OptionValueError(json.wanted)
                }
                try store(&s, v)
            },
            show: { "\($0[keyPath: path])" })
    }

    /// A comma-separated list of words from a closed set (`udp,tcp`); a JSON list in a config file.
    static func csv(_ flag: String, key: String?, _ path: WritableKeyPath<Settings, [String]>, _ choices: [String],
                    help: String) -> OptionSpec {
        func store(_ s: inout Settings, _ words: [String]) throws {
            guard !words.isEmpty, let bad = Optional(words.filter { !choices.contains($0) }), bad.isEmpty else {
                throw OptionValueError("chỉ nhận \(choices.joined(separator: ", ")), cách nhau bằng dấu phẩy; nhận được "
                                       + "'\(words.joined(separator: ","))'")
            }
            s[keyPath: path] = words
        }
        return OptionSpec(
            flag: flag, key: key, placeholder: choices.joined(separator: ","), help: help, repeatable: false,
            set: { s, text in
                try store(&s, text.split(separator: ",", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            },
            setJSON: { s, any in
                guard let list = any as? [String] else { throw OptionValueError("cần một danh sách chuỗi") }
                try store(&s, list.map { $0.lowercased() })
            },
            show: { $0[keyPath: path].joined(separator: ",") })
    }

    /// A switch that sets a value of another option (`--no-web` is `--web-port 0`).
    static func preset<V>(_ flag: String, _ path: WritableKeyPath<Settings, V>, to value: V, help: String) -> OptionSpec {
        OptionSpec(
            flag: flag, key: nil, placeholder: "", help: help, repeatable: false,
            set: { s, _ in s[keyPath: path] = value },
            setJSON: { _, _ in },
            show: { _ in "tắt" })
    }

    /// A text value; `check` returns a reason when the value is wrong.
    static func text(_ flag: String, key: String?, _ path: WritableKeyPath<Settings, String>, placeholder: String,
                     help: String, check: @escaping (String) -> String? = { _ in nil }) -> OptionSpec {
        func store(_ s: inout Settings, _ v: String) throws {
            if let reason = check(v) { throw OptionValueError(reason) }
            s[keyPath: path] = v
        }
        return OptionSpec(
            flag: flag, key: key, placeholder: placeholder, help: help, repeatable: false,
            set: store,
            setJSON: { s, any in
                guard let v = any as? String else { throw OptionValueError("cần một chuỗi") }
                try store(&s, v)
            },
            show: { $0[keyPath: path].isEmpty ? "(không có)" : $0[keyPath: path] })
    }

    /// One of a closed list of words.
    static func choice(_ flag: String, key: String?, _ path: WritableKeyPath<Settings, String>, _ choices: [String],
                       help: String) -> OptionSpec {
        text(flag, key: key, path, placeholder: choices.joined(separator: "|"), help: help) { v in
            choices.contains(v) ? nil : "là một trong \(choices.joined(separator: ", ")), nhận được '\(v)'"
        }
    }

    /// A repeatable option collecting a list; on the command line, the values given replace the default list.
    static func list(_ flag: String, key: String?, _ path: WritableKeyPath<Settings, [String]>, placeholder: String,
                     help: String, check: @escaping (String) -> String? = { _ in nil }) -> OptionSpec {
        OptionSpec(
            flag: flag, key: key, placeholder: placeholder, help: help, repeatable: true,
            set: { s, v in
                if let reason = check(v) { throw OptionValueError(reason) }
                s[keyPath: path].append(v)
            },
            setJSON: { s, any in
                guard let list = any as? [String] else { throw OptionValueError("cần một danh sách chuỗi") }
                for v in list { if let reason = check(v) { throw OptionValueError("'\(v)': \(reason)") } }
                s[keyPath: path] = list
            },
            show: { $0[keyPath: path].joined(separator: ", ") })
    }

    /// A switch: present on the command line means true.
    static func flag(_ flag: String, key: String?, _ path: WritableKeyPath<Settings, Bool>, help: String) -> OptionSpec {
        OptionSpec(
            flag: flag, key: key, placeholder: "", help: help, repeatable: false,
            set: { s, _ in s[keyPath: path] = true },
            setJSON: { s, any in
                guard let n = any as? NSNumber, isJSONBool(n) else {
                    throw OptionValueError("cần true hoặc false")
                }
                s[keyPath: path] = n.boolValue
            },
            show: { $0[keyPath: path] ? "bật" : "tắt" })
    }
}

/// A command's options: parsed from the command line and from a JSON config file, and explained in `--help`.
struct OptionTable<Settings> {
    let options: [OptionSpec<Settings>]

    /// `[--sip-port N] [--allow CIDR]... [--verbose]`, wrapped for a help text.
    var synopsis: String {
        var lines: [String] = []
        var line = ""
        for o in options {
            let item = "[\(o.flag)\(o.isFlag ? "" : " " + o.placeholder)]" + (o.repeatable ? "..." : "")
            if line.count + item.count > 100 {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + item
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n          ")
    }

    /// One line per option: flag, config key, default, what it does.
    func explanation(defaults: Settings) -> String {
        options.map { o in
            let key = o.key.map { " (tệp cấu hình: \($0))" } ?? ""
            return "  \(o.flag)\(o.isFlag ? "" : " " + o.placeholder)\(key)\n      \(o.help) Mặc định: \(o.show(defaults))."
        }.joined(separator: "\n")
    }

    /// Every key a config file may use.
    var configKeys: [String] { options.compactMap(\.key) }

    /// Reads the options from the command line into `settings` (a repeatable option replaces its default list).
    func apply(_ args: inout Arguments, to settings: inout Settings) throws {
        for o in options {
            if o.isFlag {
                if args.flag(o.flag) { try set(o, &settings, "true") }
            } else if o.repeatable {
                let values = try args.options(o.flag)
                if !values.isEmpty {
                    var fresh = settings
                    try o.setJSON(&fresh, [String]())
                    for v in values { try set(o, &fresh, v) }
                    settings = fresh
                }
            } else if let v = try args.option(o.flag) {
                try set(o, &settings, v)
            }
        }
    }

    private func set(_ o: OptionSpec<Settings>, _ settings: inout Settings, _ value: String) throws {
        do {
            try o.set(&settings, value)
        } catch let e as OptionValueError {
            throw UsageError("\(o.flag): \(e)")
        }
    }

    /// Reads a JSON config file strictly: an unknown key or a wrong value is an error naming it (a typo must
    /// not fall back to a default).
    func applyConfig(_ data: Data, source: String, to settings: inout Settings) throws {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw CommandFailure("tệp cấu hình \(source) không phải JSON hợp lệ: \(error.localizedDescription)")
        }
        guard let object = json as? [String: Any] else {
            throw CommandFailure("tệp cấu hình \(source): cấp ngoài cùng phải là một đối tượng JSON")
        }
        for key in object.keys.sorted() {
            guard let o = options.first(where: { $0.key == key }) else {
                throw CommandFailure("tệp cấu hình \(source): không có khóa '\(key)'; các khóa dùng được: "
                                     + configKeys.sorted().joined(separator: ", "))
            }
            do {
                try o.setJSON(&settings, object[key]!)
            } catch let e as OptionValueError {
                throw UsageError("tệp cấu hình \(source): \(key): \(e)")
            }
        }
    }
}
