import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let unitsCommands = Command.group("units", "Danh mục đơn vị: đơn vị nào xử lý việc gì (quản trị hệ thống chỉnh sửa).", [
    unitsListCommand,
    unitsImportCommand,
])

let unitsListCommand = Command.leaf(
    "list", "Liệt kê các đơn vị xử lý và quy tắc phân luồng trong cơ sở dữ liệu.",
    help: """
        [--db PATH] [--json]

        Hiện các đơn vị đang hoạt động (mã, tên, loại, địa bàn) và các quy tắc phân luồng theo thứ tự; quy tắc
        đầu tiên khớp lĩnh vực, chuyên mục và địa bàn của phản ánh được áp dụng, nếu không có thì chuyển đơn vị
        của chính địa bàn đó.
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let json = args.flag("--json")
    try args.finish()
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let directory = try desk.unitDirectory()
    if json { return try printJSON(directory) }
    if directory.units.isEmpty {
        print("Chưa có danh mục đơn vị. Nhập bằng: hotline1022 units import Config/units.json")
        return
    }
    print(renderTable(["Mã", "Tên đơn vị", "Loại", "Địa bàn"], directory.units.map {
        [$0.code, $0.name, $0.kind.rawValue, $0.wards.joined(separator: ", ")]
    }))
    if !directory.rules.isEmpty {
        print("\nQuy tắc phân luồng (theo thứ tự):")
        print(renderTable(["#", "Lĩnh vực", "Chuyên mục", "Địa bàn", "Đơn vị"], directory.rules.enumerated().map { i, r in
            [String(i + 1), r.category?.rawValue ?? "*", r.topic?.rawValue ?? "*", r.ward ?? "*", r.units.joined(separator: ", ")]
        }))
    }
    print("\nTổng số: \(directory.units.count) đơn vị.")
}

let unitsImportCommand = Command.leaf(
    "import", "Thay danh mục đơn vị bằng một tệp (đơn vị không còn trong tệp được giữ lại, ở trạng thái ngừng hoạt động).",
    help: """
        FILE --as ADMINISTRATOR [--db PATH]

        FILE là tệp JSON như Config/units.json: {"units": [{"code", "name", "kind", "wards"}], "rules": [...]}.
        Loại (kind): hotline, city_office (đúng một đơn vị), department, police, ward, commune, special_zone, other.
        Tệp được kiểm tra trước; nếu có lỗi, thông báo chỉ rõ mục cần sửa và không có gì bị thay đổi.
        """
) { args in
    let options = try CaseOptions(&args)
    let file = try args.requiredPositional("tệp danh mục đơn vị (ví dụ Config/units.json)")
    try args.finish()
    let db = options.database
    let directory: UnitDirectory
    do {
        directory = try UnitDirectory.load(path: file)
    } catch {
        throw CommandFailure("\(error)")
    }
    let w = try options.open()
    defer { w.close() }
    try w.desk.importUnits(directory, as: w.user)
    print("Đã nhập \(directory.units.count) đơn vị và \(directory.rules.count) quy tắc phân luồng vào \(db).")
}
