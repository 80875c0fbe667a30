import Foundation
import protocol HotlineCore.EventLogger
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

@testable import WebServer

/// The server on a real loopback socket, driven by URLSession.
final class HTTPServerTests: XCTestCase {
    private var harness: ServerHarness!
    private var broadcaster: EventBroadcaster!
    private var audioPath = ""
    private let audio: [UInt8] = (0..<1000).map { UInt8($0 % 251) }
    private let disconnects = Counter()
    private let logLines = AuditLog()

    override func setUpWithError() throws {
        audioPath = NSTemporaryDirectory() + "webserver-test-\(UUID().uuidString).wav"
        XCTAssertTrue(FileManager.default.createFile(atPath: audioPath, contents: Data(audio)))
        let disconnects = disconnects
        broadcaster = EventBroadcaster(heartbeat: 0.2, onDisconnect: { _ in disconnects.increment() })
        let logLines = logLines
        harness = try ServerHarness(router: makeRouter(), logger: logLines)
    }

    override func tearDown() {
        harness?.stop()
        try? FileManager.default.removeItem(atPath: audioPath)
    }

    private func makeRouter() -> Router {
        var router = Router()
        let broadcaster = broadcaster!
        let audioPath = audioPath
        router.get("/hello") { _ in .text("xin chào") }
        router.get("/tickets/:id") { request in
            .text("phiếu \(request.pathParameters["id"] ?? "?") q=\(request.query("q") ?? "")")
        }
        router.get("/tickets/new") { _ in .text("phiếu mới") }
        router.get("/whoami") { request in
            .text("cookie=\(request.cookie("hotline_session") ?? "-") from=\(request.remoteAddress)")
        }
        router.post("/form") { request in
            let form = try request.form()
            var lines = form.fields.map { "\($0.name)=\($0.value)" }
            lines += form.files.map { "file \($0.fieldName) \($0.filename) \($0.contentType) \($0.data.count)" }
            return .text(lines.joined(separator: "\n"))
        }
        router.get("/audio") { _ in .file(path: audioPath, contentType: "audio/wav") }
        router.get("/missing") { _ in .file(path: audioPath + ".nope", contentType: "audio/wav") }
        router.get("/events") { _ in .eventStream(broadcaster.subscribe(tag: "agent")) }
        router.get("/page") { request in
            .html("<!DOCTYPE html><p>\(HTML.escape(request.query("summary") ?? ""))</p>")
        }
        router.get("/forbidden") { _ in throw HTTPError.forbidden }
        router.get("/crash") { _ in throw CocoaError(.fileReadCorruptFile) }
        router.get("/private/report") { _ in .text("bí mật") }
        router.use { request, next in
            if request.path.hasPrefix("/private"), request.cookie("hotline_session") == nil {
                return .redirect(to: "/sign-in")
            }
            return try next(request)
        }
        return router
    }

    func testRouteAnswersWithPathParametersAndQuery() async throws {
        let hello = try await harness.send("/hello")
        XCTAssertEqual(hello.status, 200)
        XCTAssertEqual(hello.text, "xin chào")
        XCTAssertEqual(hello.header("Content-Type"), "text/plain; charset=utf-8")

        let ticket = try await harness.send("/tickets/HP-42?q=%C4%91%C3%A8n+%C4%91%C6%B0%E1%BB%9Dng")
        XCTAssertEqual(ticket.text, "phiếu HP-42 q=đèn đường")
        // The literal route wins over `:id` whatever the registration order.
        let new = try await harness.send("/tickets/new")
        XCTAssertEqual(new.text, "phiếu mới")
    }

