import CPJSIP
import Foundation

// The SIP edge: a PJSIP module just above the transport layer that sees every message before a transaction,
// a dialog or a call exists for it. It refuses strangers (SourcePolicy), malformed requests (RequestScreen),
// truncated datagrams, floods of new calls (CallAdmission), methods this gateway does not take, and SIP INFO
// that is not one DTMF digit. Everything here runs on PJSIP's receive threads: short, no I/O, no waiting; the
// owner thread writes the log lines from the events posted here.

/// Refusals at the edge, counted by reason (for the logs and a later /metrics). Thread-safe.
public final class EdgeCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    public init() {}

    func add(_ reason: String) {
        lock.lock()
        counts[reason, default: 0] += 1
        lock.unlock()
    }

    /// Refusals so far by reason (`rate-limited`, `caller-limit`, `truncated-datagram`, `duplicate-cseq`, …).
    public func snapshot() -> [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }
}

/// What the edge module needs; set once before the module is registered, read-only afterwards.
final class EdgeState: @unchecked Sendable {
    let policy: SourcePolicy
    let screen: RequestScreen
    let admission: CallAdmission
    let counters: EdgeCounters
    let events: EventQueue
    /// The agents' registrar (REGISTER from the agents' network); nil: REGISTER gets 405.
    let registrar: Registrar?
    init(policy: SourcePolicy, screen: RequestScreen, admission: CallAdmission, counters: EdgeCounters,
         events: EventQueue, registrar: Registrar?) {
        self.registrar = registrar
        self.policy = policy
        self.screen = screen
        self.admission = admission
        self.counters = counters
        self.events = events
    }
}

nonisolated(unsafe) var edgeState: EdgeState?
nonisolated(unsafe) let edgeModuleName: UnsafeMutablePointer<CChar> = strdup("mod-hotline-edge")!

/// Methods this gateway takes outside a dialog.
let outOfDialogMethods: Set<String> = ["INVITE", "OPTIONS", "ACK", "CANCEL"]
/// Methods that only make sense inside a dialog: without a To tag they get 481.
let inDialogOnlyMethods: Set<String> = ["BYE", "INFO", "UPDATE", "PRACK", "NOTIFY"]
/// Methods known but not taken here: 405 with Allow.
let refusedKnownMethods: Set<String> = ["REGISTER", "SUBSCRIBE", "PUBLISH", "MESSAGE", "REFER"]
let allowHeaderValue = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK"

/// PJSIP's receive buffer (PJSIP_MAX_PKT_LEN, 4000 unless PJSIP was built with another value): a datagram that
/// fills it was (almost surely) cut by the kernel, and is dropped and logged rather than parsed.
let maxDatagram = Int(PJSIP_MAX_PKT_LEN)

