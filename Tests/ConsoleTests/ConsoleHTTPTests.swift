import Console
import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import HotlineStore
import WebServer
import StoreTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The console over a real socket, in process (the browser test drives the same pages through Chromium).
final class ConsoleHTTPTests: XCTestCase {
    var dir: String!
    var store: TicketStore!
    var database = ""
    var desk: Desk!
    var console: Console!
    var port: UInt16 { console.port }
    let admin = User(name: "admin", role: .administrator)

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "console-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        database = try TestStore.location(in: dir)
        store = try TicketStore(path: database, dataDirectory: dir)
        try store.importUnits(try UnitDirectory.load(path: repositoryRoot + "/Config/units.json"))
        desk = Desk(store: store, context: WorkflowContext(calendar: WorkingCalendar(), templates: try NotificationTemplates.load(
            path: repositoryRoot + "/Config/templates.vi.json")))
        desk.signInGate = try SignInGate(hasher: PasswordHasher(parameters: ScryptParameters(logN: 10)))
        try desk.addUser(admin, as: nil)
        try desk.addUser(User(name: "lan", role: .agent), as: admin)
        try desk.addUser(User(name: "hoa", role: .unit, unitCode: "P-LECHAN"), as: admin)
        try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "mật khẩu của Lan"), as: admin)
        console = try startConsole(database: database, dataDirectory: dir, pollInterval: 0.1)
    }

    override func tearDownWithError() throws {
        console?.stop()
        try store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func draft(_ phone: String = "0912345678") throws -> String {
        try store.createPhoneDraft(PhoneDraft(callID: UUID().uuidString, callerNumber: phone, category: .infrastructure,
                                              confidential: false, receivedAt: Date(), recordingPath: nil, recordingDurationMs: 0,
                                              recordingSHA256: nil, dialplanVersion: "t", interrupted: false))
    }

    func session(_ user: String) throws -> (cookie: String, csrf: String) {
        let s = try console.sessions.create(userID: user)
        return ("hotline_session=\(s.id)", s.csrfToken)
    }

    func testSignInThroughTheFormThenTheQueueWithSecurityHeaders() throws {
        let form = try request(port: port, "/dang-nhap")
        XCTAssertEqual(form.status, 200)
        XCTAssertTrue(form.header("Content-Security-Policy")?.contains("script-src 'self'") ?? false)
        XCTAssertEqual(form.header("X-Content-Type-Options"), "nosniff")
        XCTAssertEqual(form.header("Referrer-Policy"), "no-referrer")
        XCTAssertFalse(form.body.contains("<script>"), "no inline script")
        let token = try XCTUnwrap(form.header("Set-Cookie")?.split(separator: ";").first?.split(separator: "=").last.map(String.init))
        let wrong = try request(port: port, "/dang-nhap", method: "POST", cookie: "hotline_signin=\(token)",
                                body: "csrf=\(token)&ten=lan&mat_khau=sai")
        XCTAssertEqual(wrong.status, 401)
        XCTAssertTrue(wrong.body.contains("Tên đăng nhập hoặc mật khẩu không đúng."))
        let noToken = try request(port: port, "/dang-nhap", method: "POST", cookie: "hotline_signin=\(token)", body: "ten=lan&mat_khau=x")
        XCTAssertEqual(noToken.status, 403)
        let password = "mật khẩu của Lan".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let good = try request(port: port, "/dang-nhap", method: "POST", cookie: "hotline_signin=\(token)",
                               body: "csrf=\(token)&ten=lan&mat_khau=\(password)")
        XCTAssertEqual(good.status, 303)
        XCTAssertEqual(good.header("Location"), "/hang-doi")
        let cookie = try XCTUnwrap(good.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        let queue = try request(port: port, "/hang-doi", cookie: cookie)
        XCTAssertEqual(queue.status, 200)
        XCTAssertTrue(queue.body.contains("Hàng đợi phản ánh"))
        XCTAssertTrue(queue.body.contains("name=\"csrf-token\""))
        XCTAssertNotNil(serverTiming(queue))
        let js = try request(port: port, "/tai-nguyen/console.js")
        XCTAssertEqual(js.header("Content-Type"), "text/javascript; charset=utf-8")
        XCTAssertEqual(js.header("Cache-Control"), "public, max-age=3600")
        XCTAssertTrue(try store.systemAudit().contains { $0.action == "sign-in" && $0.actor == "lan" })
    }

    func testUnitMembersGet403AndEveryPostNeedsItsToken() throws {
        let code = try draft()
        let hoa = try session("hoa")
        for path in ["/hang-doi", "/hang-doi/danh-sach", "/phieu/\(code)", "/tim-kiem?q=den", "/su-kien"] {
            let reply = try request(port: port, path, cookie: hoa.cookie)
            XCTAssertEqual(reply.status, 403, path)
            XCTAssertTrue(reply.body.contains("chỉ tổng đài viên"), "the desk's reason is shown: \(reply.body)")
        }
        let lan = try session("lan")
        XCTAssertEqual(try request(port: port, "/phieu/\(code)/nhan", method: "POST", cookie: lan.cookie).status, 403)
        XCTAssertNil(try store.claim(of: code, at: Date()), "nothing happened without the token")
        let claimed = try request(port: port, "/phieu/\(code)/nhan", method: "POST", cookie: lan.cookie, body: "csrf=\(lan.csrf)")
        XCTAssertEqual(claimed.status, 303)
        XCTAssertEqual(try store.claim(of: code, at: Date())?.userName, "lan")
        let missing = try request(port: port, "/phieu/20991231-0000001", cookie: lan.cookie)
        XCTAssertEqual(missing.status, 404)
    }

    func testEverythingPrintedIsEscaped() throws {
        let code = try draft()
        _ = try desk.complete(CompleteRequest(code: code, details: CaseDetails(
            name: "<b>An</b>", address: "\"><img src=x onerror=alert(1)>", summary: "<script>alert(1)</script>",
            category: .infrastructure, topic: .infrastructureIncident, ward: "Lê Chân")), as: try desk.user(named: "lan"))
        let lan = try session("lan")
        let page = try request(port: port, "/phieu/\(code)", cookie: lan.cookie)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertFalse(page.body.contains("<script>alert"))
        XCTAssertFalse(page.body.contains("<img src=x"))
        let search = try request(port: port, "/tim-kiem?q=%3Cscript%3E%22", cookie: lan.cookie)
        XCTAssertFalse(search.body.contains("<script>\""), "the query is escaped when shown back")
    }

    func testANewDraftIsAnnouncedToWatchersAndAPasswordChangeEndsSessions() throws {
        let lan = try session("lan")
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        sendAll(fd, "GET /su-kien HTTP/1.1\r\nHost: x\r\nCookie: \(lan.cookie)\r\n\r\n")
        let deadline = Date(timeIntervalSinceNow: 5)
        while console.events.connectedCount < 1, Date() < deadline { usleep(10_000) }
        XCTAssertEqual(console.events.connectedCount, 1)
        let code = try draft()
        let received = readEvents(fd, until: code, deadline: deadline)
        XCTAssertTrue(received.contains("event: draft"), received)
        XCTAssertTrue(received.contains("\"codes\":[\"\(code)\"]"), received)

        // An administrator's reset (here through the CLI's path: the desk, another connection) ends the session.
        Thread.sleep(forTimeInterval: 0.01)
        try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "mật khẩu mới của Lan"), as: admin)
        let after = try request(port: port, "/hang-doi", cookie: lan.cookie)
        XCTAssertEqual(after.status, 303)
        XCTAssertEqual(after.header("Location"), "/dang-nhap")
    }

    func testRefuseLinkAndGuidanceFromTheCasePageWithMessagesBesideTheirFields() throws {
        let lan = try session("lan")
        func post(_ path: String, _ form: [(String, String)]) throws -> RawReply {
            let body = (form + [("csrf", lan.csrf)]).map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }
                .joined(separator: "&")
            return try request(port: port, path, method: "POST", cookie: lan.cookie, body: body)
        }
        let third = try draft("0911000002")  // the earlier report the second one repeats
        let first = try draft("0911000001")
        let second = try draft("0911000001")

        let noReason = try post("/phieu/\(first)/tu-choi", [("ly_do_chon", ""), ("ly_do_them", "  ")])
        XCTAssertEqual(noReason.status, 422)
        XCTAssertTrue(noReason.body.contains("id=\"ly_do_chon-error\""), "the message sits beside the reason")
        XCTAssertTrue(noReason.body.contains("href=\"#ly_do_chon\""), "and is listed in the summary")
        let refused = try post("/phieu/\(first)/tu-choi", [("ly_do_chon", "Cuộc gọi không có nội dung phản ánh (gọi nhầm, im lặng, thử máy)"),
                                                          ("ly_do_them", "Im lặng 40 giây")])
        XCTAssertEqual(refused.status, 200, refused.body)
        XCTAssertTrue(refused.body.contains("Đã từ chối tiếp nhận"))
        XCTAssertEqual(try store.ticket(first)?.refusalReason,
                       "Cuộc gọi không có nội dung phản ánh (gọi nhầm, im lặng, thử máy). Im lặng 40 giây")

        let unknown = try post("/phieu/\(second)/lien-ket", [("kieu", "duplicate"), ("ma_goc", "20991231-0000009")])
        XCTAssertEqual(unknown.status, 422)
        XCTAssertTrue(unknown.body.contains("id=\"ma_goc-error\""), "the unknown code is named beside its field")
        _ = try desk.complete(CompleteRequest(code: third, details: CaseDetails(
            name: "An", address: "1 Lạch Tray", summary: "Ổ gà", category: .infrastructure, topic: .infrastructureIncident,
            ward: "Lê Chân")), as: try desk.user(named: "lan"))
        let linked = try post("/phieu/\(second)/lien-ket", [("kieu", "duplicate"), ("ma_goc", third)])
        XCTAssertEqual(linked.status, 200, linked.body.components(separatedBy: "<ul>").dropFirst().first.map { String($0.prefix(700)) } ?? "")
        XCTAssertEqual(try store.ticket(second)?.duplicateOf, third)

        let fourth = try draft("0911000003")
        let details: [(String, String)] = [("ten", "Bình"), ("dia_chi", "2 Trần Phú"), ("tom_tat", "Khói bụi xưởng gỗ"),
                                           ("linh_vuc", "socioeconomic"), ("chuyen_muc", "field_report"), ("dia_ban", "Lê Chân")]
        let noGuidanceReason = try post("/phieu/\(fourth)/huong-dan", details + [("ly_do_huong_dan", "")])
        XCTAssertEqual(noGuidanceReason.status, 422)
        XCTAssertTrue(noGuidanceReason.body.contains("id=\"ly_do_huong_dan-error\""))
        XCTAssertTrue(noGuidanceReason.body.contains("value=\"2 Trần Phú\""), "what the agent typed is kept")
        let sent = try post("/phieu/\(fourth)/huong-dan", details + [("ly_do_huong_dan", "nhiều đơn vị liên quan")])
        XCTAssertEqual(sent.status, 200, sent.body)
        XCTAssertEqual(try store.ticket(fourth)?.awaitingGuidance, true)
        let queue = try request(port: port, "/hang-doi", cookie: lan.cookie)
        XCTAssertTrue(queue.body.contains("Chờ VP UBND hướng dẫn"), "the guidance clock is in the queue")
        XCTAssertFalse(queue.body.contains("data-code=\"\(first)\""), "a refused case left the queue")
    }
}
