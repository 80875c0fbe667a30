import Foundation
import HotlineCore
import StoreTestSupport
import XCTest

@testable import HotlineStore

/// Two hosts on one PostgreSQL store: a recording made on host A and a photo attached there can be read on
/// host B after A's data folder is gone, byte for byte; B writes its copy once, under its own data folder.
/// Always on a real PostgreSQL, whichever store the other suites use.
final class PostgresFileContentsTests: XCTestCase {
    func testARecordingAndAPhotoFiledOnOneHostAreReadOnAnotherAfterTheFirstIsGone() throws {
        let server = try PostgresServer.shared()
        let url = try server.createDatabase()
        let hostA = try TempFolder.folder("host-a"), hostB = try TempFolder.folder("host-b")
        defer { try? FileManager.default.removeItem(atPath: hostA); try? FileManager.default.removeItem(atPath: hostB) }

        // Host A records a call (a WAV-sized file with every byte value) and attaches a photo.
        var audio = Data(count: 96_000)
        for i in audio.indices { audio[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 8) }
        let recording = hostA + "/recordings/20261206-call-1.wav"
        try FileManager.default.createDirectory(atPath: hostA + "/recordings", withIntermediateDirectories: true)
        try audio.write(to: URL(fileURLWithPath: recording))
        let photo = hostA + "/uploads/1a2b3c4d5e6f-cay-do.jpg"
        try FileManager.default.createDirectory(atPath: hostA + "/uploads", withIntermediateDirectories: true)
        let photoBytes = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0x5C, 0x27, 0x00, 0xFF, 0xD9])
        try photoBytes.write(to: URL(fileURLWithPath: photo))
        let sha = try SHA256.hexOfFile(atPath: recording)

        let a = try TicketStore(path: url, dataDirectory: hostA)
        let code = try a.createPhoneDraft(PhoneDraft(
            callID: "call-1", callerNumber: "0912000001", category: .infrastructure, confidential: nil, receivedAt: Date(),
            recordingPath: recording, recordingDurationMs: 6000, recordingSHA256: sha, dialplanVersion: "t", interrupted: false))
        try a.addAttachment(code, kind: .photo, path: photo, by: Actor(.hotline, "lan"), at: Date())
        XCTAssertEqual(try a.localFile(for: recording, sha256: sha), recording, "the host that has the file reads it in place")
        try a.close()

        // Host A's disk is lost.
        try FileManager.default.removeItem(atPath: hostA)

        let b = try TicketStore(path: url, dataDirectory: hostB)
        defer { try? b.close() }
        let attachments = try XCTUnwrap(b.ticket(code)).attachments
        let storedRecording = try XCTUnwrap(attachments.first { $0.kind == .recording })
        let copy = try b.localFile(for: storedRecording.path, sha256: storedRecording.sha256)
        XCTAssertTrue(copy.hasPrefix(hostB + "/replica/"), copy)
        XCTAssertEqual(FileManager.default.contents(atPath: copy), audio, "the recording, byte for byte")
        XCTAssertEqual(try SHA256.hexOfFile(atPath: copy), sha)
        let mode = try FileManager.default.attributesOfItem(atPath: copy)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600, "a citizen's voice is readable by the service alone")
        let storedPhoto = try XCTUnwrap(attachments.first { $0.kind == .photo })
        XCTAssertEqual(FileManager.default.contents(atPath: try b.localFile(for: storedPhoto.path, sha256: storedPhoto.sha256)),
                       photoBytes)

        // The copy is written once; later reads use it.
        let written = try FileManager.default.attributesOfItem(atPath: copy)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.02)
        XCTAssertEqual(try b.localFile(for: storedRecording.path, sha256: sha), copy)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: copy)[.modificationDate] as? Date, written)
        // A path the store never kept comes back as it is, for the reader to say it is missing.
        XCTAssertEqual(try b.localFile(for: "/nowhere/x.wav", sha256: nil), "/nowhere/x.wav")
    }

    func testOnSQLiteTheStoredPathIsTheFile() throws {
        let dir = try TempFolder.folder("sqlite-files")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try TicketStore(path: dir + "/h.sqlite")
        defer { try? store.close() }
        XCTAssertEqual(try store.localFile(for: dir + "/gone.wav", sha256: "ab"), dir + "/gone.wav")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/replica"))
    }
}

enum TempFolder {
    static func folder(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "hotline-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