func edgeSource(_ rdata: UnsafeMutablePointer<pjsip_rx_data>) -> String {
    withUnsafeBytes(of: rdata.pointee.pkt_info.src_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}

func isDatagram(_ rdata: UnsafeMutablePointer<pjsip_rx_data>) -> Bool {
    guard let tp = rdata.pointee.tp_info.transport else { return true }
    return tp.pointee.flag & UInt32(PJSIP_TRANSPORT_DATAGRAM.rawValue) != 0
}

/// A datagram that filled PJSIP's receive buffer was cut by the kernel: never parse the rest.
func isTruncated(_ rdata: UnsafeMutablePointer<pjsip_rx_data>) -> Bool {
    isDatagram(rdata) && rdata.pointee.pkt_info.len >= maxDatagram
}

func edgeOnRxResponse(_ rdata: UnsafeMutablePointer<pjsip_rx_data>?) -> pj_bool_t {
    guard let rdata, let state = edgeState else { return 0 }
    if isTruncated(rdata) {
        refuse(state, rdata, code: nil, reason: "truncated-datagram")
        return 1
    }
    return 0
}

func edgeOnRxRequest(_ rdata: UnsafeMutablePointer<pjsip_rx_data>?) -> pj_bool_t {
    guard let rdata, let state = edgeState, let msg = rdata.pointee.msg_info.msg else { return 0 }
    let methodID = msg.pointee.line.req.method.id
    let method = String(pjString: msg.pointee.line.req.method.name).uppercased()
    let isACK = methodID == PJSIP_ACK_METHOD

    if isTruncated(rdata) {
        refuse(state, rdata, code: nil, reason: "truncated-datagram")
        return 1
    }
    let inDialog = (rdata.pointee.msg_info.to?.pointee.tag.slen ?? 0) > 0

    // Agents' phones register from their own network, apart from the trunks' allow-list.
    let isAgentRegister = methodID == PJSIP_REGISTER_METHOD && !inDialog
        && state.registrar?.accepts(source: edgeSource(rdata)) == true

    // Strangers: in-dialog requests belong to calls that passed this check when they began.
    if !inDialog && !isAgentRegister {
        switch state.policy.verdict(source: edgeSource(rdata)) {
        case .allow: break
        case .forbid:
            if !isACK {
                respond(rdata, 403)
                refuse(state, rdata, code: 403, reason: "source-not-allowed")
            }
            return 1
        case .drop:
            state.counters.add("source-dropped")  // counted, not logged: the source is flooding
            return 1
        }
    }

    // Malformed requests (RFC 4475 §3.1.2, §3.3).
    if let buffer = rdata.pointee.msg_info.msg_buf, rdata.pointee.msg_info.len > 0 {
        let raw = [UInt8](UnsafeRawBufferPointer(start: buffer, count: Int(rdata.pointee.msg_info.len)))
        if let refusal = state.screen.check(raw, datagram: isDatagram(rdata)) {
            if isACK {
                refuse(state, rdata, code: nil, reason: refusal.reason)
            } else {
                respond(rdata, refusal.code, headers: refusal.headers)
                refuse(state, rdata, code: refusal.code, reason: refusal.reason)
            }
            return 1
        }
    }

    if !inDialog {
        if methodID == PJSIP_OTHER_METHOD, !outOfDialogMethods.contains(method),
           !inDialogOnlyMethods.contains(method), !refusedKnownMethods.contains(method)
        {
            respond(rdata, 501)  // a method nobody here implements
            return 1
        }
        if inDialogOnlyMethods.contains(method) || methodID == PJSIP_BYE_METHOD {
            respond(rdata, 481)
            return 1
        }
        if isAgentRegister, let registrar = state.registrar {
            registrar.handle(rdata, msg, events: state.events)
            return 1
        }
        if refusedKnownMethods.contains(method) || methodID == PJSIP_REGISTER_METHOD {
            respond(rdata, 405, headers: [.init("Allow", allowHeaderValue)])
            return 1
        }
        if methodID == PJSIP_INVITE_METHOD {
            if let refusal = state.admission.admitNewCall(rdata) {
                respond(rdata, refusal.code, headers: refusal.headers)
                refuse(state, rdata, code: refusal.code, reason: refusal.reason)
                return 1
            }
            addContactIfMissing(rdata, msg)
        }
        return 0
    }

    // In a dialog: SIP INFO carries exactly one DTMF digit, or is answered and ignored.
    if method == "INFO", let body = msg.pointee.body,
       String(pjString: body.pointee.content_type.type).lowercased() == "application",
       String(pjString: body.pointee.content_type.subtype).lowercased() == "dtmf-relay"
    {
        let text = body.pointee.data.map {
            String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(body.pointee.len)), as: UTF8.self)
        } ?? ""
        if DTMFRelay.digit(fromBody: text) == nil {
            respond(rdata, 200)
            refuse(state, rdata, code: 200, reason: "info-not-a-digit")
            return 1
        }
    }
    return 0
}

/// An RFC 2543 INVITE may come without Contact (RFC 4475 §3.4.1): the From URI stands in for it, as RFC 2543
/// peers expect requests to reach them there.
func addContactIfMissing(_ rdata: UnsafeMutablePointer<pjsip_rx_data>, _ msg: UnsafeMutablePointer<pjsip_msg>) {
    guard pjsip_msg_find_hdr(msg, PJSIP_H_CONTACT, nil) == nil, let from = rdata.pointee.msg_info.from,
          let pool = rdata.pointee.tp_info.pool, let uri = from.pointee.uri,
          let contact = pjsip_contact_hdr_create(pool) else { return }
    guard let cloned = pjsip_uri_clone(pool, uri) else { return }
    contact.pointee.uri = cloned.assumingMemoryBound(to: pjsip_uri.self)
    contact.withMemoryRebound(to: pjsip_hdr.self, capacity: 1) { pjsip_msg_add_hdr(msg, $0) }
}

/// Counts a refusal and tells the owner, who logs it.
func refuse(_ state: EdgeState, _ rdata: UnsafeMutablePointer<pjsip_rx_data>, code: Int?, reason: String) {
    state.counters.add(reason)
    let callID = rdata.pointee.msg_info.cid.map { String(pjString: $0.pointee.id) } ?? ""
    state.events.post(.refused(reason: reason, code: code ?? 0, source: edgeSource(rdata),
                               sipCallID: String(callID.prefix(128)), bytes: Int(rdata.pointee.pkt_info.len)))
}

