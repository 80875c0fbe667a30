import Foundation

/// espeak-ng and sox, run as child processes: espeak-ng speaks the Vietnamese text, sox turns it into the
/// gateway's format (8000 Hz, mono, 16-bit PCM, plain 44-byte header), trims the silence espeak leaves around
/// the words and normalises the peak to -3 dBFS.
public struct SpeechTools: Sendable {
    public let espeak: String
    public let sox: String

    public init(espeak: String, sox: String) {
        (self.espeak, self.sox) = (espeak, sox)
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Finds both tools on `PATH`; names every missing one and how to install it.
    public static func locate(path: String? = ProcessInfo.processInfo.environment["PATH"]) throws -> SpeechTools {
        let dirs = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        func find(_ name: String) -> String? {
            dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        let espeak = find("espeak-ng"), sox = find("sox")
        guard let espeak, let sox else {
            let missing = [espeak == nil ? "espeak-ng" : nil, sox == nil ? "sox" : nil].compactMap { $0 }
            throw Failure(description: "\(missing.joined(separator: " and ")) not found on PATH (\(dirs.joined(separator: ":"))): "
                          + "install the Debian package(s) \(missing.joined(separator: " ")) (scripts/bootstrap does), then run again")
        }
        return SpeechTools(espeak: espeak, sox: sox)
    }

    /// The text that makes a 0.4 s 1 kHz tone instead of speech.
    public static let beepText = "[beep]"

    /// The text that makes the shipped hold music instead of speech: a soft chord that fades in and out, 3.3 s,
    /// looped by the queue between announcements. A city replaces the WAV with its own (`prompts import`).
    public static let holdMusicText = "[hold-music]"

    /// Writes the prompt for `text` to `wav`. `scratch` is a folder for the intermediate espeak output.
    public func synthesize(text: String, voice: String, to wav: String, scratch: String) throws {
        // -R: repeatable dither, so the same text always gives the same bytes (a rebuild does not churn git).
        let output = ["-R"]
        let format = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "wav", wav]
        if text == SpeechTools.beepText {
            try run(sox, output + ["-n"] + format + ["synth", "0.4", "sine", "1000", "gain", "-n", "-3"])
            return
        }
        if text == SpeechTools.holdMusicText {
            try run(sox, output + ["-n"] + format + ["synth", "3", "sine", "392", "sine", "494", "sine", "587", "remix", "-",
                                                     "fade", "q", "0.4", "3", "0.8", "gain", "-n", "-14", "pad", "0", "0.3"])
            return
        }
        let id = UUID().uuidString
        let textFile = "\(scratch)/.prompt-\(id).txt", speech = "\(scratch)/.prompt-\(id).espeak.wav"
        defer {
            try? FileManager.default.removeItem(atPath: textFile)
            try? FileManager.default.removeItem(atPath: speech)
        }
        // From a file (-f, UTF-8 with -b 1): a text starting with "-" must not be read as an option.
        try Data(text.utf8).write(to: URL(fileURLWithPath: textFile))
        try run(espeak, ["-v", voice, "-s", "150", "-b", "1", "-f", textFile, "-w", speech])
        // silence 1 0.05 0.5%: drop what is below 0.5% until 50 ms of sound; reversed, the same at the end.
        try run(sox, output + [speech] + format + ["silence", "1", "0.05", "0.5%", "reverse",
                                                   "silence", "1", "0.05", "0.5%", "reverse", "gain", "-n", "-3"])
    }

    /// Converts a studio recording (any WAV sox reads: 44.1/48 kHz, stereo, 24-bit...) to the gateway's format:
    /// 8000 Hz, mono, 16-bit PCM with a plain header. The level is the studio's own: not normalised.
    public func convertStudioRecording(_ input: String, to wav: String) throws {
        try run(sox, ["-R", input, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "wav", wav])
    }

    private func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(description: "\(tool) \(args.joined(separator: " ")) failed with status \(p.terminationStatus): "
                          + String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
