import Foundation

/// An HTTP method. Known methods are constants; anything else is kept as sent.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue.uppercased() }
    public init(_ rawValue: String) { self.init(rawValue: rawValue) }

    public static let get = HTTPMethod("GET")
    public static let head = HTTPMethod("HEAD")
    public static let post = HTTPMethod("POST")
    public static let put = HTTPMethod("PUT")
    public static let delete = HTTPMethod("DELETE")
    public static let patch = HTTPMethod("PATCH")
    public static let options = HTTPMethod("OPTIONS")

    public var description: String { rawValue }
}

/// One request as the handlers see it: everything copied out of libmicrohttpd, no C types.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The path without the query, percent-decoded by libmicrohttpd (`/tickets/42`).
    public var path: String
    /// Query arguments in order, decoded. A key without `=` has an empty value.
    public var queryItems: [(name: String, value: String)]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The peer's numeric address (`127.0.0.1`, `::1`), or "" if unknown.
    public var remoteAddress: String
    /// True when the request arrived over TLS.
    public var isSecure: Bool
    /// Values captured by the route pattern (`:id` -> `pathParameters["id"]`).
    public var pathParameters: [String: String] = [:]

    public init(method: HTTPMethod, path: String, queryItems: [(name: String, value: String)] = [],
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], remoteAddress: String = "",
                isSecure: Bool = false) {
        (self.method, self.path, self.queryItems, self.headers, self.body) = (method, path, queryItems, headers, body)
        (self.remoteAddress, self.isSecure) = (remoteAddress, isSecure)
    }

    /// The first value of query argument `name`.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Cookies sent in the `Cookie` header(s); the first occurrence of a name wins (RFC 6265 §5.4:
    /// the most specific path comes first).
    public var cookies: [String: String] {
        var result: [String: String] = [:]
        for header in headers.values("Cookie") {
            for (name, value) in Self.parseCookieHeader(header) where result[name] == nil {
                result[name] = value
            }
        }
        return result
    }

    public func cookie(_ name: String) -> String? { cookies[name] }

    /// The media type of the body without parameters, lowercased (`multipart/form-data`).
    public var contentType: String? {
        headers["Content-Type"].map {
            String($0.split(separator: ";", maxSplits: 1).first ?? "")
                .trimmingCharacters(in: .whitespaces).lowercased()
        }
    }

    /// The body as a form: `application/x-www-form-urlencoded` or `multipart/form-data`.
    public func form(limits: FormLimits = .standard) throws(FormError) -> FormData {
        guard let headerValue = headers["Content-Type"] else { throw .unsupportedContentType("") }
        switch contentType {
        case "application/x-www-form-urlencoded":
            return try FormData.parseURLEncoded(body, limits: limits)
        case "multipart/form-data":
            guard let boundary = MediaType.parameter("boundary", in: headerValue), !boundary.isEmpty else {
                throw .malformedMultipart("thiếu boundary")
            }
            return try FormData.parseMultipart(body, boundary: boundary, limits: limits)
        default:
            throw .unsupportedContentType(contentType ?? "")
        }
    }

    /// `Cookie: a=1; b=2` -> [("a", "1"), ("b", "2")]. Quotes around a value are removed (RFC 6265 §4.1.1).
    public static func parseCookieHeader(_ header: String) -> [(String, String)] {
        header.split(separator: ";").compactMap { part in
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { return nil }
            let name = pair[0].trimmingCharacters(in: .whitespaces)
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            return name.isEmpty ? nil : (name, value)
        }
    }
}

/// Reads parameters out of a media type header value (`multipart/form-data; boundary="x"`).
enum MediaType {
    static func parameter(_ name: String, in headerValue: String) -> String? {
        for part in headerValue.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2,
                  pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name.lowercased() else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            return value
        }
        return nil
    }
}
