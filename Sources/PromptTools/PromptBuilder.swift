import Foundation
import HotlineCore
#if canImport(Glibc)
import Glibc
#endif

/// Regenerates the prompt WAVs of a folder (`<name>.txt` holds the words, `<name>.wav` the sound) where the
/// text changed since the last build. `manifest.json` beside them records, per prompt, the SHA-256 of the text
/// and of the WAV the tool generated from it; a WAV whose hash is not the generated one is a studio recording
/// someone put in its place, and is kept unless forced.
public struct PromptBuilder: Sendable {
    public let directory: String
    public let voice: String

    public init(directory: String, voice: String = "vi") {
        (self.directory, self.voice) = (directory, voice)
    }

    /// One prompt's line of the manifest.
    public struct Entry: Codable, Equatable, Sendable {
        public var textSHA256: String
        public var wavSHA256: String

        public init(textSHA256: String, wavSHA256: String) {
            (self.textSHA256, self.wavSHA256) = (textSHA256, wavSHA256)
        }
    }

    public enum Decision: Equatable, Sendable {
        case generate(Reason)
        case unchanged
        /// The WAV on disk is not one the tool made: a studio recording, kept. `textChanged`: its words were
        /// edited since, so the recording may no longer say them.
        case keepStudioRecording(textChanged: Bool)

        public enum Reason: String, Sendable {
            case noWAV = "new"
            case textChanged = "text changed"
            case forced = "forced"
        }
    }

    /// What to do with one prompt; a pure function of the hashes, so the rules are tested without any audio.
    public static func decide(textSHA256: String, wavSHA256 onDisk: String?, entry: Entry?, force: Bool) -> Decision {
        guard let onDisk else { return .generate(.noWAV) }
        if force { return .generate(.forced) }
        guard let entry, entry.wavSHA256 == onDisk else {
            // No record of generating this file, or not the file generated: a person put it there.
            return .keepStudioRecording(textChanged: entry.map { $0.textSHA256 != textSHA256 } ?? false)
        }
        return entry.textSHA256 == textSHA256 ? .unchanged : .generate(.textChanged)
    }

    public struct Report: Sendable {
        public var generated: [String] = []
        public var unchanged: [String] = []
        public var keptStudioRecordings: [String] = []
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    var manifestPath: String { directory + "/manifest.json" }

