import Foundation
import HotlineServices
import Gateway
import HotlineCore
import HotlineStore
import HotlineDesk

let outboxCommands = Command.group("outbox", "Tin nhắn gửi người dân (SMS/Zalo): gửi đi, xem tin chưa gửi được.", [
    outboxRunCommand,
    outboxListCommand,
    outboxZNSTokenCommand,
])

/// Where messages go and how: the senders in the order they are tried, each carrier's settings, the delivery
/// reports' listener. Part of `serve`'s settings (and its config file); `outbox run` takes the same options.
struct DeliverySettings: Equatable {
    /// In order; empty means the webhook when one is set, else the log.
    var senders: [String] = []
    var webhook = ""
    var token = ""
    var messagesLog = "./var/messages.log"
    var intervalSeconds = 5
    var kannelURL = ""
    var kannelUser = ""
    var kannelPassword = ""
    var kannelFrom = "HAIPHONG1022"
    var kannelStatusURL = ""
    var kannelSMSC = ""
    var diacritics = DiacriticsPolicy.keep.rawValue
    var znsAppID = ""
    var znsSecretKey = ""
    var znsOASecret = ""
    var znsTemplates = "Config/zns-templates.json"
    var znsTokenFile = ""
    var znsAPI = "https://business.openapi.zalo.me"
    var znsOAuth = "https://oauth.zaloapp.com"
    var znsDevelopment = false
    /// `ADDR:PORT` of the delivery reports' listener; port 0 turns it off.
    var reportsListen = "127.0.0.1:8091"
    /// The address carriers call back (Kannel's dlr-url); empty: `http://` + `reportsListen`.
    var reportsURL = ""
    var reportWaitSeconds = 600

    static let senderNames = ["zns", "kannel", "webhook", "log"]

