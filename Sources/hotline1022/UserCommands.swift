import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let userCommands = Command.group("users", "Who may use the case tools, and as what (administrators edit them).", [
    usersListCommand,
    usersAddCommand,
    usersActiveCommand("disable", "Disable a user: their commands are refused, their history stays.", active: false),
    usersActiveCommand("enable", "Enable a disabled user again.", active: true),
    usersPasswordCommand,
])

let usersListCommand = Command.leaf(
    "list", "List the users, their roles and units.",
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
    "add", "Add a user with a role: agent, supervisor, unit (with --unit), administrator.",
    help: """
        NAME --role agent|supervisor|unit|administrator [--unit CODE] [--display-name TEXT] \(CaseOptions.help)

        Runs as an administrator. On a database with no users yet, the first user is added without --as and
        must be an administrator. A unit member belongs to one unit of the directory (`units list`).
        """
) { args in
    let options = try CaseOptions(&args)
    let roleText = try args.requiredOption("--role")
    let unit = try args.option("--unit")
    let display = try args.option("--display-name") ?? ""
    let name = try args.requiredPositional("the new user's login name")
    try args.finish()
    guard let role = UserRole(rawValue: roleText) else {
        throw UsageError("--role must be one of \(UserRole.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    // The first user of a new database creates it: nothing else can (no administrator exists yet).
    let desk = Desk(store: try TicketStore(path: options.database)) { throw CommandFailure("no workflow step here") }
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
        let target = try args.requiredPositional("the user's login name")
        try args.finish()
        let w = try options.open()
        defer { w.close() }
        try w.desk.setUserActive(target, active, as: w.user)
        print(active ? "Đã mở khóa \(target)." : "Đã khóa \(target).")
    }
}
