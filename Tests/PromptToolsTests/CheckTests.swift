import Foundation
@testable import PromptTools
import XCTest

/// `prompts check` and the header reader: every WAV the gateway would refuse is named, with the reason.
final class CheckTests: XCTestCase {
    func testEveryProblemIsListedWithItsFile() throws {
        let dir = try TempDir()
        func text(_ name: String) throws { try "Một".write(toFile: "\(dir.path)/\(name).txt", atomically: true, encoding: .utf8) }
        func tone(_ name: String, _ format: [String]) throws {
            try Tools.sox(["-n"] + format + ["\(dir.path)/\(name).wav", "synth", "0.2", "sine", "440"])
        }
        try text("good"); try tone("good", ["-r", "8000", "-c", "1", "-b", "16"])
        try text("wideband"); try tone("wideband", ["-r", "16000", "-c", "1", "-b", "16"])
        try text("stereo"); try tone("stereo", ["-r", "8000", "-c", "2", "-b", "16"])
        try text("alaw"); try tone("alaw", ["-r", "8000", "-c", "1", "-e", "a-law"])
        try text("words-only")
        try tone("sound-only", ["-r", "8000", "-c", "1", "-b", "16"])
        try text("garbage"); try Data("not audio at all".utf8).write(to: URL(fileURLWithPath: "\(dir.path)/garbage.wav"))

        let problems = try PromptBuilder(directory: dir.path).check()
        let expected = [
            "words-only.txt has no words-only.wav",
            "sound-only.wav has no sound-only.txt",
            "garbage.wav: not a RIFF/WAVE file",
            "wideband.wav: must be 8000 Hz mono 16-bit PCM, is 16000 Hz, 1 channel(s), 16-bit, PCM",
            "stereo.wav: must be 8000 Hz mono 16-bit PCM, is 8000 Hz, 2 channel(s), 16-bit, PCM",
            "alaw.wav: must be 8000 Hz mono 16-bit PCM, is 8000 Hz, 1 channel(s), 8-bit, format tag 6",
        ]
        for fragment in expected {
            XCTAssertTrue(problems.contains { $0.contains(fragment) }, "missing '\(fragment)' in \(problems)")
        }
        XCTAssertEqual(problems.count, expected.count, "\(problems)")
        XCTAssertFalse(problems.contains { $0.contains("good") })
    }

    func testAStudioFileWithExtraChunksIsAccepted() throws {
        // Editors add chunks (LIST, bext) before the samples; the gateway walks the chunks, so these play.
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }
        let fmt: [UInt8] = Array("fmt ".utf8) + le32(16) + [1, 0, 1, 0] + le32(8000) + le32(16000) + [2, 0, 16, 0]
        let list: [UInt8] = Array("LIST".utf8) + le32(5) + Array("INFOx".utf8) + [0]  // odd size, padded
        let data: [UInt8] = Array("data".utf8) + le32(4) + [1, 0, 2, 0]
        let body = Array("WAVE".utf8) + fmt + list + data
        let header = try WAVHeader(Array("RIFF".utf8) + le32(body.count) + body)
        XCTAssertTrue(header.isGatewayFormat)
        XCTAssertNil(header.problem)
        XCTAssertEqual(header.dataOffset, 12 + 24 + 14 + 8)
        XCTAssertEqual(header.dataBytes, 4)
    }

    func testAWAVWithoutSamplesIsAProblem() throws {
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }
        let fmt: [UInt8] = Array("fmt ".utf8) + le32(16) + [1, 0, 1, 0] + le32(8000) + le32(16000) + [2, 0, 16, 0]
        let empty = try WAVHeader(Array("RIFF".utf8) + le32(36) + Array("WAVE".utf8) + fmt + Array("data".utf8) + le32(0))
        XCTAssertEqual(empty.problem, "holds no samples")
        XCTAssertThrowsError(try WAVHeader(Array("RIFF".utf8) + le32(28) + Array("WAVE".utf8) + fmt)) {
            XCTAssertEqual($0 as? WAVHeader.Problem, .noDataChunk)
        }
    }
}