    static func options<S>(_ path: WritableKeyPath<S, DeliverySettings>) -> [OptionSpec<S>] {
        func p<V>(_ k: WritableKeyPath<DeliverySettings, V>) -> WritableKeyPath<S, V> { path.appending(path: k) }
        return [
            .csv("--senders", key: "senders", p(\.senders), senderNames,
                 help: "Cách gửi tin nhắn cho người dân, thử lần lượt (vd. zns,kannel: Zalo trước, SMS khi số không dùng Zalo hoặc Zalo từ chối). Mặc định: webhook nếu có --webhook, không thì log."),
            .text("--webhook", key: "webhook", p(\.webhook), placeholder: "URL",
                  help: "Cổng SMS/Zalo riêng của thành phố nhận tin nhắn (POST JSON).") { DeliverySettings.urlProblem($0) },
            .text("--webhook-token", key: "webhookToken", p(\.token), placeholder: "T", help: "Mã xác thực gửi kèm webhook."),
            .text("--messages-log", key: "messagesLog", p(\.messagesLog), placeholder: "FILE",
                  help: "Tệp ghi tin nhắn của cách gửi log (số điện thoại được che)."),
            .int("--outbox-interval", key: "outboxIntervalSeconds", p(\.intervalSeconds), 1...3600,
                 help: "Số giây giữa hai lượt gửi tin nhắn."),
            .text("--kannel-url", key: "kannelURL", p(\.kannelURL), placeholder: "URL",
                  help: "sendsms của smsbox Kannel, vd. http://127.0.0.1:13013/cgi-bin/sendsms.") { DeliverySettings.urlProblem($0) },
            .text("--kannel-user", key: "kannelUser", p(\.kannelUser), placeholder: "U", help: "Tài khoản sendsms-user của Kannel."),
            .text("--kannel-password", key: "kannelPassword", p(\.kannelPassword), placeholder: "P",
                  help: "Mật khẩu sendsms-user (nên để trong tệp cấu hình)."),
            .text("--kannel-from", key: "kannelFrom", p(\.kannelFrom), placeholder: "BRANDNAME",
                  help: "Tên thương hiệu (brandname) đã đăng ký với nhà mạng, hiện là người gửi."),
            .text("--kannel-status-url", key: "kannelStatusURL", p(\.kannelStatusURL), placeholder: "URL",
                  help: "status.xml của bearerbox (kèm ?password=…): khi không có SMSC nào trực tuyến, tin chờ trong hộp thư đi thay vì nằm trong hàng đợi của Kannel.") { DeliverySettings.urlProblem($0) },
            .text("--kannel-smsc", key: "kannelSMSC", p(\.kannelSMSC), placeholder: "ID", help: "smsc-id dùng để gửi (trống: để Kannel chọn)."),
            .choice("--sms-diacritics", key: "smsDiacritics", p(\.diacritics), DiacriticsPolicy.allCases.map(\.rawValue),
                    help: "SMS có dấu (keep, UCS-2), không dấu khi ít phần tin hơn (strip-when-shorter), hay luôn không dấu (strip)."),
            .text("--zns-app-id", key: "znsAppID", p(\.znsAppID), placeholder: "ID", help: "App ID của ứng dụng Zalo gắn với OA."),
            .text("--zns-secret-key", key: "znsSecretKey", p(\.znsSecretKey), placeholder: "K",
                  help: "Secret key của ứng dụng Zalo (làm mới access token; để trong tệp cấu hình)."),
            .text("--zns-oa-secret", key: "znsOASecret", p(\.znsOASecret), placeholder: "K",
                  help: "Khóa bí mật của OA, kiểm chữ ký webhook báo tin đã đến (X-ZEvent-Signature)."),
            .text("--zns-templates", key: "znsTemplates", p(\.znsTemplates), placeholder: "FILE",
                  help: "Mẫu ZNS đã duyệt cho từng loại tin và tham số của chúng."),
            .text("--zns-token-file", key: "znsTokenFile", p(\.znsTokenFile), placeholder: "FILE",
                  help: "Nơi giữ access/refresh token của OA (quyền 0600); trống: zalo-oa-token.json cạnh --db."),
            .text("--zns-api", key: "znsAPI", p(\.znsAPI), placeholder: "URL", help: "Máy chủ API ZNS.") { DeliverySettings.urlProblem($0) },
            .text("--zns-oauth", key: "znsOAuth", p(\.znsOAuth), placeholder: "URL", help: "Máy chủ OAuth của Zalo OA.") { DeliverySettings.urlProblem($0) },
            .flag("--zns-development", key: "znsDevelopment", p(\.znsDevelopment),
                  help: "Gửi ZNS ở chế độ development (chỉ quản trị viên của ứng dụng nhận, không tính phí)."),
            .text("--reports-listen", key: "reportsListen", p(\.reportsListen), placeholder: "ADDR:PORT",
                  help: "Nơi nhận báo cáo gửi tin của nhà mạng (Kannel DLR, webhook Zalo); cổng 0 = tắt.") { DeliverySettings.listenProblem($0) },
            .text("--reports-url", key: "reportsURL", p(\.reportsURL), placeholder: "URL",
                  help: "Địa chỉ Kannel gọi lại để báo cáo (khi Kannel ở máy khác); trống: http:// + --reports-listen.") { DeliverySettings.urlProblem($0) },
            .int("--report-wait", key: "reportWaitSeconds", p(\.reportWaitSeconds), 1...86_400, placeholder: "SECONDS",
                 help: "Không có báo cáo sau chừng ấy giây: tin được đánh dấu không rõ và gửi lại một lần bằng cách gửi tiếp theo."),
        ]
    }

    static let table = OptionTable<DeliverySettings>(options: options(\DeliverySettings.self))

