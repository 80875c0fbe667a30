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
