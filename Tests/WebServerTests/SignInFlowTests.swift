import DeskSecurity
import Foundation
import protocol HotlineCore.EventLogger
import enum HotlineCore.LogLevel
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

@testable import WebServer

/// The pieces wired the way a console does it (see Sources/WebServer/README.md), over a real socket:
/// sign-in form with its token, throttled password check, session cookie, guarded pages, CSRF, sign-out.
final class SignInFlowTests: XCTestCase {
    private let clock = TestClock()
    private var harness: ServerHarness!
    private var sessions: SessionTable!
    private let audit = AuditLog()

    override func setUpWithError() throws {
        sessions = SessionTable(now: clock.function)
        let hasher = PasswordHasher(parameters: ScryptParameters(logN: 10))
        let gate = try SignInGate(throttle: SignInThrottle(now: clock.function), hasher: hasher)
        // Stands in for the application layer's user lookup.
        let storedHashes = ["an": try hasher.hash("đúng rồi"), "binh": try hasher.hash("mật khẩu của Bình")]
        let guardian = SessionGuard(sessions: sessions, signInPath: "/dang-nhap")
        let audit = audit
        let clock = clock

        var router = Router()
        router.get("/dang-nhap") { request in
            let (token, setCookie) = try guardian.signInFormToken(for: request)
            var response = HTTPResponse.html("""
                <form method="post" action="/dang-nhap"><input type="hidden" name="csrf" value="\(HTML.escape(token))">\
                <input name="user"><input name="password" type="password"><button>Đăng nhập</button></form>
                """)
            if let setCookie { response.addCookie(setCookie) }
            return response
        }
        router.post("/dang-nhap") { request in
            let form = try request.form()
            try guardian.checkSignInToken(request, form: form)
            let user = form["user"] ?? ""
            let outcome = gate.attempt(user: user, password: form["password"] ?? "", address: request.remoteAddress,
                                       storedHash: storedHashes[user])
            switch outcome {
            case .signedIn: audit.record("signed-in \(user) \(request.remoteAddress)")
            case .rejected(let reason, _): audit.record("failed \(reason.rawValue) \(user) \(request.remoteAddress)")
            case .throttled: audit.record("throttled \(user) \(request.remoteAddress)")
            }
            switch outcome {
            case .signedIn:
                return try guardian.signIn(userID: user, request: request, response: .redirect(to: "/")).1
            case .rejected:
                return .html("<p>\(HTML.escape(outcome.message(now: clock.now) ?? ""))</p>", status: 401)
            case .throttled:
                return .html("<p>\(HTML.escape(outcome.message(now: clock.now) ?? ""))</p>", status: 429)
            }
        }
        router.get("/", guardian.require { _, session in
            .html("<p>Xin chào \(HTML.escape(session.userID))</p><form method=\"post\" action=\"/phieu/7/nhan\">"
                + SessionGuard.csrfField(session) + "</form>")
        })
        router.post("/phieu/:id/nhan", guardian.require { request, session in
            .text("\(session.userID) đã nhận phiếu \(request.pathParameters["id"] ?? "")")
        })
        router.post("/dang-xuat", guardian.require { request, _ in
            let (ended, response) = guardian.signOut(request: request, response: .redirect(to: "/dang-nhap"))
            audit.record("signed-out \(ended?.userID ?? "-")")
            return response
        })
        harness = try ServerHarness(router: router)
    }

    override func tearDown() {
        harness?.stop()
    }

    private func signInForm() async throws -> (token: String, cookie: String) {
        let page = try await harness.send("/dang-nhap")
        XCTAssertEqual(page.status, 200)
        let setCookie = try XCTUnwrap(page.header("Set-Cookie"))
        XCTAssertTrue(setCookie.hasSuffix("; Path=/; HttpOnly; SameSite=Strict"), setCookie)
        let token = String(setCookie.dropFirst("hotline_signin=".count).prefix(64))
        XCTAssertTrue(page.text.contains("value=\"\(token)\""))
        return (token, "hotline_signin=\(token)")
    }

