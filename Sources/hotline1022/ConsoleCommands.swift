import Console
import DeskSecurity
import Foundation
import Gateway
import HotlineCore
import HotlineDesk
import HotlineStore
import WebServer

// The agents' browser console (`serve` starts it; `web` runs it alone) and passwords (`users password`).

/// Where the console listens; part of `serve`'s settings and `web`'s options.
struct ConsoleSettings: Codable, Equatable {
    var webAddress = "127.0.0.1"
    /// 0 turns the console off.
    var webPort = 8080
    var webCertificate = ""
    var webPrivateKey = ""
    /// Plain HTTP on an address other than loopback (passwords in clear on the network): only when asked.
    var webAllowPlainHTTP = false

    /// The console's options, declared once, for any command's settings that hold a `ConsoleSettings`
    /// (`serve`'s, and `web`'s own).
    static func options<S>(_ path: WritableKeyPath<S, ConsoleSettings>) -> [OptionSpec<S>] {
        [
            .text("--web-address", key: "webAddress", path.appending(path: \.webAddress), placeholder: "ADDR",
                  help: "Địa chỉ của bảng điều khiển web."),
            .int("--web-port", key: "webPort", path.appending(path: \.webPort), 0...65535, placeholder: "N|0",
                 help: "Cổng của bảng điều khiển web (0 = tắt)."),
            .preset("--no-web", path.appending(path: \.webPort), to: 0, help: "Tắt bảng điều khiển web (như --web-port 0)."),
            .text("--web-certificate", key: "webCertificate", path.appending(path: \.webCertificate), placeholder: "PEM",
                  help: "Chứng chỉ HTTPS (đi cùng --web-private-key)."),
            .text("--web-private-key", key: "webPrivateKey", path.appending(path: \.webPrivateKey), placeholder: "PEM",
                  help: "Khóa riêng HTTPS."),
            .flag("--web-allow-plain-http", key: "webAllowPlainHTTP", path.appending(path: \.webAllowPlainHTTP),
                  help: "Cho phép HTTP không mã hóa trên địa chỉ khác loopback (mật khẩu đi qua mạng không mã hóa)."),
        ]
    }

    static let table = OptionTable<ConsoleSettings>(options: options(\ConsoleSettings.self))
    static var help: String { table.synopsis }
    static var explanation: String { table.explanation(defaults: ConsoleSettings()) }

    mutating func apply(_ args: inout Arguments) throws {
        try Self.table.apply(&args, to: &self)
        try validate()
    }

    func validate() throws {
        guard (0...65535).contains(webPort) else { throw UsageError("--web-port cần từ 0 đến 65535 (0 = tắt bảng điều khiển web), nhận được \(webPort)") }
        guard webCertificate.isEmpty == webPrivateKey.isEmpty else {
            throw UsageError("--web-certificate và --web-private-key phải đi cùng nhau (tệp PEM)")
        }
        guard enabled else { return }
        do {
            try web.validate()
        } catch {
            switch error {
            case .plainHTTPOnNetwork: throw UsageError("\(error) (--web-allow-plain-http để cho phép, hoặc --web-certificate và --web-private-key)")
            default: throw UsageError("\(error)")
            }
        }
    }

    var enabled: Bool { webPort != 0 }

    var web: WebServerConfiguration {
        WebServerConfiguration(address: webAddress, port: UInt16(webPort),
                               tls: webCertificate.isEmpty ? nil : .init(certificatePath: webCertificate, privateKeyPath: webPrivateKey),
                               allowPlainHTTPOnNetwork: webAllowPlainHTTP)
    }

    /// Starts the console on the database (desks opened like the case commands' with `configDirectory`), or
    /// returns nil when it is turned off, or cannot listen (port taken: logged as an error; `serve` keeps
    /// answering calls, which matter more).
    func start(database: String, configDirectory: String, dialplan: DialplanSettings? = nil, logger: StderrLogger) throws -> Console? {
        guard enabled else {
            logger.log(.info, "console-off", [])
            return nil
        }
        var caseOptions = CaseOptions(database: database)
        caseOptions.configDirectory = configDirectory
        let options = caseOptions
        let console = try Console(configuration: ConsoleConfiguration(web: web, dialplan: dialplan), makeDesk: { try options.openDesk() },
                                  logger: logger)
        do {
            try console.start()
        } catch let error as WebServerError {
            if case .startFailed = error {
                logger.log(.error, "console-failed", [("error", "\(error)"),
                    ("fix", "another program listens on \(webAddress):\(webPort): choose --web-port, or --no-web")])
                console.stop()
                return nil
            }
            throw CommandFailure("không khởi động được bảng điều khiển web: \(error)")
        }
        let scheme = console.isSecure ? "https" : "http"
        let host = webAddress.contains(":") ? "[\(webAddress)]" : webAddress
        logger.log(.info, "console-ready", [("url", "\(scheme)://\(host):\(console.port)/"), ("port", "\(console.port)")])
        return console
    }
}

