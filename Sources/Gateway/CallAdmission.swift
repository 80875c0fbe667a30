import CPJSIP
import Foundation

/// How fast one source may start calls, and how many calls one caller number may hold at once.
public struct AdmissionLimits: Sendable {
    /// New calls a second from one source address (token bucket), unless a network below says otherwise.
    public var callsPerSecond: Double = 100
    /// Seconds of the rate a source may use at once (the bucket's size: rate × burstSeconds).
    public var burstSeconds: Double = 2
    /// Per-network rates (a carrier's trunk: one address for all its callers); the longest prefix wins.
    public var networkRates: [NetworkRate] = []
    /// Concurrent calls one caller number may hold (robocalls); 0 = no limit (the default: load tests reuse
    /// one number).
    public var maxCallsPerCaller: Int = 0

    public init() {}

    public struct NetworkRate: Sendable {
        public let network: SourcePolicy.Network
        public let callsPerSecond: Double
        public init(network: SourcePolicy.Network, callsPerSecond: Double) {
            self.network = network
            self.callsPerSecond = callsPerSecond
        }

        /// `10.0.0.0/8=500`.
        public init(_ text: String) throws {
            let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let rate = Double(parts[1]), rate > 0, rate <= 100_000 else {
                throw SourcePolicyError("'\(text)': cần dạng CIDR=SỐ_CUỘC_GỌI_MỖI_GIÂY, ví dụ 10.0.0.0/8=500 "
                                        + "(expected CIDR=CALLS_PER_SECOND)")
            }
            self.network = try SourcePolicy.Network(parts[0])
            self.callsPerSecond = rate
        }
    }
}

/// The rate limit on new calls: one token bucket per source address. Thread-safe; called on PJSIP's receive
/// thread for every out-of-dialog INVITE that is not a retransmission, so it never waits for more than a lock.
final class CallAdmission: @unchecked Sendable {
    let limits: AdmissionLimits
    private let lock = NSLock()
    private struct Bucket {
        var tokens: Double
        var updated: TimeInterval
    }
    private var buckets: [String: Bucket] = [:]

    init(limits: AdmissionLimits) { self.limits = limits }

    /// Set by the owner while the media clock runs late or CPU is exhausted (issue 17 §4): every new call is
    /// refused with 503, reason `overload`.
    private var overloaded = false
    static let overloadRetryAfter = 5
    var isOverloaded: Bool {
        get { lock.lock(); defer { lock.unlock() }; return overloaded }
        set { lock.lock(); overloaded = newValue; lock.unlock() }
    }

    func rate(for source: String) -> Double {
        guard let bytes = SourcePolicy.parseAddress(source) else { return limits.callsPerSecond }
        let matching = limits.networkRates.filter { $0.network.contains(bytes) }
        return matching.max(by: { $0.network.prefix < $1.network.prefix })?.callsPerSecond ?? limits.callsPerSecond
    }

    /// Takes a token for a new call from `source`; nil when admitted, else the seconds until the next token.
    func take(source: String, now: TimeInterval) -> Int? {
        let rate = rate(for: source)
        let capacity = max(1, rate * limits.burstSeconds)
        lock.lock()
        defer { lock.unlock() }
        var bucket = buckets[source] ?? Bucket(tokens: capacity, updated: now)
        bucket.tokens = min(capacity, bucket.tokens + max(0, now - bucket.updated) * rate)
        bucket.updated = now
        defer { buckets[source] = bucket }
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            if buckets.count > 10_000 { prune(now: now) }
            return nil
        }
        return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
    }

    /// Forgets sources whose bucket has refilled (they would start full anyway).
    private func prune(now: TimeInterval) {
        buckets = buckets.filter { source, bucket in
            let rate = rate(for: source)
            return bucket.tokens + (now - bucket.updated) * rate < max(1, rate * limits.burstSeconds)
        }
    }

    /// The edge's check for an out-of-dialog INVITE: a retransmission of one already taken goes on to its
    /// transaction; a new one needs a token.
    func admitNewCall(_ rdata: UnsafeMutablePointer<pjsip_rx_data>) -> RequestScreen.Refusal? {
        if let pool = rdata.pointee.tp_info.pool, let msg = rdata.pointee.msg_info.msg {
            var key = pj_str_t()
            var method = msg.pointee.line.req.method
            if pjsip_tsx_create_key(pool, &key, PJSIP_ROLE_UAS, &method, rdata) == pjSuccess,
               pjsip_tsx_layer_find_tsx(&key, 0) != nil
            {
                return nil
            }
        }
        if isOverloaded {
            return RequestScreen.Refusal(503, "overload", headers: [.init("Retry-After", "\(CallAdmission.overloadRetryAfter)")])
        }
        guard let wait = take(source: edgeSource(rdata), now: ProcessInfo.processInfo.systemUptime) else { return nil }
        return RequestScreen.Refusal(503, "rate-limited", headers: [.init("Retry-After", "\(wait)")])
    }
}
