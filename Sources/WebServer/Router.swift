/// Answers one request. Runs on a libmicrohttpd connection thread: it may block (SQLite), never for long.
public typealias HTTPHandler = @Sendable (HTTPRequest) throws -> HTTPResponse

/// Wraps a handler: look at the request, then call `next` or answer by itself (sign-in check, CSRF check).
public typealias HTTPMiddleware = @Sendable (HTTPRequest, _ next: HTTPHandler) throws -> HTTPResponse

/// Method + path pattern -> handler. Patterns are `/`-separated segments: a literal, `:name` (one segment,
/// captured into `pathParameters`), or a final `*name` (the rest of the path, possibly empty).
/// When several routes match, the most specific wins (literal before `:name` before `*name`, segment by segment).
public struct Router: Sendable {
    struct Route: Sendable {
        let method: HTTPMethod
        let segments: [Segment]
        let handler: HTTPHandler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case rest(String)

        var rank: Int {
            switch self {
            case .literal: return 2
            case .parameter: return 1
            case .rest: return 0
            }
        }
    }

    private var routes: [Route] = []
    private var middlewares: [HTTPMiddleware] = []

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping HTTPHandler) {
        let segments = Self.split(pattern).enumerated().map { index, text -> Segment in
            if text.hasPrefix(":") { return .parameter(String(text.dropFirst())) }
            if text.hasPrefix("*") {
                precondition(index == Self.split(pattern).count - 1, "*name must be the last segment of \(pattern)")
                return .rest(String(text.dropFirst()))
            }
            return .literal(text)
        }
        routes.append(Route(method: method, segments: segments, handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping HTTPHandler) { add(.get, pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping HTTPHandler) { add(.post, pattern, handler) }

    /// Adds a middleware around every route; the first added is the outermost.
    public mutating func use(_ middleware: @escaping HTTPMiddleware) { middlewares.append(middleware) }

    /// Routes a request: 404 when no pattern matches, 405 (with `Allow`) when only the method differs,
    /// the thrown `HTTPError`'s status, or 500 for any other error. A GET route also answers HEAD.
    /// `reportError` sees every error that was not an `HTTPError` or a `FormError` (a fault, answered 500).
    public func respond(to request: HTTPRequest, reportError: ((any Error) -> Void)? = nil) -> HTTPResponse {
        let pathSegments = Self.split(request.path)
        if pathSegments.contains("..") || pathSegments.contains(".") { return HTTPError.badRequest.response }
        var best: (route: Route, parameters: [String: String])?
        var allowed: Set<String> = []
        for route in routes {
            guard let parameters = Self.match(route.segments, pathSegments) else { continue }
            let methodMatches = route.method == request.method || (request.method == .head && route.method == .get)
            guard methodMatches else {
                allowed.insert(route.method.rawValue)
                continue
            }
            if let current = best, !Self.isMoreSpecific(route.segments, than: current.route.segments) { continue }
            best = (route, parameters)
        }
        guard let (route, parameters) = best else {
            if allowed.isEmpty { return HTTPError.notFound.response }
            var response = HTTPError.methodNotAllowed.response
            response.headers.set("Allow", allowed.sorted().joined(separator: ", "))
            return response
        }
        var routed = request
        routed.pathParameters = parameters
        let handler = middlewares.reversed().reduce(route.handler) { next, middleware in
            { request in try middleware(request, next) }
        }
        do {
            return try handler(routed)
        } catch let error as HTTPError {
            return error.response
        } catch let error as FormError {
            return HTTPError(status: error.status, message: error.description).response
        } catch {
            reportError?(error)
            return HTTPError.internalError.response
        }
    }

    static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func match(_ pattern: [Segment], _ path: [String]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (index, segment) in pattern.enumerated() {
            switch segment {
            case .rest(let name):
                parameters[name] = path.dropFirst(index).joined(separator: "/")
                return parameters
            case .literal(let text):
                guard index < path.count, path[index] == text else { return nil }
            case .parameter(let name):
                guard index < path.count else { return nil }
                parameters[name] = path[index]
            }
        }
        return pattern.count == path.count ? parameters : nil
    }

    static func isMoreSpecific(_ lhs: [Segment], than rhs: [Segment]) -> Bool {
        for (left, right) in zip(lhs, rhs) where left.rank != right.rank { return left.rank > right.rank }
        return lhs.count > rhs.count
    }
}
