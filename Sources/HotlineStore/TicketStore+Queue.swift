import Foundation
import HotlineCore

/// The live queue's log and each gateway host's live state (issue 23 §7). Persistence only: the figures are
/// HotlineCore's `QueueFigures`, computed from these records.
extension TicketStore {
    public func appendQueueRecord(_ record: QueueRecord, at: Date) throws {
        func int(_ v: Int?) -> SQLValue { v.map { .int(Int64($0)) } ?? .null }
        try db.prepare("""
            INSERT INTO queue_log (at, kind, call_serial, caller_number, agent, queue_position, wait_seconds,
                talk_seconds, pressed_key, outcome, ticket_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).run([.double(at.timeIntervalSince1970), .text(record.kind.rawValue), .text(record.call),
                      .text(record.callerNumber), .optional(record.agent), int(record.position), int(record.waitSeconds),
                      int(record.talkSeconds), .optional(record.key), .optional(record.outcome), .optional(record.ticketCode)])
    }

    /// Appends the record that `decide` makes from the records since `since`, in one transaction with the read, so
    /// two writers deciding on the same records (two agents recording a callback attempt at once) are serialized.
    /// `decide` throws to append nothing.
    public func appendQueueRecord(since: Date, at: Date,
                                  _ decide: ([(at: Date, record: QueueRecord)]) throws -> QueueRecord) throws {
        try db.transaction {
            try appendQueueRecord(try decide(try queueRecords(since: since)), at: at)
        }
    }

    /// Today's queue figures at `now`, from the day's records and the hosts' live states (HotlineCore computes them):
    /// what `queue stats`, the wallboard and `/metrics` all read.
    public func queueStats(at now: Date) throws -> QueueStats {
        QueueStats(today: try queueRecords(since: QueueStats.dayStart(of: now)), snapshots: try queueSnapshots(), now: now)
    }

    /// The records from `since` on, oldest first; a record of an unknown kind (a newer program's) is skipped.
    public func queueRecords(since: Date, until: Date = .distantFuture) throws -> [(at: Date, record: QueueRecord)] {
        func int(_ r: Row, _ i: Int32) -> Int? { r.isNull(i) ? nil : Int(r.int(i)) }
        return try db.prepare("""
            SELECT at, kind, call_serial, caller_number, agent, queue_position, wait_seconds, talk_seconds, pressed_key,
                outcome, ticket_code FROM queue_log WHERE at >= ? AND at < ? ORDER BY at, id
            """).query([.double(since.timeIntervalSince1970), .double(min(until.timeIntervalSince1970, 1e15))]) { r in
            r.text(1).flatMap(QueueEventKind.init(rawValue:)).map { kind in
                (r.date(0), QueueRecord(kind: kind, call: r.text(2) ?? "", callerNumber: r.text(3) ?? "", agent: r.text(4),
                                        position: int(r, 5), waitSeconds: int(r, 6), talkSeconds: int(r, 7),
                                        key: r.text(8), outcome: r.text(9), ticketCode: r.text(10)))
            }
        }.compactMap { $0 }
    }

    public func saveQueueSnapshot(_ snapshot: QueueSnapshot) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let json = String(decoding: try encoder.encode(snapshot), as: UTF8.self)
        try db.prepare("""
            INSERT INTO queue_state (host, snapshot, at) VALUES (?, ?, ?)
            ON CONFLICT (host) DO UPDATE SET snapshot = excluded.snapshot, at = excluded.at
            """).run([.text(snapshot.host), .text(json), .double(snapshot.at.timeIntervalSince1970)])
    }

    /// Every host's latest state, newest first.
    public func queueSnapshots() throws -> [QueueSnapshot] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try db.prepare("SELECT snapshot FROM queue_state ORDER BY at DESC").query { r in
            r.text(0).flatMap { try? decoder.decode(QueueSnapshot.self, from: Data($0.utf8)) }
        }.compactMap { $0 }
    }
}

/// Agents' phones and the states they asked for (issue 23 §1–2).
extension TicketStore {
    /// Sets a user's phone: a registrar account (`digestHA1`) or an external URI, one of the two; nil for both
    /// removes it. Audited as phone-set or phone-removed, never with the HA1. The state asked for is kept.
    public func setAgentPhone(_ name: String, digestHA1: String?, uri: String?, actor: String, at: Date) throws {
        try db.transaction {
            guard try user(named: name) != nil else { throw DeskError.notFound(.user, name) }
            if digestHA1 == nil && uri == nil {
                try db.prepare("DELETE FROM agent_phones WHERE user_name = ?").run([.text(name)])
                try auditSystem(at: at, actor: actor, action: "phone-removed", after: ["user": name])
                return
            }
            try db.prepare("""
                INSERT INTO agent_phones (user_name, digest_ha1, uri, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (user_name) DO UPDATE SET digest_ha1 = excluded.digest_ha1, uri = excluded.uri,
                    updated_at = excluded.updated_at
                """).run([.text(name), .optional(digestHA1), .optional(uri), .double(at.timeIntervalSince1970)])
            try auditSystem(at: at, actor: actor, action: "phone-set",
                            after: ["user": name, "phone": uri ?? "registrar"])
        }
    }

    /// Records the state an agent asked for; false when the user has no phone.
    public func setAgentRequest(_ name: String, _ request: AgentStatusRequest, reason: String?, at: Date) throws -> Bool {
        try db.transaction {
            guard try db.prepare("SELECT 1 FROM agent_phones WHERE user_name = ?").query([.text(name)]) { _ in true }.first != nil
            else { return false }
            try db.prepare("UPDATE agent_phones SET requested = ?, reason = ?, updated_at = ? WHERE user_name = ?")
                .run([.text(request.rawValue), .optional(reason), .double(at.timeIntervalSince1970), .text(name)])
            return true
        }
    }

    /// Every active user's phone, by name.
    public func agentPhones() throws -> [AgentPhone] {
        try db.prepare("""
            SELECT p.user_name, p.digest_ha1, p.uri, p.requested, p.reason, p.updated_at FROM agent_phones p
            JOIN users u ON u.name = p.user_name WHERE u.active = 1 ORDER BY p.user_name
            """).query { r in
            AgentPhone(name: r.text(0) ?? "", digestHA1: r.text(1), uri: r.text(2),
                       requested: r.text(3).flatMap(AgentStatusRequest.init(rawValue:)) ?? .ready, reason: r.text(4),
                       changedAt: r.date(5))
        }
    }

    /// A supervisor asks to listen in on `agent`'s call (audited).
    public func requestListenIn(supervisor: String, agent: String, at: Date) throws {
        try db.transaction {
            try db.prepare("INSERT INTO listen_requests (supervisor, agent, requested_at) VALUES (?, ?, ?)")
                .run([.text(supervisor), .text(agent), .double(at.timeIntervalSince1970)])
            try auditSystem(at: at, actor: "supervisor:\(supervisor)", action: "listen-in-requested", after: ["agent": agent])
        }
    }

    /// Requests not taken up yet, made since `since`, oldest first.
    public func openListenRequests(since: Date) throws -> [ListenRequest] {
        try openRequests(in: "listen_requests", "supervisor", "agent", since: since) {
            ListenRequest(id: $0, supervisor: $1, agent: $2, at: $3)
        }
    }

    /// The gateway `host` took the request up (it holds the agent's call); false when another host already had.
    public func takeListenRequest(_ id: Int64, host: String, at: Date) throws -> Bool {
        try takeRequest(in: "listen_requests", id, host: host, at: at)
    }

    /// An agent's "Gọi lại" for the gateway holding their phone (issue 23 §5), audited.
    public func requestCallback(agent: String, number: String, at: Date) throws {
        try db.transaction {
            try db.prepare("INSERT INTO callback_requests (agent, number, requested_at) VALUES (?, ?, ?)")
                .run([.text(agent), .text(number), .double(at.timeIntervalSince1970)])
            try auditSystem(at: at, actor: "hotline:\(agent)", action: "callback-requested", after: ["number": number])
        }
    }

    /// Callback requests not taken up yet, made since `since`, oldest first.
    public func openCallbackRequests(since: Date) throws -> [CallbackRequest] {
        try openRequests(in: "callback_requests", "agent", "number", since: since) {
            CallbackRequest(id: $0, agent: $1, number: $2, at: $3)
        }
    }

    /// The open requests of `table` (who asked, and what for, in two text columns), made since `since`, oldest first.
    private func openRequests<Request>(in table: String, _ by: String, _ what: String, since: Date,
                                       _ make: (Int64, String, String, Date) -> Request) throws -> [Request] {
        try db.prepare("""
            SELECT id, \(by), \(what), requested_at FROM \(table) WHERE handled_at IS NULL AND requested_at >= ? ORDER BY id
            """).query([.double(since.timeIntervalSince1970)]) { r in make(r.int(0), r.text(1) ?? "", r.text(2) ?? "", r.date(3)) }
    }

    /// The gateway `host` places the callback (the agent's phone is on it); false when another host already does.
    public func takeCallbackRequest(_ id: Int64, host: String, at: Date) throws -> Bool {
        try takeRequest(in: "callback_requests", id, host: host, at: at)
    }

    /// Marks an open request of `table` handled by `host`, once across hosts.
    private func takeRequest(in table: String, _ id: Int64, host: String, at: Date) throws -> Bool {
        try db.transaction {
            let open = try db.prepare("SELECT 1 FROM \(table) WHERE id = ? AND handled_at IS NULL").query([.int(id)]) { _ in true }
            guard !open.isEmpty else { return false }
            try db.prepare("UPDATE \(table) SET handled_at = ?, handled_by = ? WHERE id = ?")
                .run([.double(at.timeIntervalSince1970), .text(host), .int(id)])
            return true
        }
    }
}
