import DeskSecurity
import Foundation
import HotlineCore
import HotlineStore

/// A password set by an administrator, or changed by its owner (who gives the current one).
public struct SetPasswordRequest: Sendable {
    public var userName: String
    public var newPassword: String
    /// The owner's current password; nil when an administrator sets or resets it.
    public var currentPassword: String?
    public init(userName: String, newPassword: String, currentPassword: String? = nil) {
        (self.userName, self.newPassword, self.currentPassword) = (userName, newPassword, currentPassword)
    }
}

/// A sign-in the desk refused: wrong name or password (one message for both), or too many failures.
public struct SignInRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the sign-in page says, in Vietnamese.
    public let message: String
    /// True when the throttle refused it before the password was looked at (answer 429, not 401).
    public let throttled: Bool
    public var description: String { message }
}

extension Desk {
    /// The shortest password the desk accepts.
    public static let minimumPasswordLength = 10

    /// The hasher passwords are stored with: the sign-in gate's, so a sign-in and a change agree on parameters.
    var passwordHasher: PasswordHasher { signInGate?.hasher ?? PasswordHasher() }

    // MARK: Passwords

    /// Sets a password. An administrator sets or resets anyone's without the current one; anybody else may
    /// only change their own, giving the current one. Audited (never the password); the caller ends the
    /// user's sessions (the console's `SessionTable.endAll`).
    public func setPassword(_ r: SetPasswordRequest, as user: User) throws {
        let target = r.userName
        let byAdministrator = user.role == .administrator && r.currentPassword == nil
        if byAdministrator {
            try check(user, .administer)
        } else {
            guard user.active else {
                throw DeskError.forbidden(user: user.name, role: user.role, reason: "tài khoản đã bị khóa; liên hệ quản trị hệ thống")
            }
            guard target == user.name else {
                throw DeskError.forbidden(user: user.name, role: user.role,
                                          reason: "chỉ quản trị hệ thống đặt lại mật khẩu của người khác; bạn đổi được mật khẩu của mình")
            }
            guard let current = r.currentPassword, !current.isEmpty else {
                throw DeskError.invalidField(.password, reason: "cần mật khẩu hiện tại để đổi mật khẩu")
            }
            guard let stored = try store.passwordHash(of: user.name), passwordHasher.verify(current, against: stored) else {
                throw DeskError.invalidField(.password, reason: "mật khẩu hiện tại không đúng")
            }
        }
        guard try store.user(named: target) != nil else { throw DeskError.notFound(.user, target) }
        try Self.checkNewPassword(r.newPassword, userName: target)
        let hash: String
        do {
            hash = try passwordHasher.hash(r.newPassword)
        } catch {
            throw DeskError.failed("không tạo được mã băm mật khẩu (\(error))")
        }
        try store.setPasswordHash(target, hash: hash, actor: byAdministrator ? "administrator:\(user.name)" : user.name,
                                  action: byAdministrator ? "password-set" : "password-change", at: now())
        // A reset also lifts a lock: the administrator has just spoken to the person.
        if byAdministrator { signInGate?.throttle.unlock(user: target) }
    }

    /// What a new password must be: long enough, not the user's name, no line breaks (it is read as a line).
    static func checkNewPassword(_ password: String, userName: String) throws {
        guard password.count >= minimumPasswordLength else {
            throw DeskError.invalidField(.password, reason: "cần ít nhất \(minimumPasswordLength) ký tự")
        }
        guard password.count <= 256 else { throw DeskError.invalidField(.password, reason: "tối đa 256 ký tự") }
        guard !password.contains(where: \.isNewline) else {
            throw DeskError.invalidField(.password, reason: "không được chứa ký tự xuống dòng")
        }
        guard password.lowercased() != userName.lowercased() else {
            throw DeskError.invalidField(.password, reason: "không được trùng tên đăng nhập")
        }
    }

    // MARK: Signing in and out

    /// Checks a name and password from `address` through the sign-in gate (throttled per user and per address,
    /// constant-time comparison, the same scrypt cost for an unknown user). Every success, failure and
    /// throttled attempt is audited with the address. Throws `SignInRefusal`.
    public func signIn(name typed: String, password: String, address: String) throws -> User {
        guard let gate = signInGate else { throw DeskError.failed("bảng điều khiển chưa cấu hình đăng nhập") }
        let name = String(typed.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().prefix(64))
        let known = try store.user(named: name)
        let stored = known?.active == true ? try store.passwordHash(of: name) : nil
        let outcome = gate.attempt(user: name, password: password, address: address, storedHash: stored)
        let at = now()
        // An unknown name is recorded as typed (trimmed, at most 64 characters): it may be a mistyped real one.
        let actor = known.map(\.name) ?? "unknown"
        switch outcome {
        case .signedIn:
            try store.recordSignIn("sign-in", actor: name, details: ["user": name, "address": address], at: at)
            if let stored, gate.hasher.needsRehash(stored), let fresh = try? gate.hasher.hash(password) {
                try store.rehashPassword(name, hash: fresh)
            }
            return try user(named: name)
        case .rejected(let reason, _):
            let why = known == nil ? reason.rawValue
                : known?.active == false ? "disabled" : stored == nil ? "no-password" : reason.rawValue
            try store.recordSignIn("sign-in-failed", actor: actor, details: ["user": name, "address": address, "reason": why],
                                   at: at)
            throw SignInRefusal(message: outcome.message(now: at) ?? "", throttled: false)
        case .throttled(let decision):
            let scope: String = switch decision {
            case .wait(_, let s), .locked(_, let s): s == .user ? "user" : "address"
            case .allowed: "-"
            }
            let kind: String = if case .locked = decision { "locked" } else { "wait" }
            try store.recordSignIn("sign-in-throttled", actor: actor,
                                   details: ["user": name, "address": address, "scope": scope, "kind": kind], at: at)
            throw SignInRefusal(message: outcome.message(now: at) ?? "", throttled: true)
        }
    }

    /// The user of a console session begun at `signedInAt`: nil when the password was set or changed since
    /// (every session of that user ends, including on another server process: the CLI's reset);
    /// `forbidden` for a disabled account, as for any operation.
    public func sessionUser(_ name: String, signedInAt: Date) throws -> User? {
        let u = try user(named: name)
        if let changed = try store.passwordChangedAt(of: name), changed > signedInAt { return nil }
        return u
    }

    /// Records a sign-out (the session itself is ended by the console).
    public func signedOut(_ name: String, address: String) throws {
        try store.recordSignIn("sign-out", actor: name, details: ["user": name, "address": address], at: now())
    }

    /// An administrator lifts a user's sign-in lock before it runs out.
    public func unlockSignIn(_ name: String, as admin: User) throws {
        try check(admin, .administer)
        guard try store.user(named: name) != nil else { throw DeskError.notFound(.user, name) }
        signInGate?.throttle.unlock(user: name)
        try store.recordAdministration("sign-in-unlock", ["user": name], by: admin, at: now())
    }

    /// Sign-ins, sign-outs, password and user changes, newest last: for administrators.
    public func systemAudit(limit: Int = 100, as admin: User) throws -> [AuditEntry] {
        try check(admin, .administer)
        return try store.systemAudit(limit: limit)
    }
}
