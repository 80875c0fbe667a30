import Foundation
import Gateway
import Transcription

/// Everything `serve` needs, from built-in defaults, then a JSON config file, then flags (last wins).
struct ServeSettings: Codable, Equatable {
    var sipAddress = "127.0.0.1"
    var sipPort = 5060
    var rtpPort = 20000
    var maxCalls = 1000
    var database = "./var/hotline.sqlite"
    var recordings = "./var/recordings"
    var dialplan = "Dialplans/hotline-1022.json"
    var prompts = "Prompts/vi"
    /// Where key 0 sends a caller in office hours (an agents' queue or phone).
    var agentsURI = "sip:agents@127.0.0.1:5070"
    /// On SIGTERM/SIGINT: how long calls in progress may continue before they are hung up.
    var drainSeconds = 30
    var pjsipLogLevel = 1
    var logLevel = "info"
    /// Networks (CIDR) of the SIP trunks allowed to place calls; others get 403.
    var allowedSources = ["127.0.0.0/8", "::1/128"]
    /// SIP over TLS: on when tlsPort > 0 (with a PEM certificate and key).
    var tlsPort = 0
    var tlsCertificate = ""
    var tlsPrivateKey = ""
    /// SRTP: off, optional or required.
    var srtp = "off"
    /// Register with a SIP trunk's registrar ("" = none); its address is allowed to place calls.
    var registrar = ""
    var registerUser = "hotline1022"
    var registerPassword = ""
    var registerRetrySeconds = 30
    /// When key 0 reaches an agent: "calendar" (working days 07:30–17:00), "always" or "never".
    var officeHours = "calendar"
    /// The administrators' calendar file: announced days off and make-up Saturdays.
    var calendar = "Config/calendar.json"
    /// The unit directory imported at start-up when the database has none yet.
    var units = "Config/units.json"
    /// Citizens' messages: an SMS/Zalo gateway's webhook ("" = append them to messagesLog, numbers masked).
    var webhook = ""
    var webhookToken = ""
    var messagesLog = "./var/messages.log"
    var outboxIntervalSeconds = 5
    /// Speech-to-text workers (0 = transcription off) and the engine's library (see `transcribe run`).
    var transcribeWorkers = 1
    var transcriptionLibrary = VietASRLibrary.defaultPath
    /// The agents' browser console (0 = off), its TLS files, and plain HTTP off loopback only when allowed.
    var webAddress = "127.0.0.1"
    var webPort = 8080
    var webCertificate = ""
    var webPrivateKey = ""
    var webAllowPlainHTTP = false
    /// Prometheus `/metrics` and `/healthz` on 127.0.0.1:metricsPort (0 = off).
    var metricsPort = 9108
    /// Several gateways on one host share the database and the recordings folder: each names itself, and
    /// keeps its recordings in `recordings/<instance>/` so a restart recovers only its own calls.
    var instance = ""
    // The SIP edge's limits (issue 15).
    /// SIP transports: udp and tcp share --sip-port; tls needs --tls-port and a certificate.
    var sipTransports = ["udp", "tcp"]
    /// New calls a second one source address may start (token bucket, bursts of 2 s); over it: 503 + Retry-After.
    var callsPerSecond = 100.0
    /// Per-network rates, "CIDR=CALLS_PER_SECOND" (a carrier trunk's surge rate); the longest prefix wins.
    var networkRates: [String] = []
    /// Concurrent calls one caller number may hold (0 = no limit).
    var maxCallsPerCaller = 0
    /// Hang up after this many seconds without RTP from the caller (0 = never).
    var rtpTimeoutSeconds = 30
    /// Hang up any call after this many seconds (0 = never).
    var maxCallSeconds = 600
    // issue 17
    /// Drafts the desk stores together in one transaction at most (group commit).
    var draftGroup = 64
    /// Testing only: a pause before each group of drafts is stored, as a slow disk would make it.
    var draftStoreDelayMs = 0
    /// New calls are refused (503, reason overload) while the media clock's p95 tick lateness exceeds this (ms; 0 = off)
    var overloadTickMs = 10
    /// ... or while the gateway uses this share of all cores (percent; 0 = off).
    var overloadCPUPercent = 95

