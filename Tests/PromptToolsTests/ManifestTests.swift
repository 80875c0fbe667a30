import Foundation
import HotlineCore
@testable import PromptTools
import XCTest

/// The rules of `prompts build`, decided from hashes alone: what is regenerated, what is left alone, and when
/// a WAV counts as a studio recording.
final class ManifestTests: XCTestCase {
    let text = SHA256.hex(Data("Xin chào".utf8))
    let otherText = SHA256.hex(Data("Tạm biệt".utf8))
    let generated = String(repeating: "a", count: 64)
    let studio = String(repeating: "b", count: 64)

    func decide(wav: String?, entry: PromptBuilder.Entry?, force: Bool = false) -> PromptBuilder.Decision {
        PromptBuilder.decide(textSHA256: text, wavSHA256: wav, entry: entry, force: force)
    }

    func testAPromptWithoutWAVIsGenerated() {
        XCTAssertEqual(decide(wav: nil, entry: nil), .generate(.noWAV))
        // A WAV deleted by hand is made again, whatever the manifest says.
        XCTAssertEqual(decide(wav: nil, entry: .init(textSHA256: text, wavSHA256: generated)), .generate(.noWAV))
    }

    func testTheGeneratedWAVOfAnUnchangedTextIsLeftAlone() {
        XCTAssertEqual(decide(wav: generated, entry: .init(textSHA256: text, wavSHA256: generated)), .unchanged)
    }

    func testAChangedTextRegeneratesTheGeneratedWAV() {
        XCTAssertEqual(decide(wav: generated, entry: .init(textSHA256: otherText, wavSHA256: generated)),
                       .generate(.textChanged))
    }

    func testAWAVThatIsNotTheGeneratedOneIsAStudioRecordingAndKept() {
        XCTAssertEqual(decide(wav: studio, entry: .init(textSHA256: text, wavSHA256: generated)),
                       .keepStudioRecording(textChanged: false))
        // Even when the words changed: the tool says so instead of overwriting the recording.
        XCTAssertEqual(decide(wav: studio, entry: .init(textSHA256: otherText, wavSHA256: generated)),
                       .keepStudioRecording(textChanged: true))
        // A WAV the manifest never heard of was put there by a person too.
        XCTAssertEqual(decide(wav: studio, entry: nil), .keepStudioRecording(textChanged: false))
    }

    func testForceRegeneratesEverything() {
        XCTAssertEqual(decide(wav: studio, entry: .init(textSHA256: text, wavSHA256: generated), force: true),
                       .generate(.forced))
        XCTAssertEqual(decide(wav: generated, entry: .init(textSHA256: text, wavSHA256: generated), force: true),
                       .generate(.forced))
        XCTAssertEqual(decide(wav: nil, entry: nil, force: true), .generate(.noWAV))
    }

    func testAnUnreadableManifestIsAnErrorNotAFreshStart() throws {
        // Starting over would take every generated WAV for a studio recording.
        let dir = try TempDir()
        try "{ not json".write(toFile: dir.path + "/manifest.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PromptBuilder(directory: dir.path).loadManifest()) { error in
            XCTAssertTrue("\(error)".contains("manifest.json"), "\(error)")
        }
    }

    func testSHA256MatchesTheStandardVectorsAndSha256sum() throws {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Every padding case (lengths around the 56- and 64-byte boundaries) against coreutils.
        let dir = try TempDir()
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 1000] {
            let bytes = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            let file = dir.path + "/\(length).bin"
            try bytes.write(to: URL(fileURLWithPath: file))
            let expected = try Tools.output("/usr/bin/sha256sum", [file]).prefix(64)
            XCTAssertEqual(SHA256.hex(bytes), String(expected), "length \(length)")
        }
    }
}

/// A temporary folder removed when the test ends.
final class TempDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "prompt-tests-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

enum Tools {
    /// Runs a program and returns its standard output; fails the test (not skips it) when the program is missing.
    static func output(_ program: String, _ args: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            XCTFail("\(program) is missing: run scripts/bootstrap (these tests are never skipped)")
            throw CocoaError(.fileNoSuchFile)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "\(program) \(args)")
        return String(decoding: data, as: UTF8.self)
    }

    /// sox, for making test WAVs of a given format.
    static func sox(_ args: [String]) throws { _ = try output("/usr/bin/sox", args) }
}
