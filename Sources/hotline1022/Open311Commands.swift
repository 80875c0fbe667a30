import Foundation
import HotlineCore
import HotlineDesk

// The city app's API keys (Open311 GeoReport v2 at /open311/v2/ on the console's address).

let open311Commands = Command.group("open311", "Khóa API cho ứng dụng của thành phố (Open311 GeoReport v2).", [
    Command.group("key", "Tạo, liệt kê, khóa khóa API của từng ứng dụng (quản trị hệ thống).", [
        open311KeyAddCommand, open311KeyListCommand,
        open311KeyActiveCommand("disable", "Khóa khóa API của một ứng dụng: yêu cầu của nó bị từ chối (401).", active: false),
        open311KeyActiveCommand("enable", "Mở lại khóa API đã khóa.", active: true),
    ]),
])

let open311KeyAddCommand = Command.leaf(
    "add", "Tạo khóa API cho một ứng dụng và in khóa ra một lần duy nhất.",
    help: """
        NAME \(CaseOptions.help)

        Tạo một khóa ngẫu nhiên 256 bit cho ứng dụng NAME (chữ thường không dấu, chữ số, '.', '_', '-') và in ra
        đúng một lần: cơ sở dữ liệu chỉ giữ mã băm SHA-256 của khóa, nên không ai đọc lại được nó. Ứng dụng gửi
        khóa trong trường api_key của POST /open311/v2/requests.json (hoặc tiêu đề X-API-Key); khóa sai hoặc đã
        khóa nhận 401. Cần quyền quản trị hệ thống (--as).
        """
) { args in
    let options = try CaseOptions(&args)
    let name = try args.requiredPositional("tên ứng dụng NAME")
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    let key = try w.desk.addAPIClient(name, as: w.user)
    print(key)
    writeErr("Đã tạo khóa API cho \(name). Khóa chỉ hiện một lần này: hãy lưu vào nơi an toàn và gửi cho ứng dụng.")
}

let open311KeyListCommand = Command.leaf(
    "list", "Liệt kê các ứng dụng có khóa API (không bao giờ in khóa).",
    help: "[--json] \(CaseOptions.help)"
) { args in
    try onListing(&args) { w, json in
        let clients = try w.desk.apiClients(as: w.user)
        if json { return try printJSON(clients) }
        print(renderTable(["Ứng dụng", "Trạng thái", "Tạo lúc", "Dùng lần cuối"], clients.map {
            [$0.name, $0.active ? "đang dùng" : "đã khóa", DeskClock.text($0.createdAt), $0.lastUsedAt.map { DeskClock.text($0) } ?? "chưa dùng"]
        }))
    }
}

func open311KeyActiveCommand(_ name: String, _ summary: String, active: Bool) -> Command {
    Command.leaf(name, summary, help: "NAME \(CaseOptions.help)") { args in
        let options = try CaseOptions(&args)
        let client = try args.requiredPositional("tên ứng dụng NAME")
        try args.finish()
        let w = try options.open()
        defer { w.close() }
        try w.desk.setAPIClientActive(client, active, as: w.user)
        print(active ? "Đã mở lại khóa API của \(client)." : "Đã khóa khóa API của \(client).")
    }
}
