import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let userCommands = Command.group("users", "Ai được dùng các lệnh xử lý phản ánh, với vai trò gì (quản trị hệ thống chỉnh sửa).", [
    usersListCommand,
    usersAddCommand,
    usersActiveCommand("disable", "Khóa một người dùng: mọi lệnh của người này bị từ chối, lịch sử vẫn được giữ.", active: false),
    usersActiveCommand("enable", "Mở khóa lại một người dùng đã bị khóa.", active: true),
    usersPasswordCommand,
])

let usersListCommand = Command.leaf(
    "list", "Liệt kê người dùng cùng vai trò và đơn vị của họ.",
    help: "[--json] \(CaseOptions.help)"
) { args in
    try onListing(&args) { w, json in
        let users = try w.desk.users(as: w.user)
        if json { return try printJSON(users) }
        print(renderTable(["Tên đăng nhập", "Họ tên", "Vai trò", "Đơn vị", "Trạng thái"], users.map {
            [$0.name, $0.displayName, $0.role.label, $0.unitCode ?? "", $0.active ? "hoạt động" : "đã khóa"]
        }))
    }
}

let usersAddCommand = Command.leaf(
    "add", "Thêm người dùng với một vai trò: agent, supervisor, unit (kèm --unit), administrator.",
    help: """
        NAME --role agent|supervisor|unit|administrator [--unit CODE] [--display-name TEXT] \(CaseOptions.help)

        Vai trò: agent (tổng đài viên), supervisor (giám sát viên), unit (thành viên đơn vị xử lý, kèm --unit),
        administrator (quản trị hệ thống).
        Chạy với quyền quản trị hệ thống (--as). Khi cơ sở dữ liệu chưa có người dùng nào, người dùng đầu tiên
        được thêm không cần --as và phải là quản trị hệ thống (administrator). Thành viên đơn vị thuộc đúng một
        đơn vị trong danh mục (`units list`).
        """
) { args in
    let options = try CaseOptions(&args)
    let roleText = try args.requiredOption("--role")
    let unit = try args.option("--unit")
    let display = try args.option("--display-name") ?? ""
    let name = try args.requiredPositional("tên đăng nhập của người dùng mới")
    try args.finish()
    guard let role = UserRole(rawValue: roleText) else {
        throw UsageError("--role phải là một trong: \(UserRole.allCases.map(\.rawValue).joined(separator: ", ")); nhận được '\(roleText)'")
    }
    // The first user of a new database creates it: nothing else can (no administrator exists yet).
    let desk = Desk(store: try TicketStore(path: options.database)) { throw CommandFailure("lệnh này không thực hiện bước xử lý phản ánh nào") }
    defer { try? desk.store.close() }
    var admin: User?
    if try desk.hasUsers() {
        guard let me = options.userName else { throw UsageError("cho biết bạn là ai: --as ADMINISTRATOR (tên quản trị hệ thống)") }
        admin = try desk.user(named: me)
    }
    try desk.addUser(User(name: name, displayName: display, role: role, unitCode: unit), as: admin)
    print("Đã thêm người dùng \(name) (\(role.label)\(unit.map { ", đơn vị \($0)" } ?? "")).")
}

func usersActiveCommand(_ name: String, _ summary: String, active: Bool) -> Command {
    Command.leaf(name, summary, help: "NAME \(CaseOptions.help)") { args in
        let options = try CaseOptions(&args)
        let target = try args.requiredPositional("tên đăng nhập của người dùng")
        try args.finish()
        let w = try options.open()
        defer { w.close() }
        try w.desk.setUserActive(target, active, as: w.user)
        print(active ? "Đã mở khóa \(target)." : "Đã khóa \(target).")
    }
}
