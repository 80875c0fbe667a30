import CPJSIP
import Foundation

// Every @convention(c) function PJSIP calls, and the single reference they use. Each one copies what it
// needs out of PJSIP into a Swift value, posts it to the owner thread and returns: no SQLite, no file I/O,
// no waiting.

/// The owner's queue, set once before `pjsua_init` and cleared after `pjsua_destroy`.
nonisolated(unsafe) var callbackEvents: EventQueue?

/// Reads a call's info into Swift values; the info's strings point into the struct, so read them in place.
func withCallInfo<R>(_ callID: pjsua_call_id, _ body: (UnsafePointer<pjsua_call_info>) -> R) -> R? {
    let info = UnsafeMutablePointer<pjsua_call_info>.allocate(capacity: 1)
    defer { info.deallocate() }
    guard pjsua_call_get_info(callID, info) == pjSuccess else { return nil }
    return body(UnsafePointer(info))
}

func onIncomingCall(_ accID: pjsua_acc_id, _ callID: pjsua_call_id, _ rdata: UnsafeMutablePointer<pjsip_rx_data>?) {
    let copied = withCallInfo(callID) { info in
        (String(pjString: info.pointee.call_id), String(pjString: info.pointee.remote_info))
    }
    var source = ""
    var fromTag = ""
    if let rdata {
        fromTag = rdata.pointee.msg_info.from.map { String(pjString: $0.pointee.tag) } ?? ""
        source = withUnsafeBytes(of: rdata.pointee.pkt_info.src_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        } + ":\(rdata.pointee.pkt_info.src_port)"
    }
    let (sipCallID, remote) = copied ?? ("", "")
    callbackEvents?.post(.incoming(pjCall: callID, IncomingCall(
        sipCallID: sipCallID, fromTag: String(fromTag.prefix(64)), callerNumber: CallerNumber.parse(remote),
        source: source)))
}

func onCallState(_ callID: pjsua_call_id, _ event: UnsafeMutablePointer<pjsip_event>?) {
    guard let (state, status) = withCallInfo(callID, { ($0.pointee.state, Int($0.pointee.last_status.rawValue)) })
    else { return }
    switch state {
    case PJSIP_INV_STATE_DISCONNECTED:
        callbackEvents?.post(.disconnected(pjCall: callID, statusCode: status))
    case PJSIP_INV_STATE_CONFIRMED:
        callbackEvents?.post(.confirmed(pjCall: callID))
    default:
        break
    }
}

func onCallMediaState(_ callID: pjsua_call_id) {
    callbackEvents?.post(.mediaActive(pjCall: callID))
}

/// The stream's port, held for the owner: the IVR drives it directly (`CallAudioPath`). The port given to the
/// bridge is left as PJSIP made it.
func onStreamCreated2(_ callID: pjsua_call_id, _ param: UnsafeMutablePointer<pjsua_on_stream_created_param>?) {
    guard let port = param?.pointee.port, let reference = StreamPortReference(retaining: port) else { return }
    guard let events = callbackEvents else {
        reference.release()
        return
    }
    events.post(.streamCreated(pjCall: callID, reference))
}

func onDTMFDigit2(_ callID: pjsua_call_id, _ info: UnsafePointer<pjsua_dtmf_info>?) {
    guard let info, let scalar = Unicode.Scalar(info.pointee.digit) else { return }
    let digit = Character(String(scalar).uppercased())
    guard "0123456789*#ABCD".contains(digit) else { return }
    callbackEvents?.post(.digit(pjCall: callID, digit, viaInfo: info.pointee.method == PJSUA_DTMF_METHOD_SIP_INFO))
}

/// A re-INVITE whose offer has no G.711 audio gets 488 and the call goes on with its current media (PJSIP
/// would answer 500 after a failed negotiation).
func onCallRxReinvite(_ callID: pjsua_call_id, _ offer: UnsafePointer<pjmedia_sdp_session>?,
                      _ rdata: UnsafeMutablePointer<pjsip_rx_data>?, _ reserved: UnsafeMutableRawPointer?,
                      _ async: UnsafeMutablePointer<pj_bool_t>?, _ code: UnsafeMutablePointer<pjsip_status_code>?,
                      _ opt: UnsafeMutablePointer<pjsua_call_setting>?) {
    guard let offer, let code else { return }
    if !offersG711(offer) { code.pointee = PJSIP_SC_NOT_ACCEPTABLE_HERE }
}

