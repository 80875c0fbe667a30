import Foundation
import HotlineDesk
import HotlineCore
import IVR

let dialplanCommands = Command.group("dialplan", "Công cụ cho quản trị hệ thống soạn menu thoại tự động (IVR).", [
    dialplanValidateCommand, dialplanSimulateCommand, dialplanGraphCommand, dialplanInstallCommand,
])

let dialplanInstallCommand = Command.leaf(
    "install", "Đưa kịch bản tổng đài đã kiểm tra vào sử dụng (quản trị hệ thống): kiểm tra cả lời nhắc, thay trọn một lần, ghi nhật ký thao tác.",
    help: """
        FILE --as ADMINISTRATOR [--to LIVE_FILE] [--prompts DIR] [--db PATH]

        Kiểm tra FILE như `dialplan validate`, kể cả lời nhắc (--prompts, mặc định Prompts/vi); kịch bản có
        bất kỳ lỗi nào bị từ chối và tệp đang dùng giữ nguyên. Nếu không có lỗi, FILE được ghi bên cạnh tệp
        --to (mặc định Dialplans/hotline-1022.json) rồi đổi tên đè lên tệp đó trong một bước, nên tổng đài
        đang chạy không bao giờ đọc phải nửa tệp: nó nạp lại trong vòng một giây (cuộc gọi mới dùng menu
        mới). Thay đổi được ghi vào nhật ký thao tác kèm phiên bản và SHA-256 của kịch bản.
        """
) { args in
    let options = try CaseOptions(&args)
    let target = try args.option("--to") ?? "Dialplans/hotline-1022.json"
    let prompts = try args.option("--prompts") ?? "Prompts/vi"
    let agents = try args.option("--agents-uri") ?? ServeSettings().agentsURI
    let path = try args.requiredPositional("tệp kịch bản FILE cần cài")
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("không đọc được \(path)") }
    let done = try w.desk.installDialplan(DialplanInstallRequest(data: data, source: path, target: target, promptDirectory: prompts,
                                                                 variables: ["agentsURI": agents]), as: w.user)
    print("Đã cài kịch bản \(done.version) vào \(target) (\(done.nodeCount) nút). Tổng đài đang chạy tự nạp lại.")
}

private let planVariablesHelp = """
    --agents-uri URI là giá trị thay cho ${agentsURI} trong kịch bản (mặc định sip:agents@127.0.0.1:5070, như serve).
    """

private func loadForTool(_ args: inout Arguments) throws -> (path: String, prompts: String?, variables: [String: String]) {
    let prompts = try args.option("--prompts")
    let agents = try args.option("--agents-uri") ?? ServeSettings().agentsURI
    let path = try args.requiredPositional("tệp kịch bản FILE")
    return (path, prompts, ["agentsURI": agents])
}

let dialplanValidateCommand = Command.leaf(
    "validate", "Kiểm tra kịch bản: liệt kê mọi lỗi kèm đường dẫn JSON; thoát với mã 1 nếu có lỗi.",
    help: """
        FILE [--prompts DIR] [--agents-uri URI]

        Báo khóa và loại nút không hợp lệ, đích đến không tồn tại, nút không thể tới, ngõ cụt, vòng lặp không
        cần người gọi bấm phím, giới hạn ngoài khoảng cho phép và, khi có --prompts, lời nhắc không có tệp WAV.
        Tổng đài đang chạy từ chối kịch bản có lỗi và giữ kịch bản cũ, nên hãy kiểm tra trước khi lưu đè lên
        tệp đang dùng.
        \(planVariablesHelp)
        """
) { args in
    let (path, prompts, variables) = try loadForTool(&args)
    try args.finish()
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("không đọc được \(path)") }
    let (plan, problems) = DialplanLoader.check(data, promptDirectory: prompts, variables: variables)
    if problems.isEmpty, let plan {
        print("\(path): OK — phiên bản \(plan.version), \(plan.nodes.count) nút, \(plan.allPromptNames.count) lời nhắc"
              + (prompts == nil ? " (chưa kiểm tra tệp lời nhắc: dùng --prompts DIR)" : ""))
        return
    }
    for p in problems { print("\(path): \(p)") }
    throw CommandFailure("\(path) có \(problems.count) lỗi")
}

let dialplanGraphCommand = Command.leaf(
    "graph", "In kịch bản dưới dạng đồ thị Graphviz DOT (dot -Tsvg plan.dot > plan.svg).",
    help: "FILE [--agents-uri URI]"
) { args in
    let (path, _, variables) = try loadForTool(&args)
    try args.finish()
    let plan = try DialplanLoader.load(path: path, promptDirectory: nil, variables: variables)
    print(DialplanGraph.dot(plan))
}

let dialplanSimulateCommand = Command.leaf(
    "simulate", "Chạy thử một cuộc gọi qua kịch bản trên terminal: lời nhắc hiện thành chữ, phím gõ bằng bàn phím.",
    help: """
        FILE [--keys 1,2,,#,3] [--caller NUMBER] [--office-hours | --after-hours] [--prompts Prompts/vi]
             [--status waiting|forwarded|in-progress|completed|overdue|refused|withdrawn|not-found]
             [--unit unit-<code>] [--agent-answers] [--agents-uri URI]

        Hiện lời của từng lời nhắc (lấy từ <prompts>/<name>.txt). Gõ phím (0-9 * #) rồi Enter; dòng trống để lời
        nhắc hoặc thời gian chờ chạy hết; 'h' để gác máy. Với --keys, phím lấy từ danh sách (mục trống để lời
        nhắc, thời gian chờ hoặc ghi âm chạy hết: `1,2,,#,3` gửi một phản ánh). Cuộc gọi diễn ra trong giờ hành
        chính, trừ khi có --after-hours. Ghi âm, lưu trữ và tra cứu trạng thái đều là giả lập: tra cứu trả về
        trạng thái --status đã cho (mặc định waiting, do --unit xử lý nếu có); cuộc gọi chuyển tới tổng đài
        viên không có ai nghe máy, trừ khi có --agent-answers.
        """
) { args in
    let prompts = try args.option("--prompts") ?? ServeSettings().prompts
    let keys = try args.option("--keys")
    let caller = try args.option("--caller") ?? "0912345678"
    let officeHours = args.flag("--office-hours")
    let afterHours = args.flag("--after-hours")
    if officeHours && afterHours { throw CommandFailure("chỉ dùng một trong hai: --office-hours hoặc --after-hours") }
    let agents = try args.option("--agents-uri") ?? ServeSettings().agentsURI
    let statusName = try args.option("--status") ?? "waiting"
    let unit = try args.option("--unit").map(PromptName.init(rawValue:))
    let agentAnswers = args.flag("--agent-answers")
    let path = try args.requiredPositional("tệp kịch bản FILE")
    try args.finish()
    guard let status = DialplanSimulator.status(statusName, unit: unit) else {
        throw CommandFailure("--status \(statusName): dùng waiting, forwarded, in-progress, completed, overdue, refused, "
                             + "withdrawn hoặc not-found")
    }
    let plan = try DialplanLoader.load(path: path, promptDirectory: nil, variables: ["agentsURI": agents])
    var simulator = DialplanSimulator(
        plan: plan, script: keys.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) },
        promptText: { name in
            let path = "\(prompts)/\(name.rawValue).txt"
            return (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                ?? "<\(name.rawValue)>"
        },
        say: { print($0) },
        ask: {
            print("> ", terminator: "")
            return readLine()
        })
    simulator.status = status
    simulator.agentAnswers = agentAnswers
    simulator.run(CallContext(callerNumber: caller, isOfficeHours: !afterHours))
}

