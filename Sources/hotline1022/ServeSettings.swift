import Foundation
import Gateway
import Transcription

/// Everything `serve` needs: built-in defaults, then a JSON config file (`--config`), then flags (last wins).
/// Each option is declared once, in `ServeSettings.table`: its flag, config key, help, parsing and range.
struct ServeSettings: Equatable {
    var sipAddress = "127.0.0.1"
    var sipPort = 5060
    var rtpPort = 20000
    var maxCalls = 1000
    var database = "./var/hotline.sqlite"
    var recordings = "./var/recordings"
    var dialplan = "Dialplans/hotline-1022.json"
    var prompts = "Prompts/vi"
    var agentsURI = "sip:agents@127.0.0.1:5070"
    var drainSeconds = 30
    var pjsipLogLevel = 1
    var logLevel = "info"
    var allowedSources = ["127.0.0.0/8", "::1/128"]
    var agentNetworks = ["127.0.0.0/8", "::1/128"]
    var tlsPort = 0
    var tlsCertificate = ""
    var tlsPrivateKey = ""
    var srtp = "off"
    var registrar = ""
    var registerUser = "hotline1022"
    var registerPassword = ""
    var registerRetrySeconds = 30
    var officeHours = "calendar"
    var calendar = "Config/calendar.json"
    var units = "Config/units.json"
    var delivery = DeliverySettings()
    var transcribeWorkers = 1
    var transcriptionLibrary = VietASRLibrary.defaultPath
    var console = ConsoleSettings()
    var metricsPort = 9108
    var instance = ""
    var sipTransports = ["udp", "tcp"]
    var callsPerSecond = 100.0
    var networkRates: [String] = []
    var maxCallsPerCaller = 0
    var rtpTimeoutSeconds = 30
    var sendSilence = false
    /// Do not record live conversations with agents (issue 23 §4); recorded by default.
    var noConversationRecording = false
    /// Where "Gọi lại" calls citizens: the carrier's trunk or an outbound proxy, HOST[:PORT] (empty: not placed here).
    var callbackTrunk = ""
    var maxCallSeconds = 600
    /// Drafts the desk stores together in one transaction at most (group commit).
    var draftGroup = 64
    /// Testing only: a pause before each group of drafts is stored, as a slow disk would make it.
    var draftStoreDelayMs = 0
    /// New calls are refused (503, reason overload) while the media clock's p95 tick lateness exceeds this (ms; 0 = off)
    var overloadTickMs = 10
    /// ... or while the gateway uses this share of all cores (percent; 0 = off).
    var overloadCPUPercent = 95
    /// The SIP workers and the owner thread under SCHED_RR at this priority (0 = normal scheduling).
    var signallingPriority = 10

    typealias Option = OptionSpec<ServeSettings>

