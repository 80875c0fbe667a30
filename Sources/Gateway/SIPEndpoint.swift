import CPJSIP
import Foundation

/// The one pjsua instance of the process: created, configured and started here, destroyed by `close()`.
/// Only the thread that started it and threads registered with `pj_thread_register` may call into it.
final class SIPEndpoint {
    private(set) var accountID: pjsua_acc_id = -1
    private var closed = false
    private let mediaPoller = MediaPoller()
    private let sipWorkers = SIPWorkers()
    /// Why the SIP workers could not be given `signallingPriority` (nil: they were, or it is 0).
    private(set) var signallingPriorityRefusal: String?

    private let events: EventQueue

    init(configuration: GatewayConfiguration, events: EventQueue, counters: EdgeCounters) throws {
        self.events = events
        // Quiet from the start: pjsua_create logs before pjsua_init installs the log configuration.
        pj_log_set_level(Int32(max(0, min(5, configuration.pjsipLogLevel))))
        try check(pjsua_create(), "pjsua_create")
        callbackEvents = events
        do {
            try configure(configuration, counters: counters)
        } catch {
            sipWorkers.stop()
            mediaPoller.stop()
            pjsua_destroy()
            callbackEvents = nil
            throw error
        }
    }

    private func configure(_ c: GatewayConfiguration, counters: EdgeCounters) throws {
        var ua = pjsua_config()
        pjsua_config_default(&ua)
        ua.max_calls = UInt32(max(1, min(c.maxCalls, Int(PJSUA_MAX_CALLS))))
        // Our own workers poll the SIP socket (`SIPWorkers`), so that they can run at `signallingPriority`.
        ua.thread_cnt = 0
        ua.cb.on_incoming_call = onIncomingCall
        ua.cb.on_call_state = onCallState
        ua.cb.on_call_media_state = onCallMediaState
        ua.cb.on_stream_created2 = onStreamCreated2
        ua.cb.on_dtmf_digit2 = onDTMFDigit2
        ua.cb.on_reg_state2 = onRegState2
        ua.cb.on_call_rx_reinvite = onCallRxReinvite
        switch c.srtp {
        case .off: ua.use_srtp = PJMEDIA_SRTP_DISABLED
        case .optional: ua.use_srtp = PJMEDIA_SRTP_OPTIONAL
        case .required: ua.use_srtp = PJMEDIA_SRTP_MANDATORY
        }
        // SDES keys travel in the SDP; trunks on a private network may send them over UDP, so SRTP does not
        // demand SIPS/TLS signalling (0). Use the TLS transport to protect the keys on open networks.
        ua.srtp_secure_signaling = 0

        var log = pjsua_logging_config()
        pjsua_logging_config_default(&log)
        log.level = UInt32(max(0, min(5, c.pjsipLogLevel)))
        log.console_level = log.level
        log.cb = onPJSIPLog

        var media = pjsua_media_config()
        pjsua_media_config_default(&media)
        // The whole media path runs at 8 kHz mono, 20 ms: G.711 in, G.711 out, no resampling anywhere.
        media.clock_rate = 8000
        media.snd_clock_rate = 8000
        media.channel_count = 1
        media.audio_frame_ptime = 20
        media.ptime = 20
        // Silence is not sent (VAD on): see `GatewayConfiguration.sendSilence`.
        media.no_vad = c.sendSilence ? 1 : 0
        media.ec_tail_len = 0
        media.quality = 1
        // The jitter buffer drops a frame only when it is full (500 ms), never to bring its delay down: the
        // default (progressive) dropped frames whenever RTP arrived in bursts, and a burst is what a loaded
        // machine makes. At 1200 calls it cost most recordings 5-15% of their audio; with this, none (issue 17).
        media.jb_discard_algo = PJMEDIA_JB_DISCARD_NONE
        media.max_media_ports = UInt32(PJSUA_MAX_CONF_PORTS)
        // The bridge's clock (the null sound device's) never stops: the IVR ports are driven by its heart-beat
        // and connect nothing, so pjsua's idle check would otherwise close it a second after start-up.
        media.snd_auto_close_time = -1

        try withPJString("Hotline1022") { agent in
            ua.user_agent = agent.pointee
            try check(pjsua_init(&ua, &log, &media), "pjsua_init")
        }

        var transport = pjsua_transport_config()
        pjsua_transport_config_default(&transport)
        transport.port = UInt32(c.sipPort)
        var transportID: pjsua_transport_id = -1
        try withPJString(c.sipAddress) { address in
            transport.bound_addr = address.pointee
            transport.public_addr = address.pointee
            try check(pjsua_transport_create(PJSIP_TRANSPORT_UDP, &transport, &transportID),
                      "binding SIP UDP \(c.sipAddress):\(c.sipPort)")
        }
        var tcpAccount: pjsua_acc_id = -1
        if c.tcp {
            var tcp = pjsua_transport_config()
            pjsua_transport_config_default(&tcp)
            tcp.port = UInt32(c.sipPort)
            var tcpID: pjsua_transport_id = -1
            try withPJString(c.sipAddress) { address in
                tcp.bound_addr = address.pointee
                tcp.public_addr = address.pointee
                try check(pjsua_transport_create(PJSIP_TRANSPORT_TCP, &tcp, &tcpID),
                          "binding SIP TCP \(c.sipAddress):\(c.sipPort)")
            }
            // Calls that come over TCP belong to an account bound to TCP, so their dialogs (the BYE) stay on TCP.
            try check(pjsua_acc_add_local(tcpID, 0, &tcpAccount), "pjsua_acc_add_local (TCP)")
        }
        try check(pjsua_acc_add_local(transportID, 1, &accountID), "pjsua_acc_add_local")
        if let tls = c.tls { try addTLS(tls, address: c.sipAddress) }
        try configureRTP(c, account: accountID)
        if tcpAccount >= 0 { try configureRTP(c, account: tcpAccount) }

        try registerEdge(c, events: events, counters: counters)
        try check(pjsua_set_null_snd_dev(), "pjsua_set_null_snd_dev")
        try restrictCodecsToG711()
        try check(pjsua_start(), "pjsua_start")
        signallingPriorityRefusal = sipWorkers.start(count: max(1, c.sipThreads), priority: c.signallingPriority)
        mediaPoller.start()
        if let registration = c.registration { try register(registration) }
    }

