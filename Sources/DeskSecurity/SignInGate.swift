import Foundation

/// One sign-in attempt, decided without I/O: the throttle first, then the password. The caller looks up the
/// user's stored hash (nil when there is no such user or the account is disabled) and audits the outcome.
public struct SignInGate: Sendable {
    public let throttle: SignInThrottle
    public let hasher: PasswordHasher
    private let dummyHash: String
    /// Each scrypt check takes about 32 MiB: a burst of sign-in requests waits here instead of exhausting memory.
    private let checks: DispatchSemaphore

    public enum Outcome: Equatable, Sendable {
        case signedIn
        /// Wrong password, unknown or disabled user: the page shows one message for all of them.
        case rejected(reason: FailureReason, next: ThrottleDecision)
        /// Refused before the password was looked at.
        case throttled(ThrottleDecision)

        /// What the sign-in page says, in Vietnamese; nil on success.
        public func message(now: Date) -> String? {
            switch self {
            case .signedIn: return nil
            case .rejected: return "Tên đăng nhập hoặc mật khẩu không đúng."
            case .throttled(let decision): return decision.message(now: now)
            }
        }
    }

    /// For the audit trail only; never shown (it would tell a guesser which user names exist).
    public enum FailureReason: String, Equatable, Sendable {
        case unknownUser = "unknown-user"
        case wrongPassword = "wrong-password"
    }

    public init(throttle: SignInThrottle = SignInThrottle(), hasher: PasswordHasher = PasswordHasher(),
                maxConcurrentChecks: Int = 4) throws(DeskSecurityError) {
        self.throttle = throttle
        self.hasher = hasher
        checks = DispatchSemaphore(value: max(1, maxConcurrentChecks))
        // An unknown user costs the same scrypt run as a known one, so timing does not reveal user names.
        dummyHash = try hasher.hash(try SecureRandom.hexToken())
    }

    public func attempt(user: String, password: String, address: String, storedHash: String?) -> Outcome {
        let decision = throttle.check(user: user, address: address)
        guard decision.isAllowed else { return .throttled(decision) }
        checks.wait()
        let matches = hasher.verify(password, against: storedHash ?? dummyHash)
        checks.signal()
        if matches, storedHash != nil {
            throttle.recordSuccess(user: user, address: address)
            return .signedIn
        }
        let next = throttle.recordFailure(user: user, address: address)
        return .rejected(reason: storedHash == nil ? .unknownUser : .wrongPassword, next: next)
    }
}