/// Whether an SDP offer has an active audio stream with PCMU or PCMA (static 0/8 or by rtpmap name).
func offersG711(_ sdp: UnsafePointer<pjmedia_sdp_session>) -> Bool {
    let count = Int(sdp.pointee.media_count)
    return withUnsafeBytes(of: sdp.pointee.media) { raw in
        let media = raw.bindMemory(to: UnsafeMutablePointer<pjmedia_sdp_media>?.self)
        for i in 0..<min(count, media.count) {
            guard let m = media[i], String(pjString: m.pointee.desc.media).lowercased() == "audio",
                  m.pointee.desc.port != 0 else { continue }
            let fmtCount = Int(m.pointee.desc.fmt_count)
            let formats: [String] = withUnsafeBytes(of: m.pointee.desc.fmt) { f in
                let strs = f.bindMemory(to: pj_str_t.self)
                return (0..<min(fmtCount, strs.count)).map { String(pjString: strs[$0]) }
            }
            if formats.contains("0") || formats.contains("8") { return true }
            let attrCount = Int(m.pointee.attr_count)
            let found: Bool = withUnsafeBytes(of: m.pointee.attr) { a in
                let attrs = a.bindMemory(to: UnsafeMutablePointer<pjmedia_sdp_attr>?.self)
                for j in 0..<min(attrCount, attrs.count) {
                    guard let attr = attrs[j], String(pjString: attr.pointee.name).lowercased() == "rtpmap" else { continue }
                    let value = String(pjString: attr.pointee.value).uppercased()
                    let parts = value.split(separator: " ", maxSplits: 1)
                    if parts.count == 2, formats.contains(String(parts[0])),
                       parts[1].hasPrefix("PCMU/8000") || parts[1].hasPrefix("PCMA/8000") { return true }
                }
                return false
            }
            if found { return true }
        }
        return false
    }
}

func onRegState2(_ accID: pjsua_acc_id, _ info: UnsafeMutablePointer<pjsua_reg_info>?) {
    guard let param = info?.pointee.cbparam else { return }
    callbackEvents?.post(.registration(code: Int(param.pointee.code), expires: Int(param.pointee.expiration),
                                       reason: String(pjString: param.pointee.reason)))
}

func onPJSIPLog(_ level: Int32, _ data: UnsafePointer<CChar>?, _ len: Int32) {
    guard let data else { return }
    // Only the first line: PJSIP appends whole SIP packets to some errors, and those carry phone numbers.
    let text = UnsafeRawBufferPointer(start: data, count: Int(len))
    let firstLine = text.prefix { $0 != 0x0A && $0 != 0x0D }
    FileHandle.standardError.write(Data("pjsip: ".utf8) + Data(firstLine) + Data("\n".utf8))
}

/// The caller's number from the From header's URI: digits and a leading '+', or "" when withheld.
public enum CallerNumber {
    public static func parse(_ remoteInfo: String) -> String {
        var text = Substring(remoteInfo)
        if let lt = text.firstIndex(of: "<"), let gt = text[lt...].firstIndex(of: ">") {
            text = text[text.index(after: lt)..<gt]
        }
        for scheme in ["sips:", "sip:", "tel:"] where text.lowercased().hasPrefix(scheme) {
            text = text.dropFirst(scheme.count)
            break
        }
        let user = text.prefix { $0 != "@" && $0 != ";" && $0 != ">" && $0 != ":" }
        let cleaned = user.filter { $0 != "-" && $0 != "." && $0 != " " }
        guard !cleaned.isEmpty else { return "" }
        let body = cleaned.hasPrefix("+") ? cleaned.dropFirst() : Substring(cleaned)
        guard !body.isEmpty, body.count <= 20, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return "" }
        return String(cleaned)
    }
}
