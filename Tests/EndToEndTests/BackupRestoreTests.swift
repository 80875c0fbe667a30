import Foundation
import XCTest

/// Issue 16 §4: `hotline1022 backup` while SIPp calls are being taken, `hotline1022 restore` into a new folder,
/// `integrity_check` on the result, and every ticket's files present with their SHA-256.
final class BackupRestoreTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testBackupDuringCallsRestoresEveryTicketWithItsFiles() throws {
        let gateway = try GatewayProcess.start(name: "backup", extra: ["--metrics-port", "0", "--transcribe-workers", "0"])
        defer { gateway.stop() }
        // 16 calls, two new ones a second, all at once at most: drafts are filed while the backups run.
        let load = try Ops.sipp("voice-report.xml", port: gateway.sipPort, directory: gateway.dir, caller: "0912160004",
                                extra: ["-m", "16", "-r", "2", "-l", "16"])
        defer { load.process.kill() }
        XCTAssertTrue(gateway.waitForLog("event=draft-submitted", count: 3, timeout: 90), gateway.log)
        let during = gateway.dir + "/backup-during"
        let first = try E2E.execute(E2E.binary, ["backup", during, "--db", gateway.database, "--recordings", gateway.recordings],
                                    timeout: 120)
        XCTAssertEqual(first.status, 0, "backup during calls: \(first.stdout)\(first.stderr)")
        let draftsAtBackup = gateway.log.components(separatedBy: "event=draft-submitted").count - 1
        print("backup during the load (\(draftsAtBackup) drafts filed by then): \(first.stdout)")
        XCTAssertLessThan(draftsAtBackup, 16, "the backup was meant to run while calls were still going on")

        // A second folder, backed up twice during the load: the second run copies only what is new.
        let rolling = gateway.dir + "/backup-rolling"
        let r1 = try E2E.execute(E2E.binary, ["backup", rolling, "--db", gateway.database, "--recordings", gateway.recordings])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        XCTAssertTrue(load.wait(timeout: 150), "the SIPp load did not finish\n\(load.report)")
        XCTAssertEqual(load.process.terminationStatus, 0, load.report)
        XCTAssertTrue(gateway.waitForLog("event=draft-submitted", count: 16, timeout: 20), gateway.log)
        let r2 = try E2E.execute(E2E.binary, ["backup", rolling, "--db", gateway.database, "--recordings", gateway.recordings])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let rollingManifest = try manifest(rolling)
        XCTAssertEqual(rollingManifest.files.count, 16)
        let copiedFirst = try manifest(rolling, after: r1)
        XCTAssertTrue(r2.stdout.contains("\(16 - copiedFirst) tệp mới chép") && r2.stdout.contains("\(copiedFirst) tệp không đổi"),
                      "the second backup should copy only the new recordings: \(r2.stdout)")

        // Restore the backup taken during the calls into a new folder.
        let target = gateway.dir + "/restored"
        let restore = try E2E.execute(E2E.binary, ["restore", during, "--to", target], timeout: 120)
        XCTAssertEqual(restore.status, 0, "restore: \(restore.stdout)\(restore.stderr)")
        let database = target + "/hotline.sqlite"
        XCTAssertEqual(try Ops.sqlite(database, "PRAGMA integrity_check"), "ok")
        let tickets = Int(try Ops.sqlite(database, "SELECT count(*) FROM tickets")) ?? -1
        XCTAssertGreaterThanOrEqual(tickets, 3)
        XCTAssertGreaterThanOrEqual(tickets, draftsAtBackup - 2, "the snapshot is older than the drafts filed before it")
        let rows = try Ops.sqlite(database, """
            SELECT t.tracking_code || '|' || a.path || '|' || a.sha256 FROM tickets t
            LEFT JOIN attachments a ON a.ticket_id = t.id ORDER BY t.id
            """).split(separator: "\n")
        XCTAssertEqual(rows.count, tickets, "one recording per voice report")
        for row in rows {
            let parts = row.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(parts.count, 3, String(row))
            let (code, path, sha) = (parts[0], parts[1], parts[2])
            XCTAssertTrue(path.hasPrefix(target + "/recordings/"), "\(code): \(path) is not in the restored folder")
            XCTAssertEqual(Ops.mode(path), 0o640, path)
            let sum = try E2E.execute("/usr/bin/sha256sum", [path]).stdout.prefix(64)
            XCTAssertEqual(String(sum), sha, "\(code): \(path) does not have the SHA-256 its ticket recorded")
        }
        // The restored folder is a working database: the agents' queue reads it, recordings checked.
        let drafts = try E2E.drafts(database: database)
        XCTAssertEqual(drafts.count, tickets)
        XCTAssertTrue(drafts.allSatisfy { $0.recordingPath?.hasPrefix(target) == true })
    }

    private struct Manifest: Decodable {
        struct File: Decodable { let path: String }
        let files: [File]
    }

    private func manifest(_ dir: String) throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.json")))
    }

    /// How many files the first run of a backup copied (from its printed summary).
    private func manifest(_ dir: String, after run: E2E.Output) throws -> Int {
        let words = run.stdout.components(separatedBy: " tệp mới chép").first?.split(separator: " ")
        return try XCTUnwrap(words?.last.flatMap { Int($0) }, run.stdout)
    }
}
