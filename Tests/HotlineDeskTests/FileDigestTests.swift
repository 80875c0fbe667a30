import DeskSecurity
import Foundation
import HotlineCore
import XCTest

/// OpenSSL's digest of a recording must be the digest the rest of the desk (HotlineCore's SHA-256) computes
/// when it verifies or backs the same file up.
final class FileDigestTests: XCTestCase {
    func testSameDigestAsTheCoresForFilesOfEverySize() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 55, 56, 64, 65_535, 65_536, 65_537, 200_017] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let path = dir.appendingPathComponent("\(size).bin").path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            XCTAssertEqual(try FileDigest.sha256Hex(ofFile: path), try SHA256.hexOfFile(atPath: path), "size \(size)")
        }
        let abc = dir.appendingPathComponent("abc").path
        FileManager.default.createFile(atPath: abc, contents: Data("abc".utf8))
        XCTAssertEqual(try FileDigest.sha256Hex(ofFile: abc),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testAMissingFileIsAnError() {
        XCTAssertThrowsError(try FileDigest.sha256Hex(ofFile: "/nonexistent/recording.wav"))
    }
}
