import Foundation
import HotlineCore

/// The citizens' channels: API clients, and the administrators' changes to users' roles.
extension TicketStore {
    // MARK: API clients

    /// Adds a client with the SHA-256 of its key (the key itself is never stored); audited.
    public func addAPIClient(name: String, keySHA256: String, by admin: User, at: Date) throws {
        try db.transaction {
            let known = try db.prepare("SELECT count(*) FROM api_clients WHERE name = ?").query([.text(name)]) { $0.int(0) }[0]
            guard known == 0 else { throw DeskError.invalidField(.userName, reason: "đã có ứng dụng tên \(name)") }
            try db.prepare("INSERT INTO api_clients (name, key_sha256, active, created_at) VALUES (?, ?, 1, ?)")
                .run([.text(name), .text(keySHA256), .double(at.timeIntervalSince1970)])
            try auditSystem(at: at, actor: "administrator:\(admin.name)", action: "api-key-add", after: ["client": name])
        }
    }

    /// Disables a client's key (its requests get 401 from then on); audited.
    public func setAPIClientActive(name: String, _ active: Bool, by admin: User, at: Date) throws {
        try db.transaction {
            try db.prepare("UPDATE api_clients SET active = ? WHERE name = ?").run([.int(active ? 1 : 0), .text(name)])
            guard db.changes > 0 else { throw DeskError.notFound(.user, name) }
            try auditSystem(at: at, actor: "administrator:\(admin.name)", action: active ? "api-key-enable" : "api-key-disable",
                            after: ["client": name])
        }
    }

    /// The active client whose key hashes to `keySHA256`, marking it used; nil for an unknown or disabled key.
    public func apiClient(keySHA256: String, at: Date) throws -> String? {
        try db.transaction {
            guard let name = try db.prepare("SELECT name FROM api_clients WHERE key_sha256 = ? AND active = 1")
                .query([.text(keySHA256)], { $0.text(0) }).first ?? nil else { return nil }
            try db.prepare("UPDATE api_clients SET last_used_at = ? WHERE name = ?").run([.double(at.timeIntervalSince1970), .text(name)])
            return name
        }
    }

    public func apiClients() throws -> [APIClient] {
        try db.prepare("SELECT name, active, created_at, last_used_at FROM api_clients ORDER BY name").query { r in
            APIClient(name: r.text(0) ?? "", active: r.int(1) != 0, createdAt: r.date(2),
                      lastUsedAt: r.optionalDate(3))
        }
    }

    // MARK: Users' roles

    /// Changes a user's role (and unit, for a unit member); audited with the old and new role. An administrator
    /// does not take away their own administration (someone must be left to give it back).
    public func setUserRole(_ name: String, role: UserRole, unitCode: String?, by admin: User, at: Date) throws {
        try db.transaction {
            guard let u = try user(named: name) else { throw DeskError.notFound(.user, name) }
            let unit = try UserRules.roleChange(of: u, to: role, unitCode: unitCode, by: admin, directory: try unitDirectory())
            try db.prepare("UPDATE users SET role = ?, unit_code = ? WHERE name = ?")
                .run([.text(role.rawValue), .optional(unit), .text(name)])
            // A role change ends the user's claims: an agent who became a unit member holds no hotline case.
            if role != u.role { try db.prepare("DELETE FROM claims WHERE user_name = ?").run([.text(name)]) }
            try db.prepare("INSERT INTO audit_log (ticket_id, at, actor, action, before, after) VALUES (NULL, ?, ?, 'user-role', ?, ?)")
                .run([.double(at.timeIntervalSince1970), .text("administrator:\(admin.name)"),
                      .text(Self.json(["user": name, "role": u.role.rawValue, "unit": u.unitCode])),
                      .text(Self.json(["user": name, "role": role.rawValue, "unit": unit]))])
        }
    }
}
