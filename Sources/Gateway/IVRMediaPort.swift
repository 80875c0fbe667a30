import CPJSIP
import Foundation

/// The IVR's side of one call in the conference bridge: a pjmedia port whose frames come from and go to the
/// call's `MediaChannel`. It owns the port, the port's pool and its bridge slot; the port owns a reference
/// to the channel. Created and removed on the owner thread; the bridge's clock thread calls the frame
/// callbacks. `remove()` takes the port out of the bridge; the bridge lets go of it at its next tick, and
/// the port's `on_destroy` then frees the channel's reference and the pool.
final class IVRMediaPort {
    /// The port's slot in the conference bridge.
    let slot: pjsua_conf_port_id
    private var port: UnsafeMutablePointer<pjmedia_port>?

    /// A port for `channel`, added to the bridge (not yet connected to anything).
    init(channel: MediaChannel) throws {
        guard let pool = pjsua_pool_create("ivr", 512, 512) else { throw PJError("pjsua_pool_create", status: 1) }
        let port = pj_pool_zalloc(pool, MemoryLayout<pjmedia_port>.size)!.bindMemory(to: pjmedia_port.self, capacity: 1)
        var name = pj_str_t(ptr: ivrPortName, slen: 3)
        pjmedia_port_info_init(&port.pointee.info, &name, 0x4956_5250, 8000, 1, 16,
                               UInt32(MediaChannel.samplesPerFrame))
        port.pointee.get_frame = IVRMediaPort.getFrame
        port.pointee.put_frame = IVRMediaPort.putFrame
        port.pointee.on_destroy = IVRMediaPort.destroy
        port.pointee.port_data.pdata = Unmanaged.passRetained(channel).toOpaque()
        port.pointee.port_data.ldata = Int(bitPattern: UnsafeMutableRawPointer(pool))
        // A group lock, so the bridge can hold the port while it uses it.
        var status = pjmedia_port_init_grp_lock(port, pool, nil)
        if status != pjSuccess {
            _ = IVRMediaPort.destroy(port)
            throw PJError("pjmedia_port_init_grp_lock", status: status)
        }
        var slot: pjsua_conf_port_id = -1
        status = pjsua_conf_add_port(pool, port, &slot)
        if status != pjSuccess {
            pjmedia_port_destroy(port)
            throw PJError("pjsua_conf_add_port", status: status)
        }
        self.port = port
        self.slot = slot
    }

    /// Takes the port out of the bridge and drops the owner's reference. Idempotent.
    func remove() {
        guard let port else { return }
        self.port = nil
        pjsua_conf_remove_port(slot)
        pjmedia_port_destroy(port)
    }

    /// Connects the port both ways with a call's (or an agent's) slot.
    func connect(_ other: pjsua_conf_port_id) {
        pjsua_conf_connect(other, slot)
        pjsua_conf_connect(slot, other)
    }

    func disconnect(_ other: pjsua_conf_port_id) {
        pjsua_conf_disconnect(other, slot)
        pjsua_conf_disconnect(slot, other)
    }

    // MARK: The bridge's callbacks (its clock thread): short, no allocation, no I/O.

    private static let getFrame: @convention(c) (UnsafeMutablePointer<pjmedia_port>?, UnsafeMutablePointer<pjmedia_frame>?)
        -> pj_status_t = { port, frame in
            guard let port, let frame, let pdata = port.pointee.port_data.pdata else { return pjSuccess }
            // The port holds its +1 on the channel until `destroy`: no retain/release per frame (issue 17 §1:
            // swift_retain was about 3% of the bridge clock thread at 600 calls).
            Unmanaged<MediaChannel>.fromOpaque(pdata)._withUnsafeGuaranteedRef { channel in
                mediaClock.tick(serial: channel.serial)
                let samples = MediaChannel.samplesPerFrame
                if let buf = frame.pointee.buf, channel.fill(buf.assumingMemoryBound(to: Int16.self), count: samples) {
                    frame.pointee.type = PJMEDIA_FRAME_TYPE_AUDIO
                    frame.pointee.size = pj_size_t(samples * 2)
                } else {
                    frame.pointee.type = PJMEDIA_FRAME_TYPE_NONE
                    frame.pointee.size = 0
                }
            }
            return pjSuccess
        }

    private static let putFrame: @convention(c) (UnsafeMutablePointer<pjmedia_port>?, UnsafeMutablePointer<pjmedia_frame>?)
        -> pj_status_t = { port, frame in
            guard let port, let frame, let pdata = port.pointee.port_data.pdata else { return pjSuccess }
            Unmanaged<MediaChannel>.fromOpaque(pdata)._withUnsafeGuaranteedRef { channel in
                if frame.pointee.type == PJMEDIA_FRAME_TYPE_AUDIO, let buf = frame.pointee.buf, frame.pointee.size > 0 {
                    channel.take(UnsafeBufferPointer(start: buf.assumingMemoryBound(to: Int16.self),
                                                     count: Int(frame.pointee.size) / 2))
                } else {
                    channel.take(nil)
                }
            }
            return pjSuccess
        }

    /// Once the bridge and the owner have both let go of the port: frees the channel and the port's pool.
    private static let destroy: @convention(c) (UnsafeMutablePointer<pjmedia_port>?) -> pj_status_t = { port in
        guard let port else { return pjSuccess }
        if let pdata = port.pointee.port_data.pdata {
            port.pointee.port_data.pdata = nil
            Unmanaged<MediaChannel>.fromOpaque(pdata).release()
        }
        if let pool = UnsafeMutableRawPointer(bitPattern: port.pointee.port_data.ldata) {
            port.pointee.port_data.ldata = 0
            pj_pool_release(pool.assumingMemoryBound(to: pj_pool_t.self))
        }
        return pjSuccess
    }
}

/// The name every IVR port carries in PJSIP's logs; static, because the port info keeps the pointer.
nonisolated(unsafe) private let ivrPortName: UnsafeMutablePointer<CChar> = strdup("ivr")!
