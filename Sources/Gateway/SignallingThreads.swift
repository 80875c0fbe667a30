import CPJSIP
import Foundation
import Synchronization

/// Real-time scheduling for the two threads a caller waits on before the gateway answers: the SIP worker (reads
/// the INVITE, sends the 200) and the owner (decides). Both are light (under a tenth of a core at 1200 calls) and
/// block every few milliseconds. Under normal scheduling they queue behind every runnable thread on the machine:
/// at 1200 calls, when the first calls end as new ones arrive, both cores are busy for seconds (the bridge's
/// clock, which PJSIP itself puts under `SCHED_RR` at the highest priority when it may, takes most of one) and an
/// INVITE waited up to a second for its 200 (p99 0.26–0.84 s in single-server runs); at priority 10 it waits only
/// for the clock (p99 25 ms, issue 17). RTP receive and the dispatch queues stay under normal scheduling: with
/// RTP receive raised as well, the call generator on the benchmark's machine starved and 6 of 3600 calls failed.
enum ThreadPriority {
    /// Linux's `SCHED_RESET_ON_FORK`: threads this one creates (a dispatch queue's worker started by the owner's
    /// `async`, say) start under normal scheduling instead of inheriting its real-time policy.
    static let resetOnFork: Int32 = 0x4000_0000

    /// Puts the calling thread under `SCHED_RR` at `priority` (1–99); 0 leaves it as it is. Returns why it could
    /// not (not root, no `CAP_SYS_NICE`, `RLIMIT_RTPRIO` below `priority`, systemd's `RestrictRealtime=`), or nil.
    static func raiseCurrentThread(to priority: Int) -> String? {
        guard priority > 0 else { return nil }
        var parameters = sched_param()
        parameters.sched_priority = Int32(priority)
        // The system call, not `pthread_setschedparam`: glibc remembers what that one set and gives it to every
        // thread this one creates, flag or no flag; the kernel alone honours the flag.
        return sched_setscheduler(0, SCHED_RR | resetOnFork, &parameters) == 0 ? nil : String(cString: strerror(errno))
    }

}

/// pjsua's SIP worker threads, run by us (`thread_cnt` 0) so that they can be given their priority: each loops on
/// `pjsua_handle_events` as pjsua's own worker does. Stopped before `pjsua_destroy`, which then polls by itself,
/// as it does after stopping its own workers.
final class SIPWorkers: @unchecked Sendable {
    private let threads = PollingThreads()

    /// Starts `count` workers at `priority` (0: normal scheduling) and waits until each has tried it. Returns
    /// why the priority could not be raised, or nil.
    func start(count: Int, priority: Int) -> String? {
        let started = DispatchSemaphore(value: 0)
        let refusal = Mutex<String?>(nil)
        for index in 0..<count {
            threads.start(pjsipName: "sip-worker-\(index)", name: "hotline1022-sip") { [threads] in
                if let why = ThreadPriority.raiseCurrentThread(to: priority) { refusal.withLock { $0 = why } }
                started.signal()
                while !threads.isStopping {
                    if pjsua_handle_events(10) < 0 { usleep(10_000) }
                }
            }
        }
        for _ in 0..<count { started.wait() }
        return refusal.withLock { $0 }
    }

    /// Stops every worker and waits for each one's last poll to end.
    func stop() { threads.stop() }
}

/// Threads of our own that poll PJSIP until stopped (`SIPWorkers`, `MediaPoller`): each is registered with PJSIP
/// and named before its loop runs; `stop()` asks every loop to end and waits until each has.
final class PollingThreads: @unchecked Sendable {
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    private var running = 0

    /// True once `stop()` was called: a loop checks it on each turn.
    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Starts a thread, registered with PJSIP as `pjsipName` and named `name` (for `top -H`, `perf`), running `loop`.
    func start(pjsipName: String, name: String, _ loop: @escaping @Sendable () -> Void) {
        running += 1
        Thread { [stopped] in
            registerThreadWithPJSIP(pjsipName)
            pthread_setname_np(pthread_self(), name)
            loop()
            stopped.signal()
        }.start()
    }

    /// Asks every loop to end and waits for each; before `pjsua_destroy` frees what they poll.
    func stop() {
        guard running > 0 else { return }
        stopping.store(true, ordering: .relaxed)
        for _ in 0..<running { stopped.wait() }
        running = 0
    }
}
