import Console
import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import HotlineStore
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The console over a large store: the queue page's and the search's server time (Server-Timing), and how long
/// a new draft takes to reach 200 connected event streams. Figures only; `scripts/bench-console` runs it on the
/// store `scripts/bench-store` loads (HOTLINE_CONSOLE_BENCH_DB). Skipped otherwise.
final class ConsoleBenchmark: XCTestCase {
    func testQueueSearchAndLiveEventsOnALargeStore() throws {
        let env = ProcessInfo.processInfo.environment
        guard let path = env["HOTLINE_CONSOLE_BENCH_DB"] else {
            throw XCTSkip("set HOTLINE_CONSOLE_BENCH_DB (scripts/bench-console) to run the benchmark")
        }
        let clients = Int(env["HOTLINE_CONSOLE_BENCH_CLIENTS"] ?? "") ?? 200
        let opened = Date()
        let store = try TicketStore(path: path)  // applies the console's migration (the caller index) once
        print(String(format: "bench: store opened (migrations included) in %.1f s, schema v%d", Date().timeIntervalSince(opened),
                     try store.schemaVersion()))
        let desk = Desk(store: store, context: WorkflowContext(calendar: WorkingCalendar(), templates: try NotificationTemplates.load(
            path: repositoryRoot + "/Config/templates.vi.json")))
        if try store.user(named: "bench-agent") == nil {
            if try store.userCount() == 0 { try desk.addUser(User(name: "admin", role: .administrator), as: nil) }
            try desk.addUser(User(name: "bench-agent", role: .agent), as: try desk.user(named: "admin"))
        }

        // Realistic reports beside the synthetic ones, so names and words have something to find.
        let names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Đức", "Vũ Thị Hà"]
        let summaries = ["Đèn đường ngõ %d không sáng", "Rác thải ùn ứ đầu ngõ %d", "Ổ gà trước số nhà %d",
                         "Nước thải tràn ra đường số %d", "Tiếng ồn quán karaoke số %d"]
        var phones: [String] = []
        if try desk.search("nguyen van an", limit: 1, as: try desk.user(named: "bench-agent")).hits.isEmpty {
            let started = Date()
            for i in 0..<600 {
                let phone = String(format: "09%08d", (i * 7_919) % 100_000_000)
                phones.append(phone)
                _ = try store.createTicket(NewTicket(
                    channel: .portal, receivedAt: Date().addingTimeInterval(-Double(i) * 600), category: .infrastructure,
                    topic: .infrastructureIncident, reporter: Reporter(name: names[i % names.count], phone: phone, address: "\(i) Lạch Tray"),
                    content: "", summary: String(format: summaries[i % summaries.count], i), ward: "Lê Chân"),
                    by: Actor(.citizen, "portal"), context: try desk.context())
            }
            print(String(format: "bench: 600 realistic tickets added in %.1f s", Date().timeIntervalSince(started)))
        } else {
            phones = (0..<600).map { String(format: "09%08d", ($0 * 7_919) % 100_000_000) }
        }

        let console = try startConsole(database: path, pollInterval: 0.3, maxDesks: 12)
        defer { console.stop() }
        let session = try console.sessions.create(userID: "bench-agent")
        let cookie = "hotline_session=\(session.id)"
        let port = console.port

        // The queue page.
        var queueTimes: [Double] = []
        var rows = 0
        for i in 0..<200 {
            let reply = try request(port: port, "/hang-doi", cookie: cookie)
            XCTAssertEqual(reply.status, 200)
            if i == 0 { rows = reply.body.components(separatedBy: "class=\"case-row").count - 1 }
            if let t = serverTiming(reply) { queueTimes.append(t) }
        }
        print(String(format: "bench: queue page (%d cases listed): server time p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d requests)",
                     rows, percentile(queueTimes, 0.5), percentile(queueTimes, 0.99), queueTimes.max() ?? 0, queueTimes.count))

        // Search: a tracking code, a phone's last 4 digits, a whole number, a name, words without diacritics.
        let codes = try desk.search("den duong", limit: 50, as: try desk.user(named: "bench-agent")).hits.map(\.trackingCode)
        let queries: [(String, [String])] = [
            ("tracking code", codes.map { $0 }),
            ("phone, last 4 digits", phones.map { String($0.suffix(4)) }),
            ("phone, whole number", phones),
            ("reporter's name", names.map { $0.folding(options: .diacriticInsensitive, locale: nil).replacingOccurrences(of: "Đ", with: "D") }),
            ("words", ["den duong", "rac thai", "o ga", "nuoc thai tran", "karaoke"]),
        ]
        var all: [Double] = []
        for (kind, samples) in queries where !samples.isEmpty {
            var times: [Double] = []
            for i in 0..<100 {
                let q = samples[i % samples.count].addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let reply = try request(port: port, "/tim-kiem?q=\(q)", cookie: cookie)
                XCTAssertTrue([200, 303].contains(reply.status), "\(kind): \(reply.status)")
                if let t = serverTiming(reply) { times.append(t) }
            }
            all += times
            print(String(format: "bench: search by %@: server time p50 %.1f ms, p99 %.1f ms, max %.1f ms", kind,
                         percentile(times, 0.5), percentile(times, 0.99), times.max() ?? 0))
        }
        print(String(format: "bench: search, all kinds: p99 %.1f ms (%d requests)", percentile(all, 0.99), all.count))

        // 200 agents' event streams; a draft stored by another connection (the gateway's) reaches each.
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<clients {
            let fd = try connectLoopback(port: port)
            sendAll(fd, "GET /su-kien HTTP/1.1\r\nHost: x\r\nCookie: \(cookie)\r\n\r\n")
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            sockets.append(fd)
        }
        let connectDeadline = Date(timeIntervalSinceNow: 30)
        while console.events.connectedCount < clients, Date() < connectDeadline { usleep(20_000) }
        print("bench: \(console.events.connectedCount) event streams connected")
        let gatewayStore = try TicketStore(path: path)
        defer { try? gatewayStore.close() }
        var buffer = [UInt8](repeating: 0, count: 65536)
        func drain() { for fd in sockets { while read(fd, &buffer, buffer.count) > 0 {} } }
        usleep(300_000)
        drain()
        var delays: [Double] = []
        var missed = 0
        for round in 0..<20 {
            let code = try gatewayStore.createPhoneDraft(PhoneDraft(
                callID: "bench-\(round)-\(UUID().uuidString)", callerNumber: "0900000000", category: .infrastructure, confidential: false,
                receivedAt: Date(), recordingPath: nil, recordingDurationMs: 0, recordingSHA256: nil, dialplanVersion: "bench",
                interrupted: false))
            let stored = DispatchTime.now().uptimeNanoseconds
            var pending = Dictionary(uniqueKeysWithValues: sockets.map { ($0, "") })
            let deadline = Date(timeIntervalSinceNow: 5)
            while !pending.isEmpty, Date() < deadline {
                var fds = pending.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                guard poll(&fds, nfds_t(fds.count), 50) > 0 else { continue }
                for p in fds where p.revents != 0 {
                    let n = read(p.fd, &buffer, buffer.count)
                    guard n > 0 else { continue }
                    let text = pending[p.fd]! + String(decoding: buffer[0..<n], as: UTF8.self)
                    if text.contains(code) {
                        delays.append(Double(DispatchTime.now().uptimeNanoseconds - stored) / 1e6)
                        pending[p.fd] = nil
                    } else {
                        pending[p.fd] = String(text.suffix(200))
                    }
                }
            }
            missed += pending.count
            usleep(100_000)
            drain()
        }
        print(String(format: "bench: SSE delivery to %d clients x 20 drafts: p50 %.0f ms, p99 %.0f ms, max %.0f ms, missed %d "
                     + "(poll interval 300 ms)", clients, percentile(delays, 0.5), percentile(delays, 0.99), delays.max() ?? 0, missed))
        try store.close()
    }
}