    /// Why an address is unusable; nil when it is empty or an http(s) URL.
    static func urlProblem(_ text: String) -> String? {
        guard !text.isEmpty else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            return "cần một URL http(s), nhận được '\(text)'"
        }
        return nil
    }

    static func listenProblem(_ text: String) -> String? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
              colon != text.startIndex else { return "cần ĐỊA-CHỈ:CỔNG, nhận được '\(text)'" }
        return nil
    }

    var effectiveSenders: [String] { senders.isEmpty ? [webhook.isEmpty ? "log" : "webhook"] : senders }

    var listenAddress: (address: String, port: UInt16) {
        let colon = reportsListen.lastIndex(of: ":")!
        return (String(reportsListen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
                UInt16(reportsListen[reportsListen.index(after: colon)...]) ?? 0)
    }

    /// Whether a configured sender's carrier reports back, so the reports' listener must run.
    var needsReports: Bool { effectiveSenders.contains("kannel") || effectiveSenders.contains("zns") }

    func validate() throws {
        guard (1...3600).contains(intervalSeconds) else { throw UsageError("--outbox-interval phải từ 1 đến 3600 giây") }
        guard Set(effectiveSenders).count == effectiveSenders.count else { throw UsageError("--senders: mỗi cách gửi chỉ một lần") }
        for name in effectiveSenders {
            switch name {
            case "webhook" where webhook.isEmpty: throw UsageError("--senders webhook cần --webhook URL")
            case "kannel" where kannelURL.isEmpty || kannelUser.isEmpty:
                throw UsageError("--senders kannel cần --kannel-url và --kannel-user (và --kannel-password)")
            case "zns" where znsAppID.isEmpty || znsSecretKey.isEmpty:
                throw UsageError("--senders zns cần --zns-app-id và --zns-secret-key")
            default: break
            }
        }
        if needsReports, listenAddress.port == 0 {
            throw UsageError("--senders \(effectiveSenders.joined(separator: ",")): nhà mạng gửi báo cáo về --reports-listen, không được tắt (cổng 0)")
        }
    }

    func tokenFile(database: String) -> String {
        znsTokenFile.isEmpty ? (TicketStore.defaultDataDirectory(for: database) as NSString).appendingPathComponent("zalo-oa-token.json")
            : znsTokenFile
    }

    /// The senders, in order; throws with the reason when a file they need is missing or wrong.
    func makeSenders(database: String) throws -> [MessageSender] {
        try effectiveSenders.map { name -> MessageSender in
            switch name {
            case "webhook": return WebhookSender(url: URL(string: webhook)!, token: token.isEmpty ? nil : token)
            case "kannel":
                let (address, port) = listenAddress
                let host = address.contains(":") ? "[\(address)]" : address
                let base = reportsURL.isEmpty ? "http://\(host):\(port)" : String(reportsURL.reversed().drop { $0 == "/" }.reversed())
                return KannelSender(settings: KannelSender.Settings(
                    sendsmsURL: URL(string: kannelURL)!, username: kannelUser, password: kannelPassword, from: kannelFrom,
                    reportBase: base, statusURL: kannelStatusURL.isEmpty ? nil : URL(string: kannelStatusURL),
                    smscID: kannelSMSC.isEmpty ? nil : kannelSMSC, diacritics: DiacriticsPolicy(rawValue: diacritics) ?? .keep))
            case "zns":
                let templates: ZNSTemplates
                do { templates = try ZNSTemplates.load(path: znsTemplates) } catch { throw CommandFailure("\(error)") }
                return ZNSSender(settings: ZNSSender.Settings(
                    apiBase: URL(string: znsAPI)!, oauthBase: URL(string: znsOAuth)!, appID: znsAppID, secretKey: znsSecretKey,
                    templates: templates, tokenFile: tokenFile(database: database), development: znsDevelopment))
            default: return LogFileSender(path: messagesLog)
            }
        }
    }

    /// The reports' listener, when a sender needs it.
    func startReports(database: String, logger: EventLogger) throws -> DeliveryReports? {
        guard needsReports else { return nil }
        let reports = try DeliveryReports(database: database,
                                          zalo: znsOASecret.isEmpty ? nil : .init(appID: znsAppID, oaSecret: znsOASecret),
                                          logger: logger)
        let (address, port) = listenAddress
        do { try reports.start(address: address, port: port) } catch {
            throw CommandFailure("không mở được nơi nhận báo cáo gửi tin \(reportsListen): \(error)")
        }
        return reports
    }

    /// Where messages go, for the log (no secrets).
    var destination: String {
        effectiveSenders.map { name in
            switch name {
            case "webhook": "webhook:\(URL(string: webhook)?.host ?? "")"
            case "kannel": "kannel:\(URL(string: kannelURL)?.host ?? "")"
            case "zns": "zns:\(URL(string: znsAPI)?.host ?? "")"
            default: "log:\(messagesLog)"
            }
        }.joined(separator: ",")
    }
}

