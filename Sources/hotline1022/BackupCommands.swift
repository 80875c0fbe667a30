import Foundation
import Operations

let backupCommand = Command.leaf(
    "backup", "Back up the database, recordings and evidence into a folder while calls go on (administrators).",
    help: """
        DIR [--config FILE] [--db PATH] [--recordings DIR]

        Copies the database with SQLite's online backup API: one consistent snapshot, taken while the gateway
        and the desk keep writing. Then copies every recording and evidence file that snapshot's tickets point
        at, hashing each one (SHA-256) as it is copied and comparing it with the hash the store recorded, and
        writes DIR/manifest.json (every file with its size, time and SHA-256). Run it again into the same DIR
        and only new or changed files are copied (incremental); the snapshot is replaced. Everything in DIR is
        0640 in 0750 folders. --config reads database and recordings from serve's config file; --db and
        --recordings (defaults ./var/hotline.sqlite, ./var/recordings) override it. Exits 1 if a file is
        missing or no longer has its recorded SHA-256 (the backup is still written, and names them).
        Restore with `hotline1022 restore DIR --to DATA_DIR`.
        """
) { args in
    var settings = ServeSettings()
    if let config = try args.option("--config") { settings = try ServeSettings.load(config: config) }
    if let v = try args.option("--db") { settings.database = v }
    if let v = try args.option("--recordings") { settings.recordings = v }
    let dir = try args.requiredPositional("the backup folder DIR")
    try args.finish()
    guard FileManager.default.fileExists(atPath: settings.database) else {
        throw CommandFailure("không có cơ sở dữ liệu tại \(settings.database) (dùng --db PATH hoặc --config FILE)")
    }
    umask(DataModes.umask)
    let report: Backup.Report
    do {
        report = try Backup.run(database: settings.database, recordings: settings.recordings, to: dir)
    } catch {
        throw CommandFailure("\(error)")
    }
    let m = report.manifest
    print("Đã sao lưu vào \(dir): cơ sở dữ liệu \(m.database.tickets) phiếu (\(m.database.size / 1024) KiB, integrity_check ok), "
          + "\(m.files.count) tệp: \(report.copied) tệp mới chép (\(report.bytesCopied / 1024) KiB), "
          + "\(report.unchanged) tệp không đổi, trong \(String(format: "%.1f", report.seconds)) giây.")
    for path in report.missing { writeErr("thiếu tệp: \(path) (phiếu vẫn được sao lưu, tệp không còn trên đĩa)") }
    for path in report.altered { writeErr("tệp đã bị thay đổi: \(path) (SHA-256 khác với lúc đính kèm)") }
    if !report.missing.isEmpty || !report.altered.isEmpty {
        throw CommandFailure("sao lưu xong nhưng có \(report.missing.count) tệp thiếu và \(report.altered.count) tệp bị thay đổi")
    }
}

let restoreCommand = Command.leaf(
    "restore", "Restore a backup folder into a new data folder (administrators).",
    help: """
        DIR --to DATA_DIR

        Checks the snapshot and every copy in DIR against the SHA-256 of its manifest, then writes DATA_DIR/
        hotline.sqlite, DATA_DIR/recordings/ and DATA_DIR/evidence/, points the database's file paths at
        them and runs integrity_check. DATA_DIR must not hold a database yet: nothing in use is overwritten.
        Serve the result with `serve --db DATA_DIR/hotline.sqlite --recordings DATA_DIR/recordings` (or change
        the config file). Exits 1 if a copy is damaged or the integrity check fails.
        """
) { args in
    let target = try args.requiredOption("--to")
    let dir = try args.requiredPositional("the backup folder DIR")
    try args.finish()
    umask(DataModes.umask)
    let report: Backup.RestoreReport
    do {
        report = try Backup.restore(from: dir, to: target)
    } catch {
        throw CommandFailure("\(error)")
    }
    print("Đã khôi phục \(report.files) tệp và cơ sở dữ liệu vào \(report.database) (bản ghi âm trong \(report.recordings)); "
          + "integrity_check: \(report.integrity.joined(separator: "; ")).")
    for stored in report.damaged { writeErr("bản sao hỏng (SHA-256 không khớp), không khôi phục: \(stored)") }
    if !report.damaged.isEmpty || report.integrity != ["ok"] {
        throw CommandFailure("khôi phục chưa trọn vẹn: \(report.damaged.count) tệp hỏng, integrity_check: "
                             + report.integrity.prefix(3).joined(separator: "; "))
    }
}
