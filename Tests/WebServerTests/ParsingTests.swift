import Foundation
import XCTest

@testable import WebServer

/// The I/O-free pieces: forms, ranges, routing, event encoding, headers, escaping.
final class ParsingTests: XCTestCase {
    func testURLEncodedDecodingAndErrors() throws {
        let form = try FormData.parseURLEncoded(Array("a=1+2&b=%E2%9C%93&c&=x&a=3".utf8))
        XCTAssertEqual(form["a"], "1 2")
        XCTAssertEqual(form.values("a"), ["1 2", "3"])
        XCTAssertEqual(form["b"], "✓")
        XCTAssertEqual(form["c"], "")
        XCTAssertEqual(form[""], "x")
        XCTAssertThrowsError(try FormData.parseURLEncoded(Array("a=%G1".utf8))) {
            XCTAssertEqual($0 as? FormError, .malformedEncoding)
        }
        XCTAssertThrowsError(try FormData.parseURLEncoded(Array("a=%4".utf8)))
        XCTAssertThrowsError(try FormData.parseURLEncoded(Array("a=%FF".utf8)), "not UTF-8")
    }

    func testURLEncodedLimits() {
        let limits = FormLimits(maxFields: 2, maxFieldBytes: 4)
        XCTAssertThrowsError(try FormData.parseURLEncoded(Array("a=1&b=2&c=3".utf8), limits: limits)) {
            XCTAssertEqual($0 as? FormError, .tooManyFields(limit: 2))
        }
        XCTAssertThrowsError(try FormData.parseURLEncoded(Array("a=12345".utf8), limits: limits)) {
            XCTAssertEqual($0 as? FormError, .fieldTooLarge(name: "a", limit: 4))
            XCTAssertEqual(($0 as? FormError)?.status, 413)
        }
    }

    func testMultipartLimitsAndMalformedBodies() {
        let boundary = "b"
        func body(_ parts: String) -> [UInt8] { Array(parts.utf8) }
        let twoFiles = body("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"1.txt\"\r\n\r\nx\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"g\"; filename=\"2.txt\"\r\n\r\ny\r\n--b--\r\n")
        XCTAssertThrowsError(try FormData.parseMultipart(twoFiles, boundary: boundary,
                                                         limits: FormLimits(maxFiles: 1))) {
            XCTAssertEqual($0 as? FormError, .tooManyFiles(limit: 1))
        }
        XCTAssertEqual(try FormData.parseMultipart(twoFiles, boundary: boundary).files.map(\.filename),
                       ["1.txt", "2.txt"])
        let unterminated = body("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nno end")
        XCTAssertThrowsError(try FormData.parseMultipart(unterminated, boundary: boundary))
        let noName = body("--b\r\nContent-Disposition: attachment\r\n\r\nx\r\n--b--")
        XCTAssertThrowsError(try FormData.parseMultipart(noName, boundary: boundary))
        XCTAssertThrowsError(try FormData.parseMultipart(body("nothing here"), boundary: boundary))
    }

    func testFormRequiresAKnownContentTypeAndABoundary() {
        var request = HTTPRequest(method: .post, path: "/", body: Array("a=1".utf8))
        XCTAssertThrowsError(try request.form())
        request.headers.set("Content-Type", "multipart/form-data")
        XCTAssertThrowsError(try request.form()) { XCTAssertEqual(($0 as? FormError)?.status, 400) }
        request.headers.set("Content-Type", "Application/X-WWW-Form-Urlencoded; charset=UTF-8")
        XCTAssertEqual(try request.form()["a"], "1")
    }

    func testByteRangeResolution() {
        XCTAssertEqual(ByteRange.resolve(header: nil, size: 10), .whole)
        XCTAssertEqual(ByteRange.resolve(header: "bytes=0-0", size: 10), .partial(ByteRange(first: 0, last: 0)))
        XCTAssertEqual(ByteRange.resolve(header: "bytes=2-", size: 10), .partial(ByteRange(first: 2, last: 9)))
        XCTAssertEqual(ByteRange.resolve(header: "bytes=2-100", size: 10), .partial(ByteRange(first: 2, last: 9)))
        XCTAssertEqual(ByteRange.resolve(header: "bytes=-3", size: 10), .partial(ByteRange(first: 7, last: 9)))
        XCTAssertEqual(ByteRange.resolve(header: "bytes=-30", size: 10), .partial(ByteRange(first: 0, last: 9)))
        XCTAssertEqual(ByteRange.resolve(header: "bytes=10-", size: 10), .unsatisfiable)
        XCTAssertEqual(ByteRange.resolve(header: "bytes=-0", size: 10), .unsatisfiable)
        XCTAssertEqual(ByteRange.resolve(header: "bytes=0-", size: 0), .unsatisfiable)
        XCTAssertEqual(ByteRange.resolve(header: "bytes=5-2", size: 10), .whole, "invalid: ignored")
        XCTAssertEqual(ByteRange.resolve(header: "bytes=0-1,4-5", size: 10), .whole, "several ranges: ignored")
        XCTAssertEqual(ByteRange.resolve(header: "items=0-1", size: 10), .whole)
        XCTAssertEqual(ByteRange(first: 7, last: 9).contentRange(size: 10), "bytes 7-9/10")
    }

