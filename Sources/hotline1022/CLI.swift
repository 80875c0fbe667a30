import Foundation
import HotlineCore

/// A node of the command tree: a group of subcommands, or a command that runs.
/// Each command lives in its own file and is listed once, in `Commands.swift`.
struct Command: Sendable {
    let name: String
    let summary: String
    /// Usage and options, shown by `--help`; the first line is the synopsis after the command path.
    let help: String
    let subcommands: [Command]
    let run: (@Sendable (inout Arguments) throws -> Void)?

    static func group(_ name: String, _ summary: String, _ subcommands: [Command]) -> Command {
        Command(name: name, summary: summary, help: "", subcommands: subcommands, run: nil)
    }

    static func leaf(_ name: String, _ summary: String, help: String,
                     run: @escaping @Sendable (inout Arguments) throws -> Void) -> Command {
        Command(name: name, summary: summary, help: help, subcommands: [], run: run)
    }
}

/// A usage error: printed with a pointer to `--help`, exit status 64 (EX_USAGE).
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A failure the user can act on: printed as is, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Command-line arguments of one command, consumed as the command reads them.
/// Options are `--name value` or `--name=value`; flags are `--name`; the rest are positionals.
/// `finish()` rejects whatever the command did not read, so a typo is an error, not a silent default.
struct Arguments {
    private var items: [String]
    let commandPath: String

    init(_ items: [String], commandPath: String) {
        self.items = items
        self.commandPath = commandPath
    }

    mutating func flag(_ name: String) -> Bool {
        if let i = items.firstIndex(of: name) {
            items.remove(at: i)
            return true
        }
        return false
    }

    /// The value of `--name value` or `--name=value`; the last one given wins.
    mutating func option(_ name: String) throws -> String? {
        var value: String?
        var i = 0
        while i < items.count {
            let item = items[i]
            if item == name {
                guard i + 1 < items.count, !items[i + 1].hasPrefix("--") else {
                    throw UsageError("tùy chọn \(name) cần có giá trị")
                }
                value = items[i + 1]
                items.removeSubrange(i...(i + 1))
            } else if item.hasPrefix(name + "=") {
                value = String(item.dropFirst(name.count + 1))
                items.remove(at: i)
            } else {
                i += 1
            }
        }
        return value
    }

    /// Every value of a repeatable option (`--evidence a --evidence b`), in order.
    mutating func options(_ name: String) throws -> [String] {
        var values: [String] = []
        while let v = try firstOption(name) { values.append(v) }
        return values
    }

    private mutating func firstOption(_ name: String) throws -> String? {
        guard let i = items.firstIndex(where: { $0 == name || $0.hasPrefix(name + "=") }) else { return nil }
        if items[i] == name {
            guard i + 1 < items.count, !items[i + 1].hasPrefix("--") else {
                throw UsageError("tùy chọn \(name) cần có giá trị")
            }
            let v = items[i + 1]
            items.removeSubrange(i...(i + 1))
            return v
        }
        let v = String(items[i].dropFirst(name.count + 1))
        items.remove(at: i)
        return v
    }

    mutating func requiredOption(_ name: String) throws -> String {
        guard let v = try option(name) else { throw UsageError("thiếu tùy chọn bắt buộc \(name)") }
        return v
    }

    mutating func intOption(_ name: String) throws -> Int? {
        guard let s = try option(name) else { return nil }
        guard let v = Int(s) else { throw UsageError("tùy chọn \(name) cần một số nguyên, nhận được '\(s)'") }
        return v
    }

    /// The next positional argument (anything not starting with `--`).
    mutating func positional() -> String? {
        guard let i = items.firstIndex(where: { !$0.hasPrefix("--") || $0 == "-" }) else { return nil }
        return items.remove(at: i)
    }

    mutating func requiredPositional(_ what: String) throws -> String {
        guard let v = positional() else { throw UsageError("thiếu \(what)") }
        return v
    }

    /// Fails on anything left unread.
    func finish() throws {
        if let extra = items.first {
            throw UsageError(extra.hasPrefix("--") ? "không có tùy chọn \(extra)" : "thừa tham số '\(extra)'")
        }
    }
}

enum CLI {
    static let toolName = "hotline1022"