    static let help = """
        [--config FILE] [--sip-address ADDR] [--sip-port N] [--rtp-port N] [--max-calls N]
                  [--db PATH] [--recordings DIR] [--dialplan FILE] [--prompts DIR] [--agents-uri URI]
                  [--drain-seconds N] [--pjsip-log-level 0-5] [--log-level debug|info|warning|error]
                  [--allow CIDR]... [--tls-port N --tls-certificate PEM --tls-private-key PEM]
                  [--srtp off|optional|required] [--office-hours calendar|always|never] [--calendar FILE]
                  [--registrar sip:HOST[:PORT] --register-user U --register-password P --register-retry-seconds N]
                  [--units FILE] [--webhook URL [--webhook-token T]] [--messages-log FILE] [--outbox-interval N]
                  [--transcribe-workers N] [--transcription-library PATH] [--metrics-port N] [--instance NAME]
                  [--web-address ADDR] [--web-port N|0] [--no-web] [--web-certificate PEM --web-private-key PEM]
                  [--web-allow-plain-http]
                  [--sip-transports udp,tcp[,tls]] [--calls-per-second N] [--network-rate CIDR=N]...
                  [--max-calls-per-caller N] [--rtp-timeout SECONDS] [--max-call-seconds SECONDS]
                  [--draft-group N] [--draft-store-delay-ms MS] [--overload-tick-ms MS] [--overload-cpu-percent N]

        Answers citizens' calls on SIP/UDP, plays the dialplan's Vietnamese menus, records voice reports and
        files each one as a draft ticket for the agents (see `hotline1022 agent queue`). It also delivers the
        citizens' messages (acknowledgements, refusals, results) from the outbox every --outbox-interval seconds:
        to --webhook (POST JSON) when given, else appended to --messages-log with the numbers masked. On a
        database with no unit directory yet, --units (default Config/units.json) is imported at start-up.
        Each voice report is transcribed by --transcribe-workers threads (default 1; 0 = off) at the lowest CPU
        priority, with the engine --transcription-library (default /usr/local/lib/hotline1022/vietasr/libvietasr.so,
        installed by scripts/bootstrap); without it, transcription is off (logged once) and nothing else changes.
        The agents' browser console listens on --web-address:--web-port (default 127.0.0.1:8080; --web-port 0 or
        --no-web: off), HTTPS with --web-certificate and --web-private-key; plain HTTP on an address other than
        loopback is refused unless --web-allow-plain-http is given. It reads calendar.json and templates.vi.json
        from the folder of --calendar.
        Monitoring: Prometheus metrics at http://127.0.0.1:--metrics-port/metrics and a health check at /healthz
        (200 ok, 503 while draining or when the database does not answer); default port 9108, 0 = off; loopback
        only. A port already taken is logged and the gateway runs on without metrics.
        Several gateways on one host (behind Kamailio, deploy/kamailio/) share --db and --recordings; give each
        its own --instance NAME (letters, digits, - and _): its recordings go to --recordings/NAME/, and at
        start-up it recovers only the interrupted calls of that folder. Two gateways on the same folder are
        refused (a lock file in it), and only one gateway at a time delivers the outbox (a lock beside --db).

        Defaults (no configuration needed): SIP on 127.0.0.1:5060, database ./var/hotline.sqlite (WAL),
        recordings under ./var/recordings/, dialplan Dialplans/hotline-1022.json, prompts Prompts/vi/.
        A config file is JSON with any of the keys: sipAddress, sipPort, rtpPort, maxCalls, database,
        recordings, dialplan, prompts, agentsURI, drainSeconds, pjsipLogLevel, logLevel, allowedSources (a list of
        CIDR networks), tlsPort, tlsCertificate, tlsPrivateKey, srtp, officeHours, calendar, registrar, registerUser,
        registerPassword, registerRetrySeconds, units, webhook, webhookToken, messagesLog, outboxIntervalSeconds,
        transcribeWorkers, transcriptionLibrary, webAddress, webPort, webCertificate, webPrivateKey, webAllowPlainHTTP, metricsPort, instance,
        sipTransports, callsPerSecond, networkRates, maxCallsPerCaller, rtpTimeoutSeconds, maxCallSeconds (keep the password in the config file, not on the command line). Flags override it. Only the allowed networks (default: loopback) may place calls: give
        each trunk's network with --allow (repeatable); anyone else is answered 403 Forbidden.

        Giới hạn ở biên SIP (SIP edge limits): SIP on UDP and TCP on the same port (--sip-transports; tls also
        needs --tls-port, --tls-certificate and --tls-private-key). One source address may start at most
        --calls-per-second new calls a second (default 100, bursts of 2 s); a trunk network can get its own rate
        with --network-rate CIDR=N (repeatable). Over the limit a call is answered 503 with Retry-After and takes no
        call slot. --max-calls-per-caller N limits one caller number's concurrent calls (default 0: no limit).
        A call with no RTP for --rtp-timeout seconds (default 30) is hung up, and so is any call longer than
        --max-call-seconds (default 600); a recording already made is filed as a draft as usual. Each refusal is
        logged (event=sip-refused, with its reason) and counted by reason.
        Drafts are stored in groups of up to --draft-group (default 64) per transaction; a caller whose draft
        takes over a second to store hears the still-storing prompt. --draft-store-delay-ms is for tests only.
        Overload: while the media clock runs late (p95 tick lateness over 3 s above --overload-tick-ms, default 10;
        0 = off) or the gateway uses --overload-cpu-percent (default 95; 0 = off) of all cores, new calls are
        answered 503 with Retry-After (reason overload), before the calls in progress lose audio.

        Signals: SIGHUP reloads the dialplan and prompts (an invalid plan is refused and the old one kept;
        the file is also watched); SIGTERM or SIGINT stops taking calls (503), lets calls in progress finish
        for --drain-seconds, files their drafts and exits 0.
        Log lines go to stderr, one per call event, with the SIP Call-ID and tracking code; no personal data.
        """

