/// What a handler answers. The server adds the security headers to every response.
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// A file on disk, served with `Accept-Ranges: bytes`; a `Range` request gets 206 and `Content-Range`.
        case file(path: String)
        /// A server-sent event stream that stays open until the client leaves or the stream is closed.
        case eventStream(EventStreamClient)
    }

    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes([])) {
        (self.status, self.headers, self.body) = (status, headers, body)
    }

    /// A page. `html` must already be escaped where it prints data: build it with `HTML.escape`.
    public static func html(_ html: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "text/html; charset=utf-8")]),
                     body: .bytes(Array(html.utf8)))
    }

    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]),
                     body: .bytes(Array(text.utf8)))
    }

    public static func bytes(_ bytes: [UInt8], contentType: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: .bytes(bytes))
    }

    /// 303 See Other: the answer to a successful form POST (post/redirect/get).
    public static func redirect(to location: String, status: Int = 303) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Location", location)]))
    }

    public static func file(path: String, contentType: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", contentType)]), body: .file(path: path))
    }

    public static func eventStream(_ client: EventStreamClient) -> HTTPResponse {
        HTTPResponse(status: 200,
                     headers: HTTPHeaders([("Content-Type", "text/event-stream; charset=utf-8"),
                                           ("Cache-Control", "no-store"), ("X-Accel-Buffering", "no")]),
                     body: .eventStream(client))
    }

    /// Adds a `Set-Cookie` header (several may be set).
    public mutating func addCookie(_ setCookieValue: String) {
        headers.add("Set-Cookie", setCookieValue)
    }

    public func addingCookie(_ setCookieValue: String) -> HTTPResponse {
        var copy = self
        copy.addCookie(setCookieValue)
        return copy
    }
}

/// An error a handler throws to answer with a status and a Vietnamese message (shown escaped).
public struct HTTPError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String

    public init(status: Int, message: String) {
        (self.status, self.message) = (status, message)
    }

    public static let badRequest = HTTPError(status: 400, message: "Yêu cầu không hợp lệ.")
    public static let forbidden = HTTPError(status: 403, message: "Bạn không có quyền thực hiện thao tác này.")
    public static let notFound = HTTPError(status: 404, message: "Không tìm thấy trang.")
    public static let methodNotAllowed = HTTPError(status: 405, message: "Phương thức không được phép.")
    public static let payloadTooLarge = HTTPError(status: 413, message: "Nội dung gửi lên quá lớn.")
    public static let internalError = HTTPError(status: 500, message: "Lỗi máy chủ. Vui lòng thử lại.")

    /// A minimal page for the error, with the message escaped.
    public var response: HTTPResponse {
        HTTPResponse.html("""
            <!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Lỗi \(status)</title></head>\
            <body><h1>Lỗi \(status)</h1><p>\(HTML.escape(message))</p></body></html>
            """, status: status)
    }
}