    private func postSignIn(user: String, password: String, token: String,
                            cookie: String) async throws -> ServerHarness.Reply {
        let body = "user=\(user)&password=\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            + "&csrf=\(token)"
        return try await harness.send("/dang-nhap", method: "POST",
                                      headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie],
                                      body: Data(body.utf8))
    }

    private func post(_ path: String, cookie: String, form: String = "",
                      headers: [String: String] = [:]) async throws -> ServerHarness.Reply {
        try await harness.send(path, method: "POST",
                               headers: headers.merging(["Content-Type": "application/x-www-form-urlencoded",
                                                         "Cookie": cookie]) { $1 },
                               body: Data(form.utf8))
    }

    func testSignInUseAndSignOut() async throws {
        let anonymous = try await harness.send("/")
        XCTAssertEqual(anonymous.status, 303)
        XCTAssertEqual(anonymous.header("Location"), "/dang-nhap")

        let form = try await signInForm()
        let wrong = try await postSignIn(user: "an", password: "sai", token: form.token, cookie: form.cookie)
        XCTAssertEqual(wrong.status, 401)
        XCTAssertTrue(wrong.text.contains("Tên đăng nhập hoặc mật khẩu không đúng."))
        let unknown = try await postSignIn(user: "ma", password: "sai", token: form.token, cookie: form.cookie)
        XCTAssertEqual(unknown.text, wrong.text, "an unknown user looks the same as a wrong password")
        let forged = try await postSignIn(user: "an", password: "đúng rồi", token: String(repeating: "a", count: 64),
                                          cookie: form.cookie)
        XCTAssertEqual(forged.status, 403, "the form's token must match its cookie")

        let good = try await postSignIn(user: "an", password: "đúng rồi", token: form.token, cookie: form.cookie)
        XCTAssertEqual(good.status, 303)
        XCTAssertEqual(good.header("Location"), "/")
        let setCookie = try XCTUnwrap(good.header("Set-Cookie"))
        XCTAssertTrue(setCookie.hasPrefix("hotline_session="))
        XCTAssertTrue(setCookie.contains("; HttpOnly; SameSite=Strict"))
        XCTAssertFalse(setCookie.contains("Secure"), "no Secure flag over plain HTTP")
        let sessionID = String(setCookie.dropFirst("hotline_session=".count).prefix(64))
        let cookie = "hotline_session=\(sessionID)"
        let session = try XCTUnwrap(sessions.session(id: sessionID))

        let home = try await harness.send("/", headers: ["Cookie": cookie])
        XCTAssertEqual(home.status, 200)
        XCTAssertTrue(home.text.contains("Xin chào an"))
        XCTAssertTrue(home.text.contains("name=\"csrf\" value=\"\(session.csrfToken)\""))

        let noToken = try await post("/phieu/7/nhan", cookie: cookie)
        XCTAssertEqual(noToken.status, 403)
        let other = try sessions.create(userID: "binh")
        let wrongToken = try await post("/phieu/7/nhan", cookie: cookie, form: "csrf=\(other.csrfToken)")
        XCTAssertEqual(wrongToken.status, 403)
        let claimed = try await post("/phieu/7/nhan", cookie: cookie, form: "csrf=\(session.csrfToken)")
        XCTAssertEqual(claimed.status, 200)
        XCTAssertEqual(claimed.text, "an đã nhận phiếu 7")
        let byHeader = try await post("/phieu/8/nhan", cookie: cookie, headers: ["X-CSRF-Token": session.csrfToken])
        XCTAssertEqual(byHeader.text, "an đã nhận phiếu 8")

        let signOutWithoutToken = try await post("/dang-xuat", cookie: cookie)
        XCTAssertEqual(signOutWithoutToken.status, 403)
        let signedOut = try await post("/dang-xuat", cookie: cookie, form: "csrf=\(session.csrfToken)")
        XCTAssertEqual(signedOut.status, 303)
        XCTAssertEqual(signedOut.header("Set-Cookie"), "hotline_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
        let after = try await harness.send("/", headers: ["Cookie": cookie])
        XCTAssertEqual(after.status, 303, "the old cookie no longer opens anything")
        XCTAssertTrue(after.header("Set-Cookie")?.contains("Max-Age=0") ?? false, "the stale cookie is cleared")

        XCTAssertEqual(audit.lines, [
            "failed wrong-password an 127.0.0.1",
            "failed unknown-user ma 127.0.0.1",
            "signed-in an 127.0.0.1",
            "signed-out an",
        ])
    }

    func testRepeatedWrongPasswordsLeadToLockout() async throws {
        let form = try await signInForm()
        for attempt in 1...10 {
            let reply = try await postSignIn(user: "binh", password: "sai \(attempt)", token: form.token,
                                             cookie: form.cookie)
            XCTAssertEqual(reply.status, 401, "attempt \(attempt)")
            clock.advance(by: 61)  // past the longest wait: every attempt reaches the password check
        }
        let locked = try await postSignIn(user: "binh", password: "mật khẩu của Bình", token: form.token,
                                          cookie: form.cookie)
        XCTAssertEqual(locked.status, 429, "even the right password is refused while locked")
        XCTAssertTrue(locked.text.contains("tạm bị khoá"), locked.text)
        clock.advance(by: 15 * 60)
        let later = try await postSignIn(user: "binh", password: "mật khẩu của Bình", token: form.token,
                                         cookie: form.cookie)
        XCTAssertEqual(later.status, 303)
    }

    func testASessionCookieCannotBeFixedBeforeSignIn() async throws {
        let planted = try sessions.create(userID: "an")
        let form = try await signInForm()
        let good = try await postSignIn(user: "binh", password: "mật khẩu của Bình", token: form.token,
                                        cookie: form.cookie + "; hotline_session=\(planted.id)")
        XCTAssertEqual(good.status, 303)
        XCTAssertFalse(good.header("Set-Cookie")?.contains(planted.id) ?? true, "a new id is issued")
        XCTAssertNil(sessions.session(id: planted.id), "the browser's previous session ended")
    }
}

final class AuditLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    func record(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
}

/// The server's log lines as `event key=value…`.
extension AuditLog: EventLogger {
    func log(_ level: LogLevel, _ event: String, _ metadata: [(String, String)]) {
        record(([event] + metadata.map { "\($0.0)=\($0.1)" }).joined(separator: " "))
    }
}