    /// Every option of `serve`, in the order `--help` lists them.
    static let table = OptionTable<ServeSettings>(options: [
        .text("--sip-address", key: "sipAddress", \.sipAddress, placeholder: "ADDR", help: "Địa chỉ IP nhận SIP."),
        .int("--sip-port", key: "sipPort", \.sipPort, 1...65535, help: "Cổng SIP (UDP và TCP)."),
        .int("--rtp-port", key: "rtpPort", \.rtpPort, 1024...65000, help: "Cổng RTP đầu tiên; mỗi cuộc gọi dùng một cặp cổng từ đây."),
        .int("--max-calls", key: "maxCalls", \.maxCalls, 1...2048, help: "Số cuộc gọi đồng thời tối đa; cuộc tiếp theo nhận 486."),
        .text("--db", key: "database", \.database, placeholder: "PATH", help: "Cơ sở dữ liệu SQLite (chế độ WAL)."),
        .text("--recordings", key: "recordings", \.recordings, placeholder: "DIR", help: "Thư mục ghi âm (WAV 8 kHz, mono, 16 bit)."),
        .text("--dialplan", key: "dialplan", \.dialplan, placeholder: "FILE", help: "Kịch bản tổng đài đang dùng."),
        .text("--prompts", key: "prompts", \.prompts, placeholder: "DIR", help: "Thư mục lời nhắc (tệp .txt và .wav)."),
        .text("--agents-uri", key: "agentsURI", \.agentsURI, placeholder: "URI",
              help: "Một thành viên ngoài của hàng chờ phím 0 (tổng đài nội bộ, điện thoại ngoài); none: không có, chỉ "
                  + "các điện thoại đặt bằng `users phone`.") {
            $0 == "none" || $0.hasPrefix("sip:") || $0.hasPrefix("sips:") ? nil : "cần một URI sip: hoặc none, nhận được '\($0)'"
        },
        .list("--agent-network", key: "agentNetworks", \.agentNetworks, placeholder: "CIDR",
              help: "Mạng mà điện thoại của tổng đài viên đăng ký (REGISTER) từ đó (lặp lại được), tách khỏi --allow.", check: cidrProblem),
        .int("--drain-seconds", key: "drainSeconds", \.drainSeconds, 0...3600,
             help: "Khi nhận SIGTERM/SIGINT: số giây các cuộc đang gọi được tiếp tục trước khi bị ngắt."),
        .int("--pjsip-log-level", key: "pjsipLogLevel", \.pjsipLogLevel, 0...5, help: "Mức nhật ký của PJSIP (0–5)."),
        .choice("--log-level", key: "logLevel", \.logLevel, ["debug", "info", "warning", "error"], help: "Mức nhật ký của tổng đài."),
        .list("--allow", key: "allowedSources", \.allowedSources, placeholder: "CIDR",
              help: "Mạng của các trung kế SIP được phép gọi vào (lặp lại được); nơi khác nhận 403.", check: cidrProblem),
        .csv("--sip-transports", key: "sipTransports", \.sipTransports, ["udp", "tcp", "tls"],
             help: "Các giao thức SIP trên cùng địa chỉ và cổng; phải có udp (RFC 3261 §18)."),
        .int("--tls-port", key: "tlsPort", \.tlsPort, 0...65535, help: "Cổng SIP qua TLS (0 = tắt); cần chứng chỉ và khóa."),
        .text("--tls-certificate", key: "tlsCertificate", \.tlsCertificate, placeholder: "PEM", help: "Chứng chỉ TLS của SIP."),
        .text("--tls-private-key", key: "tlsPrivateKey", \.tlsPrivateKey, placeholder: "PEM", help: "Khóa riêng TLS của SIP."),
        .choice("--srtp", key: "srtp", \.srtp, ["off", "optional", "required"], help: "Mã hóa âm thanh SRTP."),
        .text("--registrar", key: "registrar", \.registrar, placeholder: "sip:HOST[:PORT]",
              help: "Đăng ký với máy chủ đăng ký của trung kế (trống = không); địa chỉ đó được phép gọi vào.") {
            $0.isEmpty || $0.hasPrefix("sip:") || $0.hasPrefix("sips:") ? nil : "cần một URI sip:, nhận được '\($0)'"
        },
        .text("--register-user", key: "registerUser", \.registerUser, placeholder: "U", help: "Tên đăng ký với trung kế."),
        .text("--register-password", key: "registerPassword", \.registerPassword, placeholder: "P",
              help: "Mật khẩu đăng ký (nên để trong tệp cấu hình, không để trên dòng lệnh)."),
        .int("--register-retry-seconds", key: "registerRetrySeconds", \.registerRetrySeconds, 1...3600,
             help: "Số giây chờ trước khi đăng ký lại sau khi thất bại."),
        .choice("--office-hours", key: "officeHours", \.officeHours, ["calendar", "always", "never"],
                help: "Khi nào phím 0 nối tới tổng đài viên: theo lịch làm việc (07:30–17:00 ngày làm việc), luôn luôn, hoặc không bao giờ."),
        .text("--calendar", key: "calendar", \.calendar, placeholder: "FILE",
              help: "Lịch làm việc (ngày nghỉ, ngày làm bù); bảng điều khiển web đọc calendar.json và templates.vi.json trong thư mục của tệp này."),
        .text("--units", key: "units", \.units, placeholder: "FILE",
              help: "Danh mục đơn vị nhập lúc khởi động khi cơ sở dữ liệu chưa có."),
        .int("--transcribe-workers", key: "transcribeWorkers", \.transcribeWorkers, 0...16,
             help: "Số luồng chuyển lời nói thành chữ, ở mức ưu tiên CPU thấp nhất (0 = tắt)."),
        .text("--transcription-library", key: "transcriptionLibrary", \.transcriptionLibrary, placeholder: "PATH",
              help: "Thư viện nhận dạng tiếng nói (cài bởi scripts/bootstrap); thiếu thì tắt chuyển lời nói, ghi nhật ký một lần."),
        .int("--metrics-port", key: "metricsPort", \.metricsPort, 0...65535,
             help: "Cổng /metrics (Prometheus) và /healthz, chỉ trên 127.0.0.1 (0 = tắt)."),
        .text("--instance", key: "instance", \.instance, placeholder: "NAME",
              help: "Tên của tổng đài này khi nhiều tổng đài dùng chung --db và --recordings (sau Kamailio): ghi âm vào --recordings/NAME/.") { v in
            v.count <= 32 && v.first != "-" && v.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
                ? nil : "tối đa 32 chữ cái, chữ số, - hoặc _, nhận được '\(v)'"
        },
        .double("--calls-per-second", key: "callsPerSecond", \.callsPerSecond, 0.001...100_000,
                help: "Số cuộc gọi mới mỗi giây một địa chỉ nguồn được bắt đầu (xô token, dồn tối đa 2 giây); vượt: 503 kèm Retry-After."),
        .list("--network-rate", key: "networkRates", \.networkRates, placeholder: "CIDR=N",
              help: "Tốc độ riêng của một mạng (trung kế của nhà mạng: một địa chỉ cho mọi người gọi); tiền tố dài nhất thắng.") { v in
            do {
                _ = try AdmissionLimits.NetworkRate(v)
                return nil
            } catch {
                return "\(error)"
            }
        },
        .int("--max-calls-per-caller", key: "maxCallsPerCaller", \.maxCallsPerCaller, 0...2048,
             help: "Số cuộc gọi đồng thời một số máy được giữ (0 = không giới hạn; cuộc gọi thử tải dùng chung một số)."),
        .int("--rtp-timeout", key: "rtpTimeoutSeconds", \.rtpTimeoutSeconds, 0...86_400, placeholder: "SECONDS",
             help: "Ngắt cuộc gọi không nhận được RTP trong chừng ấy giây (0 = không bao giờ)."),
        .flag("--send-silence", key: "sendSilence", \.sendSilence,
              help: "Gửi RTP cả khi tổng đài im lặng (lúc ghi âm); mặc định không gửi, trừ một gói mỗi 5 giây. Bật cho trung kế ngắt cuộc gọi khi RTP chỉ chạy một chiều."),
        .text("--callback-trunk", key: "callbackTrunk", \.callbackTrunk, placeholder: "HOST[:PORT]",
              help: "Nơi tổng đài gọi lại người dân khi tổng đài viên bấm \"Gọi lại\" (trung kế của nhà mạng hoặc proxy gọi ra): "
                  + "sip:SỐ@HOST[:PORT]; trống: tổng đài này không gọi lại.") {
            $0.isEmpty ? nil : CallbackDial.trunkProblem($0)
        },
        .flag("--no-conversation-recording", key: "noConversationRecording", \.noConversationRecording,
              help: "Không ghi âm cuộc nói chuyện giữa người gọi và tổng đài viên (mặc định ghi cả hai chiều, gắn vào phiếu của cuộc gọi)."),
        .int("--max-call-seconds", key: "maxCallSeconds", \.maxCallSeconds, 0...86_400, placeholder: "SECONDS",
             help: "Ngắt mọi cuộc gọi dài quá chừng ấy giây (0 = không bao giờ); bản ghi đã có vẫn được lưu."),
        .int("--draft-group", key: "draftGroup", \.draftGroup, 1...1000,
             help: "Số phiếu nháp tối đa lưu chung một giao dịch (một lần ghi đĩa) khi nhiều cuộc gọi kết thúc cùng lúc."),
        .int("--draft-store-delay-ms", key: nil, \.draftStoreDelayMs, 0...60_000, placeholder: "MS",
             help: "Chỉ dùng khi kiểm thử: chờ chừng ấy mili giây trước mỗi lần lưu, như một đĩa chậm."),
        .int("--overload-tick-ms", key: "overloadTickMs", \.overloadTickMs, 0...1000, placeholder: "MS",
             help: "Từ chối cuộc gọi mới (503, quá tải) khi đồng hồ âm thanh trễ quá chừng ấy mili giây (p95 của từng giây, 3 giây liền; 0 = tắt)."),
        .int("--overload-cpu-percent", key: "overloadCPUPercent", \.overloadCPUPercent, 0...100,
             help: "Cũng từ chối khi tổng đài dùng quá tỉ lệ này của mọi nhân CPU (phần trăm; 0 = tắt)."),
        .int("--signalling-priority", key: "signallingPriority", \.signallingPriority, 0...99, placeholder: "N",
             help: "Luồng SIP và luồng điều phối chạy thời gian thực (SCHED_RR) ở mức này, để cuộc gọi mới được trả lời ngay cả khi máy bận (0 = lập lịch thường; cần quyền root, CAP_SYS_NICE hoặc LimitRTPRIO)."),
    ] + DeliverySettings.options(\ServeSettings.delivery) + ConsoleSettings.options(\ServeSettings.console))

