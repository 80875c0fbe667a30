import Foundation
import HotlineCore
@testable import PromptTools
import XCTest

/// `prompts build` on a real folder with the real espeak-ng and sox: what it generates, what it keeps, and
/// that the result is a WAV the gateway plays.
final class BuildTests: XCTestCase {
    var dir: TempDir!
    var builder: PromptBuilder!
    var lines: [String] = []

    override func setUpWithError() throws {
        continueAfterFailure = false
        dir = try TempDir()
        builder = PromptBuilder(directory: dir.path)
        lines = []
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: "\(dir.path)/\(name).txt", atomically: true, encoding: .utf8)
    }

    func wav(_ name: String) -> String { "\(dir.path)/\(name).wav" }

    @discardableResult
    func build(force: Bool = false) throws -> PromptBuilder.Report {
        lines = []
        return try builder.build(force: force, tools: try SpeechTools.locate()) { lines.append($0) }
    }

    func testARealVietnameseSentenceBecomesAGatewayReadyWAV() throws {
        try write("thanks", "Cảm ơn quý vị đã gọi Đường dây nóng một không hai hai.\n")
        let report = try build()
        XCTAssertEqual(report.generated, ["thanks"])
        XCTAssertEqual(lines, ["[1/1] thanks.wav: generated (new)"])

        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: wav("thanks"))))
        let header = try WAVHeader(bytes)
        XCTAssertEqual([header.formatTag, header.sampleRate, header.channels, header.bitsPerSample], [1, 8000, 1, 16])
        XCTAssertEqual(header.dataOffset, 44, "a plain 44-byte header")
        XCTAssertEqual(header.dataBytes, bytes.count - 44)
        let samples = stride(from: 44, to: bytes.count - 1, by: 2).map {
            Double(Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8))
        }
        let seconds = Double(samples.count) / 8000
        XCTAssertTrue((2.0...8.0).contains(seconds), "a sentence of speech, got \(seconds) s")
        // Normalised to about -3 dBFS (0.708 of full scale).
        let peak = samples.map(abs).max() ?? 0
        XCTAssertEqual(peak / 32768, 0.708, accuracy: 0.03, "peak level")
        // Trimmed: sound within the first and last 100 ms, not espeak's silence around the words.
        let threshold = 0.005 * 32768
        let first = samples.firstIndex { abs($0) > threshold } ?? samples.count
        let last = samples.lastIndex { abs($0) > threshold } ?? 0
        XCTAssertLessThan(first, 800, "leading silence trimmed")
        XCTAssertGreaterThan(last, samples.count - 800, "trailing silence trimmed")

        // The manifest remembers the text and the file generated from it.
        let entry = try XCTUnwrap(try builder.loadManifest()["thanks"])
        XCTAssertEqual(entry.textSHA256, SHA256.hex(Data("Cảm ơn quý vị đã gọi Đường dây nóng một không hai hai.".utf8)))
        XCTAssertEqual(entry.wavSHA256, SHA256.hex(Data(bytes)))
        XCTAssertEqual(try builder.check(), [])
    }

    func testTheSameTextGivesTheSameBytes() throws {
        // A forced rebuild of unchanged texts changes no file, so it does not churn the repository.
        try write("hello", "Xin chào")
        try build()
        let first = try Data(contentsOf: URL(fileURLWithPath: wav("hello")))
        try build(force: true)
        XCTAssertEqual(lines, ["[1/1] hello.wav: generated (forced)"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: wav("hello"))), first)
    }

    func testBeepIsA400msToneOf1kHz() throws {
        try write("beep", "[beep]\n")
        try build()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: wav("beep"))))
        let header = try WAVHeader(bytes)
        XCTAssertTrue(header.isGatewayFormat)
        XCTAssertEqual(header.durationMs, 400)
        let samples = stride(from: 44, to: bytes.count - 1, by: 2).map {
            Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)
        }
        // 1 kHz at 8 kHz: 2 upward zero crossings per 16 samples, so about 400 in 0.4 s.
        let crossings = zip(samples, samples.dropFirst()).filter { $0 < 0 && $1 >= 0 }.count
        XCTAssertEqual(crossings, 400, accuracy: 2)
    }

    func testOnlyChangedTextsAreRegeneratedAndStudioRecordingsAreKept() throws {
        try write("welcome", "Chào mừng")
        try write("goodbye", "Tạm biệt")
        try write("beep", "[beep]")
        XCTAssertEqual(try build().generated, ["beep", "goodbye", "welcome"])
        XCTAssertEqual(lines, ["[1/3] beep.wav: generated (new)", "[2/3] goodbye.wav: generated (new)",
                               "[3/3] welcome.wav: generated (new)"])

        // Nothing changed: nothing to do, nothing printed.
        var report = try build()
        XCTAssertEqual(report.generated, [])
        XCTAssertEqual(report.unchanged, ["beep", "goodbye", "welcome"])
        XCTAssertEqual(lines, [])

        // One text edited: only that one.
        let goodbyeBefore = try Data(contentsOf: URL(fileURLWithPath: wav("goodbye")))
        try write("welcome", "Chào mừng quý vị")
        report = try build()
        XCTAssertEqual(report.generated, ["welcome"])
        XCTAssertEqual(lines, ["[1/1] welcome.wav: generated (text changed)"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: wav("goodbye"))), goodbyeBefore)

        // A studio recording dropped in place of goodbye.wav is kept, and the build says so.
        try FileManager.default.removeItem(atPath: wav("goodbye"))
        try Tools.sox(["-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", wav("goodbye"),
                       "synth", "1.2", "sine", "300", "vol", "0.3"])
        let studio = try Data(contentsOf: URL(fileURLWithPath: wav("goodbye")))
        report = try build()
        XCTAssertEqual(report.keptStudioRecordings, ["goodbye"])
        XCTAssertEqual(lines, ["goodbye.wav: kept, it is not the generated file (a studio recording)"])
        // Its words edited: still kept, with a warning that the recording may say the old words.
        try write("goodbye", "Xin tạm biệt")
        report = try build()
        XCTAssertEqual(report.generated, [])
        XCTAssertEqual(lines, ["goodbye.wav: kept, it is not the generated file (a studio recording); "
                               + "its text changed since: record it again, or --force to replace it"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: wav("goodbye"))), studio)

        // --force replaces it with the generated one.
        report = try build(force: true)
        XCTAssertEqual(report.generated, ["beep", "goodbye", "welcome"])
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: wav("goodbye"))), studio)
        XCTAssertEqual(try builder.loadManifest()["goodbye"]?.wavSHA256, try SHA256.hexOfFile(atPath: wav("goodbye")))

        // A deleted text leaves the manifest; its WAV is left for the administrator to delete.
        try FileManager.default.removeItem(atPath: "\(dir.path)/beep.txt")
        try build()
        XCTAssertEqual(try builder.loadManifest().keys.sorted(), ["goodbye", "welcome"])
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains("partial") })
    }

    func testMissingToolsAreNamedWithWhatToInstall() {
        XCTAssertThrowsError(try SpeechTools.locate(path: dir.path)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("espeak-ng and sox not found on PATH"), message)
            XCTAssertTrue(message.contains("scripts/bootstrap"), message)
        }
    }

    func testAFailingToolNamesThePromptAndTheToolsMessage() throws {
        try write("hello", "Xin chào")
        let builder = PromptBuilder(directory: dir.path, voice: "nosuchvoice")
        XCTAssertThrowsError(try builder.build(tools: try SpeechTools.locate()) { _ in }) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("hello.txt: cannot make its WAV"), message)
            XCTAssertTrue(message.contains("voice does not exist"), message)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: wav("hello")), "no half-made WAV left behind")
    }
}
