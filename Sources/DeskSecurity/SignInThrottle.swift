import Foundation
import Synchronization

/// How failed sign-ins slow down and then lock a key (a user name or a source address).
public struct ThrottlePolicy: Sendable, Equatable {
    /// Failures allowed without any wait.
    public var freeFailures: Int
    /// The wait after the first failure beyond `freeFailures`; it doubles with each further failure.
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    /// Failures that lock the key.
    public var lockoutThreshold: Int
    public var lockoutDuration: TimeInterval
    /// Failures are forgotten after this long without a new one.
    public var forgetAfter: TimeInterval

    public init(freeFailures: Int = 3, baseDelay: TimeInterval = 2, maxDelay: TimeInterval = 60,
                lockoutThreshold: Int = 10, lockoutDuration: TimeInterval = 15 * 60,
                forgetAfter: TimeInterval = 60 * 60) {
        (self.freeFailures, self.baseDelay, self.maxDelay) = (freeFailures, baseDelay, maxDelay)
        (self.lockoutThreshold, self.lockoutDuration) = (lockoutThreshold, lockoutDuration)
        self.forgetAfter = forgetAfter
    }

    /// Per user: slow after 3 failures, locked 15 minutes after 10.
    public static let perUser = ThrottlePolicy()
    /// Per address: an office behind one NAT address shares it, so it tolerates more before locking.
    public static let perAddress = ThrottlePolicy(freeFailures: 10, baseDelay: 1, maxDelay: 30, lockoutThreshold: 50)
}

/// What to do with a sign-in attempt.
public enum ThrottleDecision: Equatable, Sendable {
    case allowed
    /// Too soon after the last failure: refuse without checking the password, say when to retry.
    case wait(until: Date, scope: ThrottleScope)
    /// Locked: refuse without checking the password until `until`.
    case locked(until: Date, scope: ThrottleScope)

    public var isAllowed: Bool { self == .allowed }

    /// A message for the sign-in page, in Vietnamese.
    public func message(now: Date) -> String? {
        switch self {
        case .allowed:
            return nil
        case .wait(let until, _):
            let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
            return "Đăng nhập sai nhiều lần. Vui lòng thử lại sau \(seconds) giây."
        case .locked(let until, _):
            let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
            return "Tài khoản hoặc máy này tạm bị khoá do đăng nhập sai quá nhiều lần. Vui lòng thử lại sau \(minutes) phút."
        }
    }
}

public enum ThrottleScope: Equatable, Sendable {
    case user
    case address
}

/// Counts failed sign-ins per user and per source address; in memory, thread-safe, time from `now`.
/// Use: `check` before verifying the password (a refused attempt does not count and reveals nothing about
/// the password), then `recordFailure` or `recordSuccess`.
public final class SignInThrottle: Sendable {
    struct Record: Equatable {
        var failures = 0
        var lastFailure = Date.distantPast
        var lockedUntil: Date?
    }

    private struct Tables {
        var users: [String: Record] = [:]
        var addresses: [String: Record] = [:]
    }

    public let userPolicy: ThrottlePolicy
    public let addressPolicy: ThrottlePolicy
    private let now: @Sendable () -> Date
    private let tables = Mutex(Tables())
    /// Bound on remembered keys, so a flood of made-up user names cannot grow memory without limit.
    private let maxKeys: Int

    public init(userPolicy: ThrottlePolicy = .perUser, addressPolicy: ThrottlePolicy = .perAddress,
                maxKeys: Int = 100_000, now: @escaping @Sendable () -> Date = { Date() }) {
        (self.userPolicy, self.addressPolicy, self.maxKeys, self.now) = (userPolicy, addressPolicy, maxKeys, now)
    }

    /// May this attempt go on to a password check? The address is checked first, then the user.
    public func check(user: String, address: String) -> ThrottleDecision {
        let time = now()
        let address = Self.addressKey(address)
        return tables.withLock { tables in
            let addressDecision = Self.decision(for: tables.addresses[address], policy: addressPolicy, now: time,
                                                scope: .address)
            if !addressDecision.isAllowed { return addressDecision }
            return Self.decision(for: tables.users[Self.userKey(user)], policy: userPolicy, now: time, scope: .user)
        }
    }