    mutating func apply(_ args: inout Arguments) throws {
        if let path = try args.option("--config") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandFailure("cannot read config file \(path)")
            }
            do {
                self = try ServeSettings.decode(data, over: self)
            } catch {
                throw CommandFailure("config file \(path): \(error)")
            }
        }
        if let v = try args.option("--sip-address") { sipAddress = v }
        if let v = try args.intOption("--sip-port") { sipPort = v }
        if let v = try args.intOption("--rtp-port") { rtpPort = v }
        if let v = try args.intOption("--max-calls") { maxCalls = v }
        if let v = try args.option("--db") { database = v }
        if let v = try args.option("--recordings") { recordings = v }
        if let v = try args.option("--dialplan") { dialplan = v }
        if let v = try args.option("--prompts") { prompts = v }
        if let v = try args.option("--agents-uri") { agentsURI = v }
        if let v = try args.intOption("--drain-seconds") { drainSeconds = v }
        if let v = try args.intOption("--pjsip-log-level") { pjsipLogLevel = v }
        if let v = try args.option("--log-level") { logLevel = v }
        if let v = try args.intOption("--tls-port") { tlsPort = v }
        if let v = try args.option("--tls-certificate") { tlsCertificate = v }
        if let v = try args.option("--tls-private-key") { tlsPrivateKey = v }
        if let v = try args.option("--srtp") { srtp = v }
        if let v = try args.option("--office-hours") { officeHours = v }
        if let v = try args.option("--calendar") { calendar = v }
        if let v = try args.option("--registrar") { registrar = v }
        if let v = try args.option("--register-user") { registerUser = v }
        if let v = try args.option("--register-password") { registerPassword = v }
        if let v = try args.intOption("--register-retry-seconds") { registerRetrySeconds = v }
        if let v = try args.option("--units") { units = v }
        if let v = try args.option("--webhook") { webhook = v }
        if let v = try args.option("--webhook-token") { webhookToken = v }
        if let v = try args.option("--messages-log") { messagesLog = v }
        if let v = try args.intOption("--outbox-interval") { outboxIntervalSeconds = v }
        if let v = try args.intOption("--transcribe-workers") { transcribeWorkers = v }
        if let v = try args.option("--transcription-library") { transcriptionLibrary = v }
        if let v = try args.option("--web-address") { webAddress = v }
        if let v = try args.intOption("--web-port") { webPort = v }
        if args.flag("--no-web") { webPort = 0 }
        if let v = try args.option("--web-certificate") { webCertificate = v }
        if let v = try args.option("--web-private-key") { webPrivateKey = v }
        if args.flag("--web-allow-plain-http") { webAllowPlainHTTP = true }
        if let v = try args.intOption("--metrics-port") { metricsPort = v }
        if let v = try args.option("--instance") { instance = v }
        let allow = try args.options("--allow")
        if !allow.isEmpty { allowedSources = allow }
        if let v = try args.option("--sip-transports") {
            sipTransports = v.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        if let v = try args.option("--calls-per-second") {
            guard let n = Double(v) else { throw UsageError("--calls-per-second cần một số, nhận '\(v)' (expects a number)") }
            callsPerSecond = n
        }
        let rates = try args.options("--network-rate")
        if !rates.isEmpty { networkRates = rates }
        if let v = try args.intOption("--max-calls-per-caller") { maxCallsPerCaller = v }
        if let v = try args.intOption("--rtp-timeout") { rtpTimeoutSeconds = v }
        if let v = try args.intOption("--max-call-seconds") { maxCallSeconds = v }
        // issue 17
        if let v = try args.intOption("--draft-group") { draftGroup = v }
        if let v = try args.intOption("--draft-store-delay-ms") { draftStoreDelayMs = v }
        if let v = try args.intOption("--overload-tick-ms") { overloadTickMs = v }
        if let v = try args.intOption("--overload-cpu-percent") { overloadCPUPercent = v }
        try validate()
    }

    func validate() throws {
        guard (1...65535).contains(sipPort) else { throw UsageError("--sip-port must be 1–65535, got \(sipPort)") }
        guard (1024...65000).contains(rtpPort) else { throw UsageError("--rtp-port must be 1024–65000, got \(rtpPort)") }
        guard (1...2048).contains(maxCalls) else { throw UsageError("--max-calls must be 1–2048, got \(maxCalls)") }
        guard (0...3600).contains(drainSeconds) else { throw UsageError("--drain-seconds must be 0–3600") }
        guard (1...1000).contains(draftGroup) else { throw UsageError("--draft-group must be 1–1000, got \(draftGroup)") }
        guard (0...60000).contains(draftStoreDelayMs) else { throw UsageError("--draft-store-delay-ms must be 0–60000") }
        guard (0...1000).contains(overloadTickMs) else { throw UsageError("--overload-tick-ms must be 0–1000") }
        guard (0...100).contains(overloadCPUPercent) else { throw UsageError("--overload-cpu-percent must be 0–100") }
        guard (0...5).contains(pjsipLogLevel) else { throw UsageError("--pjsip-log-level must be 0–5") }
        guard ["debug", "info", "warning", "error"].contains(logLevel) else {
            throw UsageError("--log-level must be debug, info, warning or error")
        }
        _ = try sourceNetworks()
        _ = try admissionLimits()
        let knownTransports: Set<String> = ["udp", "tcp", "tls"]
        guard !sipTransports.isEmpty, sipTransports.allSatisfy(knownTransports.contains) else {
            throw UsageError("--sip-transports: chỉ nhận udp, tcp, tls, cách nhau bằng dấu phẩy; nhận '\(sipTransports.joined(separator: ","))'")
        }
        guard sipTransports.contains("udp") else {
            throw UsageError("--sip-transports phải có udp (RFC 3261 §18: every element implements UDP)")
        }
        if sipTransports.contains("tls"), tlsPort == 0 {
            throw UsageError("--sip-transports tls: TLS chưa được cấu hình (not configured): cần --tls-port, "
                             + "--tls-certificate và --tls-private-key")
        }
        guard (0...86_400).contains(rtpTimeoutSeconds) else { throw UsageError("--rtp-timeout phải từ 0 đến 86400 giây") }
        guard (0...86_400).contains(maxCallSeconds) else { throw UsageError("--max-call-seconds phải từ 0 đến 86400 giây") }
        guard (0...2048).contains(maxCallsPerCaller) else { throw UsageError("--max-calls-per-caller phải từ 0 đến 2048") }
        if !registrar.isEmpty {
            guard registrar.hasPrefix("sip:") || registrar.hasPrefix("sips:") else {
                throw UsageError("--registrar must be a sip: URI, got '\(registrar)'")
            }
            guard (1...3600).contains(registerRetrySeconds) else { throw UsageError("--register-retry-seconds must be 1–3600") }
        }
        guard ["calendar", "always", "never"].contains(officeHours) else {
            throw UsageError("--office-hours must be calendar, always or never")
        }
        try delivery.validate()
        guard (0...65535).contains(metricsPort) else { throw UsageError("--metrics-port must be 0–65535 (0 = off)") }
        guard instance.count <= 32, instance.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }),
              instance.first != "-" else {
            throw UsageError("--instance must be up to 32 letters, digits, - or _ (got '\(instance)')")
        }
        guard (0...16).contains(transcribeWorkers) else { throw UsageError("--transcribe-workers must be 0–16 (0 = off)") }
        try console.validate()
        guard SRTPPolicy(rawValue: srtp) != nil else { throw UsageError("--srtp must be off, optional or required") }
        if tlsPort != 0 {
            guard (1...65535).contains(tlsPort), tlsPort != sipPort else {
                throw UsageError("--tls-port must be 1–65535 and differ from --sip-port")
            }
            guard !tlsCertificate.isEmpty, !tlsPrivateKey.isEmpty else {
                throw UsageError("--tls-port needs --tls-certificate and --tls-private-key (PEM files)")
            }
        }
    }

    var console: ConsoleSettings {
        ConsoleSettings(webAddress: webAddress, webPort: webPort, webCertificate: webCertificate, webPrivateKey: webPrivateKey,
                        webAllowPlainHTTP: webAllowPlainHTTP)
    }

    /// Where this gateway writes its recordings: `recordings`, or `recordings/<instance>` for one of several.
    var instanceRecordings: String {
        instance.isEmpty ? recordings : (recordings as NSString).appendingPathComponent(instance)
    }

    var delivery: DeliverySettings {
        DeliverySettings(webhook: webhook, token: webhookToken, messagesLog: messagesLog, intervalSeconds: outboxIntervalSeconds)
    }

    func sourceNetworks() throws -> [SourcePolicy.Network] {
        guard !allowedSources.isEmpty else { throw UsageError("at least one --allow network is needed") }
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
        guard callsPerSecond > 0, callsPerSecond <= 100_000 else {
            throw UsageError("--calls-per-second phải lớn hơn 0 và không quá 100000, nhận \(callsPerSecond)")
        }
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

    /// Decodes a config file strictly: an unknown key is an error (a typo must not fall back to a default).
    static func decode(_ data: Data, over base: ServeSettings) throws -> ServeSettings {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CommandFailure("the top level must be a JSON object")
        }
        let known = Set(Mirror(reflecting: base).children.compactMap(\.label))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw CommandFailure("unknown key '\(unknown)'; known keys: \(known.sorted().joined(separator: ", "))")
        }
        var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(base)) as! [String: Any]
        merged.merge(object) { _, new in new }
        return try JSONDecoder().decode(ServeSettings.self, from: JSONSerialization.data(withJSONObject: merged))
    }
}
