import Foundation
import HotlineCore
import XCTest

#if canImport(Glibc)
import Glibc
#endif

@testable import HotlineStore

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

final class OutboxTests: StoreTestCase {
    func testTheWorkerRetriesWithBackOffUntilTheWebhookTakesIt() throws {
        let server = try LoopbackHTTPServer(statuses: [503, 500, 200])
        defer { server.stop() }
        let code = try portalTicket(at: vn("2026-06-10T08:00:00"))
        try store.perform(.forward(unit: "P-GIAVIEN"), on: code, by: agent, at: vn("2026-06-10T08:10:00"), context: context)
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
        let code = try portalTicket(at: vn("2026-06-10T08:00:00"))
        try store.perform(.forward(unit: "P-GIAVIEN"), on: code, by: agent, at: vn("2026-06-10T08:10:00"), context: context)
        let worker = OutboxWorker(store: store, sender: WebhookSender(url: URL(string: "http://127.0.0.1:\(port)/")!, timeout: 2))
        XCTAssertEqual(try worker.runOnce(now: vn("2026-06-10T08:10:00")).retrying, 1)
    }

    func testTheLogFileSenderMasksTheNumber() throws {
        let code = try portalTicket(at: vn("2026-06-10T08:00:00"))
        try store.perform(.forward(unit: "P-GIAVIEN"), on: code, by: agent, at: vn("2026-06-10T08:10:00"), context: context)
        let log = dir + "/log/messages.jsonl"
        let round = try OutboxWorker(store: store, sender: LogFileSender(path: log)).runOnce(now: vn("2026-06-10T08:11:00"))
        XCTAssertEqual(round.sent, 1)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(text.contains("*******678") && text.contains(code), text)
        XCTAssertFalse(text.contains("0912345678"))
    }
}