    /// Counts a failed attempt (wrong password or unknown user: both count, so names cannot be probed).
    /// Returns the decision for the next attempt.
    @discardableResult
    public func recordFailure(user: String, address: String) -> ThrottleDecision {
        let time = now()
        let address = Self.addressKey(address)
        return tables.withLock { tables in
            Self.fail(&tables.users, key: Self.userKey(user), policy: userPolicy, now: time, maxKeys: maxKeys)
            Self.fail(&tables.addresses, key: address, policy: addressPolicy, now: time, maxKeys: maxKeys)
            let addressDecision = Self.decision(for: tables.addresses[address], policy: addressPolicy, now: time,
                                                scope: .address)
            if !addressDecision.isAllowed { return addressDecision }
            return Self.decision(for: tables.users[Self.userKey(user)], policy: userPolicy, now: time, scope: .user)
        }
    }

    /// A successful sign-in clears the user's failures. The address keeps its count: one valid account
    /// must not reset the counter of an address guessing other accounts' passwords.
    public func recordSuccess(user: String, address: String) {
        _ = tables.withLock { $0.users.removeValue(forKey: Self.userKey(user)) }
    }

    /// An administrator lifts a user's lock.
    public func unlock(user: String) {
        _ = tables.withLock { $0.users.removeValue(forKey: Self.userKey(user)) }
    }

    public func failures(user: String) -> Int {
        let time = now()
        return tables.withLock { tables in
            Self.current(tables.users[Self.userKey(user)], policy: userPolicy, now: time)?.failures ?? 0
        }
    }

    /// IPv6 addresses are counted per /64: one host usually holds a whole /64 and could rotate through it.
    static func addressKey(_ address: String) -> String {
        var v6 = in6_addr()
        guard address.contains(":"), inet_pton(AF_INET6, address, &v6) == 1 else { return address }
        let prefix = withUnsafeBytes(of: v6) { Array($0.prefix(8)) }
        return stride(from: 0, to: 8, by: 2).map { String(format: "%02x%02x", prefix[$0], prefix[$0 + 1]) }
            .joined(separator: ":") + "::/64"
    }

    static func userKey(_ user: String) -> String {
        user.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    private static func fail(_ table: inout [String: Record], key: String, policy: ThrottlePolicy, now: Date,
                             maxKeys: Int) {
        var record = current(table[key], policy: policy, now: now) ?? Record()
        record.failures += 1
        record.lastFailure = now
        if record.failures >= policy.lockoutThreshold {
            record.lockedUntil = now.addingTimeInterval(policy.lockoutDuration)
        }
        if table[key] == nil && table.count >= maxKeys {
            table = table.filter { current($0.value, policy: policy, now: now) != nil }
            if table.count >= maxKeys, let oldest = table.min(by: { $0.value.lastFailure < $1.value.lastFailure }) {
                table[oldest.key] = nil
            }
        }
        table[key] = record
    }

    /// The record still in force at `now`, or nil once its lock has run out or it has been forgotten.
    private static func current(_ record: Record?, policy: ThrottlePolicy, now: Date) -> Record? {
        guard let record else { return nil }
        if let lockedUntil = record.lockedUntil { return now < lockedUntil ? record : nil }
        return now.timeIntervalSince(record.lastFailure) < policy.forgetAfter ? record : nil
    }

    private static func decision(for record: Record?, policy: ThrottlePolicy, now: Date,
                                 scope: ThrottleScope) -> ThrottleDecision {
        guard let record = current(record, policy: policy, now: now) else { return .allowed }
        if let lockedUntil = record.lockedUntil { return .locked(until: lockedUntil, scope: scope) }
        guard record.failures > policy.freeFailures else { return .allowed }
        let exponent = min(record.failures - policy.freeFailures - 1, 30)
        let delay = min(policy.maxDelay, policy.baseDelay * pow(2, Double(exponent)))
        let until = record.lastFailure.addingTimeInterval(delay)
        return now < until ? .wait(until: until, scope: scope) : .allowed
    }
}
