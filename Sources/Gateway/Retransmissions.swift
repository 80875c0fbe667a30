import CPJSIP
import Foundation
import Synchronization

/// Counts the SIP messages PJSIP sends again: its own retransmissions (requests and 2xx answers not yet
/// acknowledged, on timer T1) and the re-answers to a peer's retransmitted request. A rising rate means
/// packet loss or an overloaded peer or gateway.
///
/// How: a PJSIP module whose transmit hooks see every message as it leaves (retransmissions included: a
/// transaction sends the very same `pjsip_tx_data` again through `pjsip_transport_send`). The hook marks each
/// message in the module's own slot of its `mod_data` on the first send; a message that arrives marked is a
/// resend. One pointer read, maybe a write, and an atomic add: nothing more on PJSIP's thread.
public enum SIPRetransmissions {
    /// Sent again since start-up.
    public static var count: UInt64 { retransmissionCounter.load(ordering: .relaxed) }

    /// Adds the module to the running endpoint. Call once after `Gateway.start()`, on the thread that
    /// started it (registered with PJSIP); calling again for the same endpoint does nothing.
    public static func install() throws {
        guard let endpoint = pjsua_get_pjsip_endpt() else { throw PJError("pjsua_get_pjsip_endpt", status: 1) }
        if retransmissionModule.pointee.id >= 0, installedEndpoint == endpoint { return }
        retransmissionModule.initialize(to: pjsip_module())
        retransmissionModule.pointee.name = pj_str_t(ptr: retransmissionModuleName, slen: pj_ssize_t(strlen(retransmissionModuleName)))
        retransmissionModule.pointee.id = -1
        retransmissionModule.pointee.priority = Int32(PJSIP_MOD_PRIORITY_TRANSPORT_LAYER.rawValue) + 2
        retransmissionModule.pointee.on_tx_request = retransmissionOnTx
        retransmissionModule.pointee.on_tx_response = retransmissionOnTx
        let status = pjsip_endpt_register_module(endpoint, retransmissionModule)
        guard status == pjSuccess else { throw PJError("registering the retransmission counter", status: status) }
        installedEndpoint = endpoint
    }
}

private let retransmissionCounter = Atomic<UInt64>(0)
nonisolated(unsafe) private var installedEndpoint: OpaquePointer?
nonisolated(unsafe) private let retransmissionModuleName: UnsafeMutablePointer<CChar> = strdup("mod-hotline-retransmissions")!
/// Lives as long as the process (PJSIP keeps the pointer while the endpoint lives).
nonisolated(unsafe) private let retransmissionModule: UnsafeMutablePointer<pjsip_module> = {
    let module = UnsafeMutablePointer<pjsip_module>.allocate(capacity: 1)
    module.initialize(to: pjsip_module())
    module.pointee.id = -1
    return module
}()

private func retransmissionOnTx(_ tdata: UnsafeMutablePointer<pjsip_tx_data>?) -> pj_status_t {
    let slot = Int(retransmissionModule.pointee.id)
    guard let tdata, slot >= 0,
          slot < MemoryLayout.size(ofValue: tdata.pointee.mod_data) / MemoryLayout<UnsafeMutableRawPointer?>.stride
    else { return pjSuccess }
    withUnsafeMutableBytes(of: &tdata.pointee.mod_data) { raw in
        let mark = raw.baseAddress!.advanced(by: slot * MemoryLayout<UnsafeMutableRawPointer?>.stride)
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        if mark.pointee != nil {
            retransmissionCounter.add(1, ordering: .relaxed)
        } else {
            mark.pointee = UnsafeMutableRawPointer(retransmissionModule)
        }
    }
    return pjSuccess
}