    static var help: String {
        """
        [--config FILE] \(table.synopsis)

        Nhận cuộc gọi của người dân qua SIP (UDP và TCP), phát menu tiếng Việt của kịch bản, ghi âm phản ánh
        và lưu mỗi phản ánh thành một phiếu nháp cho tổng đài viên (xem `hotline1022 agent queue`). Cũng gửi tin
        nhắn cho người dân (xác nhận, từ chối, kết quả) từ hộp thư đi, chuyển lời nói thành chữ, và mở bảng điều
        khiển web.

        Không cần cấu hình gì: mặc định như dưới đây. --config FILE là tệp JSON với các khóa ghi trong ngoặc;
        một khóa không có trong danh sách là lỗi. Tùy chọn trên dòng lệnh ghi đè tệp cấu hình.

        \(table.explanation(defaults: ServeSettings()))

        Tín hiệu: SIGHUP nạp lại kịch bản và lời nhắc (kịch bản lỗi bị từ chối, giữ kịch bản cũ; tệp cũng được
        theo dõi); SIGTERM hoặc SIGINT ngừng nhận cuộc gọi mới (503), cho các cuộc đang gọi --drain-seconds để
        kết thúc, lưu phiếu nháp của chúng rồi thoát với mã 0. Nhật ký ghi ra stderr, mỗi sự kiện một dòng, kèm
        Call-ID và mã phản ánh; không có dữ liệu cá nhân.
        """
    }