let webCommand = Command.leaf(
    "web", "Chỉ chạy bảng điều khiển web của tổng đài viên, trên cùng cơ sở dữ liệu với serve.",
    help: "\(ConsoleSettings.help) [--db PATH] [--config-dir DIR] [--dialplan FILE] [--prompts DIR] [--agents-uri URI] "
        + "[--log-level debug|info|warning|error]\n\n"
        + ConsoleSettings.explanation + "\n\n" + """
        Người dùng đăng nhập bằng tên đăng nhập và mật khẩu (đặt bằng `hotline1022 users password NAME`). Bảng
        điều khiển đọc --config-dir (calendar.json, templates.vi.json, units.json: quản trị hệ thống sửa các tệp
        này ngay trên bảng điều khiển; mặc định $HOTLINE1022_CONFIG, nếu không có thì ./Config). Trình soạn menu
        sửa --dialplan (mặc định Dialplans/hotline-1022.json) với các lời nhắc trong --prompts (mặc định
        Prompts/vi). Người dân gửi phản ánh tại /phan-anh và tra cứu tại /tra-cuu; ứng dụng của thành phố dùng
        /open311/v2/ với khóa tạo bằng `hotline1022 open311 key add NAME`. Dừng bằng SIGINT hoặc SIGTERM.
        """
) { args in
    var settings = ConsoleSettings()
    try settings.apply(&args)
    let dialplan = try args.option("--dialplan") ?? ServeSettings().dialplan
    let prompts = try args.option("--prompts") ?? ServeSettings().prompts
    let agents = try args.option("--agents-uri") ?? ServeSettings().agentsURI
    let options = try CaseOptions(&args)
    let level = try args.option("--log-level") ?? "info"
    try args.finish()
    guard settings.enabled else { throw UsageError("--web-port 0 / --no-web: bảng điều khiển web đã tắt, không có gì để chạy") }
    let logger = StderrLogger(minimum: LogLevel(rawValue: level) ?? .info)
    let stop = StopSignal()
    guard let console = try settings.start(database: options.database, configDirectory: options.configDirectory,
                                           dialplan: DialplanSettings(live: dialplan, promptDirectory: prompts,
                                                                      variables: ["agentsURI": agents]),
                                           logger: logger) else { return }
    stop.wait()
    logger.log(.info, "console-stopping", [])
    console.stop()
}

let usersPasswordCommand = Command.leaf(
    "password", "Đặt mật khẩu bảng điều khiển web (quản trị hệ thống: của bất kỳ ai; người dùng: của chính mình).",
    help: """
        NAME [--password-file FILE] [--current-password-file FILE] \(CaseOptions.help)

        Mật khẩu mới được đọc từ --password-file (dòng đầu tiên) hoặc từ đầu vào chuẩn (dòng đầu tiên; trên
        terminal thì hỏi hai lần, không hiện ký tự): không bao giờ lấy từ dòng lệnh, vì người dùng khác trên máy
        chủ nhìn thấy được. Quản trị hệ thống (--as) đặt hoặc đặt lại mật khẩu của bất kỳ ai; người khác chỉ đổi
        được mật khẩu của chính mình và phải nhập mật khẩu hiện tại trước (--current-password-file, hoặc dòng
        đứng trước mật khẩu mới trên đầu vào chuẩn). Mật khẩu dài ít nhất \(Desk.minimumPasswordLength) ký tự.
        Mọi phiên đăng nhập bảng điều khiển của người dùng đó kết thúc.
        """
) { args in
    let options = try CaseOptions(&args)
    let file = try args.option("--password-file")
    let currentFile = try args.option("--current-password-file")
    let name = try args.requiredPositional("tên đăng nhập của người dùng")
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    let byAdministrator = w.user.role == .administrator
    var current: String?
    if !byAdministrator && name != w.user.name {
        current = ""  // the desk refuses: only an administrator sets another's password
    } else if !byAdministrator {
        current = try currentFile.map { try passwordLine(file: $0) } ?? (file == nil ? try readSecret("Mật khẩu hiện tại: ") : nil)
        guard current != nil else { throw UsageError("cần mật khẩu hiện tại của bạn: --current-password-file FILE") }
    }
    let new: String
    if current == "" {
        new = ""
    } else if let file {
        new = try passwordLine(file: file)
    } else {
        new = try readNewSecret("Mật khẩu mới: ", again: "Nhập lại mật khẩu mới: ", unchanged: "mật khẩu giữ nguyên")
    }
    try w.desk.setPassword(SetPasswordRequest(userName: name, newPassword: new, currentPassword: current), as: w.user)
    print("Đã đặt mật khẩu cho \(name). Các phiên đăng nhập bảng điều khiển của người này đã kết thúc.")
}

/// The first line of a file, without its line break.
func passwordLine(file: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("không đọc được \(file)") }
    let text = String(decoding: data, as: UTF8.self)
    return String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
}

/// A new secret from standard input; on a terminal asked twice, and the two must match (else `unchanged` says
/// what was kept).
func readNewSecret(_ prompt: String, again: String, unchanged: String) throws -> String {
    let secret = try readSecret(prompt)
    if isatty(STDIN_FILENO) != 0, try readSecret(again) != secret {
        throw CommandFailure("hai lần nhập không khớp; \(unchanged)")
    }
    return secret
}

/// One line of standard input; on a terminal, asked with `prompt` on stderr and not echoed.
func readSecret(_ prompt: String) throws -> String {
    let terminal = isatty(STDIN_FILENO) != 0
    var saved = termios()
    if terminal {
        FileHandle.standardError.write(Data(prompt.utf8))
        tcgetattr(STDIN_FILENO, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
    }
    defer {
        if terminal {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }
    guard let line = readLine(strippingNewline: true) else { throw CommandFailure("không có mật khẩu trên đầu vào chuẩn") }
    return line.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
}
