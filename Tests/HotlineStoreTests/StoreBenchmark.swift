import Foundation
import HotlineCore
import XCTest

@testable import HotlineStore

/// The store at a million tickets: the agent queue, a weekly and a monthly report, the file's size.
/// Skipped unless HOTLINE_BENCH_TICKETS is set; `scripts/bench-store` runs it.
final class StoreBenchmark: XCTestCase {
    func testAMillionTickets() throws {
        let env = ProcessInfo.processInfo.environment
        guard let count = env["HOTLINE_BENCH_TICKETS"].flatMap(Int.init) else {
            throw XCTSkip("set HOTLINE_BENCH_TICKETS (scripts/bench-store) to run the benchmark")
        }
        let path = env["HOTLINE_BENCH_DB"] ?? NSTemporaryDirectory() + "hotline-bench-\(UUID().uuidString).sqlite"
        // HOTLINE_BENCH_REUSE=1 times the queries on a database an earlier run kept (HOTLINE_BENCH_DB).
        let reuse = env["HOTLINE_BENCH_REUSE"] == "1" && FileManager.default.fileExists(atPath: path)
        if !reuse { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try TicketStore(path: path)
        try store.importUnits(try UnitDirectory.load(path: configDirectory + "/units.json"))
        let units = try store.unitDirectory().units.map(\.code)

        // Two years of tickets ending now-ish, ~1,400 a day; old ones mostly closed, the last hours' drafts open.
        let end = vn("2026-06-11T10:00:00")
        let span: TimeInterval = 2 * 365 * 86400
        if !reuse {
            let started = Date()
            try store.loadSynthetic(count: count, end: end, span: span, units: units)
            print(String(format: "bench: loaded %d tickets in %.1f s", count, Date().timeIntervalSince(started)))
        }

        func time<T>(_ label: String, runs: Int = 5, _ body: () throws -> T) rethrows -> (T, Double) {
            var best = Double.infinity
            var result: T?
            for _ in 0..<runs {
                let t0 = DispatchTime.now().uptimeNanoseconds
                result = try body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            print(String(format: "bench: %@: %.1f ms (best of %d)", label, best, runs))
            return (result!, best)
        }
        let (queue, queueMs) = try time("agent queue (\(try store.draftQueue().count) drafts)") { try store.draftQueue() }
        let (weekly, weeklyMs) = try time("weekly report, cumulative over all tickets") {
            try store.weeklyReport(from: end.addingTimeInterval(-7 * 86400), to: end, asOf: end)
        }
        let (monthly, monthlyMs) = try time("monthly Form 01, cumulative over all tickets") {
            try store.monthlyReport(from: vn("2026-05-01T00:00:00"), to: vn("2026-06-01T00:00:00"), asOf: end)
        }
        // Issue 5's lists at the same size: a unit's inbox, the hotline's review list, the overdue watch.
        if try store.userCount() == 0 {
            let admin = User(name: "admin", role: .administrator)
            try store.addUser(admin, by: nil, at: end)
            try store.addUser(User(name: "agent", role: .agent), by: admin, at: end)
            try store.addUser(User(name: "unit", role: .unit, unitCode: units[2]), by: admin, at: end)
        }
        let (inbox, _) = try time("unit inbox of \(units[2])") { try store.unitInbox(units[2]) }
        let (pending, _) = try time("review pending") { try store.pendingReview() }
        let (watch, _) = try time("overdue watch (due within 1 h)") { try store.watchList(now: end, within: 3600) }
        print("bench: inbox \(inbox.count), pending review \(pending.count), overdue or due within 1 h \(watch.count)")
        try store.close()
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        print(String(format: "bench: database %.1f MB (+ %.1f MB WAL)", Double(size) / 1e6, Double(wal) / 1e6))
        print("bench: week \(weekly.week.total) tickets, cumulative \(weekly.cumulative.total); month \(monthly.month.total)")
        XCTAssertEqual(weekly.cumulative.total, count)
        XCTAssertFalse(queue.isEmpty)
        XCTAssertLessThanOrEqual(queueMs, 50, "target: agent queue ≤ 50 ms")
        XCTAssertLessThanOrEqual(weeklyMs, 1000, "target: weekly report ≤ 1 s")
        if env["HOTLINE_BENCH_DB"] == nil { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        _ = monthlyMs
    }
}

extension TicketStore {
    /// Bulk-loads synthetic tickets for the benchmark, 50,000 per transaction, with a fixed random seed.
    func loadSynthetic(count: Int, end: Date, span: TimeInterval, units: [String]) throws {
        var rng = SplitMix64(seed: 1022)
        let channels = Channel.allCases.map(\.rawValue)
        let categories = HotlineCore.Category.allCases.map(\.rawValue)
        let topics = Topic.allCases.map(\.rawValue)
        let start = end.timeIntervalSince1970 - span
        let insert = """
            INSERT INTO tickets (tracking_code, channel, status, category, topic, caller_number, received_at, due_at,
                response_due_at, resolved_at, completed_at, unit_code, ward, summary, step_started_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        var done = 0
        while done < count {
            let batch = min(50_000, count - done)
            try db.transaction {
                let statement = try db.prepare(insert)
                for i in done..<(done + batch) {
                    // Receipt times rise with i, so codes and times agree; the last 150 are drafts of the last hours.
                    let received = start + span * Double(i) / Double(count)
                    let age = end.timeIntervalSince1970 - received
                    let roll = rng.next() % 100
                    let status: TicketStatus
                    if count - i <= 150 { status = .draft }
                    else if age < 20 * 86400 { status = [.forwarded, .accepted, .inProgress, .resolved, .completed][Int(roll % 5)] }
                    else if roll < 90 { status = .completed }
                    else if roll < 93 { status = .refused }
                    else if roll < 94 { status = .withdrawn }
                    else if roll < 96 { status = .merged }
                    else { status = .inProgress }
                    let responseDue = received + 5 * 86400
                    let resolved: Double? = status == .completed || status == .resolved
                        ? received + Double(rng.next() % (7 * 86400)) : nil
                    let due: Double? = switch status {
                    case .draft: received + 3600
                    case .forwarded, .accepted, .inProgress: responseDue
                    default: nil
                    }
                    let unit: SQLValue = status == .draft || status == .refused ? .null : .text(units[Int(rng.next() % UInt64(units.count))])
                    let code = TrackingCode.make(receivedAt: Date(timeIntervalSince1970: received), number: i + 1)
                    try statement.run([
                        .text(code), .text(channels[Int(rng.next() % 3)]), .text(status.rawValue),
                        .text(categories[Int(rng.next() % 4)]), .text(topics[Int(rng.next() % 6)]),
                        .text("09\(10_000_000 + rng.next() % 89_999_999)"), .double(received),
                        due.map(SQLValue.double) ?? .null, .double(responseDue), resolved.map(SQLValue.double) ?? .null,
                        status == .completed ? .double(resolved! + 3600) : .null, unit, .text("Phường \(rng.next() % 30)"),
                        .text("Phản ánh số \(i)"), .double(received), .double(received), .double(received),
                    ])
                }
                try db.prepare("UPDATE sequences SET last = ? WHERE name = 'tracking'").run([.int(Int64(done + batch))])
            }
            done += batch
        }
        try db.execute("ANALYZE")
    }
}

/// A small deterministic generator, so every run loads the same tickets.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
