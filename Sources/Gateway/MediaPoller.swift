import CPJSIP
import Foundation

/// Receives every call's RTP: polls the media endpoint's I/O queue from one thread of our own, in batches.
///
/// pjsua's own media worker waits in `pj_ioqueue_poll` and wakes for nearly every packet: at 600 calls
/// (30,000 packets a second) that thread spent most of its time going to sleep and waking up (`epoll_wait`,
/// the scheduler), not receiving. This one, while packets flow, takes everything that is ready, then sleeps
/// `batchMicroseconds` so the next packets gather; when nothing came, it waits in the poll as pjsua's did, so an
/// idle gateway does not spin. A packet waits at most that long more before the jitter buffer has it, which the
/// buffer (20 ms frames, up to 500 ms) does not notice.
final class MediaPoller: @unchecked Sendable {
    static let batchMicroseconds: UInt32 = 2000

    private let threads = PollingThreads()

    /// Stops pjsua's media worker (pjsua always starts one; `pjsua_destroy` stops it the same way, and finds it
    /// gone) and takes over its I/O queue.
    func start() {
        guard let endpoint = pjsua_get_pjmedia_endpt(), let ioqueue = pjmedia_endpt_get_ioqueue(endpoint) else { return }
        pjmedia_endpt_stop_threads(endpoint)
        let ioqueueAddress = UInt(bitPattern: ioqueue)
        threads.start(pjsipName: "rtp-poll", name: "hotline1022-rtp") { [threads] in
            let ioqueue = OpaquePointer(bitPattern: ioqueueAddress)
            var now = pj_time_val(sec: 0, msec: 0)
            var wait = pj_time_val(sec: 0, msec: 10)
            while !threads.isStopping {
                var handled: Int32 = 0
                while handled < 100_000 {
                    let n = pj_ioqueue_poll(ioqueue, &now)
                    if n <= 0 { break }
                    handled += n
                }
                if handled == 0 {
                    _ = pj_ioqueue_poll(ioqueue, &wait)
                } else {
                    usleep(Self.batchMicroseconds)
                }
            }
        }
    }

    /// Stops polling and waits for the thread's last poll to end; before `pjsua_destroy` frees the queue.
    func stop() { threads.stop() }
}
