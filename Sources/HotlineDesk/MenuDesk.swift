import Foundation
import HotlineCore
import HotlineStore
import IVR
import PromptTools

/// Where the live dialplan and its prompts are, and the values of its `${variables}`.
public struct DialplanSettings: Sendable {
    public var live: String
    public var promptDirectory: String
    public var variables: [String: String]
    public init(live: String, promptDirectory: String, variables: [String: String]) {
        (self.live, self.promptDirectory, self.variables) = (live, promptDirectory, variables)
    }
}

/// A problem of a plan, with where the administrator wrote it.
public struct LocatedProblem: Sendable, Equatable {
    public var path: String
    public var message: String
    public var line: Int?
    public var column: Int?
}

/// What a check of a plan found.
public struct DialplanCheck: Sendable {
    public var problems: [LocatedProblem]
    public var version: String?
    public var nodeCount: Int
    public var promptCount: Int
    public var isValid: Bool { problems.isEmpty }
}

/// An installed plan kept in the history folder beside the live file.
public struct DialplanVersion: Sendable, Equatable {
    /// The file's name in the history folder (what a rollback names).
    public var id: String
    public var version: String
    public var installedAt: Date
    public var sha256: String
    /// The live file is this plan now.
    public var isLive: Bool
}

/// A prompt of the prompt folder: its words, its sound, and whether the sound is the generated one.
public struct PromptInfo: Sendable {
    public var name: String
    public var text: String
    public var durationMs: Int?
    /// A WAV someone put in place of the generated one (a studio recording).
    public var isStudioRecording: Bool
    /// Its text changed since its WAV was made (a rebuild regenerates it; a studio recording is kept).
    public var textChanged: Bool
    public var problem: String?
}

extension DialplanFiles {
    /// `Dialplans/hotline-1022.json` → `Dialplans/.history/`.
    public static func historyDirectory(of live: String) -> String {
        ((live as NSString).deletingLastPathComponent as NSString).appendingPathComponent(".history")
    }
}

extension Desk {
    // MARK: The menu editor