let outboxRunCommand = Command.leaf(
    "run", "Gửi các tin đang chờ cho đến khi bị dừng (SIGINT/SIGTERM), hoặc một lượt với --once.",
    help: """
        [--once] [--config FILE] \(DeliverySettings.table.synopsis) [--db PATH]

        `serve` chạy cùng bộ gửi này; chỉ chạy riêng lệnh này khi cổng điện thoại không chạy trên máy này.
        --config đọc tệp cấu hình của `serve` (chỉ dùng các khóa về tin nhắn). Lần gửi lỗi được thử lại sau
        30 giây, 2 phút, 10 phút, 1 giờ và 6 giờ, sau đó đánh dấu thất bại (`outbox list --failed`). Một cách
        gửi từ chối tin (số cố định, số không dùng Zalo, hết hạn mức) thì cách gửi tiếp theo trong --senders
        gửi ngay. Không có báo cáo của nhà mạng sau --report-wait giây: tin được gửi lại một lần.

        \(DeliverySettings.table.explanation(defaults: DeliverySettings()))
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let once = args.flag("--once")
    var delivery = DeliverySettings()
    if let path = try args.option("--config") { delivery = try ServeSettings.load(config: path).delivery }
    if let v = try args.intOption("--interval") { delivery.intervalSeconds = v }
    try DeliverySettings.table.apply(&args, to: &delivery)
    try delivery.validate()
    try args.finish()
    guard FileManager.default.fileExists(atPath: db) else { throw CommandFailure("không có cơ sở dữ liệu tại \(db) (dùng --db PATH)") }
    let logger = StderrLogger(minimum: .info)
    let service = try OutboxService(database: db, senders: delivery.makeSenders(database: db),
                                    intervalSeconds: delivery.intervalSeconds, reportWait: TimeInterval(delivery.reportWaitSeconds),
                                    logger: logger)
    if once {
        guard service.mayDeliver() else {
            throw CommandFailure("một tiến trình khác (tổng đài đang chạy) đang gửi tin nhắn từ cơ sở dữ liệu này; không gửi gì thêm")
        }
        guard let r = service.round() else { throw CommandFailure("lượt gửi không thực hiện được (xem dòng nhật ký phía trên)") }
        service.stop()
        print("Đã gửi \(r.sent), chờ gửi lại \(r.retrying), chuyển cách gửi \(r.rerouted), không rõ \(r.unknown), thất bại \(r.failed).")
        return
    }
    let reports = try delivery.startReports(database: db, logger: logger)
    logger.log(.info, "outbox-started", [("to", delivery.destination), ("interval", "\(delivery.intervalSeconds)s"),
                                         ("reports", reports.map { _ in delivery.reportsListen } ?? "off")])
    let stop = StopSignal()
    service.start()
    stop.wait()
    service.stop()
    reports?.stop()
    logger.log(.info, "outbox-stopped", [])
}

let outboxZNSTokenCommand = Command.leaf(
    "zns-token", "Lưu refresh token của Zalo OA (đọc từ stdin) để gửi ZNS; access token được làm mới tự động.",
    help: """
        [--zns-token-file FILE] [--db PATH]

        Đọc refresh token từ stdin (một dòng; không bao giờ trên dòng lệnh), lấy khi cấp quyền OA cho ứng dụng
        trên trang Zalo for Developers. Tệp token nằm cạnh cơ sở dữ liệu (zalo-oa-token.json, quyền 0600) trừ
        khi có --zns-token-file. Lần gửi đầu tiên đổi nó lấy access token; mỗi lần làm mới Zalo trả refresh
        token mới, được ghi lại ngay.
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    var delivery = DeliverySettings()
    if let v = try args.option("--zns-token-file") { delivery.znsTokenFile = v }
    try args.finish()
    guard let line = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces), !line.isEmpty else {
        throw CommandFailure("không đọc được refresh token từ stdin")
    }
    let path = delivery.tokenFile(database: db)
    do {
        try ZNSTokenFile(path: path).write(.init(accessToken: "", refreshToken: line, expiresAt: Date(timeIntervalSince1970: 0)))
    } catch { throw CommandFailure("\(error)") }
    print("Đã lưu refresh token của Zalo OA vào \(path) (quyền 0600).")
}

let outboxListCommand = Command.leaf(
    "list", "Hộp thư đi, mới nhất trước: tin đã gửi, tin chờ gửi lại, tin gửi thất bại.",
    help: """
        [--failed] [--limit N] [--json] \(CaseOptions.help)

        --failed chỉ hiện các tin đã thử lại hết lượt vẫn không gửi được, kèm lỗi cuối. Số điện thoại được che
        bớt, trừ khi dùng --json (giám sát viên dùng để gửi lại thủ công).
        """
) { args in
    let failed = args.flag("--failed")
    let limit = try args.intOption("--limit") ?? 200
    try onListing(&args) { w, json in
        let messages = try w.desk.outbox(failedOnly: failed, limit: limit, as: w.user)
        if json { return try printJSON(messages) }
        guard !messages.isEmpty else { return print(failed ? "Không có tin nhắn gửi thất bại." : "Hộp thư đi trống.") }
        print(renderTable(["#", "Mã số", "Loại", "Đến", "Qua", "Trạng thái", "Mã nhà mạng", "Lần gửi", "Lỗi cuối"], messages.map { m in
            [String(m.id), m.trackingCode, m.kind.rawValue, LogFileSender.mask(m.recipient), m.channel ?? "",
             m.delivery.label + (m.informedAt != nil ? " (đã gọi báo)" : ""), m.deliveryCode ?? "",
             String(m.attempts), m.lastError ?? ""]
        }))
    }
}
