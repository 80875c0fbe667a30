import Foundation
import HotlineStore
import Operations

let backupCommand = Command.leaf(
    "backup", "Sao lưu cơ sở dữ liệu, ghi âm và minh chứng vào một thư mục trong khi tổng đài vẫn nhận cuộc gọi (quản trị hệ thống).",
    help: """
        DIR [--config FILE] [--db PATH] [--recordings DIR]

        Sao chép cơ sở dữ liệu bằng API sao lưu trực tuyến (online backup) của SQLite: một bản chụp nhất quán,
        lấy trong khi tổng đài và người xử lý phản ánh vẫn ghi dữ liệu. Sau đó chép mọi tệp ghi âm và minh chứng
        mà các phản ánh trong bản chụp trỏ tới, vừa chép vừa tính SHA-256 của từng tệp và so với mã băm đã lưu
        trong cơ sở dữ liệu, rồi ghi DIR/manifest.json (mỗi tệp kèm kích thước, thời điểm và SHA-256). Chạy lại
        vào cùng DIR thì chỉ chép các tệp mới hoặc đã thay đổi (sao lưu gia tăng); bản chụp được thay mới. Mọi
        tệp trong DIR có quyền 0640, trong các thư mục 0750. --config đọc đường dẫn cơ sở dữ liệu và thư mục ghi
        âm từ tệp cấu hình của serve; --db và --recordings (mặc định ./var/hotline.sqlite, ./var/recordings) ghi
        đè các giá trị đó. Thoát với mã 1 nếu có tệp bị thiếu hoặc không còn đúng SHA-256 đã lưu (bản sao lưu
        vẫn được ghi, và nêu tên các tệp đó). Khôi phục bằng `hotline1022 restore DIR --to DATA_DIR`.
        Với --db postgresql://…, bản chụp là DIR/hotline.pgdump, do pg_dump ghi trong cùng một ảnh chụp nhất quán
        mà danh sách tệp được đọc ra.
        """
) { args in
    var settings = ServeSettings()
    if let config = try args.option("--config") { settings = try ServeSettings.load(config: config) }
    if let v = try args.option("--db") { settings.database = v }
    if let v = try args.option("--recordings") { settings.recordings = v }
    let dir = try args.requiredPositional("thư mục sao lưu DIR")
    try args.finish()
    guard TicketStore.isPostgres(settings.database) || FileManager.default.fileExists(atPath: settings.database) else {
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
    "restore", "Khôi phục một thư mục sao lưu vào một thư mục dữ liệu mới (quản trị hệ thống).",
    help: """
        DIR --to DATA_DIR [--db postgresql://…]

        Kiểm tra bản chụp và mọi bản sao trong DIR theo SHA-256 ghi trong manifest, rồi ghi
        DATA_DIR/hotline.sqlite, DATA_DIR/recordings/ và DATA_DIR/evidence/, trỏ các đường dẫn tệp trong cơ sở
        dữ liệu tới đó và chạy integrity_check. DATA_DIR không được chứa sẵn cơ sở dữ liệu: không ghi đè thứ gì
        đang dùng. Chạy tổng đài trên dữ liệu đã khôi phục bằng
        `serve --db DATA_DIR/hotline.sqlite --recordings DATA_DIR/recordings` (hoặc sửa tệp cấu hình). Thoát với
        mã 1 nếu có bản sao bị hỏng hoặc integrity_check không đạt.

        Bản sao lưu của cơ sở dữ liệu PostgreSQL (hotline.pgdump, do pg_dump ghi) được khôi phục bằng pg_restore
        trong một giao dịch vào cơ sở dữ liệu --db, phải là một cơ sở dữ liệu trống tạo sẵn (createdb); các tệp
        vào DATA_DIR như trên.
        """
) { args in
    let target = try args.requiredOption("--to")
    let postgres = try args.option("--db")
    let dir = try args.requiredPositional("thư mục sao lưu DIR")
    try args.finish()
    umask(DataModes.umask)
    let report: Backup.RestoreReport
    do {
        report = try Backup.restore(from: dir, to: target, database: postgres)
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
