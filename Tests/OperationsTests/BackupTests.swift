import Foundation
import HotlineCore
import HotlineStore
import Operations
import StoreTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Backups on a store built here: recordings and evidence copied with their SHA-256, incremental runs, a file
/// altered on disk named, a restore into a new folder with the paths moved and every copy checked, a damaged
/// copy refused, and no restore over an existing database.
final class BackupTests: XCTestCase {
    private var root = ""
    private var database: String { root + "/data/hotline.sqlite" }
    private var recordings: String { root + "/rec" }

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "hotline-backup-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: recordings + "/2026/12/01", withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    /// A draft with a recording of `bytes` random bytes; returns its tracking code and the file.
    private func draft(_ store: TicketStore, _ n: Int, bytes: Int = 20_000) throws -> (String, String) {
        let path = recordings + "/2026/12/01/call-\(n).wav"
        let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255) })
        try data.write(to: URL(fileURLWithPath: path))
        let code = try store.createPhoneDraft(PhoneDraft(
            callID: "call-\(n)", callerNumber: "09120000\(n)", category: nil, confidential: nil, receivedAt: Date(),
            recordingPath: path, recordingDurationMs: 1000, recordingSHA256: SHA256.hex(data), dialplanVersion: "t",
            interrupted: false))
        return (code, path)
    }

    private func mode(_ path: String) -> mode_t? { DataModes.mode(of: path)?.mode }

    /// A PostgreSQL store: pg_dump inside the snapshot the files are listed from, then pg_restore into an empty
    /// database, the files moved under the new folder with their SHA-256, and never over a database in use.
    func testAPostgreSQLStoreIsDumpedAndRestoredWithItsFiles() throws {
        let server = try PostgresServer.shared()
        let source = try server.createDatabase()
        let store = try TicketStore(path: source, dataDirectory: root + "/data")
        var codes: [String] = []
        for n in 1...3 { codes.append(try draft(store, n).0) }
        let photo = root + "/anh.jpg"
        try Data("ảnh hiện trường".utf8).write(to: URL(fileURLWithPath: photo))
        let (evidence, _) = try store.importEvidence(photo, for: codes[0])
        try store.addAttachment(codes[0], kind: .photo, path: evidence, by: Actor(.unit, "hoa"), at: Date())

        let dir = root + "/backup"
        let report = try Backup.run(database: source, recordings: recordings, to: dir, dataDirectory: root + "/data")
        XCTAssertEqual(report.manifest.database.file, "hotline.pgdump")
        XCTAssertEqual(report.manifest.database.tickets, 3)
        XCTAssertEqual(report.manifest.files.count, 4)
        XCTAssertEqual(report.copied, 4)
        XCTAssertEqual(mode(dir + "/hotline.pgdump"), 0o640)
        XCTAssertEqual(try SHA256.hexOfFile(atPath: dir + "/hotline.pgdump"), report.manifest.database.sha256)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/hotline.sqlite"))
        let (late, _) = try draft(store, 4)  // after the backup: not in it
        try store.close()

        XCTAssertThrowsError(try Backup.restore(from: dir, to: root + "/nowhere")) {
            XCTAssertTrue("\($0)".contains("--db postgresql://"), "\($0)")
        }
        XCTAssertThrowsError(try Backup.restore(from: dir, to: root + "/over", database: source), "never over a database in use")
        let target = try server.createDatabase()
        let restored = try Backup.restore(from: dir, to: root + "/restored", database: target)
        XCTAssertEqual(restored.files, 4)
        XCTAssertEqual(restored.integrity, ["ok"])
        XCTAssertEqual(restored.damaged, [])
        let copy = try TicketStore(path: target)
        defer { try? copy.close() }
        let files = try copy.storedFiles()
        XCTAssertEqual(Set(files.map(\.trackingCode)), Set(codes))
        XCTAssertFalse(files.contains { $0.trackingCode == late })
        for file in files {
            XCTAssertTrue(file.path.hasPrefix(root + "/restored/"), "\(file.path) was not moved")
            XCTAssertEqual(try SHA256.hexOfFile(atPath: file.path), file.sha256, file.path)
        }
        XCTAssertTrue(files.contains { $0.kind == .photo && $0.path.hasPrefix(root + "/restored/evidence/\(codes[0])/") })
        // The restored store goes on: its next code does not repeat one it holds.
        let next = try draft(copy, 5).0
        XCTAssertFalse(codes.contains(next), next)
    }

    func testBackupIsIncrementalAndRestoreMovesEveryFileWithItsHash() throws {
        let store = try TicketStore(path: database)
        var codes: [String] = []
        for n in 1...3 { codes.append(try draft(store, n).0) }
        // Evidence, as `unit resolve --evidence` keeps it: a copy under the data folder, attached with its hash.
        let photo = root + "/anh.jpg"
        try Data("ảnh hiện trường".utf8).write(to: URL(fileURLWithPath: photo))
        let (evidence, _) = try store.importEvidence(photo, for: codes[0])
        try store.addAttachment(codes[0], kind: .photo, path: evidence, by: Actor(.unit, "hoa"), at: Date())

        let dir = root + "/backup"
        var report = try Backup.run(database: database, recordings: recordings, to: dir)
        XCTAssertEqual(report.manifest.files.count, 4)
        XCTAssertEqual(report.copied, 4)
        XCTAssertEqual(report.unchanged, 0)
        XCTAssertEqual(report.missing, [])
        XCTAssertEqual(report.altered, [])
        XCTAssertEqual(report.manifest.database.tickets, 3)
        XCTAssertEqual(report.manifest.database.integrity, "ok")
        for file in report.manifest.files {
            XCTAssertEqual(try SHA256.hexOfFile(atPath: dir + "/" + file.stored), file.sha256)
            XCTAssertEqual(mode(dir + "/" + file.stored), 0o640, file.stored)
        }
        XCTAssertEqual(mode(dir), 0o750)
        XCTAssertEqual(mode(dir + "/hotline.sqlite"), 0o640)
        XCTAssertEqual(mode(dir + "/manifest.json"), 0o640)
        XCTAssertEqual(try SHA256.hexOfFile(atPath: dir + "/hotline.sqlite"), report.manifest.database.sha256)

        // Incremental: nothing new, nothing copied; one new draft, one file copied.
        report = try Backup.run(database: database, recordings: recordings, to: dir)
        XCTAssertEqual(report.copied, 0)
        XCTAssertEqual(report.unchanged, 4)
        let (fourth, _) = try draft(store, 4)
        report = try Backup.run(database: database, recordings: recordings, to: dir)
        XCTAssertEqual(report.copied, 1)
        XCTAssertEqual(report.unchanged, 4)
        XCTAssertEqual(report.manifest.database.tickets, 4)
        try store.close()

        // Restore into a new folder: every file under it, each with the SHA-256 the ticket recorded.
        let target = root + "/restored"
        let restored = try Backup.restore(from: dir, to: target)
        XCTAssertEqual(restored.files, 5)
        XCTAssertEqual(restored.integrity, ["ok"])
        XCTAssertEqual(restored.damaged, [])
        XCTAssertEqual(mode(target), 0o750)
        XCTAssertEqual(mode(target + "/hotline.sqlite"), 0o640)
        let copy = try TicketStore(path: target + "/hotline.sqlite")
        let files = try copy.storedFiles()
        XCTAssertEqual(Set(files.map(\.trackingCode)), Set(codes + [fourth]))
        XCTAssertEqual(files.count, 5)
        for file in files {
            XCTAssertTrue(file.path.hasPrefix(target + "/"), "\(file.path) was not moved under \(target)")
            XCTAssertEqual(try SHA256.hexOfFile(atPath: file.path), file.sha256, file.path)
        }
        XCTAssertTrue(files.contains { $0.path.hasPrefix(target + "/recordings/2026/12/01/") })
        XCTAssertTrue(files.contains { $0.kind == .photo && $0.path.hasPrefix(target + "/evidence/\(codes[0])/") })
        try copy.close()

        // Never over an existing database.
        XCTAssertThrowsError(try Backup.restore(from: dir, to: target))
    }

    func testAnAlteredRecordingIsNamedAndADamagedCopyIsNotRestored() throws {
        let store = try TicketStore(path: database)
        let (_, path) = try draft(store, 1)
        _ = try draft(store, 2)
        try store.close()
        // The recording changes on disk after it was filed (its SHA-256 no longer matches the ticket's).
        try Data("not the citizen's voice".utf8).write(to: URL(fileURLWithPath: path))
        let dir = root + "/backup"
        let report = try Backup.run(database: database, recordings: recordings, to: dir)
        XCTAssertEqual(report.altered, [path])
        XCTAssertEqual(report.copied, 2)

        // A copy damaged inside the backup folder is caught by the manifest's hash and left out.
        let victim = try XCTUnwrap(report.manifest.files.first { $0.path != path })
        try Data("bit rot".utf8).write(to: URL(fileURLWithPath: dir + "/" + victim.stored))
        let restored = try Backup.restore(from: dir, to: root + "/restored")
        XCTAssertEqual(restored.damaged, [victim.stored])
        XCTAssertEqual(restored.files, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/restored/recordings/2026/12/01/"
                                                      + (victim.path as NSString).lastPathComponent))
    }

    func testAMissingRecordingIsReportedAndTheRestStillBacksUp() throws {
        let store = try TicketStore(path: database)
        let (_, gone) = try draft(store, 1)
        _ = try draft(store, 2)
        try store.close()
        try FileManager.default.removeItem(atPath: gone)
        let report = try Backup.run(database: database, recordings: recordings, to: root + "/backup")
        XCTAssertEqual(report.missing, [gone])
        XCTAssertEqual(report.manifest.files.count, 1)
        XCTAssertEqual(report.manifest.database.tickets, 2)
    }
}