    /// An account that registers with the trunk's registrar; pjsua refreshes and retries it by itself.
    private func register(_ r: TrunkRegistration) throws {
        var acc = pjsua_acc_config()
        pjsua_acc_config_default(&acc)
        let host = r.registrarURI.split(separator: ":", maxSplits: 1).last.map(String.init) ?? r.registrarURI
        let id = "sip:\(r.user)@\(host.split(separator: ";").first ?? Substring(host))"
        acc.reg_timeout = UInt32(r.expiresSeconds)
        acc.reg_retry_interval = UInt32(r.retrySeconds)
        acc.reg_first_retry_interval = UInt32(r.retrySeconds)
        // A little jitter, so a fleet restarted together does not hit the registrar at once.
        acc.reg_retry_random_interval = UInt32(r.retrySeconds / 4)
        acc.cred_count = 1
        var trunkAccount: pjsua_acc_id = -1
        try withPJString(id) { idStr in
            try withPJString(r.registrarURI) { uri in
                try withPJString("*") { realm in
                    try withPJString("digest") { scheme in
                        try withPJString(r.user) { user in
                            try withPJString(r.password) { password in
                                acc.id = idStr.pointee
                                acc.reg_uri = uri.pointee
                                acc.cred_info.0.realm = realm.pointee
                                acc.cred_info.0.scheme = scheme.pointee
                                acc.cred_info.0.username = user.pointee
                                acc.cred_info.0.data_type = 0  // plain-text password
                                acc.cred_info.0.data = password.pointee
                                try check(pjsua_acc_add(&acc, 0, &trunkAccount), "adding the trunk registration \(r.registrarURI)")
                            }
                        }
                    }
                }
            }
        }
    }

    private func addTLS(_ tls: TLSConfiguration, address: String) throws {
        for file in [tls.certificateFile, tls.privateKeyFile] where !FileManager.default.isReadableFile(atPath: file) {
            throw PJError("TLS: cannot read \(file)", status: 2)
        }
        var transport = pjsua_transport_config()
        pjsua_transport_config_default(&transport)
        transport.port = UInt32(tls.port)
        var id: pjsua_transport_id = -1
        try withPJString(address) { addr in
            try withPJString(tls.certificateFile) { cert in
                try withPJString(tls.privateKeyFile) { key in
                    transport.bound_addr = addr.pointee
                    transport.public_addr = addr.pointee
                    transport.tls_setting.cert_file = cert.pointee
                    transport.tls_setting.privkey_file = key.pointee
                    try check(pjsua_transport_create(PJSIP_TRANSPORT_TLS, &transport, &id),
                              "binding SIP TLS \(address):\(tls.port)")
                }
            }
        }
    }

