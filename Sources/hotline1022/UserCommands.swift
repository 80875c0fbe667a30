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
    usersPhoneCommand,
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

let usersPhoneCommand = Command.leaf(
    "phone", "Đặt điện thoại ở hàng chờ cho tổng đài viên hoặc giám sát viên: tài khoản SIP trên cổng, hoặc URI bên ngoài.",
    help: """
        NAME [--password-file FILE | --uri sip:… | --remove] \(CaseOptions.help)

        Không có --uri: điện thoại của NAME đăng ký (REGISTER, xác thực digest) vào cổng thoại với tên SIP là NAME
        và mật khẩu đọc từ --password-file (dòng đầu tiên) hoặc từ đầu vào chuẩn (trên terminal thì hỏi hai lần),
        không bao giờ từ dòng lệnh; cổng chỉ lưu mã băm HA1. Điện thoại phải ở trong mạng `serve --agent-network`.
        --uri sip:… : điện thoại ở tổng đài nội bộ của thành phố, cổng gọi thẳng tới URI đó.
        --remove: NAME không còn nhận cuộc gọi ở hàng chờ. Chạy với quyền quản trị hệ thống (--as).
        """
) { args in
    let options = try CaseOptions(&args)
    let file = try args.option("--password-file")
    let uri = try args.option("--uri")
    let remove = args.flag("--remove")
    let name = try args.requiredPositional("tên đăng nhập của tổng đài viên")
    try args.finish()
    guard [file != nil, uri != nil, remove].filter({ $0 }).count <= 1 else {
        throw UsageError("chọn một trong --password-file, --uri, --remove")
    }
    let w = try options.open()
    defer { w.close() }
    var password: String?
    if uri == nil && !remove {
        if let file {
            password = try passwordLine(file: file)
        } else {
            password = try readNewSecret("Mật khẩu SIP: ", again: "Nhập lại mật khẩu SIP: ", unchanged: "điện thoại giữ nguyên")
        }
    }
    try w.desk.setPhone(SetPhoneRequest(userName: name, password: password, uri: uri), as: w.user)
    if remove {
        print("\(name) không còn điện thoại ở hàng chờ.")
    } else if let uri {
        print("Điện thoại của \(name): \(uri).")
    } else {
        print("Đã đặt mật khẩu SIP cho \(name): điện thoại đăng ký vào cổng với tên \(name), miền xác thực \(AgentPhone.realm).")
    }
}
