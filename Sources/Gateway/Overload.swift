import Foundation

/// The conference bridge's clock as our ports see it (issue 17 §4): one port, the pacer, stamps each tick; the
/// time between two of its ticks beyond 20 ms is that tick's lateness. The bridge calls every port once a tick
/// from its one clock thread, so the pacer's fields are touched by that thread only; the lateness samples
/// are handed over under a lock once a tick. When the pacer's call ends, the next port to be called whose
/// pacer has been silent for 100 ms takes over.
final class MediaClockMonitor: @unchecked Sendable {
    static let frameNanos: UInt64 = 20_000_000

    // Clock thread only.
    private var pacer: UInt64 = 0
    private var lastTick: UInt64 = 0

    // Shared.
    private let lock = NSLock()
    private var late: [UInt32] = []  // microseconds, one per tick since the last `drain`

    /// From the bridge's clock thread, on every get_frame of one of our ports.
    @inline(__always)
    func tick(serial: UInt64) {
        let now = DispatchTime.now().uptimeNanoseconds
        if serial != pacer {
            // A new pacer when the old one has gone quiet (its call ended).
            guard now &- lastTick > 100_000_000 else { return }
            pacer = serial
            lastTick = now
            return
        }
        let interval = now &- lastTick
        lastTick = now
        let lateness = interval > MediaClockMonitor.frameNanos ? (interval - MediaClockMonitor.frameNanos) / 1000 : 0
        lock.lock()
        if late.count < 4096 { late.append(UInt32(min(lateness, UInt64(UInt32.max)))) }
        lock.unlock()
    }

    /// The owner's reading, about once a second: the lateness of each tick since the last reading (µs).
    func drain() -> [UInt32] {
        lock.lock()
        defer { lock.unlock() }
        let taken = late
        late.removeAll(keepingCapacity: true)
        return taken
    }
}

/// The process-wide clock monitor: one conference bridge per process.
let mediaClock = MediaClockMonitor()

/// Decides, about once a second on the owner thread, whether the gateway is overloaded (issue 17 §4): the
/// bridge's tick lateness at the 95th percentile above `tickLatenessMs` in each of the last `windowSeconds`
/// seconds, or the process's CPU over the last seconds above `cpuPercent` of all cores. While overloaded, new
/// calls are refused with 503 + Retry-After (reason `overload`) before the calls in progress degrade.
///
/// The clock must be late every second of the window, not once in it: a virtual machine that stalls for
/// 150 ms makes one second's ticks late while the bridge keeps up (at 250 calls and 15% CPU that alone once
/// refused 172 calls), where an overloaded bridge is late second after second. It is declared back on time
/// once no second of the window was late.
struct OverloadPolicy: Sendable, Equatable {
    /// 0 = the clock is not watched.
    var tickLatenessMs: Int = 10
    /// Share of all cores, percent; 0 = CPU is not watched.
    var cpuPercent: Int = 95
    var windowSeconds: Int = 3
}

struct OverloadDetector {
    let policy: OverloadPolicy
    private var window: [[UInt32]] = []
    /// Each second's p95 lateness above the threshold, newest last.
    private var lateSeconds: [Bool] = []
    private var cpuWindow: [Double] = []
    private(set) var overloaded = false
    private var overloadedByClock = false

    init(policy: OverloadPolicy) { self.policy = policy }

    /// The 95th percentile of `samples`, nil when empty.
    static func p95(_ samples: [UInt32]) -> UInt32? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, (sorted.count * 95) / 100)]
    }

    /// One second's readings: the ticks' lateness (µs) and the process's CPU over that second (share of
    /// all cores, 0–1). Returns the p95 lateness (ms) and CPU percent over the window, and whether the state
    /// changed.
    mutating func update(lateness: [UInt32], cpuShare: Double?) -> (p95Ms: Double, cpuPercent: Double, changed: Bool) {
        window.append(lateness)
        if window.count > policy.windowSeconds { window.removeFirst(window.count - policy.windowSeconds) }
        if let cpuShare { cpuWindow.append(cpuShare) }
        if cpuWindow.count > policy.windowSeconds { cpuWindow.removeFirst(cpuWindow.count - policy.windowSeconds) }
        let p95Ms = Double(OverloadDetector.p95(window.flatMap { $0 }) ?? 0) / 1000
        let cpu = cpuWindow.isEmpty ? 0 : cpuWindow.reduce(0, +) / Double(cpuWindow.count) * 100
        let secondLate = policy.tickLatenessMs > 0
            && Double(OverloadDetector.p95(lateness) ?? 0) / 1000 > Double(policy.tickLatenessMs)
        lateSeconds.append(secondLate)
        if lateSeconds.count > policy.windowSeconds { lateSeconds.removeFirst(lateSeconds.count - policy.windowSeconds) }
        overloadedByClock = overloadedByClock
            ? lateSeconds.contains(true)
            : lateSeconds.count >= policy.windowSeconds && !lateSeconds.contains(false)
        let clockLate = overloadedByClock
        let cpuExhausted = policy.cpuPercent > 0 && cpuWindow.count >= policy.windowSeconds && cpu >= Double(policy.cpuPercent)
        let now = clockLate || cpuExhausted
        defer { overloaded = now }
        return (p95Ms, cpu, now != overloaded)
    }
}

/// The process's CPU time (user + system), seconds, from getrusage.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}
