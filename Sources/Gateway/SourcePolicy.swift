import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Who may start calls: out-of-dialog requests (INVITE, OPTIONS, …) are accepted only from the configured
/// trunk networks; others get 403 Forbidden, and a source that keeps trying is dropped without an answer
/// (no amplification) once it exceeds `rejectsPerSecond`.
public final class SourcePolicy: @unchecked Sendable {
    public struct Network: Sendable, Equatable, CustomStringConvertible {
        let address: [UInt8]
        let prefix: Int
        public let description: String

        /// `10.0.0.0/8`, `192.0.2.7`, `::1/128`, `2001:db8::/32`.
        public init(_ text: String) throws {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw SourcePolicyError("mạng trống: cần một địa chỉ IP hoặc mạng CIDR, ví dụ 10.0.0.0/8 (empty network)")
            }
            guard let first = parts.first, let bytes = SourcePolicy.parseAddress(first) else {
                throw SourcePolicyError("'\(text)' không phải địa chỉ hay mạng IPv4/IPv6 (not an IPv4 or IPv6 address or network)")
            }
            let bits = bytes.count * 8
            var prefix = bits
            if parts.count == 2 {
                guard let p = Int(parts[1]), (0...bits).contains(p) else {
                    throw SourcePolicyError("'\(text)': độ dài tiền tố phải từ 0 đến \(bits) (prefix length must be 0–\(bits))")
                }
                prefix = p
            }
            self.address = bytes
            self.prefix = prefix
            self.description = text
        }

        func contains(_ bytes: [UInt8]) -> Bool {
            guard bytes.count == address.count else { return false }
            var remaining = prefix
            for i in 0..<bytes.count where remaining > 0 {
                let take = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
                if bytes[i] & mask != address[i] & mask { return false }
                remaining -= take
            }
            return true
        }
    }

    public enum Verdict: Equatable { case allow, forbid, drop }

    public let networks: [Network]
    public let rejectsPerSecond: Int
    private let lock = NSLock()
    private var window: Int = 0
    private var rejects: [String: Int] = [:]
    /// Rejected requests in total (for the logs and the hostile-input test).
    public private(set) var forbidden = 0
    public private(set) var dropped = 0

    public init(networks: [Network], rejectsPerSecond: Int = 20) {
        self.networks = networks
        self.rejectsPerSecond = rejectsPerSecond
    }

    /// Decides for an out-of-dialog request from `source` (an address without port); `now` is monotonic seconds
    /// (uptime), so a wall-clock step does not reset the per-second budget. Short and lock-light:
    /// it runs on PJSIP's receive thread.
    public func verdict(source: String, now: TimeInterval = ProcessInfo.processInfo.systemUptime) -> Verdict {
        if let bytes = SourcePolicy.parseAddress(source), networks.contains(where: { $0.contains(bytes) }) {
            return .allow
        }
        lock.lock()
        defer { lock.unlock() }
        let second = Int(now)
        if second != window {
            window = second
            rejects.removeAll(keepingCapacity: true)
        }
        let count = (rejects[source] ?? 0) + 1
        rejects[source] = count
        if count > rejectsPerSecond {
            dropped += 1
            return .drop
        }
        forbidden += 1
        return .forbid
    }

    static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

public struct SourcePolicyError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