    /// The prompt names: one per `<name>.txt`, sorted.
    public func names() throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".txt") && !$0.hasPrefix(".") }.map { String($0.dropLast(4)) }.sorted()
        } catch {
            throw Failure(description: "\(directory): cannot list the prompts folder (\(error.localizedDescription)); "
                          + "give the folder holding <name>.txt files with --dir")
        }
    }

    /// The words of a prompt, as hashed and spoken: surrounding white space and the final newline do not count.
    public func text(of name: String) throws -> String {
        let path = "\(directory)/\(name).txt"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(path): cannot read the prompt text")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Failure(description: "\(path): not UTF-8 text; save it as UTF-8")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func loadManifest() throws -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: manifestPath) else { return [:] }
        do {
            return try JSONDecoder().decode([String: Entry].self, from: data)
        } catch {
            throw Failure(description: "\(manifestPath): not a prompt manifest (\(error)); "
                          + "fix it, or delete it and run with --force to regenerate every WAV")
        }
    }

    func saveManifest(_ manifest: [String: Entry]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: manifestPath), options: .atomic)
    }

    /// Decides every prompt, then generates those that need it, calling `progress` with one line per step
    /// (`[3/24] main-menu.wav: generated (text changed)`). The speech tools are looked up only when something
    /// is to be generated, so a build with nothing to do needs neither.
    public func build(force: Bool = false, tools: SpeechTools? = nil, progress: (String) -> Void) throws -> Report {
        var manifest = try loadManifest()
        let all = try names()
        var report = Report()
        var work: [(name: String, text: String, textSHA256: String, reason: Decision.Reason)] = []
        for name in all {
            let text = try text(of: name)
            let textHash = SHA256.hex(Data(text.utf8))
            let wav = "\(directory)/\(name).wav"
            let onDisk = FileManager.default.fileExists(atPath: wav) ? try SHA256.hexOfFile(atPath: wav) : nil
            switch PromptBuilder.decide(textSHA256: textHash, wavSHA256: onDisk, entry: manifest[name], force: force) {
            case .unchanged:
                report.unchanged.append(name)
            case .keepStudioRecording(let textChanged):
                report.keptStudioRecordings.append(name)
                progress("\(name).wav: kept, it is not the generated file (a studio recording)"
                         + (textChanged ? "; its text changed since: record it again, or --force to replace it" : ""))
            case .generate(let reason):
                work.append((name, text, textHash, reason))
            }
        }
        // Texts that are gone take their manifest lines with them.
        let remove = manifest.keys.filter { !all.contains($0) }
        for name in remove { manifest.removeValue(forKey: name) }
        guard !work.isEmpty else {
            if !remove.isEmpty { try saveManifest(manifest) }
            return report
        }

        let tools = try tools ?? SpeechTools.locate()
        for (i, item) in work.enumerated() {
            let wav = "\(directory)/\(item.name).wav"
            // Written beside the target and renamed over it: an interrupted build never leaves a half WAV that
            // the next build would take for a studio recording.
            let partial = "\(directory)/.\(item.name).partial.wav"
            defer { try? FileManager.default.removeItem(atPath: partial) }
            do {
                try tools.synthesize(text: item.text, voice: voice, to: partial, scratch: NSTemporaryDirectory())
                let header = try WAVHeader(contentsOf: partial)
                guard header.isGatewayFormat, header.dataOffset == 44, header.dataBytes > 0 else {
                    throw Failure(description: "sox wrote \(header.problem ?? "a header of \(header.dataOffset) bytes"), "
                                  + "not a plain 44-byte 8 kHz mono 16-bit WAV")
                }
                guard rename(partial, wav) == 0 else {
                    throw Failure(description: "cannot move it into place: \(String(cString: strerror(errno)))")
                }
            } catch {
                throw Failure(description: "\(directory)/\(item.name).txt: cannot make its WAV: \(error)")
            }
            manifest[item.name] = Entry(textSHA256: item.textSHA256, wavSHA256: try SHA256.hexOfFile(atPath: wav))
            // Saved after each prompt, so an interrupted build resumes where it stopped.
            try saveManifest(manifest)
            report.generated.append(item.name)
            progress("[\(i + 1)/\(work.count)] \(item.name).wav: generated (\(item.reason.rawValue))")
        }
        return report
    }

    /// Every problem of the prompt set: a WAV the gateway cannot play (not 8 kHz mono 16-bit PCM, or empty),
    /// a text with no WAV, a WAV with no text. Each line names the file.
    public func check() throws -> [String] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw Failure(description: "\(directory): cannot list the prompts folder (\(error.localizedDescription))")
        }
        let texts = Set(files.filter { $0.hasSuffix(".txt") && !$0.hasPrefix(".") }.map { String($0.dropLast(4)) })
        let wavs = Set(files.filter { $0.hasSuffix(".wav") && !$0.hasPrefix(".") }.map { String($0.dropLast(4)) })
        var problems: [String] = []
        for name in texts.subtracting(wavs).sorted() {
            problems.append("\(directory)/\(name).txt has no \(name).wav: run `hotline1022 prompts build`")
        }
        for name in wavs.subtracting(texts).sorted() {
            problems.append("\(directory)/\(name).wav has no \(name).txt: write the words it says in \(name).txt")
        }
        for name in wavs.sorted() {
            let path = "\(directory)/\(name).wav"
            do {
                if let problem = try WAVHeader(contentsOf: path).problem { problems.append("\(path): \(problem)") }
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        return problems
    }
}
