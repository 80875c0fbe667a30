import Foundation
import HotlineCore

extension TicketStore {
    /// Replaces the directory with an administrator's file, in one transaction. Units no longer listed are kept
    /// inactive, since old tickets still name them.
    public func importUnits(_ directory: UnitDirectory, by actor: String = "setup") throws {
        try directory.validate()
        try db.transaction {
            try auditSystem(at: Date(), actor: actor == "setup" ? actor : "administrator:\(actor)", action: "units-import",
                            after: ["units": String(directory.units.count), "rules": String(directory.rules.count)])
            try db.execute("UPDATE units SET active = 0")
            for u in directory.units {
                let wards = String(decoding: try JSONEncoder().encode(u.wards), as: UTF8.self)
                try db.prepare("""
                    INSERT INTO units (code, name, kind, wards, active) VALUES (?, ?, ?, ?, 1)
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, wards = excluded.wards, active = 1
                    """).run([.text(u.code), .text(u.name), .text(u.kind.rawValue), .text(wards)])
            }
            try db.execute("DELETE FROM routing_rules")
            for (i, r) in directory.rules.enumerated() {
                let units = String(decoding: try JSONEncoder().encode(r.units), as: UTF8.self)
                try db.prepare("INSERT INTO routing_rules (position, category, topic, ward, units) VALUES (?, ?, ?, ?, ?)")
                    .run([.int(Int64(i)), .optional(r.category?.rawValue), .optional(r.topic?.rawValue), .optional(r.ward), .text(units)])
            }
        }
    }

    /// The active units and the routing rules.
    public func unitDirectory() throws -> UnitDirectory {
        let decoder = JSONDecoder()
        let units = try db.prepare("SELECT code, name, kind, wards FROM units WHERE active = 1 ORDER BY code").query { r in
            Unit(code: r.text(0) ?? "", name: r.text(1) ?? "", kind: Unit.Kind(rawValue: r.text(2) ?? "") ?? .other,
                 wards: (try? decoder.decode([String].self, from: Data((r.text(3) ?? "[]").utf8))) ?? [])
        }
        let rules = try db.prepare("SELECT category, topic, ward, units FROM routing_rules ORDER BY position").query { r in
            RoutingRule(category: r.category(0), topic: r.topic(1),
                        ward: r.text(2), units: (try? decoder.decode([String].self, from: Data((r.text(3) ?? "[]").utf8))) ?? [])
        }
        return UnitDirectory(units: units, rules: rules)
    }

    /// The router's suggestion for a ticket, from its category, topic and ward.
    public func suggestRoute(_ code: String) throws -> RoutingDecision {
        guard let (_, t, _) = try loadTicket(code) else { throw DeskError.notFound(.ticket, code) }
        return Router.route(category: t.category, topic: t.topic, ward: t.ward, in: try unitDirectory())
    }
}
