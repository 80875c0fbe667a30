import Foundation
import Synchronization

/// How long a signed-in session lives.
public struct SessionPolicy: Sendable, Equatable {
    /// A session unused for this long ends (an agent who walked away).
    public var idleTimeout: TimeInterval
    /// A session ends this long after sign-in, however active (one shift plus margin).
    public var absoluteLifetime: TimeInterval

    public init(idleTimeout: TimeInterval = 30 * 60, absoluteLifetime: TimeInterval = 12 * 60 * 60) {
        (self.idleTimeout, self.absoluteLifetime) = (idleTimeout, absoluteLifetime)
    }
}

/// One signed-in browser.
public struct Session: Sendable, Equatable {
    /// 256 random bits, hex; the cookie value.
    public let id: String
    /// Who signed in (the application's user name or id).
    public let userID: String
    /// Bound to this session: every form and every state-changing request must carry it.
    public let csrfToken: String
    public let createdAt: Date
    public internal(set) var lastSeenAt: Date
    /// The absolute end: `createdAt + absoluteLifetime`.
    public let expiresAt: Date
    /// The address that signed in, for the audit trail.
    public let remoteAddress: String
}

/// Why `SessionTable.validate` gave no session.
public enum SessionRejection: Error, Equatable, Sendable {
    case unknown
    case idleTimeout
    case expired
}

/// Signed-in sessions, in memory (a restart signs everyone out). Thread-safe; time comes from `now`.
public final class SessionTable: Sendable {
    public let policy: SessionPolicy
    private let now: @Sendable () -> Date
    private let sessions = Mutex([String: Session]())

    public init(policy: SessionPolicy = SessionPolicy(), now: @escaping @Sendable () -> Date = { Date() }) {
        (self.policy, self.now) = (policy, now)
    }

    /// Starts a session after a successful sign-in. Rotating the id at sign-in defeats session fixation:
    /// the caller ends any session the browser already had (`end(id:)`) before calling this.
    public func create(userID: String, remoteAddress: String = "") throws(DeskSecurityError) -> Session {
        let id = try SecureRandom.hexToken(byteCount: 32)
        let csrf = try SecureRandom.hexToken(byteCount: 32)
        let start = now()
        let session = Session(id: id, userID: userID, csrfToken: csrf, createdAt: start, lastSeenAt: start,
                              expiresAt: start.addingTimeInterval(policy.absoluteLifetime),
                              remoteAddress: remoteAddress)
        sessions.withLock { $0[id] = session }
        return session
    }

    /// The live session for a cookie value, marked as used now; an idle or expired one is removed.
    public func validate(id: String) -> Result<Session, SessionRejection> {
        let time = now()
        return sessions.withLock { table -> Result<Session, SessionRejection> in
            guard var session = table[id] else { return .failure(.unknown) }
            if time >= session.expiresAt {
                table[id] = nil
                return .failure(.expired)
            }
            if time.timeIntervalSince(session.lastSeenAt) >= policy.idleTimeout {
                table[id] = nil
                return .failure(.idleTimeout)
            }
            session.lastSeenAt = time
            table[id] = session
            return .success(session)
        }
    }

    /// The session for a cookie value, or nil.
    public func session(id: String) -> Session? {
        try? validate(id: id).get()
    }

    /// Sign-out. Returns the ended session (for the audit trail), or nil if there was none.
    @discardableResult
    public func end(id: String) -> Session? {
        sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// Ends every session of a user (password changed or reset, account disabled). Returns how many.
    @discardableResult
    public func endAll(userID: String) -> Int {
        sessions.withLock { table in
            let ids = table.values.filter { $0.userID == userID }.map(\.id)
            ids.forEach { table[$0] = nil }
            return ids.count
        }
    }

    /// Drops idle and expired sessions; call it now and then (each `validate` already drops its own).
    @discardableResult
    public func purgeExpired() -> Int {
        let time = now()
        return sessions.withLock { table in
            let stale = table.values.filter {
                time >= $0.expiresAt || time.timeIntervalSince($0.lastSeenAt) >= policy.idleTimeout
            }.map(\.id)
            stale.forEach { table[$0] = nil }
            return stale.count
        }
    }

    public var count: Int { sessions.withLock { $0.count } }

    /// True if `submitted` is this session's CSRF token (compared in constant time). A token from another
    /// session, an empty one, or a missing session never matches.
    public func verifyCSRF(sessionID: String, submitted: String?) -> Bool {
        guard let submitted, !submitted.isEmpty,
              let expected = sessions.withLock({ $0[sessionID]?.csrfToken }) else { return false }
        return ConstantTime.equals(expected, submitted)
    }
}

/// The session cookie's `Set-Cookie` values.
public enum SessionCookie {
    public static let name = "hotline_session"
    /// The form field and header that carry the CSRF token.
    public static let csrfFieldName = "csrf"
    public static let csrfHeaderName = "X-CSRF-Token"

    /// HttpOnly (no script reads it), SameSite=Strict (no cross-site request carries it), Path=/,
    /// Secure under TLS. Max-Age is the session's remaining absolute lifetime.
    public static func setCookie(for session: Session, secure: Bool, now: Date = Date()) -> String {
        let maxAge = max(0, Int(session.expiresAt.timeIntervalSince(now)))
        return "\(name)=\(session.id); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// Removes the cookie from the browser (sign-out).
    public static func clearCookie(secure: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }
}
