import Foundation
import HotlineCore

/// Users and agents' claims. User changes go to the audit log with no ticket (ticket_id NULL).
extension TicketStore {
    // MARK: Users

    public func userCount() throws -> Int {
        try db.prepare("SELECT count(*) FROM users").query { Int($0.int(0)) }[0]
    }

    static func user(_ r: Row) -> User {
        User(name: r.text(0) ?? "", displayName: r.text(1) ?? "", role: UserRole(rawValue: r.text(2) ?? "") ?? .agent,
             unitCode: r.text(3), active: r.int(4) != 0)
    }

    public func user(named name: String) throws -> User? {
        try db.prepare("SELECT name, display_name, role, unit_code, active FROM users WHERE name = ?")
            .query([.text(name)], Self.user).first
    }

    public func users() throws -> [User] {
        try db.prepare("SELECT name, display_name, role, unit_code, active FROM users ORDER BY role, name").query([], Self.user)
    }

    /// Adds a user. `by` is the administrator adding it, or nil for the very first user of an empty database
    /// (who must be an administrator: someone has to be able to add the rest).
    public func addUser(_ user: User, by admin: User?, at: Date) throws {
        guard User.isValidName(user.name) else {
            throw StoreError("'\(user.name)' không phải tên đăng nhập hợp lệ: dùng chữ thường không dấu, chữ số, '.', '_' hoặc '-'")
        }
        try db.transaction {
            if let admin {
                try Permissions.check(admin, .administer)
            } else {
                guard try userCount() == 0 else {
                    throw StoreError("đã có người dùng: thêm người dùng với tư cách quản trị hệ thống (--as NAME)")
                }
                guard user.role == .administrator else {
                    throw StoreError("người dùng đầu tiên phải là quản trị hệ thống (--role administrator)")
                }
            }
            guard try self.user(named: user.name) == nil else { throw StoreError("người dùng \(user.name) đã có") }
            if user.role == .unit {
                guard let unit = user.unitCode, !unit.isEmpty else {
                    throw StoreError("cán bộ đơn vị cần --unit CODE (xem `hotline1022 units list`)")
                }
                guard try unitDirectory().unit(unit) != nil else {
                    throw StoreError("không có đơn vị \(unit): xem `hotline1022 units list` (nhập danh mục đơn vị trước)")
                }
            } else if user.unitCode != nil {
                throw StoreError("chỉ cán bộ đơn vị (--role unit) thuộc một đơn vị")
            }
            try db.prepare("""
                INSERT INTO users (name, display_name, role, unit_code, active, created_at) VALUES (?, ?, ?, ?, 1, ?)
                """).run([.text(user.name), .text(user.displayName), .text(user.role.rawValue), .optional(user.unitCode),
                          .double(at.timeIntervalSince1970)])
            try auditSystem(at: at, actor: admin.map { "administrator:\($0.name)" } ?? "setup", action: "user-add",
                            after: ["user": user.name, "role": user.role.rawValue, "unit": user.unitCode])
        }
    }

    /// Disables or re-enables a user; a disabled user's commands are refused, and their history stays.
    public func setUserActive(_ name: String, _ active: Bool, by admin: User, at: Date) throws {
        try db.transaction {
            try Permissions.check(admin, .administer)
            guard let u = try user(named: name) else { throw StoreError("không có người dùng \(name): xem `hotline1022 users list`") }
            guard u.name != admin.name || active else { throw StoreError("quản trị hệ thống không tự khóa tài khoản của mình") }
            try db.prepare("UPDATE users SET active = ? WHERE name = ?").run([.int(active ? 1 : 0), .text(name)])
            if !active { try db.prepare("DELETE FROM claims WHERE user_name = ?").run([.text(name)]) }
            try auditSystem(at: at, actor: "administrator:\(admin.name)", action: active ? "user-enable" : "user-disable",
                            after: ["user": name])
        }
    }

    /// The user a command runs as: must exist and be active.
    public func authenticate(_ name: String) throws -> User {
        guard let u = try user(named: name) else {
            if try userCount() == 0 {
                throw StoreError("chưa có người dùng: tạo quản trị hệ thống đầu tiên bằng `hotline1022 users add NAME --role administrator`")
            }
            throw StoreError("không có người dùng '\(name)': quản trị hệ thống thêm người dùng bằng `hotline1022 users add`")
        }
        guard u.active else { throw StoreError("tài khoản \(name) đã bị khóa: liên hệ quản trị hệ thống") }
        return u
    }

    /// Records that a person read or exported a ticket's personal data (a recording listened to or copied out),
    /// so the audit log shows who had it (Art. 10.2: handlers must not copy or leak personal data).
    public func recordAccess(_ code: String, _ action: String, _ details: [String: String?], by user: User, at: Date) throws {
        try db.transaction {
            guard let id = try ticketID(code) else { throw StoreError.noTicket(code) }
            try audit(id, at: at, actor: user.actor, action: action, before: nil, after: details)
        }
    }

    /// Records an administrator's change made outside the database (a dialplan installed) in the audit log.
    public func recordAdministration(_ action: String, _ details: [String: String?], by admin: User, at: Date) throws {
        try Permissions.check(admin, .administer)
        try db.transaction { try auditSystem(at: at, actor: "administrator:\(admin.name)", action: action, after: details) }
    }