    func testUnknownPathIs404AndWrongMethodIs405() async throws {
        let missing = try await harness.send("/nowhere")
        XCTAssertEqual(missing.status, 404)
        XCTAssertTrue(missing.text.contains("Không tìm thấy trang."))
        let wrongMethod = try await harness.send("/hello", method: "POST", body: Data())
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.header("Allow"), "GET")
        let thrown = try await harness.send("/forbidden")
        XCTAssertEqual(thrown.status, 403)
        XCTAssertTrue(logLines.lines.isEmpty, "an HTTPError is an answer, not a fault")
        let crashed = try await harness.send("/crash")
        XCTAssertEqual(crashed.status, 500)
        XCTAssertTrue(crashed.text.contains("Lỗi máy chủ"))
        XCTAssertEqual(logLines.lines.count, 1)
        XCTAssertTrue(logLines.lines.first?.hasPrefix("http-handler-failed method=GET path=/crash from=127.0.0.1 error=") ?? false, "\(logLines.lines)")
    }

    func testMiddlewareRedirectsWithoutSessionAndPassesWithIt() async throws {
        let anonymous = try await harness.send("/private/report")
        XCTAssertEqual(anonymous.status, 303)
        XCTAssertEqual(anonymous.header("Location"), "/sign-in")
        let signedIn = try await harness.send("/private/report", headers: ["Cookie": "hotline_session=abc"])
        XCTAssertEqual(signedIn.status, 200)
        XCTAssertEqual(signedIn.text, "bí mật")
    }

    func testCookiesAndRemoteAddressReachTheHandler() async throws {
        let reply = try await harness.send("/whoami", headers: ["Cookie": "theme=dark; hotline_session=\"s3cr3t\""])
        XCTAssertEqual(reply.text, "cookie=s3cr3t from=127.0.0.1")
    }

    func testURLEncodedFormIsParsed() async throws {
        let body = "summary=%C4%90%C3%A8n+h%E1%BB%8Fng&ward=L%C3%AA+Ch%C3%A2n&tag=a&tag=b&empty="
        let reply = try await harness.send("/form", method: "POST",
                                           headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                           body: Data(body.utf8))
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.text, "summary=Đèn hỏng\nward=Lê Chân\ntag=a\ntag=b\nempty=")
    }

    func testMultipartFormIsParsed() async throws {
        let boundary = "----hotline1022-test"
        var body = Data()
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"summary\"\r\n\r\n".utf8))
        body.append(Data("Cột điện đổ\r\nở Ngô Quyền".utf8))
        body.append(Data("\r\n--\(boundary)\r\n".utf8))
        body.append(Data("Content-Disposition: form-data; name=\"photo\"; filename=\"C:\\\\Ảnh\\\\cot.jpg\"\r\n".utf8))
        body.append(Data("Content-Type: image/jpeg\r\n\r\n".utf8))
        let binary: [UInt8] = [0xFF, 0xD8, 13, 10, 45, 45, 0, 1, 2, 0xFF, 0xD9]
        body.append(Data(binary))
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let reply = try await harness.send("/form", method: "POST",
                                           headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"],
                                           body: body)
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.text, "summary=Cột điện đổ\r\nở Ngô Quyền\nfile photo cot.jpg image/jpeg \(binary.count)")
    }

    func testFormWithTheWrongContentTypeIs415() async throws {
        let reply = try await harness.send("/form", method: "POST", headers: ["Content-Type": "application/json"],
                                           body: Data("{}".utf8))
        XCTAssertEqual(reply.status, 415)
    }

    func testBodyOverTheLimitIs413() async throws {
        harness.stop()
        harness = try ServerHarness(router: makeRouter(), configure: { $0.maxBodyBytes = 1024 })
        let small = try await harness.send("/form", method: "POST",
                                           headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                           body: Data("a=1".utf8))
        XCTAssertEqual(small.status, 200)
        let large = try await harness.send("/form", method: "POST",
                                           headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                           body: Data(("a=" + String(repeating: "x", count: 5000)).utf8))
        XCTAssertEqual(large.status, 413)
    }

    func testRangeRequestGets206WithTheRightBytes() async throws {
        let whole = try await harness.send("/audio")
        XCTAssertEqual(whole.status, 200)
        XCTAssertEqual(whole.header("Accept-Ranges"), "bytes")
        XCTAssertEqual([UInt8](whole.body), audio)

        let middle = try await harness.send("/audio", headers: ["Range": "bytes=100-199"])
        XCTAssertEqual(middle.status, 206)
        XCTAssertEqual(middle.header("Content-Range"), "bytes 100-199/1000")
        XCTAssertEqual(middle.header("Content-Length"), "100")
        XCTAssertEqual([UInt8](middle.body), Array(audio[100...199]))

        let open = try await harness.send("/audio", headers: ["Range": "bytes=990-"])
        XCTAssertEqual(open.status, 206)
        XCTAssertEqual([UInt8](open.body), Array(audio[990...]))

        let suffix = try await harness.send("/audio", headers: ["Range": "bytes=-5"])
        XCTAssertEqual(suffix.header("Content-Range"), "bytes 995-999/1000")
        XCTAssertEqual([UInt8](suffix.body), Array(audio[995...]))

        let beyond = try await harness.send("/audio", headers: ["Range": "bytes=5000-"])
        XCTAssertEqual(beyond.status, 416)
        XCTAssertEqual(beyond.header("Content-Range"), "bytes */1000")

        let missing = try await harness.send("/missing")
        XCTAssertEqual(missing.status, 404)
    }

    func testServerSentEventReachesTheClientAndDisconnectIsNoticed() async throws {
        let collector = StreamCollector()
        let streamSession = URLSession(configuration: .ephemeral, delegate: collector, delegateQueue: nil)
        defer { streamSession.invalidateAndCancel() }
        let task = streamSession.dataTask(with: URL(string: harness.base + "/events")!)
        task.resume()
        try await waitUntil("the client is subscribed and has the stream's first line") {
            self.broadcaster.connectedCount == 1 && collector.text.contains("retry: 2000")
        }
        XCTAssertEqual(collector.contentType, "text/event-stream; charset=utf-8")

        let sent = broadcaster.broadcast(ServerSentEvent(event: "draft", data: "{\"code\":\"HP-1\"}\nthứ hai", id: "7"))
        XCTAssertEqual(sent, 1)
        let expected = "event: draft\nid: 7\ndata: {\"code\":\"HP-1\"}\ndata: thứ hai\n\n"
        try await waitUntil("the pushed event arrives") { collector.text.contains(expected) }
        // Addressing by tag: a filter that matches nobody sends nothing.
        XCTAssertEqual(broadcaster.broadcast(ServerSentEvent(data: "x")) { $0.tag == "someone-else" }, 0)

        task.cancel()
        // The heartbeat (0.2 s here) makes the server write, fail, and free the stream.
        try await waitUntil("the server notices the client left") {
            self.broadcaster.connectedCount == 0 && self.disconnects.value == 1
        }
    }

    func testStopEndsOpenEventStreams() async throws {
        let collector = StreamCollector()
        let streamSession = URLSession(configuration: .ephemeral, delegate: collector, delegateQueue: nil)
        defer { streamSession.invalidateAndCancel() }
        streamSession.dataTask(with: URL(string: harness.base + "/events")!).resume()
        try await waitUntil("the client is subscribed") { self.broadcaster.connectedCount == 1 }
        harness.server.stop()
        XCTAssertFalse(harness.server.isRunning)
        XCTAssertEqual(broadcaster.connectedCount, 0)
    }

    func testSecurityHeadersAreOnEveryResponse() async throws {
        for path in ["/hello", "/nowhere", "/page?summary=x", "/audio", "/forbidden"] {
            let reply = try await harness.send(path)
            let csp = try XCTUnwrap(reply.header("Content-Security-Policy"), path)
            XCTAssertTrue(csp.contains("default-src 'self'"), path)
            XCTAssertTrue(csp.contains("frame-ancestors 'none'"), path)
            XCTAssertFalse(csp.contains("unsafe-inline"), path)
            XCTAssertEqual(reply.header("X-Content-Type-Options"), "nosniff", path)
            XCTAssertEqual(reply.header("Referrer-Policy"), "no-referrer", path)
            XCTAssertEqual(reply.header("Cache-Control"), "no-store", path)
            XCTAssertNil(reply.header("Strict-Transport-Security"), "no HSTS over plain HTTP: \(path)")
        }
    }

    func testScriptInDataIsPrintedAsText() async throws {
        let summary = "<script>alert('x')</script> & \"quoted\""
        let encoded = summary.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let reply = try await harness.send("/page?summary=\(encoded)")
        XCTAssertFalse(reply.text.contains("<script>"))
        XCTAssertTrue(reply.text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"))
    }

    func testPlainHTTPOnANetworkAddressIsRefusedUnlessAllowed() throws {
        for address in ["0.0.0.0", "192.168.1.10", "::"] {
            let server = WebServer(configuration: WebServerConfiguration(address: address, port: 0), router: Router())
            XCTAssertThrowsError(try server.start(), address) { error in
                XCTAssertEqual(error as? WebServerError, .plainHTTPOnNetwork(address: address))
            }
            XCTAssertFalse(server.isRunning)
            XCTAssertNoThrow(try WebServerConfiguration(address: address, allowPlainHTTPOnNetwork: true).validate())
        }
        for address in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] {
            XCTAssertNoThrow(try WebServerConfiguration(address: address).validate(), address)
        }
        XCTAssertThrowsError(try WebServerConfiguration(address: "hotline.example").validate())
        // With TLS the network address is fine, but the files must be readable.
        let tls = WebServerConfiguration.TLSFiles(certificatePath: "/nonexistent/cert.pem",
                                                  privateKeyPath: "/nonexistent/key.pem")
        XCTAssertThrowsError(try WebServerConfiguration(address: "0.0.0.0", tls: tls).validate()) { error in
            XCTAssertEqual(error as? WebServerError, .unreadableTLSFile("/nonexistent/cert.pem"))
        }
    }

    func testServesOnIPv6Loopback() throws {
        var router = Router()
        router.get("/hello") { request in .text("xin chào \(request.remoteAddress)") }
        let server = WebServer(configuration: WebServerConfiguration(address: "::1", port: 0), router: router)
        do {
            try server.start()
        } catch {
            throw XCTSkip("no IPv6 loopback here: \(error)")
        }
        defer { server.stop() }
        // URLSession on Linux rejects bracketed IPv6 URLs (NSURLErrorBadURL), so curl is the client here.
        let reply = try runTool("/usr/bin/curl", ["-sS", "-g", "--max-time", "10", "http://[::1]:\(server.port)/hello"])
        XCTAssertEqual(reply.status, 0, reply.output)
        XCTAssertEqual(reply.output, "xin chào ::1")
    }

    func testASecondServerOnTheSamePortFailsToStart() throws {
        let messages = AuditLog()
        let second = WebServer(configuration: WebServerConfiguration(address: "127.0.0.1", port: harness.server.port),
                               router: Router(), logger: messages)
        XCTAssertThrowsError(try second.start()) { error in
            guard case .startFailed(_, let port, _)? = error as? WebServerError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(port, self.harness.server.port)
        }
        XCTAssertTrue(messages.lines.contains { $0.hasPrefix("http-library message=") && $0.contains("bind") }, "\(messages.lines)")
    }

    private func waitUntil(_ what: String, timeout: TimeInterval = 10,
                           _ condition: @escaping () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline { return XCTFail("timed out waiting until \(what)") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    func increment() { lock.lock(); count += 1; lock.unlock() }
}

/// Collects a streaming response as it arrives.
final class StreamCollector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var type: String?

    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    var contentType: String? { lock.lock(); defer { lock.unlock() }; return type }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        lock.lock()
        type = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type")
        lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        self.data.append(data)
        lock.unlock()
    }
}
