import CPJSIP
import Foundation

/// The IVR's side of one call: a pjmedia port in the conference bridge with no connections, whose only job is
/// the bridge's heart-beat. The bridge calls `put_frame` with a NONE frame on every tick for a port nobody
/// transmits to; on that tick the port pulls the caller's frame straight from the call's stream port and pushes
/// the IVR's frame straight back into it (`CallAudioPath.tick`). The call's own slot in the bridge is kept
/// with its transmission disabled, so the bridge neither reads nor writes the stream while the IVR drives it:
/// no mixing and no copy through the bridge's buffers (issue 17 §2).
/// When an agent takes the call, the IVR lets go of the stream and the bridge connects the two calls' slots; both
/// are also connected to this port, so the bridge hands it their mix on each tick: the conversation's recording
/// (issue 23 §4), both directions in one track, with no copy beyond the bridge's own.
///
/// Created and removed on the owner thread; the bridge's clock thread calls `put_frame`. `remove()` takes the
/// port out of the bridge; the bridge lets go of it at its next tick, and the port's `on_destroy` then lets go
/// of the stream (so its RTP socket closes with the call, not when the call's draft is stored) and frees the
/// path's reference and the pool.
final class IVRMediaPort {
    /// The port's slot in the conference bridge.
    let slot: pjsua_conf_port_id
    let path: CallAudioPath
    private var port: UnsafeMutablePointer<pjmedia_port>?

    /// A port for `channel`, added to the bridge (driving nothing until a stream is attached).
    init(channel: MediaChannel) throws {
        guard let pool = pjsua_pool_create("ivr", 512, 512) else { throw PJError("pjsua_pool_create", status: 1) }
        let port = pj_pool_zalloc(pool, MemoryLayout<pjmedia_port>.size)!.bindMemory(to: pjmedia_port.self, capacity: 1)
        var name = pj_str_t(ptr: ivrPortName, slen: 3)
        pjmedia_port_info_init(&port.pointee.info, &name, 0x4956_5250, 8000, 1, 16,
                               UInt32(MediaChannel.samplesPerFrame))
        let path = CallAudioPath(channel: channel)
        port.pointee.put_frame = IVRMediaPort.putFrame
        port.pointee.on_destroy = IVRMediaPort.destroy
        port.pointee.port_data.pdata = Unmanaged.passRetained(path).toOpaque()
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
        self.path = path
    }

    /// Takes the port out of the bridge and drops the owner's reference. Idempotent.
    func remove() {
        guard let port else { return }
        self.port = nil
        pjsua_conf_remove_port(slot)
        pjmedia_port_destroy(port)
    }

    // MARK: The bridge's callback (its clock thread): short, no allocation, no I/O.

    private static let putFrame: @convention(c) (UnsafeMutablePointer<pjmedia_port>?, UnsafeMutablePointer<pjmedia_frame>?)
        -> pj_status_t = { port, frame in
            guard let port, let pdata = port.pointee.port_data.pdata else { return pjSuccess }
            // The port holds its +1 on the path until `destroy`: no retain/release per frame (issue 17 §1:
            // swift_retain was about 3% of the bridge clock thread at 600 calls).
            Unmanaged<CallAudioPath>.fromOpaque(pdata)._withUnsafeGuaranteedRef { path in
                path.tick(frame)
            }
            return pjSuccess
        }

    /// Once the bridge and the owner have both let go of the port: frees the path and the port's pool.
    private static let destroy: @convention(c) (UnsafeMutablePointer<pjmedia_port>?) -> pj_status_t = { port in
        guard let port else { return pjSuccess }
        if let pdata = port.pointee.port_data.pdata {
            port.pointee.port_data.pdata = nil
            let path = Unmanaged<CallAudioPath>.fromOpaque(pdata)
            path.takeUnretainedValue().letGo()  // no tick can come any more
            path.release()
        }
        if let pool = UnsafeMutableRawPointer(bitPattern: port.pointee.port_data.ldata) {
            port.pointee.port_data.ldata = 0
            pj_pool_release(pool.assumingMemoryBound(to: pj_pool_t.self))
        }
        return pjSuccess
    }
}

/// A counted reference on a call's stream port, taken in PJSIP's `on_stream_created2` and handed to the owner.
/// Whoever holds it either gives it to a `CallAudioPath` or calls `release()`.
struct StreamPortReference: @unchecked Sendable {
    let port: UnsafeMutablePointer<pjmedia_port>

    /// Takes a reference on `port`'s group lock; nil for a port without one (the path cannot hold it safely).
    init?(retaining port: UnsafeMutablePointer<pjmedia_port>) {
        guard port.pointee.grp_lock != nil, pjmedia_port_add_ref(port) == pjSuccess else { return nil }
        self.port = port
    }