    /// A moment as the store's messages name it: `17:00 15/06/2026`, Vietnam time.
    static func clock(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TrackingCode.timeZone
        f.dateFormat = "HH:mm dd/MM/yyyy"
        return f.string(from: date)
    }

    func auditSystem(at: Date, actor: String, action: String, after: [String: String?]) throws {
        try db.prepare("INSERT INTO audit_log (ticket_id, at, actor, action, before, after) VALUES (NULL, ?, ?, ?, NULL, ?)")
            .run([.double(at.timeIntervalSince1970), .text(actor), .text(action), .text(Self.json(after))])
    }

    // MARK: Claims

    /// The hotline holds a ticket while it is a draft or came back from a unit.
    static let hotlineHeld: Set<TicketStatus> = [.draft, .returned]

    func liveClaim(_ ticketID: Int64, code: String, at: Date) throws -> Claim? {
        try db.prepare("SELECT user_name, claimed_at, expires_at FROM claims WHERE ticket_id = ? AND expires_at > ?")
            .query([.int(ticketID), .double(at.timeIntervalSince1970)]) { r in
                Claim(trackingCode: code, userName: r.text(0) ?? "", claimedAt: Date(timeIntervalSince1970: r.double(1)),
                      expiresAt: Date(timeIntervalSince1970: r.double(2)))
            }.first
    }

    /// The live claim on a ticket, if any.
    public func claim(of code: String, at: Date) throws -> Claim? {
        guard let id = try ticketID(code) else { throw StoreError.noTicket(code) }
        return try liveClaim(id, code: code, at: at)
    }

    /// Claims a ticket for an agent, exclusively, until `at + duration`. Claiming one's own claim again renews
    /// it. The write lock is taken first (BEGIN IMMEDIATE), so of two agents racing, one wins and the other is
    /// told who holds it.
    @discardableResult
    public func claim(_ code: String, by user: User, at: Date, duration: TimeInterval = Claim.defaultDuration) throws -> Claim {
        try Permissions.check(user, .hotlineWork)
        return try db.transaction {
            guard let (id, t, _) = try loadTicket(code) else { throw StoreError.noTicket(code) }
            guard Self.hotlineHeld.contains(t.status) else {
                throw StoreError("\(code) đang ở trạng thái «\(t.status.label)» (\(t.status.rawValue)): Tổng đài không có gì để nhận xử lý")
            }
            if let held = try liveClaim(id, code: code, at: at), held.userName != user.name {
                throw ClaimConflict(claim: held)
            }
            let claim = Claim(trackingCode: code, userName: user.name, claimedAt: at, expiresAt: at.addingTimeInterval(duration))
            try db.prepare("""
                INSERT INTO claims (ticket_id, user_name, claimed_at, expires_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (ticket_id) DO UPDATE SET user_name = excluded.user_name, claimed_at = excluded.claimed_at,
                    expires_at = excluded.expires_at
                """).run([.int(id), .text(user.name), .double(at.timeIntervalSince1970), .double(claim.expiresAt.timeIntervalSince1970)])
            try audit(id, at: at, actor: user.actor, action: "claim", before: nil,
                      after: ["until": ISO8601DateFormatter().string(from: claim.expiresAt)])
            return claim
        }
    }

    /// Gives a claim up. An agent releases their own; a supervisor may release anyone's.
    public func release(_ code: String, by user: User, at: Date) throws {
        try Permissions.check(user, .hotlineWork)
        try db.transaction {
            guard let id = try ticketID(code) else { throw StoreError.noTicket(code) }
            guard let held = try liveClaim(id, code: code, at: at) else { throw StoreError("\(code) chưa có ai nhận xử lý") }
            if held.userName != user.name { try Permissions.check(user, .releaseOthersClaim) }
            try db.prepare("DELETE FROM claims WHERE ticket_id = ?").run([.int(id)])
            try audit(id, at: at, actor: user.actor, action: "release", before: ["claimed_by": held.userName], after: nil)
        }
    }

    /// Runs a hotline step on a ticket in one transaction: refused if another agent holds a live claim on it,
    /// and the claim (done with) is dropped when the step commits.
    func asHotline<T>(_ code: String, _ user: User, at: Date, _ body: () throws -> T) throws -> T {
        try Permissions.check(user, .hotlineWork)
        return try db.transaction {
            guard let id = try ticketID(code) else { throw StoreError.noTicket(code) }
            if let held = try liveClaim(id, code: code, at: at), held.userName != user.name { throw ClaimConflict(claim: held) }
            let result = try body()
            try db.prepare("DELETE FROM claims WHERE ticket_id = ?").run([.int(id)])
            return result
        }
    }
}

/// Another agent holds the ticket.
public struct ClaimConflict: Error, CustomStringConvertible, Equatable {
    public let claim: Claim
    public var description: String {
        "\(claim.trackingCode) đang do \(claim.userName) nhận xử lý đến \(TicketStore.clock(claim.expiresAt)); "
            + "đề nghị người đó hoặc giám sát viên trả hồ sơ (agent release)"
    }
}
