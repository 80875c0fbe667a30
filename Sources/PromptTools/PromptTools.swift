import Foundation
import HotlineCore

/// Regenerates prompt WAVs (8 kHz mono 16-bit PCM) from their Vietnamese text with espeak-ng and sox, only
/// where the text changed. A WAV that is not the one the tool made (a studio recording dropped in its place)
/// is kept unless forced. The manifest (`manifest.json` beside the prompts) records, per prompt, the SHA-256
/// of the text and of the WAV the tool generated from it.
public struct PromptBuilder: Sendable {
    public let directory: String
    public let voice: String
    public var espeak = "/usr/bin/espeak-ng"
    public var sox = "/usr/bin/sox"

    public init(directory: String, voice: String = "vi") {
        self.directory = directory
        self.voice = voice
    }

    public struct Entry: Codable, Equatable, Sendable {
        public var textSHA256: String
        public var wavSHA256: String
    }

    public enum Outcome: Equatable, Sendable {
        case generated
        case unchanged
        /// The WAV on disk is not the generated one: a studio recording, kept.
        case keptStudioRecording
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    var manifestPath: String { directory + "/manifest.json" }

    /// The prompt names: one per `<name>.txt`.
    public func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }.sorted()
    }

    public func loadManifest() -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let m = try? JSONDecoder().decode([String: Entry].self, from: data)
        else { return [:] }
        return m
    }

    func saveManifest(_ manifest: [String: Entry]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: manifestPath), options: .atomic)
    }

    /// Builds every prompt whose text changed (or all, with `force`), reporting progress line by line.
    public func build(force: Bool = false, progress: (String) -> Void) throws -> [String: Outcome] {
        for tool in [espeak, sox] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw Failure(description: "\(tool) is missing: run scripts/bootstrap (it installs espeak-ng and sox)")
        }
        var manifest = loadManifest()
        let all = try names()
        var outcomes: [String: Outcome] = [:]
        for (i, name) in all.enumerated() {
            let text = try String(contentsOfFile: "\(directory)/\(name).txt", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let textHash = SHA256.hex(Data(text.utf8))
            let wav = "\(directory)/\(name).wav"
            let onDisk = FileManager.default.fileExists(atPath: wav) ? try SHA256.hexOfFile(atPath: wav) : nil
            let known = manifest[name]
            let label = "[\(i + 1)/\(all.count)] \(name).wav"
            if let onDisk, let known, onDisk != known.wavSHA256, !force {
                outcomes[name] = .keptStudioRecording
                progress("\(label): kept (not the generated file: a studio recording; --force replaces it)")
                continue
            }
            if let onDisk, let known, onDisk == known.wavSHA256, known.textSHA256 == textHash, !force {
                outcomes[name] = .unchanged
                continue
            }
            if onDisk != nil, known == nil, !force {
                // A WAV with no manifest entry was put there by a person: keep it, remember its text.
                manifest[name] = Entry(textSHA256: textHash, wavSHA256: "")
                outcomes[name] = .keptStudioRecording
                progress("\(label): kept (no manifest entry: treated as a studio recording)")
                continue
            }
            try synthesize(text: text, to: wav)
            manifest[name] = Entry(textSHA256: textHash, wavSHA256: try SHA256.hexOfFile(atPath: wav))
            outcomes[name] = .generated
            progress("\(label): generated")
            try saveManifest(manifest)
        }
        // Forget prompts whose text is gone.
        for name in manifest.keys where !all.contains(name) { manifest.removeValue(forKey: name) }
        try saveManifest(manifest)
        return outcomes
    }

    func synthesize(text: String, to wav: String) throws {
        let tmp = NSTemporaryDirectory() + "prompt-\(UUID().uuidString).wav"
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let format = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "wav"]
        if text == "[beep]" {
            try run(sox, ["-n"] + format + [wav, "synth", "0.4", "sine", "1000", "vol", "0.5"])
            return
        }
        try run(espeak, ["-v", voice, "-s", "150", "-w", tmp, text])
        // Trim the silence espeak leaves around the speech, then normalise to -3 dBFS at 8 kHz.
        try run(sox, [tmp] + format + [wav, "silence", "1", "0.05", "0.5%", "reverse", "silence", "1", "0.05", "0.5%",
                                      "reverse", "gain", "-n", "-3"])
    }

    func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(description: "\((tool as NSString).lastPathComponent) failed (\(p.terminationStatus)): "
                          + String(decoding: message, as: UTF8.self))
        }
    }

    /// Problems with the prompt set: a WAV that is not 8 kHz mono 16-bit PCM, a text without WAV or the reverse.
    public func check() throws -> [String] {
        var problems: [String] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        let texts = Set(files.filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) })
        let wavs = Set(files.filter { $0.hasSuffix(".wav") }.map { String($0.dropLast(4)) })
        for name in texts.subtracting(wavs).sorted() { problems.append("\(name).txt has no \(name).wav") }
        for name in wavs.subtracting(texts).sorted() { problems.append("\(name).wav has no \(name).txt (its words)") }
        for name in wavs.sorted() {
            let data = FileManager.default.contents(atPath: "\(directory)/\(name).wav") ?? Data()
            if let problem = PromptBuilder.formatProblem(Array(data)) { problems.append("\(name).wav: \(problem)") }
        }
        return problems
    }

    /// nil when the bytes are a plain 8 kHz mono 16-bit PCM WAV.
    public static func formatProblem(_ d: [UInt8]) -> String? {
        guard d.count >= 44, d[0..<4] == [0x52, 0x49, 0x46, 0x46], d[8..<12] == [0x57, 0x41, 0x56, 0x45] else {
            return "not a WAV file"
        }
        var offset = 12
        while offset + 8 <= d.count {
            let id = String(decoding: d[offset..<offset + 4], as: UTF8.self)
            let size = Int(d[offset + 4]) | Int(d[offset + 5]) << 8 | Int(d[offset + 6]) << 16 | Int(d[offset + 7]) << 24
            if id == "fmt ", offset + 24 <= d.count {
                let b = offset + 8
                let tag = Int(d[b]) | Int(d[b + 1]) << 8
                let channels = Int(d[b + 2]) | Int(d[b + 3]) << 8
                let rate = Int(d[b + 4]) | Int(d[b + 5]) << 8 | Int(d[b + 6]) << 16 | Int(d[b + 7]) << 24
                let bits = Int(d[b + 14]) | Int(d[b + 15]) << 8
                if tag == 1, channels == 1, rate == 8000, bits == 16 { return nil }
                return "must be 8000 Hz mono 16-bit PCM, is \(rate) Hz, \(channels) channel(s), \(bits)-bit, format \(tag)"
            }
            offset += 8 + size + (size & 1)
        }
        return "no fmt chunk"
    }
}
