import Foundation
import HotlineCore
import XCTest

#if canImport(Glibc)
import Glibc
#endif

import HotlineServices
@testable import HotlineStore

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
func vn(_ text: String) -> Date { ISO8601DateFormatter().date(from: text + "+07:00")! }
let agent = Actor(.hotline, "agent-1")

/// A store with the shipped units and templates, and cases made the way the desk makes them.
class OutboxTestCase: XCTestCase {
    var dir: String!
    var store: TicketStore!
    var context: WorkflowContext!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "outbox-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try TicketStore(path: dir + "/h.sqlite")
        try store.importUnits(try UnitDirectory.load(path: repositoryRoot + "/Config/units.json"))
        context = WorkflowContext(calendar: WorkingCalendar(),
                                  templates: try NotificationTemplates.load(path: repositoryRoot + "/Config/templates.vi.json"))
    }

    override func tearDownWithError() throws {
        try store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func portalTicket(at: Date, phone: String = "0912345678") throws -> String {
        try store.createTicket(
            NewTicket(channel: .portal, receivedAt: at, category: .socioeconomic, topic: .fieldReport,
                      reporter: Reporter(name: "Trần Thị Bình", phone: phone, address: "5 Lạch Tray", email: "binh@example.vn"),
                      content: "Nhà bên cạnh đốt rác hằng tối", summary: "Đốt rác gây ô nhiễm", ward: "Gia Viên"),
            by: Actor(.citizen, "portal"), context: context)
    }

    /// A case forwarded to a unit: its acknowledgement waits in the outbox.
    func forwardedCase(phone: String = "0912345678", at: Date = vn("2026-06-10T08:10:00")) throws -> String {
        let code = try portalTicket(at: at.addingTimeInterval(-600), phone: phone)
        try store.perform(.forward(unit: "P-GIAVIEN"), on: code, by: agent, at: at, context: context)
        return code
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers each request with the next status of a script and keeps
/// what it was sent: the SMS/Zalo gateway, as far as the webhook sender can tell.
final class LoopbackHTTPServer: @unchecked Sendable {
    private let fd: Int32
    let port: UInt16
    private let lock = NSLock()
    private var script: [Int]
    private var bodies: [Data] = []

    init(statuses: [Int]) throws {
        script = statuses
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        var len = size
        var actual = sockaddr_in()
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: actual.sin_port)
        Thread { [self] in serve() }.start()
    }

    var received: [Data] { lock.lock(); defer { lock.unlock() }; return bodies }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var request = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var expected: Int?
        while expected.map({ request.count < $0 }) ?? true {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { break }
            request.append(contentsOf: buffer[0..<n])
            if expected == nil, let end = request.range(of: Data("\r\n\r\n".utf8)) {
                let head = String(decoding: request[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                expected = end.upperBound + length
            }
        }
        lock.lock()
        let status = script.isEmpty ? 200 : script.removeFirst()
        if let end = request.range(of: Data("\r\n\r\n".utf8)) { bodies.append(request[end.upperBound...]) }
        lock.unlock()
        let response = "HTTP/1.1 \(status) X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        _ = response.withCString { write(client, $0, strlen($0)) }
    }
}

final class OutboxTests: OutboxTestCase {
    func testTheWorkerRetriesWithBackOffUntilTheWebhookTakesIt() throws {
        let server = try LoopbackHTTPServer(statuses: [503, 500, 200])
        defer { server.stop() }
        let code = try forwardedCase()
        let worker = OutboxWorker(store: store, sender: WebhookSender(url: URL(string: "http://127.0.0.1:\(server.port)/sms")!, timeout: 5),
                                  policy: RetryPolicy(delays: [30, 120]))
        let t0 = vn("2026-06-10T08:10:00")
        XCTAssertEqual(try worker.runOnce(now: t0), OutboxWorker.Round(sent: 0, retrying: 1, failed: 0))
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(10)), OutboxWorker.Round(), "not before the back-off")
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(30)), OutboxWorker.Round(sent: 0, retrying: 1, failed: 0))
        var m = try XCTUnwrap(store.outbox().first)
        XCTAssertEqual(m.attempts, 2)
        XCTAssertEqual(m.nextAttemptAt, t0.addingTimeInterval(30 + 120))
        XCTAssertTrue(m.lastError?.contains("HTTP 500") == true, m.lastError ?? "")
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(150)), OutboxWorker.Round(sent: 1, retrying: 0, failed: 0))
        m = try XCTUnwrap(store.outbox().first)
        XCTAssertNotNil(m.sentAt)
        XCTAssertEqual(server.received.count, 3)
        let body = try JSONSerialization.jsonObject(with: server.received[2]) as? [String: Any]
        XCTAssertEqual(body?["to"] as? String, "0912345678")
        XCTAssertEqual(body?["code"] as? String, code)
        XCTAssertEqual(body?["kind"] as? String, "acknowledgement")
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(10_000)), OutboxWorker.Round(), "sent once")
    }

    func testAMessageGivesUpAfterTheLastAttemptAndIsListedAsFailed() throws {
        let server = try LoopbackHTTPServer(statuses: [500, 500, 500, 500])
        defer { server.stop() }
        let code = try portalTicket(at: vn("2026-06-10T08:00:00"))
        try store.perform(.refuse(reason: "Ngôn từ xúc phạm"), on: code, by: agent, at: vn("2026-06-10T08:10:00"), context: context)
        let worker = OutboxWorker(store: store, sender: WebhookSender(url: URL(string: "http://127.0.0.1:\(server.port)/")!, timeout: 5),
                                  policy: RetryPolicy(delays: [1]))
        let t0 = vn("2026-06-10T08:10:00")
        XCTAssertEqual(try worker.runOnce(now: t0).retrying, 1)
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(1)).failed, 1)
        XCTAssertEqual(try store.outbox(failedOnly: true).map(\.trackingCode), [code])
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(1000)), OutboxWorker.Round())
    }

    func testAnUnreachableWebhookIsARetryNotACrash() throws {
        let server = try LoopbackHTTPServer(statuses: [])
        let port = server.port
        server.stop()
        let code = try forwardedCase()
        let worker = OutboxWorker(store: store, sender: WebhookSender(url: URL(string: "http://127.0.0.1:\(port)/")!, timeout: 2))
        XCTAssertEqual(try worker.runOnce(now: vn("2026-06-10T08:10:00")).retrying, 1)
    }

    func testTheLogFileSenderMasksTheNumber() throws {
        let code = try forwardedCase()
        let log = dir + "/log/messages.jsonl"
        _ = code
        let round = try OutboxWorker(store: store, sender: LogFileSender(path: log)).runOnce(now: vn("2026-06-10T08:11:00"))
        XCTAssertEqual(round.sent, 1)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(text.contains("*******678") && text.contains(code), text)
        XCTAssertFalse(text.contains("0912345678"))
    }
}

