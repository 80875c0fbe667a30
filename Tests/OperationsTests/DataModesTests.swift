import Foundation
import HotlineCore
import HotlineStore
import Operations
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Personal data at rest: the store makes its folder 0750 and its database, WAL, SHM and evidence 0640 whatever
/// the umask, and `DataModes.audit` names every path that is wider.
final class DataModesTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hotline-modes-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func mode(_ path: String) -> mode_t? { DataModes.mode(of: path)?.mode }

    func testTheStoreCreatesPrivateFilesUnderAPermissiveUmask() throws {
        let old = umask(0o022)
        defer { umask(old) }
        let database = dir + "/data/sub/h.sqlite"
        let store = try TicketStore(path: database)
        let code = try store.createPhoneDraft(PhoneDraft(
            callID: "c1", callerNumber: "0912345678", category: nil, confidential: nil, receivedAt: Date(),
            recordingPath: nil, recordingDurationMs: 0, recordingSHA256: nil, dialplanVersion: "t", interrupted: false))
        XCTAssertEqual(mode(dir + "/data"), 0o750)
        XCTAssertEqual(mode(dir + "/data/sub"), 0o750)
        for file in [database, database + "-wal", database + "-shm"] {
            XCTAssertEqual(mode(file), 0o640, "\(file): \(mode(file).map { String($0, radix: 8) } ?? "missing")")
        }
        let photo = dir + "/photo.jpg"
        _ = FileManager.default.createFile(atPath: photo, contents: Data("jpeg".utf8), attributes: [.posixPermissions: 0o644])
        let (copy, isNew) = try store.importEvidence(photo, for: code)
        XCTAssertTrue(isNew)
        XCTAssertEqual(mode(copy), 0o640)
        XCTAssertEqual(mode(dir + "/data/sub/evidence"), 0o750)
        XCTAssertEqual(mode((copy as NSString).deletingLastPathComponent), 0o750)
        try store.close()
        XCTAssertEqual(DataModes.audit(DataModes.personalDataPaths(database: database, recordings: dir + "/none",
                                                                   messagesLog: nil), depth: 2), [])
    }

    func testAnExistingWideDatabaseIsLeftAloneButNamed() throws {
        let database = dir + "/h.sqlite"
        _ = FileManager.default.createFile(atPath: database, contents: nil, attributes: [.posixPermissions: 0o644])
        try TicketStore(path: database).close()
        XCTAssertEqual(mode(database), 0o644, "an administrator's file is never changed behind their back")
        let recordings = dir + "/rec"
        try FileManager.default.createDirectory(atPath: recordings + "/2026", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        chmod(recordings, 0o750)
        chmod(dir, 0o755)
        let findings = DataModes.audit(DataModes.personalDataPaths(database: database, recordings: recordings, messagesLog: nil),
                                       depth: 2)
        XCTAssertEqual(Set(findings.map(\.path)), [dir, database, recordings + "/2026"])
        let db = try XCTUnwrap(findings.first { $0.path == database })
        XCTAssertEqual(db.fix, "chmod 0640 \(database)")
        XCTAssertEqual(DataModes.octal(db.mode), "0644")
        XCTAssertEqual(findings.first { $0.path == dir }?.fix, "chmod 0750 \(dir)")
    }

    func testAGroupWritableFileIsTooWideAndANarrowerOneIsFine() throws {
        let a = dir + "/a", b = dir + "/b"
        _ = FileManager.default.createFile(atPath: a, contents: nil, attributes: [.posixPermissions: 0o660])
        _ = FileManager.default.createFile(atPath: b, contents: nil, attributes: [.posixPermissions: 0o600])
        XCTAssertEqual(DataModes.audit([a, b]).map(\.path), [a])
        XCTAssertEqual(DataModes.audit([dir + "/missing"]), [])
    }
}