    func testRouterPrefersSpecificRoutesAndCapturesTheRest() {
        var router = Router()
        router.get("/assets/*file") { .text("asset " + ($0.pathParameters["file"] ?? "")) }
        router.get("/a/:x/c") { .text("param " + ($0.pathParameters["x"] ?? "")) }
        router.get("/a/b/:y") { .text("literal-first " + ($0.pathParameters["y"] ?? "")) }
        router.get("/a/b/c") { _ in .text("all literal") }
        func body(_ path: String, _ method: HTTPMethod = .get) -> String {
            let response = router.respond(to: HTTPRequest(method: method, path: path))
            guard case .bytes(let bytes) = response.body else { return "" }
            return "\(response.status) " + String(decoding: bytes, as: UTF8.self)
        }
        XCTAssertEqual(body("/a/b/c"), "200 all literal")
        XCTAssertEqual(body("/a/b/d"), "200 literal-first d")
        XCTAssertEqual(body("/a/z/c"), "200 param z")
        XCTAssertEqual(body("/assets/js/console.js"), "200 asset js/console.js")
        XCTAssertEqual(body("/a/b/c", .head), "200 all literal", "GET routes answer HEAD")
        XCTAssertTrue(body("/assets/../secret").hasPrefix("400"), "dot segments are refused")
        XCTAssertTrue(body("/a/b").hasPrefix("404"))
    }

    func testMiddlewareOrderAndErrors() {
        var router = Router()
        router.get("/") { _ in throw NSError(domain: "x", code: 1) }
        router.get("/ok") { _ in .text("ok") }
        router.use { request, next in
            var response = try next(request)
            response.headers.add("X-Order", "outer")
            return response
        }
        router.use { request, next in
            var response = try next(request)
            response.headers.add("X-Order", "inner")
            return response
        }
        let ok = router.respond(to: HTTPRequest(method: .get, path: "/ok"))
        XCTAssertEqual(ok.headers.values("X-Order"), ["inner", "outer"])
        XCTAssertEqual(router.respond(to: HTTPRequest(method: .get, path: "/")).status, 500)
    }

    func testServerSentEventEncodingCannotBeInjected() {
        XCTAssertEqual(String(decoding: ServerSentEvent(data: "a").encoded, as: UTF8.self), "data: a\n\n")
        let hostile = ServerSentEvent(event: "x\ndata: forged", data: "one\r\ntwo\rthree\n", id: "1\n2")
        XCTAssertEqual(String(decoding: hostile.encoded, as: UTF8.self),
                       "event: xdata: forged\nid: 12\ndata: one\ndata: two\ndata: three\ndata: \n\n")
    }

    func testEventClientQueueIsBoundedAndClosedClientsGetNothing() {
        let broadcaster = EventBroadcaster(heartbeat: 60, maxPendingBytes: 64)
        let client = broadcaster.subscribe(tag: "a")
        XCTAssertTrue(client.send(ServerSentEvent(data: "short")))
        XCTAssertFalse(client.send(ServerSentEvent(data: String(repeating: "x", count: 100))), "slow client closed")
        XCTAssertFalse(client.send(ServerSentEvent(data: "after")))
        var buffer = [UInt8](repeating: 0, count: 256)
        let first = buffer.withUnsafeMutableBytes { client.read(into: $0) }
        XCTAssertEqual(String(decoding: buffer[0..<first], as: UTF8.self), "retry: 2000\n\ndata: short\n\n")
        XCTAssertEqual(buffer.withUnsafeMutableBytes { client.read(into: $0) }, -1, "closed and drained: end")
        client.finished()
        XCTAssertTrue(client.isGone)
        XCTAssertEqual(broadcaster.connectedCount, 0)
    }

    func testHeadersStripLineBreaksAndLookUpCaseInsensitively() {
        var headers = HTTPHeaders()
        headers.add("X-Name", "a\r\nSet-Cookie: evil=1")
        headers.add("set-cookie", "a=1")
        headers.add("Set-Cookie", "b=2")
        XCTAssertEqual(headers["x-name"], "aSet-Cookie: evil=1")
        XCTAssertEqual(headers.values("SET-COOKIE"), ["a=1", "b=2"])
        headers.set("Set-Cookie", "c=3")
        XCTAssertEqual(headers.values("Set-Cookie"), ["c=3"])
    }

    func testHTMLEscapeCoversTextAndAttributes() {
        XCTAssertEqual(HTML.escape("<script>alert(\"x\")</script>"), "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
        XCTAssertEqual(HTML.escape("a & b ' c"), "a &amp; b &#39; c")
        XCTAssertEqual(HTML.escape("Đèn đường"), "Đèn đường")
    }

    func testCookieHeaderParsing() {
        XCTAssertEqual(HTTPRequest.parseCookieHeader("a=1; b=\"two\";c=; =x; d").map { "\($0.0)=\($0.1)" },
                       ["a=1", "b=two", "c="])
        var request = HTTPRequest(method: .get, path: "/")
        request.headers.add("Cookie", "s=first")
        request.headers.add("Cookie", "s=second; t=2")
        XCTAssertEqual(request.cookies, ["s": "first", "t": "2"])
    }
}