/// A sender that answers from a script and keeps what it was given.
final class ScriptedSender: MessageSender, @unchecked Sendable {
    let channel: String
    private let lock = NSLock()
    private var script: [Result<SendOutcome, SendError>]
    private(set) var sent: [OutboxMessage] = []
    init(_ channel: String, _ script: [Result<SendOutcome, SendError>]) { (self.channel, self.script) = (channel, script) }
    func send(_ message: OutboxMessage) throws -> SendOutcome {
        lock.lock()
        defer { lock.unlock() }
        sent.append(message)
        let next = script.isEmpty ? .success(.accepted(reference: nil, awaitsReport: false)) : script.removeFirst()
        return try next.get()
    }
}

final class OutboxRoutingTests: OutboxTestCase {
    func testARefusalHandsTheMessageToTheNextSenderAtOnce() throws {
        let code = try forwardedCase()
        let zns = ScriptedSender("zns", [.success(.refused(code: "zns-118", reason: "số này không dùng Zalo"))])
        let sms = ScriptedSender("kannel", [.success(.accepted(reference: nil, awaitsReport: true))])
        let worker = OutboxWorker(store: store, senders: [zns, sms])
        let t0 = vn("2026-06-10T08:10:00")
        XCTAssertEqual(try worker.runOnce(now: t0), OutboxWorker.Round(sent: 1, rerouted: 1))
        let m = try XCTUnwrap(store.outboxMessages(trackingCode: code).first)
        XCTAssertEqual(m.channel, "kannel")
        XCTAssertEqual(m.delivery, .sent)
        XCTAssertEqual(m.route, 1)
        XCTAssertEqual(m.reportDueAt, t0.addingTimeInterval(600), "a report is awaited 10 minutes")
        XCTAssertEqual(m.values["code"], code, "the values a ZNS template needs are kept")
        XCTAssertEqual(zns.sent.count, 1)
        XCTAssertEqual(sms.sent.first?.id, m.id)
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(60)), OutboxWorker.Round(), "sent once")
    }

    func testTheLastRefusalFailsTheMessageAndRaisesTheCaseInTheHotlinesQueue() throws {
        let code = try forwardedCase(phone: "02253842000")
        let now = vn("2026-06-10T08:10:00")
        XCTAssertFalse(try store.hotlineQueue(now: now).contains { $0.trackingCode == code }, "forwarded: not in the queue")
        let kannel = KannelSender(settings: .init(sendsmsURL: URL(string: "http://127.0.0.1:9/cgi-bin/sendsms")!, username: "u",
                                                  password: "p", from: "HAIPHONG1022", reportBase: "http://127.0.0.1:9"))
        XCTAssertEqual(try OutboxWorker(store: store, senders: [kannel]).runOnce(now: now).failed, 1,
                       "a landline is refused before anything is sent (port 9 would be an error, not a refusal)")
        let m = try XCTUnwrap(store.outboxMessages(trackingCode: code).first)
        XCTAssertEqual(m.delivery, .failed)
        XCTAssertEqual(m.deliveryCode, "landline")
        XCTAssertTrue(m.lastError?.contains("số cố định") == true, m.lastError ?? "")
        let item = try XCTUnwrap(store.hotlineQueue(now: now).first { $0.trackingCode == code })
        XCTAssertEqual(item.clock, .citizenNotTold)
        XCTAssertEqual(try store.history(code).last?.action, "message-undelivered")
        // The agent calls the citizen back: the case leaves the queue, the history says who.
        XCTAssertTrue(try store.markCitizenInformed(trackingCode: code, by: agent, note: "đã gọi điện báo mã số", at: now))
        XCTAssertFalse(try store.hotlineQueue(now: now).contains { $0.trackingCode == code })
        XCTAssertFalse(try store.markCitizenInformed(trackingCode: code, by: agent, note: "lần hai", at: now), "nothing left to close")
        XCTAssertEqual(try store.outboxMessages(trackingCode: code).first?.informedBy, agent.name)
    }

    func testNoReportInTenMinutesIsUnknownAndRetriedOnceByTheNextSender() throws {
        let code = try forwardedCase()
        let sms = ScriptedSender("kannel", [.success(.accepted(reference: nil, awaitsReport: true))])
        let zns = ScriptedSender("zns", [.success(.accepted(reference: "msg-1", awaitsReport: true))])
        let worker = OutboxWorker(store: store, senders: [sms, zns])
        let t0 = vn("2026-06-10T08:10:00")
        XCTAssertEqual(try worker.runOnce(now: t0).sent, 1)
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(599)), OutboxWorker.Round(), "not before 10 minutes")
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(600)), OutboxWorker.Round(sent: 1, unknown: 1))
        var m = try XCTUnwrap(store.outboxMessages(trackingCode: code).first)
        XCTAssertEqual(m.channel, "zns")
        XCTAssertEqual(m.carrierRef, "msg-1")
        XCTAssertTrue(m.unknownRetried)
        XCTAssertEqual(try worker.runOnce(now: t0.addingTimeInterval(1200)), OutboxWorker.Round(unknown: 1))
        m = try XCTUnwrap(store.outboxMessages(trackingCode: code).first)
        XCTAssertEqual(m.delivery, .unknown, "retried once only")
        XCTAssertEqual(sms.sent.count + zns.sent.count, 2)
        XCTAssertEqual(try store.hotlineQueue(now: t0).first { $0.trackingCode == code }?.clock, .citizenNotTold)
    }

    func testKannelReportsAreAuthenticatedPerMessageAndMarkTheState() throws {
        let delivered = try forwardedCase()
        let expired = try forwardedCase(phone: "0987654321")
        let worker = OutboxWorker(store: store, senders: [ScriptedSender("kannel", [.success(.accepted(reference: nil, awaitsReport: true)),
                                                                                   .success(.accepted(reference: nil, awaitsReport: true))])])
        XCTAssertEqual(try worker.runOnce(now: vn("2026-06-10T08:10:00")).sent, 2)
        let reports = try DeliveryReports(database: store.path, zalo: nil, logger: MemoryLogger())
        defer { reports.stop() }
        let a = try XCTUnwrap(store.outboxMessages(trackingCode: delivered).first)
        let b = try XCTUnwrap(store.outboxMessages(trackingCode: expired).first)
        XCTAssertEqual(a.reportToken.count, 32)
        XCTAssertNotEqual(a.reportToken, b.reportToken)
        XCTAssertEqual(reports.kannel(query: ["m": "\(a.id)", "t": b.reportToken, "type": "1"]).0, 403, "another message's token")
        XCTAssertEqual(reports.kannel(query: ["m": "\(a.id)", "type": "1"]).0, 400)
        XCTAssertEqual(reports.kannel(query: ["m": "\(a.id)", "t": a.reportToken, "type": "8", "status": "ACK/", "ref": "4711"]).0, 200)
        XCTAssertEqual(try store.outboxMessage(id: a.id)?.delivery, .sent, "the SMSC's acknowledgement is not a delivery")
        XCTAssertEqual(try store.outboxMessage(id: a.id)?.carrierRef, "4711")
        let receipt = "id:4711 sub:001 dlvrd:001 submit date:2606100810 done date:2606100811 stat:DELIVRD err:000 text:Tong"
        XCTAssertEqual(reports.kannel(query: ["m": "\(a.id)", "t": a.reportToken, "type": "1", "status": receipt]).0, 200)
        XCTAssertEqual(try store.outboxMessage(id: a.id)?.delivery, .delivered)
        XCTAssertEqual(try store.outboxMessage(id: a.id)?.deliveryCode, "stat:DELIVRD err:000")
        let late = "id:4712 sub:001 dlvrd:000 submit date:2606100810 done date:2606120810 stat:EXPIRED err:000 text:Tong"
        XCTAssertEqual(reports.kannel(query: ["m": "\(b.id)", "t": b.reportToken, "type": "2", "status": late]).0, 200)
        XCTAssertEqual(try store.outboxMessage(id: b.id)?.delivery, .expired)
        XCTAssertEqual(try store.outbox(failedOnly: true).map(\.trackingCode), [expired])
        let queue = try store.hotlineQueue(now: vn("2026-06-10T08:20:00"))
        XCTAssertEqual(queue.filter { $0.clock == .citizenNotTold }.map(\.trackingCode), [expired])
    }

    func testZaloWebhookEventsNeedTheirSignature() throws {
        let code = try forwardedCase()
        let worker = OutboxWorker(store: store, senders: [ScriptedSender("zns", [.success(.accepted(reference: "zmsg-9", awaitsReport: true))])])
        XCTAssertEqual(try worker.runOnce(now: vn("2026-06-10T08:10:00")).sent, 1)
        let reports = try DeliveryReports(database: store.path, zalo: .init(appID: "app-1", oaSecret: "oa-secret"), logger: MemoryLogger())
        defer { reports.stop() }
        let body = Array(#"{"app_id":"app-1","event_name":"user_received_message","message":{"msg_id":"zmsg-9","delivery_time":"1781053860000"},"timestamp":"1781053860123"}"#.utf8)
        var hash = SHA256()
        hash.update(Array("app-1".utf8)); hash.update(body); hash.update(Array("1781053860123".utf8)); hash.update(Array("oa-secret".utf8))
        let signature = hash.finalize().map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(reports.zns(body: body, signature: "mac=" + String(repeating: "0", count: 64)).0, 403)
        XCTAssertEqual(try store.outboxMessages(trackingCode: code).first?.delivery, .sent)
        XCTAssertEqual(reports.zns(body: body, signature: "mac=" + signature).0, 200)
        XCTAssertEqual(try store.outboxMessages(trackingCode: code).first?.delivery, .delivered)
    }

    func testZNSCodesDecideRetryOrNextChannel() throws {
        XCTAssertEqual(try ZNSSender.outcome(error: 0, message: "Success", msgID: "m"), .accepted(reference: "m", awaitsReport: true))
        XCTAssertThrowsError(try ZNSSender.outcome(error: -100, message: "Unknown error", msgID: nil), "-100 is retried")
        for code in [-118, -144, -109, -108, -1139] {
            guard case .refused(let c, _) = try ZNSSender.outcome(error: code, message: "x", msgID: nil) else {
                return XCTFail("\(code) goes to the next channel")
            }
            XCTAssertEqual(c, "zns\(code)")
        }
    }
}