    /// Both accounts share one RTP port range: pjsua allocates ports per call, skipping those in use.
    private func configureRTP(_ c: GatewayConfiguration, account: pjsua_acc_id) throws {
        let pool = pjsua_pool_create("acc", 1024, 1024)
        defer { pj_pool_release(pool) }
        var acc = pjsua_acc_config()
        try check(pjsua_acc_get_config(account, pool, &acc), "pjsua_acc_get_config")
        acc.rtp_cfg.port = UInt32(c.rtpPort)
        acc.rtp_cfg.port_range = UInt32(min(65535 - c.rtpPort, max(200, c.maxCalls * 4)))
        try withPJString(c.sipAddress) { address in
            acc.rtp_cfg.bound_addr = address.pointee
            try check(pjsua_acc_modify(account, &acc), "pjsua_acc_modify (RTP ports)")
        }
    }

    /// The edge module (EdgeGuard.swift), just above the transport layer: it sees every message first.
    private func registerEdge(_ c: GatewayConfiguration, events: EventQueue, counters: EdgeCounters) throws {
        let registrar = Registrar(networks: c.agentNetworks)
        registrar.start()
        activeRegistrar = registrar
        edgeState = EdgeState(policy: c.sourcePolicy, screen: RequestScreen(supportedExtensions: supportedExtensions()),
                              admission: CallAdmission(limits: c.admission), counters: counters, events: events,
                              registrar: activeRegistrar)
        let module = UnsafeMutablePointer<pjsip_module>.allocate(capacity: 1)  // lives as long as pjsua
        module.initialize(to: pjsip_module())
        module.pointee.name = pj_str_t(ptr: edgeModuleName, slen: pj_ssize_t(strlen(edgeModuleName)))
        module.pointee.id = -1
        module.pointee.priority = Int32(PJSIP_MOD_PRIORITY_TRANSPORT_LAYER.rawValue) + 1
        module.pointee.on_rx_request = edgeOnRxRequest
        module.pointee.on_rx_response = edgeOnRxResponse
        try check(pjsip_endpt_register_module(pjsua_get_pjsip_endpt(), module), "registering the SIP edge module")
        try check(pjsip_tpmgr_set_drop_data_cb(pjsip_endpt_get_tpmgr(pjsua_get_pjsip_endpt()), edgeOnDroppedData),
                  "watching unparsable SIP messages")
    }

    /// PCMU and PCMA only: both are 8 kHz, so no call ever needs the resampler.
    private func restrictCodecsToG711() throws {
        var infos = [pjsua_codec_info](repeating: pjsua_codec_info(), count: 64)
        var count: UInt32 = UInt32(infos.count)
        try check(pjsua_enum_codecs(&infos, &count), "pjsua_enum_codecs")
        for i in 0..<Int(count) {
            let id = String(pjString: infos[i].codec_id)
            let priority: UInt8 = id.hasPrefix("PCMU/") ? 255 : id.hasPrefix("PCMA/") ? 254 : 0
            var codecID = infos[i].codec_id
            _ = pjsua_codec_set_priority(&codecID, priority)
        }
    }

    func close() throws {
        guard !closed else { return }
        closed = true
        sipWorkers.stop()
        mediaPoller.stop()
        let status = pjsua_destroy()
        callbackEvents = nil
        edgeState = nil
        try check(status, "pjsua_destroy")
    }
}

/// Registers the calling thread with PJSIP (once per thread) before it calls pjsua.
func registerThreadWithPJSIP(_ name: String) {
    guard pj_thread_is_registered() == 0 else { return }
    // The descriptor must outlive the thread: it is never freed.
    let size = MemoryLayout<pj_thread_desc>.size
    let desc = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    desc.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    var thread: OpaquePointer?
    let words = desc.assumingMemoryBound(to: CLong.self)
    let status: pj_status_t = name.withCString { cname in pj_thread_register(cname, words, &thread) }
    if status != pjSuccess {
        FileHandle.standardError.write(Data("pj_thread_register(\(name)) failed: \(status)\n".utf8))
    }
}