    /// The live plan's text, for the editor.
    public func liveDialplan(_ settings: DialplanSettings, as admin: User) throws -> String {
        try check(admin, .administer)
        guard let data = FileManager.default.contents(atPath: settings.live) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Every problem of a plan's text, each with its JSON path and the line and column it is written at.
    public func checkDialplan(_ text: String, _ settings: DialplanSettings, as admin: User) throws -> DialplanCheck {
        try check(admin, .administer)
        return Self.checkPlan(Data(text.utf8), settings)
    }

    static func checkPlan(_ data: Data, _ settings: DialplanSettings) -> DialplanCheck {
        let (plan, problems) = DialplanLoader.check(data, promptDirectory: settings.promptDirectory, variables: settings.variables)
        let locator = JSONLocator(data)
        let located = problems.map { p -> LocatedProblem in
            let at = JSONLocator.syntaxPosition(in: p.message) ?? locator.position(of: p.path)
            return LocatedProblem(path: p.path, message: p.message, line: at?.line, column: at?.column)
        }
        return DialplanCheck(problems: located, version: plan?.version, nodeCount: plan?.nodes.count ?? 0,
                             promptCount: plan?.allPromptNames.count ?? 0)
    }

    /// The plan as a picture: its DOT drawn by Graphviz's `dot` as SVG (the XML prologue removed, for inline use).
    public func dialplanGraph(_ text: String, _ settings: DialplanSettings, as admin: User) throws -> String {
        try check(admin, .administer)
        let (plan, problems) = DialplanLoader.check(Data(text.utf8), promptDirectory: nil, variables: settings.variables)
        guard let plan, problems.isEmpty else {
            throw DeskError.invalidField(.dialplan, reason: "sửa lỗi của kịch bản trước khi vẽ sơ đồ")
        }
        guard let dot = Self.tool("dot") else {
            throw DeskError.failed("chưa cài Graphviz (lệnh dot): chạy scripts/bootstrap")
        }
        let output = try Self.run(dot, ["-Tsvg"], input: Data(DialplanGraph.dot(plan).utf8), timeout: 15)
        var svg = String(decoding: output, as: UTF8.self)
        guard let start = svg.range(of: "<svg") else { throw DeskError.failed("dot không trả về SVG") }
        svg = String(svg[start.lowerBound...])
        // dot writes only shapes and escaped text; anything active would be a fault, and is not shown.
        guard svg.range(of: "<script", options: .caseInsensitive) == nil,
              svg.range(of: #"\son[a-z]+\s*="#, options: [.regularExpression, .caseInsensitive]) == nil else {
            throw DeskError.failed("sơ đồ có nội dung không an toàn; không hiển thị")
        }
        return svg
    }

    /// A call through the plan with the given keys (`1,2,,#`: an empty item lets a prompt or wait run out),
    /// each line as the caller would hear it: the prompts' Vietnamese words.
    public func simulateDialplan(_ text: String, _ settings: DialplanSettings, keys: String, status: String = "waiting",
                                 afterHours: Bool = false, as admin: User) throws -> [String] {
        try check(admin, .administer)
        let (plan, problems) = DialplanLoader.check(Data(text.utf8), promptDirectory: nil, variables: settings.variables)
        guard let plan, problems.isEmpty else {
            throw DeskError.invalidField(.dialplan, reason: "sửa lỗi của kịch bản trước khi chạy thử")
        }
        guard let spoken = DialplanSimulator.status(status, unit: nil) else {
            throw DeskError.invalidField(.dialplan, reason: "trạng thái giả lập không hợp lệ: \(status)")
        }
        let script = keys.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard script.count <= 200 else { throw DeskError.invalidField(.dialplan, reason: "tối đa 200 bước phím") }
        let prompts = settings.promptDirectory
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let lines = Lines()
        var simulator = DialplanSimulator(
            plan: plan, script: script,
            promptText: { name in
                (try? String(contentsOfFile: "\(prompts)/\(name.rawValue).txt", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "<\(name.rawValue)>"
            },
            say: { line in if lines.all.count < 2000 { lines.all.append(line) } })
        simulator.status = spoken
        simulator.vietnamese = true
        simulator.run(CallContext(callerNumber: "0912345678", isOfficeHours: !afterHours))
        return lines.all
    }

    /// Installs a plan from the editor (checked with its prompts, swapped in whole, audited) and keeps it in the
    /// history folder, from which any earlier installed plan can be put back.
    public func installDialplan(text: String, _ settings: DialplanSettings, as admin: User) throws -> DialplanInstallResult {
        try installDialplan(DialplanInstallRequest(data: Data(text.utf8), source: "trình soạn thảo", target: settings.live,
                                                   promptDirectory: settings.promptDirectory, variables: settings.variables),
                            as: admin)
    }

    /// The plans installed so far, newest first.
    public func dialplanHistory(_ settings: DialplanSettings, as admin: User) throws -> [DialplanVersion] {
        try check(admin, .administer)
        return try Self.history(of: settings.live)
    }

    static func history(of live: String) throws -> [DialplanVersion] {
        let dir = DialplanFiles.historyDirectory(of: live)
        let liveSHA = (try? SHA256.hexOfFile(atPath: live)) ?? ""
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted(by: >)
        var seenLive = false
        return names.compactMap { name in
            let path = (dir as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            let version = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["version"] as? String ?? "?"
            let sha = SHA256.hex(data)
            let at = DialplanFiles.historyDate(name) ?? Date(timeIntervalSince1970: 0)
            // The newest entry with the live file's content is the live one.
            let live = !seenLive && sha == liveSHA
            if live { seenLive = true }
            return DialplanVersion(id: name, version: version, installedAt: at, sha256: sha, isLive: live)
        }
    }

    /// Puts back an earlier installed plan (checked again with today's prompts), audited as a rollback.
    public func rollbackDialplan(to id: String, _ settings: DialplanSettings, as admin: User) throws -> DialplanInstallResult {
        try check(admin, .administer)
        guard id.hasSuffix(".json"), !id.contains("/"), !id.hasPrefix("."),
              let data = FileManager.default.contents(atPath: (DialplanFiles.historyDirectory(of: settings.live) as NSString)
                .appendingPathComponent(id)) else {
            throw DeskError.notFound(.dialplan, id)
        }
        let result = try installDialplan(DialplanInstallRequest(data: data, source: id, target: settings.live,
                                                                promptDirectory: settings.promptDirectory,
                                                                variables: settings.variables), as: admin)
        try store.recordAdministration("dialplan-rollback", ["file": settings.live, "to": id, "version": result.version,
                                                             "sha256": result.sha256], by: admin, at: now())
        return result
    }

    // MARK: Prompts

    /// Every prompt of the folder with its words and the state of its sound.
    public func prompts(_ settings: DialplanSettings, as admin: User) throws -> [PromptInfo] {
        try check(admin, .administer)
        let builder = PromptBuilder(directory: settings.promptDirectory)
        let manifest: [String: PromptBuilder.Entry]
        let names: [String]
        do {
            manifest = try builder.loadManifest()
            names = try builder.names()
        } catch {
            throw DeskError.failed("\(error)")
        }
        return names.map { name in
            let text = (try? builder.text(of: name)) ?? ""
            let wav = "\(settings.promptDirectory)/\(name).wav"
            let onDisk = FileManager.default.fileExists(atPath: wav) ? try? SHA256.hexOfFile(atPath: wav) : nil
            let header = try? WAVHeader(contentsOf: wav)
            let decision = PromptBuilder.decide(textSHA256: SHA256.hex(Data(text.utf8)), wavSHA256: onDisk, entry: manifest[name], force: false)
            var studio = false, changed = false
            switch decision {
            case .keepStudioRecording(let textChanged): studio = true; changed = textChanged
            case .generate(let reason): changed = reason == .textChanged
            case .unchanged: break
            }
            return PromptInfo(name: name, text: text, durationMs: header?.durationMs, isStudioRecording: studio,
                              textChanged: changed, problem: onDisk == nil ? "chưa có tệp WAV" : header?.problem)
        }
    }

    /// The WAV of a prompt to hear in the page; only a name of the folder's prompts (never a path).
    public func promptAudio(_ name: String, _ settings: DialplanSettings, as admin: User) throws -> String {
        try check(admin, .administer)
        guard try Self.isPrompt(name, settings) else { throw DeskError.notFound(.file, "\(name).wav") }
        let wav = "\(settings.promptDirectory)/\(name).wav"
        guard FileManager.default.fileExists(atPath: wav) else { throw DeskError.notFound(.file, "\(name).wav") }
        return wav
    }

    static func isPrompt(_ name: String, _ settings: DialplanSettings) throws -> Bool {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return false }
        return FileManager.default.fileExists(atPath: "\(settings.promptDirectory)/\(name).txt")
    }

    /// Changes a prompt's words (its WAV is regenerated by the next rebuild, unless it is a studio recording);
    /// audited.
    public func setPromptText(_ name: String, text: String, _ settings: DialplanSettings, as admin: User) throws {
        try check(admin, .administer)
        guard try Self.isPrompt(name, settings) else { throw DeskError.notFound(.file, "\(name).txt") }
        let words = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !words.isEmpty, words.count <= 1000 else {
            throw DeskError.invalidField(.content, reason: "lời nhắc cần từ 1 đến 1000 ký tự")
        }
        let path = "\(settings.promptDirectory)/\(name).txt"
        try writeConfig(path, Data((words + "\n").utf8))
        try store.recordAdministration("prompt-text", ["prompt": name, "sha256": SHA256.hex(Data(words.utf8))], by: admin, at: now())
    }

    /// Puts a studio recording in place of a prompt's WAV: checked (a WAV sox reads, 0.2 s to 2 minutes),
    /// converted to 8 kHz mono 16-bit PCM with sox, swapped in whole, audited. A rebuild keeps it.
    public func installStudioPrompt(_ name: String, upload: Upload, _ settings: DialplanSettings, as admin: User) throws -> Int {
        try check(admin, .administer)
        guard try Self.isPrompt(name, settings) else { throw DeskError.notFound(.file, "\(name).txt") }
        let staged = try stage(upload, policy: .studioRecording)
        defer { unstage(staged) }
        let partial = "\(settings.promptDirectory)/.\(name).studio.wav"
        defer { try? FileManager.default.removeItem(atPath: partial) }
        let tools: SpeechTools
        do {
            tools = try SpeechTools.locate()
            try tools.convertStudioRecording(staged, to: partial)
        } catch {
            throw DeskError.invalidField(.evidence, reason: "không chuyển được bản thu âm sang 8 kHz đơn kênh 16 bit: \(error)")
        }
        let header: WAVHeader
        do {
            header = try WAVHeader(contentsOf: partial)
        } catch {
            throw DeskError.invalidField(.evidence, reason: "sox không tạo được tệp WAV hợp lệ: \(error)")
        }
        guard header.isGatewayFormat, header.dataBytes > 0 else {
            throw DeskError.invalidField(.evidence, reason: header.problem ?? "tệp sau chuyển đổi không đúng định dạng tổng đài")
        }
        guard (200...120_000).contains(header.durationMs) else {
            throw DeskError.invalidField(.evidence, reason: "bản thu dài \(header.durationMs) ms; cần từ 0,2 giây đến 2 phút")
        }
        let wav = "\(settings.promptDirectory)/\(name).wav"
        guard rename(partial, wav) == 0 else { throw DeskError.failed("không ghi được \(wav): \(String(cString: strerror(errno)))") }
        try store.recordAdministration("prompt-studio", ["prompt": name, "sha256": try SHA256.hexOfFile(atPath: wav),
                                                         "durationMs": String(header.durationMs), "from": upload.filename],
                                       by: admin, at: now())
        return header.durationMs
    }

    /// Regenerates the prompts whose text changed (espeak-ng and sox through PromptTools), keeping studio
    /// recordings; audited with the names regenerated.
    public func rebuildPrompts(_ settings: DialplanSettings, as admin: User) throws -> (generated: [String], kept: [String]) {
        try check(admin, .administer)
        let report: PromptBuilder.Report
        do {
            report = try PromptBuilder(directory: settings.promptDirectory).build { _ in }
        } catch {
            throw DeskError.failed("\(error)")
        }
        try store.recordAdministration("prompts-build", ["generated": report.generated.joined(separator: ","),
                                                         "kept": report.keptStudioRecordings.joined(separator: ",")],
                                       by: admin, at: now())
        return (report.generated, report.keptStudioRecordings)
    }

    // MARK: Child processes

    static func tool(_ name: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
            + ["/usr/bin"]
        return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a tool with `input` on its standard input; its output, or `failed` with its error text. Killed
    /// after `timeout` seconds.
    static func run(_ tool: String, _ arguments: [String], input: Data, timeout: TimeInterval) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = stderr
        do {
            try p.run()
        } catch {
            throw DeskError.failed("không chạy được \(tool): \(error.localizedDescription)")
        }
        final class Box: @unchecked Sendable { var out = Data(); var err = Data() }
        let box = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { box.out = stdout.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { box.err = stderr.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        stdin.fileHandleForWriting.write(input)
        try? stdin.fileHandleForWriting.close()
        if group.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            group.wait()
            p.waitUntilExit()
            throw DeskError.failed("\(tool) chạy quá \(Int(timeout)) giây")
        }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw DeskError.failed("\(tool) lỗi: \(String(decoding: box.err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return box.out
    }
}
