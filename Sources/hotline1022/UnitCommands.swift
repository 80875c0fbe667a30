import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let unitsCommands = Command.group("units", "The unit directory: who handles what (administrators edit it).", [
    unitsListCommand,
    unitsImportCommand,
])

let unitsListCommand = Command.leaf(
    "list", "List the handling units and the routing rules in the database.",
    help: """
        [--db PATH] [--json]

        Shows the active units (code, name, kind, wards) and the routing rules in order; the first rule
        that matches a ticket's category, topic and ward wins, otherwise the ward's own unit.
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
    "import", "Replace the unit directory with a file (units no longer listed are kept inactive).",
    help: """
        FILE --as ADMINISTRATOR [--db PATH]

        FILE is JSON like Config/units.json: {"units": [{"code", "name", "kind", "wards"}], "rules": [...]}.
        Kinds: hotline, city_office (exactly one), department, police, ward, commune, special_zone, other.
        The file is checked first; an error names the entry to fix and nothing is changed.
        """
) { args in
    let options = try CaseOptions(&args)
    let file = try args.requiredPositional("the directory file (e.g. Config/units.json)")
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
