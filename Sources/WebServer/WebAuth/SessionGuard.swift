import DeskSecurity
import Foundation

/// Puts `SessionTable` on HTTP: reads the session cookie, guards handlers, checks CSRF tokens, and writes the
/// cookie at sign-in and sign-out. Handlers that need a signed-in user are wrapped with `require`.
public struct SessionGuard: Sendable {
    public let sessions: SessionTable
    /// Where a request without a live session is sent (303).
    public let signInPath: String

    public init(sessions: SessionTable, signInPath: String = "/dang-nhap") {
        (self.sessions, self.signInPath) = (sessions, signInPath)
    }

    /// The live session of this request's cookie (its idle clock restarts), or nil.
    public func session(for request: HTTPRequest) -> Session? {
        request.cookie(SessionCookie.name).flatMap { sessions.session(id: $0) }
    }

    /// Wraps a handler that needs a signed-in user. Without a live session: 303 to the sign-in page (and the
    /// stale cookie is cleared). For any method other than GET and HEAD, the session's CSRF token must come in
    /// the `csrf` form field or the `X-CSRF-Token` header, or the answer is 403 and the handler does not run.
    public func require(_ handler: @escaping @Sendable (HTTPRequest, Session) throws -> HTTPResponse) -> HTTPHandler {
        { request in
            guard let session = session(for: request) else {
                var response = HTTPResponse.redirect(to: signInPath)
                if request.cookie(SessionCookie.name) != nil {
                    response.addCookie(SessionCookie.clearCookie(secure: request.isSecure))
                }
                return response
            }
            if request.method != .get && request.method != .head {
                try checkCSRF(request, session: session)
            }
            return try handler(request, session)
        }
    }

    /// Throws 403 unless the request carries `session`'s CSRF token. Also for the sign-out form.
    public func checkCSRF(_ request: HTTPRequest, session: Session) throws(HTTPError) {
        var submitted = request.headers[SessionCookie.csrfHeaderName]
        if submitted == nil, let form = try? request.form() { submitted = form[SessionCookie.csrfFieldName] }
        guard sessions.verifyCSRF(sessionID: session.id, submitted: submitted) else {
            throw HTTPError(status: 403, message: "Phiên làm việc không hợp lệ hoặc biểu mẫu đã cũ. Vui lòng tải lại trang và thử lại.")
        }
    }

    /// The hidden field every form of a signed-in page carries.
    public static func csrfField(_ session: Session) -> String {
        "<input type=\"hidden\" name=\"\(SessionCookie.csrfFieldName)\" value=\"\(HTML.escape(session.csrfToken))\">"
    }

    // MARK: the sign-in form, before any session exists

    /// The sign-in form has no session to bind a token to, so it uses a double-submit cookie: a random token
    /// in an HttpOnly, SameSite=Strict cookie and the same token in the form (OWASP CSRF cheat sheet).
    public static let signInCookieName = "hotline_signin"

    /// The token for the sign-in form, and the `Set-Cookie` value to send when the browser has none yet.
    public func signInFormToken(for request: HTTPRequest) throws(DeskSecurityError) -> (token: String, setCookie: String?) {
        if let existing = request.cookie(Self.signInCookieName), existing.count == 64,
           existing.allSatisfy(\.isHexDigit) {
            return (existing, nil)
        }
        let token = try SecureRandom.hexToken()
        return (token, "\(Self.signInCookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"
                    + (request.isSecure ? "; Secure" : ""))
    }

    /// Throws 403 unless the sign-in form's token matches its cookie.
    public func checkSignInToken(_ request: HTTPRequest, form: FormData) throws(HTTPError) {
        guard let cookie = request.cookie(Self.signInCookieName), !cookie.isEmpty,
              let submitted = form[SessionCookie.csrfFieldName],
              ConstantTime.equals(cookie, submitted) else {
            throw HTTPError(status: 403, message: "Biểu mẫu đăng nhập đã cũ. Vui lòng tải lại trang và thử lại.")
        }
    }

    // MARK: sign-in and sign-out

    /// After the password was accepted: ends any session the browser already had (no session fixation),
    /// starts a new one and adds its cookie (Secure when the request came over TLS) to `response`.
    public func signIn(userID: String, request: HTTPRequest,
                       response: HTTPResponse) throws(DeskSecurityError) -> (Session, HTTPResponse) {
        if let old = request.cookie(SessionCookie.name) { sessions.end(id: old) }
        let session = try sessions.create(userID: userID, remoteAddress: request.remoteAddress)
        return (session, response.addingCookie(SessionCookie.setCookie(for: session, secure: request.isSecure)))
    }

    /// Ends the request's session and clears its cookie. Returns the ended session for the audit trail.
    public func signOut(request: HTTPRequest, response: HTTPResponse) -> (Session?, HTTPResponse) {
        let ended = request.cookie(SessionCookie.name).flatMap { sessions.end(id: $0) }
        return (ended, response.addingCookie(SessionCookie.clearCookie(secure: request.isSecure)))
    }
}