    /// Parses the command path, runs the command, and turns errors into messages and exit codes.
    static func main(_ argv: [String], root: [Command]) -> Int32 {
        var rest = Array(argv.dropFirst())
        var level = root
        var path = [toolName]
        var groupSummary = "Hotline1022: cổng điện thoại và công cụ xử lý phản ánh của Tổng đài 0225.1022 tiếp nhận ý kiến người dân Hải Phòng."
        while true {
            guard let word = rest.first, !word.hasPrefix("-") else {
                if rest.first == "--version" { print("\(toolName) \(version)"); return 0 }
                let asked = rest.first == "--help" || rest.first == "-h"
                printGroupHelp(path: path, summary: groupSummary, commands: level, to: asked ? .out : .err)
                return asked ? 0 : 64
            }
            if word == "help" {
                printGroupHelp(path: path, summary: groupSummary, commands: level, to: .out)
                return 0
            }
            guard let command = level.first(where: { $0.name == word }) else {
                writeErr("\(path.joined(separator: " ")): không có lệnh '\(word)'. Các lệnh có: "
                         + level.map(\.name).joined(separator: ", ") + ".")
                return 64
            }
            rest.removeFirst()
            path.append(word)
            if let run = command.run {
                let joined = path.joined(separator: " ")
                if rest.contains("--help") || rest.contains("-h") {
                    print("Cách dùng: \(joined) \(command.help)"
                          + (command.help.contains(CaseOptions.help) ? CaseOptions.explanation : ""))
                    return 0
                }
                var args = Arguments(rest, commandPath: joined)
                do {
                    try run(&args)
                    return 0
                } catch let e as UsageError {
                    writeErr("\(joined): \(e.message)\nXem '\(joined) --help'.")
                    return 64
                } catch let e as DeskError {
                    writeErr("\(joined): \(e.rendered(fieldName: CLI.flag))")
                    return e.isForbidden ? 77 : 1  // EX_NOPERM
                } catch let e as CommandFailure {
                    writeErr("\(joined): \(e.message)")
                    return 1
                } catch {
                    writeErr("\(joined): \(error)")
                    return 1
                }
            }
            level = command.subcommands
            groupSummary = command.summary
        }
    }

    enum Stream { case out, err }

    static func printGroupHelp(path: [String], summary: String, commands: [Command], to stream: Stream) {
        let width = (commands.map(\.name.count).max() ?? 0) + 2
        var text = "\(summary)\n\nCách dùng: \(path.joined(separator: " ")) <lệnh> [tùy chọn]\n\nLệnh:\n"
        for c in commands {
            text += "  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + c.summary + "\n"
        }
        text += "\nXem tùy chọn của từng lệnh: '\(path.joined(separator: " ")) <lệnh> --help'."
        if stream == .out { print(text) } else { writeErr(text) }
    }

    static let version = "0.1.0"

    /// How the CLI names a request's field in an error: by its flag, with the form's label.
    static func flag(_ field: DeskField) -> String {
        let name: String = switch field {
        case .output: "--out"
        case .result: "--note"
        case .userName: "NAME"
        case .trackingCode: "CODE"
        case .dialplan: "FILE"
        case .password: "the password (stdin or --password-file)"
        default: "--" + field.rawValue
        }
        return "\(name) (\(field.label))"
    }
}

func writeErr(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Prints a value as pretty, key-sorted JSON (for `--json` listings read by scripts).
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    let data = try encoder.encode(value)
    print(String(decoding: data, as: UTF8.self))
}

/// Left-aligned text table for people; widths count characters, so Vietnamese diacritics line up.
func renderTable(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows {
        for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}

/// SIGINT and SIGTERM caught from its creation on, for a command that runs a service until it is stopped
/// (`outbox run`, `transcribe run`, `web`): create it before starting the service, `wait()` after, then shut
/// down cleanly (the signals' default action, exit, is off meanwhile).
final class StopSignal {
    private let stopped = DispatchSemaphore(value: 0)
    private var sources: [DispatchSourceSignal] = []

    init() {
        for sig in [SIGINT, SIGTERM] { signal(sig, SIG_IGN) }
        sources = [SIGINT, SIGTERM].map { sig in
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [stopped] in stopped.signal() }
            s.resume()
            return s
        }
    }

    func wait() {
        stopped.wait()
        sources.forEach { $0.cancel() }
    }
}