    func release() { pjmedia_port_dec_ref(port) }
}

/// What one call's IVR port does on each tick: pull the caller's frame from the stream into the channel's
/// recording, fill the IVR's frame from the channel's playback and push it into the stream. The owner attaches
/// a stream (`attach`) and says whether the IVR drives it (`drive`); only the clock thread lets go of a
/// stream it may be using, so a stream reference never goes while a frame call is in it.
///
/// The stream stays valid in memory while referenced; once PJSIP destroys it (hang-up, re-INVITE), its frame
/// callbacks are cleared and `pjmedia_port_get_frame`/`put_frame` return at once, as they do for the bridge.
final class CallAudioPath: @unchecked Sendable {
    let channel: MediaChannel
    private let lock = NSLock()
    /// The stream the clock uses, and one the owner has attached since the last tick.
    private var current: StreamPortReference?
    private var incoming: StreamPortReference?
    private var driving = true
    /// One frame's samples: the caller's frame, then the IVR's (the recording copies the former first).
    private let buffer = UnsafeMutablePointer<Int16>.allocate(capacity: MediaChannel.samplesPerFrame)

    init(channel: MediaChannel) {
        self.channel = channel
        buffer.initialize(repeating: 0, count: MediaChannel.samplesPerFrame)
    }

    deinit {
        letGo()
        buffer.deallocate()
    }

    /// Releases the streams, once the clock can no longer tick this path (its port has left the bridge).
    func letGo() {
        lock.lock()
        let held = [current, incoming]
        current = nil
        incoming = nil
        lock.unlock()
        for stream in held { stream?.release() }
    }

    // MARK: Owner side

    /// The call's stream from now on (a re-INVITE may bring a new one); the previous one goes at the next tick.
    func attach(_ stream: StreamPortReference) {
        lock.lock()
        let unused = incoming
        incoming = stream
        lock.unlock()
        unused?.release()  // never seen by the clock
    }

    /// Whether the IVR drives the stream (false while the caller talks to an agent through the bridge).
    func drive(_ on: Bool) {
        lock.lock()
        driving = on
        lock.unlock()
    }

    // MARK: Clock side

    /// One tick of the bridge, with the frame it put to the port: NONE while nobody transmits to it, the mix of the
    /// caller and the agent while they talk (recorded when a recording runs).
    func tick(_ bridged: UnsafeMutablePointer<pjmedia_frame>?) {
        let timestamp = bridged?.pointee.timestamp ?? pj_timestamp()
        mediaClock.tick(serial: channel.serial)
        lock.lock()
        var previous: StreamPortReference?
        if let next = incoming {
            previous = current
            current = next
            incoming = nil
        }
        let stream = driving ? current?.port : nil
        lock.unlock()
        previous?.release()
        let samples = MediaChannel.samplesPerFrame
        guard let stream else {
            if let bridged, bridged.pointee.type == PJMEDIA_FRAME_TYPE_AUDIO, bridged.pointee.size > 0,
               let audio = bridged.pointee.buf?.assumingMemoryBound(to: Int16.self) {
                channel.take(UnsafeBufferPointer(start: audio, count: min(samples, Int(bridged.pointee.size) / 2)))
            } else {
                channel.take(nil)
            }
            return
        }
        var frame = audioFrame(timestamp)
        if pjmedia_port_get_frame(stream, &frame) == pjSuccess, frame.type == PJMEDIA_FRAME_TYPE_AUDIO, frame.size > 0 {
            channel.take(UnsafeBufferPointer(start: buffer, count: min(samples, Int(frame.size) / 2)))
        } else {
            channel.take(nil)
        }
        // Silence when nothing plays, as the bridge sends for a connected port: the RTP stream never pauses.
        if !channel.fill(buffer, count: samples) { buffer.update(repeating: 0, count: samples) }
        frame = audioFrame(timestamp)
        _ = pjmedia_port_put_frame(stream, &frame)
    }

    /// A whole frame of audio in `buffer` (as the stream fills it on `get_frame`, as it sends it on `put_frame`).
    private func audioFrame(_ timestamp: pj_timestamp) -> pjmedia_frame {
        var frame = pjmedia_frame()
        frame.type = PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = UnsafeMutableRawPointer(buffer)
        frame.size = pj_size_t(MediaChannel.samplesPerFrame * 2)
        frame.timestamp = timestamp
        return frame
    }
}

/// The name every IVR port carries in PJSIP's logs; static, because the port info keeps the pointer.
nonisolated(unsafe) private let ivrPortName: UnsafeMutablePointer<CChar> = strdup("ivr")!