/// A stateless answer, with extra headers.
func respond(_ rdata: UnsafeMutablePointer<pjsip_rx_data>, _ code: Int, headers: [RequestScreen.Header] = []) {
    let endpoint = pjsua_get_pjsip_endpt()
    guard !headers.isEmpty else {
        pjsip_endpt_respond_stateless(endpoint, rdata, Int32(code), nil, nil, nil)
        return
    }
    guard let pool = pjsua_pool_create("edge", 512, 512) else { return }
    defer { pj_pool_release(pool) }
    let head = pj_pool_zalloc(pool, MemoryLayout<pjsip_hdr>.size).assumingMemoryBound(to: pjsip_hdr.self)
    head.pointee.prev = head
    head.pointee.next = head
    for header in headers {
        withPJString(header.name) { name in
            withPJString(header.value) { value in
                guard let h = pjsip_generic_string_hdr_create(pool, name, value) else { return }
                h.withMemoryRebound(to: pjsip_hdr.self, capacity: 1) { hdr in
                    hdr.pointee.prev = head.pointee.prev
                    hdr.pointee.next = head
                    head.pointee.prev.pointee.next = hdr
                    head.pointee.prev = hdr
                }
            }
        }
    }
    pjsip_endpt_respond_stateless(endpoint, rdata, Int32(code), nil, head, nil)
}

/// The option tags PJSIP says it supports (replaces, 100rel, timer, …), read once after pjsua_init.
func supportedExtensions() -> Set<String> {
    guard let hdr = pjsip_endpt_get_capability(pjsua_get_pjsip_endpt(), Int32(PJSIP_H_SUPPORTED.rawValue), nil) else { return [] }
    return hdr.withMemoryRebound(to: pjsip_generic_array_hdr.self, capacity: 1) { array in
        let count = Int(array.pointee.count)
        return withUnsafeBytes(of: array.pointee.values) { raw in
            let values = raw.bindMemory(to: pj_str_t.self)
            return Set((0..<min(count, values.count)).map { String(pjString: values[$0]) })
        }
    }
}

// MARK: Requests PJSIP cannot parse

/// PJSIP drops a datagram it cannot parse without a word. Some still deserve one (RFC 4475): an unknown SIP
/// version gets 505 (§3.1.2.16), an unknown URI scheme 416 (§3.3.2, §3.3.3), a REGISTER 405, anything else 400
/// — when the request names enough (Via, From, To, Call-ID, CSeq) to be answered, and only to allowed sources.
/// PJSIP_EINVALIDMSG (PJSIP_ERRNO_START_PJSIP + 20; the macro chain does not import into Swift).
let pjsipInvalidMessage: pj_status_t = 171_020

func edgeOnDroppedData(_ dropped: UnsafeMutablePointer<pjsip_tp_dropped_data>?) {
    guard let dropped, let state = edgeState, dropped.pointee.status == pjsipInvalidMessage,
          let tp = dropped.pointee.tp, tp.pointee.flag & UInt32(PJSIP_TRANSPORT_DATAGRAM.rawValue) != 0,
          let data = dropped.pointee.data else { return }
    let length = Int(dropped.pointee.len)
    // The dropped bytes lie in the receiving rdata's packet buffer, where the datagram starts (UDP carries one
    // message, and a leading CRLF keep-alive would have been skipped first: then it is not found and ignored).
    guard let offset = MemoryLayout<pjsip_rx_data>.offset(of: \pjsip_rx_data.pkt_info.packet) else { return }
    let rdata = (data - offset).assumingMemoryBound(to: pjsip_rx_data.self)
    guard rdata.pointee.pkt_info.len == length, length > 0, length < maxDatagram else { return }
    guard state.policy.verdict(source: edgeSource(rdata)) == .allow else { return }
    let raw = [UInt8](UnsafeRawBufferPointer(start: data, count: length))
    guard let answer = UnparsableRequest.answer(raw, receivedFrom: edgeSource(rdata)) else { return }
    var address = rdata.pointee.pkt_info.src_addr
    if !answer.toSourcePort { pj_sockaddr_set_port(&address, UInt16(answer.port)) }
    let bytes = Array(answer.text.utf8)
    _ = bytes.withUnsafeBytes { buffer in
        pjsip_endpt_send_raw(pjsua_get_pjsip_endpt(), PJSIP_TRANSPORT_UDP, nil, buffer.baseAddress, buffer.count,
                             &address, rdata.pointee.pkt_info.src_addr_len, nil, nil)
    }
    refuse(state, rdata, code: answer.code, reason: answer.reason)
}
