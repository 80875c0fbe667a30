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
        try db.transaction {
            let user = try UserRules.admit(user, by: admin, existingUsers: try userCount(),
                                           nameTaken: try self.user(named: user.name) != nil, directory: try unitDirectory())
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
            guard let u = try user(named: name) else { throw DeskError.notFound(.user, name) }
            try UserRules.checkActivation(of: u, active: active, by: admin)
            try db.prepare("UPDATE users SET active = ? WHERE name = ?").run([.int(active ? 1 : 0), .text(name)])
            if !active { try db.prepare("DELETE FROM claims WHERE user_name = ?").run([.text(name)]) }
            try auditSystem(at: at, actor: "administrator:\(admin.name)", action: active ? "user-enable" : "user-disable",
                            after: ["user": name])
        }
    }


    /// Records that a person read or exported a ticket's personal data (a recording listened to or copied out),
    /// so the audit log shows who had it (Art. 10.2: handlers must not copy or leak personal data).
    public func recordAccess(_ code: String, _ action: String, _ details: [String: String?], by user: User, at: Date) throws {
        try db.transaction {
            guard let id = try ticketID(code) else { throw DeskError.notFound(.ticket, code) }
            try audit(id, at: at, actor: user.actor, action: action, before: nil, after: details)
        }
    }

    /// Records an administrator's change made outside the database (a dialplan installed) in the audit log.
    public func recordAdministration(_ action: String, _ details: [String: String?], by admin: User, at: Date) throws {
        try db.transaction { try auditSystem(at: at, actor: "administrator:\(admin.name)", action: action, after: details) }
    }


    func auditSystem(at: Date, actor: String, action: String, after: [String: String?]) throws {
        try db.prepare("INSERT INTO audit_log (ticket_id, at, actor, action, before, after) VALUES (NULL, ?, ?, ?, NULL, ?)")
            .run([.double(at.timeIntervalSince1970), .text(actor), .text(action), .text(Self.json(after))])
    }

    // MARK: Claims

    func liveClaim(_ ticketID: Int64, code: String, at: Date) throws -> Claim? {
        try db.prepare("SELECT user_name, claimed_at, expires_at FROM claims WHERE ticket_id = ? AND expires_at > ?")
            .query([.int(ticketID), .double(at.timeIntervalSince1970)]) { r in
                Claim(trackingCode: code, userName: r.text(0) ?? "", claimedAt: r.date(1),
                      expiresAt: r.date(2))
            }.first
    }

    /// The live claim on a ticket, if any.
    public func claim(of code: String, at: Date) throws -> Claim? {
        guard let id = try ticketID(code) else { throw DeskError.notFound(.ticket, code) }
        return try liveClaim(id, code: code, at: at)
    }

    /// Claims a ticket for an agent, exclusively, until `at + duration`. Claiming one's own claim again renews
    /// it. The write lock is taken first (BEGIN IMMEDIATE), so of two agents racing, one wins and the other is
    /// told who holds it.
    @discardableResult
    public func claim(_ code: String, by user: User, at: Date, duration: TimeInterval = Claim.defaultDuration) throws -> Claim {
        try db.transaction {
            guard let (id, t, _) = try loadTicket(code) else { throw DeskError.notFound(.ticket, code) }
            let claim = try ClaimRules.claim(t, held: try liveClaim(id, code: code, at: at), by: user, at: at, duration: duration)
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

    /// Gives a claim up. `authorize` sees who holds it (an agent releases their own; a supervisor anyone's).
    public func release(_ code: String, by user: User, at: Date, authorize: (Claim) throws -> Void) throws {
        try db.transaction {
            guard let id = try ticketID(code) else { throw DeskError.notFound(.ticket, code) }
            let held = try ClaimRules.releasable(code, held: try liveClaim(id, code: code, at: at))
            try authorize(held)
            try db.prepare("DELETE FROM claims WHERE ticket_id = ?").run([.int(id)])
            try audit(id, at: at, actor: user.actor, action: "release", before: ["claimed_by": held.userName], after: nil)
        }
    }

    /// Runs a hotline step on a ticket in one transaction: refused if another agent holds a live claim on it.
    /// A case nobody claimed is claimed for the agent in the same transaction (audited), exactly as the console
    /// does when an agent acts from the case page; the claim (done with) is dropped when the step commits.
    func asHotline<T>(_ code: String, _ user: User, at: Date, _ body: () throws -> T) throws -> T {
        try db.transaction {
            guard let id = try ticketID(code) else { throw DeskError.notFound(.ticket, code) }
            let held = try liveClaim(id, code: code, at: at)
            try ClaimRules.checkFree(code, held: held, for: user)
            if held == nil {
                try audit(id, at: at, actor: user.actor, action: "claim", before: nil, after: ["implicit": "yes"])
            }
            let result = try body()
            try db.prepare("DELETE FROM claims WHERE ticket_id = ?").run([.int(id)])
            return result
        }
    }
}