    /// Reads `--config FILE` first, then every flag, then checks what concerns several options at once.
    mutating func apply(_ args: inout Arguments) throws {
        if let path = try args.option("--config") { self = try Self.load(config: path, over: self) }
        try Self.table.apply(&args, to: &self)
        try validate()
    }

    /// The settings of a config file over `base` (strict: an unknown key or a wrong value is an error).
    static func load(config path: String, over base: ServeSettings = ServeSettings()) throws -> ServeSettings {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("không đọc được tệp cấu hình \(path)")
        }
        var settings = base
        try table.applyConfig(data, source: path, to: &settings)
        return settings
    }

    /// What no single option can check alone.
    func validate() throws {
        guard !allowedSources.isEmpty else { throw UsageError("--allow: cần ít nhất một mạng được phép gọi vào") }
        guard sipTransports.contains("udp") else {
            throw UsageError("--sip-transports phải có udp (RFC 3261 §18: mọi thành phần SIP đều hỗ trợ UDP)")
        }
        if sipTransports.contains("tls"), tlsPort == 0 {
            throw UsageError("--sip-transports tls: TLS chưa được cấu hình (not configured): cần --tls-port, "
                             + "--tls-certificate và --tls-private-key")
        }
        if tlsPort != 0 {
            guard tlsPort != sipPort else { throw UsageError("--tls-port phải khác --sip-port") }
            guard !tlsCertificate.isEmpty, !tlsPrivateKey.isEmpty else {
                throw UsageError("--tls-port cần --tls-certificate và --tls-private-key (tệp PEM)")
            }
        }
        try console.validate()
        try delivery.validate()
    }

    /// Where this gateway writes its recordings: `recordings`, or `recordings/<instance>` for one of several.
    var instanceRecordings: String {
        instance.isEmpty ? recordings : (recordings as NSString).appendingPathComponent(instance)
    }

    func sourceNetworks() throws -> [SourcePolicy.Network] {
        do {
            var networks = try allowedSources.map(SourcePolicy.Network.init)
            // The registrar's own address may place calls (an authenticated trunk).
            if let host = registrarHost, let network = try? SourcePolicy.Network(host) { networks.append(network) }
            return networks
        } catch {
            throw UsageError("--allow: \(error)")
        }
    }

    func admissionLimits() throws -> AdmissionLimits {
        var limits = AdmissionLimits()
        limits.callsPerSecond = callsPerSecond
        limits.maxCallsPerCaller = maxCallsPerCaller
        do {
            limits.networkRates = try networkRates.map(AdmissionLimits.NetworkRate.init)
        } catch {
            throw UsageError("--network-rate: \(error)")
        }
        return limits
    }

    /// The registrar's host when it is an IP address (`sip:192.0.2.10:5060` → `192.0.2.10`).
    var registrarHost: String? {
        guard !registrar.isEmpty else { return nil }
        let rest = registrar.drop { $0 != ":" }.dropFirst()
        return String(rest.prefix { $0 != ":" && $0 != ";" && $0 != ">" })
    }
}

/// What is wrong with a network in CIDR form (`--allow`, `--agent-network`), nil when it parses.
private func cidrProblem(_ value: String) -> String? {
    do {
        _ = try SourcePolicy.Network(value)
        return nil
    } catch {
        return "\(error)"
    }
}
