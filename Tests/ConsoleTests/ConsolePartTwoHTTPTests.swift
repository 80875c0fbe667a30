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

/// The console's part 2 over a real socket, in process: the units' pages with multipart uploads, evidence,
/// review, reports, the administrators' pages, the public form with its signed token and rate limit, Open311.
final class ConsolePartTwoHTTPTests: XCTestCase {
    var dir: String!
    var store: TicketStore!
    var database = ""
    var desk: Desk!
    var console: Console!
    var port: UInt16 { console.port }
    var live: String!
    let admin = User(name: "admin", role: .administrator)
    let lan = User(name: "lan", role: .agent)
    let hoa = User(name: "hoa", role: .unit, unitCode: "P-LECHAN")
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("IHDR the site after the work".utf8)

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "console2-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/Dialplans", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Config", toPath: dir + "/Config")
        live = dir + "/Dialplans/hotline-1022.json"
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Dialplans/hotline-1022.json", toPath: live)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        database = try TestStore.location(in: dir)
        store = try TicketStore(path: database, dataDirectory: dir)
        try store.importUnits(try UnitDirectory.load(path: repositoryRoot + "/Config/units.json"))
        desk = Desk(store: store, context: Desk.context(fromFiles: dir + "/Config"))
        desk.configDirectory = dir + "/Config"
        try desk.addUser(admin, as: nil)
        for u in [lan, hoa, User(name: "gv", role: .unit, unitCode: "P-GIAVIEN")] { try desk.addUser(u, as: admin) }
        let live = live!
        console = try startConsole(database: database, dataDirectory: dir, configDirectory: dir + "/Config") {
            $0.dialplan = DialplanSettings(live: live, promptDirectory: repositoryRoot + "/Prompts/vi",
                                           variables: ["agentsURI": "sip:agents@127.0.0.1:5070"])
            $0.publicFormMinimumAge = 0.4
            $0.citizenReportsPerHour = 3
        }
    }

    override func tearDownWithError() throws {
        console?.stop()
        try store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func session(_ user: String) throws -> (cookie: String, csrf: String) {
        let s = try console.sessions.create(userID: user)
        return ("hotline_session=\(s.id)", s.csrfToken)
    }

    func form(_ fields: [String: String]) -> String {
        fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&")
    }

    /// A report from the web page, completed by an agent and forwarded to Lê Chân.
    func forwardedToLeChan() throws -> String {
        let code = try desk.fileReport(CitizenReport(channel: .portal, category: .infrastructure,
                                                     description: "Cột đèn đổ nghiêng trước số 45 Tô Hiệu", ward: "Lê Chân",
                                                     name: "Trần Thị Mai", phone: "0912345678", confidential: true))
        _ = try desk.complete(CompleteRequest(code: code, details: CaseDetails(
            name: "Trần Thị Mai", address: "45 Tô Hiệu", summary: "Cột đèn đổ nghiêng", category: .infrastructure,
            topic: .infrastructureIncident, ward: "Lê Chân", confidential: true)), as: lan)
        return code
    }

    func testEachRoleFindsItsOwnPagesAndNoOneElses() throws {
        let code = try forwardedToLeChan()
        let (u, a, l) = (try session("hoa"), try session("admin"), try session("lan"))
        for path in ["/don-vi", "/don-vi/phieu/\(code)"] { XCTAssertEqual(try request(port: port, path, cookie: u.cookie).status, 200, path) }
        for path in ["/duyet", "/bao-cao", "/qua-han", "/quan-tri", "/quan-tri/kich-ban", "/quan-tri/nguoi-dung",
                     "/bao-cao/tai-ve?loai=weekly&dinh-dang=csv", "/don-vi/phieu/20260101-0000099"] {
            let status = try request(port: port, path, cookie: u.cookie).status
            XCTAssertTrue(status == 403 || (path.contains("0000099") && status == 404), "a unit member on \(path): \(status)")
        }
        XCTAssertEqual(try request(port: port, "/don-vi", cookie: l.cookie).status, 403, "an agent has no unit inbox")
        XCTAssertEqual(try request(port: port, "/don-vi/phieu/\(code)", cookie: try session("gv").cookie).status, 403,
                       "another unit's member")
        for path in ["/quan-tri", "/quan-tri/don-vi", "/quan-tri/lich", "/quan-tri/mau-tin", "/quan-tri/kich-ban", "/quan-tri/loi-nhac",
                     "/quan-tri/ung-dung", "/quan-tri/nguoi-dung", "/bao-cao"] {
            XCTAssertEqual(try request(port: port, path, cookie: a.cookie).status, 200, "admin \(path)")
            if path.hasPrefix("/quan-tri") { XCTAssertEqual(try request(port: port, path, cookie: l.cookie).status, 403, "agent \(path)") }
        }
        XCTAssertEqual(try request(port: port, "/hang-doi", cookie: a.cookie).status, 403, "administrators handle no tickets")
        XCTAssertEqual(try request(port: port, "/", cookie: u.cookie).header("Location"), "/don-vi")
        XCTAssertEqual(try request(port: port, "/", cookie: a.cookie).header("Location"), "/quan-tri")
        // Confidentiality: the unit reads the case without who reported it.
        let page = try request(port: port, "/don-vi/phieu/\(code)", cookie: u.cookie).body
        XCTAssertFalse(page.contains("Trần Thị Mai") || page.contains("0912345678") || page.contains("45 Tô Hiệu</dd><dt>"), "withheld")
        XCTAssertTrue(page.contains("Bảo mật"))
        XCTAssertFalse(page.contains("<script>"), "no inline script")
    }

    /// A confidential earlier ticket is marked in the case page's list of the caller's tickets, as in the queue
    /// and the screen pop.
    func testTheCallersConfidentialEarlierTicketIsMarkedOnTheCasePage() throws {
        let secret = try forwardedToLeChan()  // confidential, from 0912345678
        let later = try desk.fileReport(CitizenReport(channel: .portal, category: .infrastructure,
                                                      description: "Cột đèn vẫn chưa được dựng lại", ward: "Lê Chân",
                                                      name: "Trần Thị Mai", phone: "0912345678"))
        let page = try request(port: port, "/phieu/\(later)", cookie: try session("lan").cookie).body
        let item = try XCTUnwrap(page.components(separatedBy: "<li><a href=\"/phieu/\(secret)\">").dropFirst().first,
                                 "the earlier ticket is listed: \(page)")
        let entry = item.components(separatedBy: "</li>")[0]
        XCTAssertTrue(entry.contains("class=\"badge secret\"") && entry.contains(">Bảo mật</span>"), "marked confidential: \(entry)")
    }

    /// Issue 23 §5: the callback page lists today's items with their 60-minute clocks; recording an attempt
    /// goes to the queue log and redirects (a reload does not record it twice); a refused attempt says why.
    func testTheCallbackPageRecordsAttempts() throws {
        try store.appendQueueRecord(QueueRecord(kind: .abandon, call: "7", callerNumber: "0912000007", position: 1,
                                                waitSeconds: 30), at: max(QueueStats.dayStart(of: Date()), Date().addingTimeInterval(-120)))
        let l = try session("lan")
        let page = try request(port: port, "/goi-lai", cookie: l.cookie)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains("Cần gọi lại hôm nay (<span id=\"callback-count\">1</span>)"), page.body)
        XCTAssertTrue(page.body.contains("data-number=\"0912000007\""))
        XCTAssertTrue(page.body.contains("Gọi lại trong 60 phút (Art. 7.3)"))
        XCTAssertTrue(page.body.contains("href=\"/goi-lai\""), "in the hotline's menu")
        XCTAssertEqual(try request(port: port, "/goi-lai", cookie: try session("hoa").cookie).status, 403)
        XCTAssertEqual(try request(port: port, "/goi-lai", method: "POST", cookie: l.cookie, body: "so=0912000007&ket_qua=reached").status,
                       403, "no token, nothing recorded")

        let done = try request(port: port, "/goi-lai", method: "POST", cookie: l.cookie,
                               body: form(["so": "0912000007", "ket_qua": "no-answer", "csrf": l.csrf]))
        XCTAssertEqual(done.status, 303)
        XCTAssertEqual(done.header("Location"), "/goi-lai?da=0912000007")
        let after = try request(port: port, "/goi-lai?da=0912000007", cookie: l.cookie).body
        XCTAssertTrue(after.contains("Đã ghi lần gọi lại thứ 1 cho 0912000007: Không ai nghe máy."), after)
        XCTAssertTrue(after.contains("Không ai nghe máy · lan"))
        let attempts = try store.queueRecords(since: Date().addingTimeInterval(-600)).filter { $0.record.kind == .callbackAttempted }
        XCTAssertEqual(attempts.map(\.record.agent), ["lan"])

        let wrong = try request(port: port, "/goi-lai", method: "POST", cookie: l.cookie,
                                body: form(["so": "0912999999", "ket_qua": "reached", "csrf": l.csrf]))
        XCTAssertEqual(wrong.status, 422)
        XCTAssertTrue(wrong.body.contains("không có trong danh sách cần gọi lại hôm nay"), wrong.body)
    }

    /// Issue 23 §5: the callback page is live. A caller who abandons (a queue log line, from any host) is announced
    /// as `callbacks` on the page's event stream, and the page's rows come from `/goi-lai/danh-sach`.
    func testAnAbandonedCallerIsAnnouncedToTheCallbackPage() throws {
        let l = try session("lan")
        XCTAssertTrue(try request(port: port, "/goi-lai", cookie: l.cookie).body.contains("Chưa có ai cần gọi lại hôm nay."))
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        sendAll(fd, "GET /su-kien HTTP/1.1\r\nHost: x\r\nCookie: \(l.cookie)\r\n\r\n")
        let deadline = Date(timeIntervalSinceNow: 5)
        while console.events.connectedCount < 1, Date() < deadline { usleep(10_000) }
        try store.appendQueueRecord(QueueRecord(kind: .abandon, call: "9", callerNumber: "0912000009", position: 2,
                                                waitSeconds: 40), at: max(QueueStats.dayStart(of: Date()), Date().addingTimeInterval(-60)))
        let received = readEvents(fd, until: "event: callbacks", deadline: deadline)
        XCTAssertTrue(received.contains("event: callbacks"), received)
        XCTAssertFalse(received.contains("event: draft"), "no new case: \(received)")
        let rows = try request(port: port, "/goi-lai/danh-sach", cookie: l.cookie)
        XCTAssertEqual(rows.status, 200)
        XCTAssertTrue(rows.body.hasPrefix("<tr") && rows.body.contains("data-number=\"0912000009\""), rows.body)
        XCTAssertTrue(rows.body.contains("Bỏ máy khi đang chờ") && rows.body.contains("name=\"csrf\""), rows.body)
        XCTAssertFalse(rows.body.contains("<html"), "the rows only")
        XCTAssertEqual(try request(port: port, "/goi-lai/danh-sach", cookie: try session("hoa").cookie).status, 403)
    }

    /// Issue 23 §5: each open item has "Gọi lại", which asks the gateway holding the agent's phone to place the call
    /// (303 and a notice), or says why not (422).
    func testTheCallbackPagePlacesACallThroughTheGateway() throws {
        try store.appendQueueRecord(QueueRecord(kind: .callbackRequested, call: "8", callerNumber: "0912000008"),
                                    at: max(QueueStats.dayStart(of: Date()), Date().addingTimeInterval(-120)))
        let l = try session("lan")
        let page = try request(port: port, "/goi-lai", cookie: l.cookie).body
        XCTAssertTrue(page.contains("action=\"/goi-lai/goi\"") && page.contains("aria-label=\"Gọi lại 0912000008 qua tổng đài\""), page)
        let noPhone = try request(port: port, "/goi-lai/goi", method: "POST", cookie: l.cookie,
                                  body: form(["so": "0912000008", "csrf": l.csrf]))
        XCTAssertEqual(noPhone.status, 422)
        XCTAssertTrue(noPhone.body.contains("chưa có điện thoại ở hàng chờ"), noPhone.body)
        XCTAssertEqual(try request(port: port, "/goi-lai/goi", method: "POST", cookie: l.cookie, body: "so=0912000008").status, 403,
                       "no token, no call")
        try desk.setPhone(SetPhoneRequest(userName: "lan", password: "mật khẩu SIP của lan"), as: admin)
        let placed = try request(port: port, "/goi-lai/goi", method: "POST", cookie: l.cookie,
                                 body: form(["so": "0912000008", "csrf": l.csrf]))
        XCTAssertEqual(placed.status, 303)
        XCTAssertEqual(placed.header("Location"), "/goi-lai?goi=0912000008")
        XCTAssertTrue(try request(port: port, "/goi-lai?goi=0912000008", cookie: l.cookie).body.contains("Điện thoại của bạn sẽ đổ chuông"))
        XCTAssertEqual(try store.openCallbackRequests(since: Date().addingTimeInterval(-30)).map(\.number), ["0912000008"])
    }

    /// Issue 23 §1: the administrator sets an agent's phone from the users page: a SIP password (only its HA1 is
    /// kept), an external URI, or none; a unit's staff cannot have one; an agent cannot set any.
    func testTheUsersPageSetsAgentsPhones() throws {
        let a = try session("admin")
        func post(_ name: String, _ fields: [String: String], cookie: String? = nil, csrf: String? = nil) throws -> RawReply {
            var fields = fields
            fields["csrf"] = csrf ?? a.csrf
            return try request(port: port, "/quan-tri/nguoi-dung/\(name)/dien-thoai", method: "POST", cookie: cookie ?? a.cookie,
                               body: form(fields))
        }
        var page = try request(port: port, "/quan-tri/nguoi-dung", cookie: a.cookie).body
        XCTAssertTrue(page.contains("Điện thoại hàng chờ") && page.contains("id=\"sip-lan\""), page)
        XCTAssertFalse(page.contains("id=\"sip-hoa\""), "no phone form for a unit's staff")

        let set = try post("lan", ["mat_khau_sip": "mật khẩu SIP của lan 2026"])
        XCTAssertEqual(set.status, 200, set.body)
        XCTAssertTrue(set.body.contains("Đã đặt mật khẩu SIP của lan"), set.body)
        let phone = try XCTUnwrap(try store.agentPhones().first { $0.name == "lan" })
        XCTAssertEqual(phone.digestHA1, SIPDigest.ha1(user: "lan", realm: AgentPhone.realm, password: "mật khẩu SIP của lan 2026"))
        if FileManager.default.fileExists(atPath: database) {  // SQLite: the file holds no trace of it
            let bytes = try Data(contentsOf: URL(fileURLWithPath: database))
            XCTAssertNil(bytes.range(of: Data("mật khẩu SIP của lan".utf8)), "the password itself is not stored")
        }
        page = try request(port: port, "/quan-tri/nguoi-dung", cookie: a.cookie).body
        XCTAssertTrue(page.contains("Đăng ký vào cổng, tên SIP lan"))

        XCTAssertTrue(try post("lan", ["uri": "sip:lan@pbx.hp.gov.vn"]).body.contains("cổng gọi tới sip:lan@pbx.hp.gov.vn"))
        XCTAssertEqual(try store.agentPhones().first { $0.name == "lan" }?.uri, "sip:lan@pbx.hp.gov.vn")
        let both = try post("lan", ["uri": "sip:x@y", "mat_khau_sip": "mật khẩu SIP khác 2026"])
        XCTAssertEqual(both.status, 422)
        XCTAssertTrue(both.body.contains("chọn một"), both.body)
        XCTAssertEqual(try post("lan", [:]).status, 422, "nothing to set")
        XCTAssertTrue(try post("hoa", ["mat_khau_sip": "mật khẩu SIP của hoa 2026"]).body.contains("chỉ tổng đài viên và giám sát viên"))
        let l = try session("lan")
        XCTAssertEqual(try post("lan", ["uri": "sip:me@x"], cookie: l.cookie, csrf: l.csrf).status, 403, "agents set no phones")

        XCTAssertTrue(try post("lan", ["go": "1"]).body.contains("Đã gỡ điện thoại của lan"))
        XCTAssertNil(try store.agentPhones().first { $0.name == "lan" })
        XCTAssertTrue(try store.systemAudit().contains { $0.action == "phone-removed" && $0.actor == "administrator:admin" })
    }

    /// Issue 23 §4: the pop's "new case from this call" posts the call; the case is made once and opened; a call
    /// that is not on the agent's phone is refused with the reason.
    func testANewCaseFromTheCallOpensTheCallsDraft() throws {
        try desk.setPhone(SetPhoneRequest(userName: "lan", password: "mật khẩu SIP của lan 2026"), as: admin)
        try store.saveQueueSnapshot(QueueSnapshot(waiting: 0, longestWaitSeconds: 0, agents: [
            .init(name: "lan", state: "onCall", label: "Đang nghe máy", since: Date(), callerNumber: "0912777888", call: "88"),
        ], host: "gw-a", at: Date()))
        let l = try session("lan")
        XCTAssertTrue(try request(port: port, "/hang-doi", cookie: l.cookie).body.contains("action=\"/cuoc-goi/phieu\""), "the pop's form")
        let made = try request(port: port, "/cuoc-goi/phieu", method: "POST", cookie: l.cookie, body: form(["cuoc_goi": "88", "csrf": l.csrf]))
        XCTAssertEqual(made.status, 303)
        let location = try XCTUnwrap(made.header("Location"))
        XCTAssertTrue(location.hasPrefix("/phieu/"), location)
        let again = try request(port: port, "/cuoc-goi/phieu", method: "POST", cookie: l.cookie, body: form(["cuoc_goi": "88", "csrf": l.csrf]))
        XCTAssertEqual(again.header("Location"), location, "one case a call")
        XCTAssertTrue(try request(port: port, location, cookie: l.cookie).body.contains("0912777888"))
        let gone = try request(port: port, "/cuoc-goi/phieu", method: "POST", cookie: l.cookie, body: form(["cuoc_goi": "89", "csrf": l.csrf]))
        XCTAssertEqual(gone.status, 409)
        XCTAssertTrue(gone.body.contains("cuộc gọi này không còn trên máy của bạn"), gone.body)
        XCTAssertEqual(try request(port: port, "/cuoc-goi/phieu", method: "POST", cookie: l.cookie, body: "cuoc_goi=88").status, 403,
                       "no token")

        // The header's state says where the call's conversation goes; the pop offers the caller's open cases.
        let code = String(location.dropFirst("/phieu/".count))
        let state = try request(port: port, "/trang-thai", cookie: l.cookie).body
        XCTAssertTrue(state.contains("\"linked\":\"\(code)\""), state)
        XCTAssertTrue(state.contains("\"open\":true"), state)
        // Picking that case for the next call of the same number: the conversation goes with it.
        try store.saveQueueSnapshot(QueueSnapshot(waiting: 0, longestWaitSeconds: 0, agents: [
            .init(name: "lan", state: "onCall", label: "Đang nghe máy", since: Date(), callerNumber: "0912777888", call: "90"),
        ], host: "gw-a", at: Date()))
        let picked = try request(port: port, "/cuoc-goi/gan", method: "POST", cookie: l.cookie,
                                 body: form(["cuoc_goi": "90", "ma": code, "csrf": l.csrf]))
        XCTAssertEqual(picked.status, 303)
        XCTAssertEqual(picked.header("Location"), location)
        XCTAssertEqual(try store.conversation(ConversationRecording.reference(host: "gw-a", call: "90"))?.trackingCode, code)
        let wrong = try request(port: port, "/cuoc-goi/gan", method: "POST", cookie: l.cookie,
                                body: form(["cuoc_goi": "90", "ma": "20260101-0000001", "csrf": l.csrf]))
        XCTAssertEqual(wrong.status, 409, wrong.body)
        XCTAssertTrue(wrong.body.contains("không phải của số đang gọi"), wrong.body)

        // Both calls' recordings filed: the case plays the first and, apart, the second (audited as take 2).
        for call in ["88", "90"] {
            let path = dir + "/talk-\(call).wav"
            try Data(repeating: call == "88" ? 1 : 2, count: 16_044).write(to: URL(fileURLWithPath: path))
            try store.fileConversation(ConversationRecording(
                call: ConversationRecording.reference(host: "gw-a", call: call), callerNumber: "0912777888", agent: "lan",
                path: path, durationMs: 1000, sha256: try SHA256.hexOfFile(atPath: path), lossPercent: 0, startedAt: Date()),
                at: Date())
        }
        let page = try request(port: port, location, cookie: l.cookie).body
        XCTAssertTrue(page.contains("id=\"recording\""), page)
        XCTAssertTrue(page.contains("ghi-am?ban=2"), page)
        let second = try request(port: port, location + "/ghi-am?ban=2", cookie: l.cookie)
        XCTAssertEqual(second.status, 200)
        XCTAssertEqual(second.header("Content-Type"), "audio/wav")
        XCTAssertTrue(second.body.hasPrefix("\u{2}\u{2}\u{2}"), "the second call's file")
        XCTAssertEqual(try request(port: port, location + "/ghi-am?ban=3", cookie: l.cookie).status, 404)
        XCTAssertTrue(try store.history(code).contains { $0.action == "listen" && ($0.after ?? "").contains("\"take\":\"2\"") })
    }

    /// Issue 23 §6: a supervisor asks from the wallboard to listen in on an agent's call; an agent has no such form.
    func testASupervisorAsksToListenInFromTheWallboard() throws {
        let minh = User(name: "minh", role: .supervisor)
        try desk.addUser(minh, as: admin)
        try desk.setPhone(SetPhoneRequest(userName: "minh", password: "mật khẩu SIP của minh 2026"), as: admin)
        try store.saveQueueSnapshot(QueueSnapshot(waiting: 0, longestWaitSeconds: 0, agents: [
            .init(name: "lan", state: "onCall", label: "Đang nghe máy", since: Date(), callerNumber: "0912000444", call: "3"),
            .init(name: "minh", state: "break", label: "Tạm nghỉ", since: Date()),
        ], host: "gw-a", at: Date()))
        let m = try session("minh"), l = try session("lan")
        XCTAssertTrue(try request(port: port, "/bang-tong-dai", cookie: m.cookie).body.contains("action=\"/bang-tong-dai/nghe-kem\""))
        XCTAssertFalse(try request(port: port, "/bang-tong-dai", cookie: l.cookie).body.contains("nghe-kem"), "not for agents")
        let asked = try request(port: port, "/bang-tong-dai/nghe-kem", method: "POST", cookie: m.cookie,
                                body: form(["tong_dai_vien": "lan", "csrf": m.csrf]))
        XCTAssertEqual(asked.status, 303)
        XCTAssertTrue(try request(port: port, asked.header("Location") ?? "", cookie: m.cookie).body.contains("Đã yêu cầu nghe kèm cuộc gọi của lan"))
        XCTAssertEqual(try store.openListenRequests(since: Date().addingTimeInterval(-30)).map(\.agent), ["lan"])
        let idle = try request(port: port, "/bang-tong-dai/nghe-kem", method: "POST", cookie: m.cookie,
                               body: form(["tong_dai_vien": "minh", "csrf": m.csrf]))
        XCTAssertEqual(idle.status, 422)
        XCTAssertTrue(idle.body.contains("không đang nghe máy"), idle.body)
        XCTAssertEqual(try request(port: port, "/bang-tong-dai/nghe-kem", method: "POST", cookie: l.cookie,
                                   body: form(["tong_dai_vien": "lan", "csrf": l.csrf])).status, 403)
    }

    /// Issue 23 §6: the wallboard renders the queue's figures, is refused to a unit's staff, and its event stream
    /// sends the board at once and again every second, with what the log says now.
    func testTheWallboardIsLiveOverServerSentEvents() throws {
        let now = Date()
        try store.saveQueueSnapshot(QueueSnapshot(waiting: 3, longestWaitSeconds: 95, agents: [
            .init(name: "lan", state: "onCall", label: "Đang nghe máy", since: now.addingTimeInterval(-65)),
        ], host: "gw-a", at: now))
        let l = try session("lan")
        let page = try request(port: port, "/bang-tong-dai", cookie: l.cookie)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains("data-k=\"waiting\"><span class=\"wb-label\">Đang chờ</span><span class=\"wb-value\">3</span>"), page.body)
        XCTAssertTrue(page.body.contains("<span class=\"wb-value\">1:35</span>"), "the longest wait as m:ss")
        XCTAssertTrue(page.body.contains("data-agent=\"lan\" data-state=\"onCall\""))
        XCTAssertTrue(page.body.contains("Cổng thoại: gw-a"))
        XCTAssertTrue(page.body.contains("href=\"/bang-tong-dai\""), "in the hotline's menu")
        for path in ["/bang-tong-dai", "/bang-tong-dai/su-kien"] {
            XCTAssertEqual(try request(port: port, path, cookie: try session("hoa").cookie).status, 403, path)
        }

        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        sendAll(fd, "GET /bang-tong-dai/su-kien HTTP/1.1\r\nHost: x\r\nCookie: \(l.cookie)\r\n\r\n")
        var received = ""
        func read(until done: (String) -> Bool, seconds: TimeInterval) {
            let deadline = Date(timeIntervalSinceNow: seconds)
            var buffer = [UInt8](repeating: 0, count: 16384)
            while !done(received), Date() < deadline {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 100) > 0 {
                    let n = Foundation.read(fd, &buffer, buffer.count)
                    if n <= 0 { break }
                    received += String(decoding: buffer[0..<n], as: UTF8.self)
                }
            }
        }
        read(until: { $0.contains("event: wallboard") }, seconds: 5)
        XCTAssertTrue(received.contains("text/event-stream"), received)
        XCTAssertTrue(received.contains("data: <div class=\"wb-grid\""), "the board at once: \(received)")
        XCTAssertTrue(received.contains("data-k=\"offered\"><span class=\"wb-label\">Cuộc gọi vào hàng chờ</span><span class=\"wb-value\">0<"))
        received = ""
        try store.appendQueueRecord(QueueRecord(kind: .enter, call: "9", callerNumber: "0912000009", position: 4), at: Date())
        let sent = Date()
        read(until: { $0.contains("Cuộc gọi vào hàng chờ</span><span class=\"wb-value\">1<") }, seconds: 5)
        XCTAssertTrue(received.contains("Cuộc gọi vào hàng chờ</span><span class=\"wb-value\">1<"), "the new caller within a second or so: \(received)")
        XCTAssertLessThan(Date().timeIntervalSince(sent), 2.5)
    }

    func testAUnitMemberHearsTheRecordingAuditedTransfersAndExtends() throws {
        // A call's report with its recording, forwarded to Lê Chân.
        let wav = dir + "/call.wav"
        var bytes = Array("RIFF".utf8) + [0x64, 0x06, 0, 0] + Array("WAVEfmt ".utf8) + [16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1F, 0, 0, 0x80, 0x3E, 0, 0, 2, 0, 16, 0]
        bytes += Array("data".utf8) + [0x40, 0x06, 0, 0] + [UInt8](repeating: 0, count: 1600)
        try Data(bytes).write(to: URL(fileURLWithPath: wav))
        let call = try store.createPhoneDraft(PhoneDraft(callID: UUID().uuidString, callerNumber: "0912345678", category: .infrastructure,
                                                         confidential: false, receivedAt: Date(), recordingPath: wav, recordingDurationMs: 100,
                                                         recordingSHA256: SHA256.hex(Data(bytes)), dialplanVersion: "t", interrupted: false))
        _ = try desk.complete(CompleteRequest(code: call, details: CaseDetails(
            name: "Nguyễn Văn An", address: "12 Lạch Tray", summary: "Đèn đường không sáng", category: .infrastructure,
            topic: .infrastructureIncident, ward: "Lê Chân")), as: lan)
        let u = try session("hoa")
        let page = try request(port: port, "/don-vi/phieu/\(call)", cookie: u.cookie).body
        XCTAssertTrue(page.contains("src=\"/phieu/\(call)/ghi-am\"") && page.contains("id=\"chuyen\"") && page.contains("id=\"tra-lai\""))
        XCTAssertFalse(page.contains("id=\"ket-qua\""), "no result before the unit accepts")
        let heard = try request(port: port, "/phieu/\(call)/ghi-am", method: "GET", cookie: u.cookie, bytes: [], contentType: "text/plain")
        XCTAssertEqual(heard.status, 200)
        XCTAssertEqual(heard.bytes, bytes)
        XCTAssertEqual(try request(port: port, "/phieu/\(call)/ghi-am", cookie: try session("gv").cookie).status, 403)
        XCTAssertTrue(try store.history(call).contains { $0.action == "listen" && $0.actor == "unit:hoa" }, "the listen is audited")

        // Extend after accepting: a date in the picker, a progress report and a photo.
        XCTAssertEqual(try request(port: port, "/don-vi/phieu/\(call)/tiep-nhan", method: "POST", cookie: u.cookie,
                                   body: form(["csrf": u.csrf])).status, 200)
        let day = Day(Date().addingTimeInterval(5 * 86400)).description
        let noPhoto = multipart([("csrf", u.csrf), ("ngay", day), ("bao_cao", "Chờ thay cột đèn mới")], files: [("minh_chung", "", [])])
        XCTAssertEqual(try request(port: port, "/don-vi/phieu/\(call)/gia-han", cookie: u.cookie, bytes: noPhoto.bytes,
                                   contentType: noPhoto.contentType).status, 409, "an extension needs evidence (Art. 8.2e)")
        let extend = multipart([("csrf", u.csrf), ("ngay", day), ("bao_cao", "Chờ thay cột đèn mới")],
                               files: [("minh_chung", "cot-den.png", Self.png)])
        let extended = try request(port: port, "/don-vi/phieu/\(call)/gia-han", cookie: u.cookie, bytes: extend.bytes, contentType: extend.contentType)
        XCTAssertEqual(extended.status, 200, extended.body)
        XCTAssertEqual(try store.ticket(call)?.responseDueAt, Day(day)!.at(minutes: 17 * 60), "the end of the committed day")

        // Transfer a forwarded case to another unit.
        let other = try forwardedToLeChan()
        let moved = try request(port: port, "/don-vi/phieu/\(other)/chuyen", method: "POST", cookie: u.cookie,
                                body: form(["csrf": u.csrf, "den_don_vi": "P-GIAVIEN", "ly_do_chuyen": "Địa điểm thuộc phường Gia Viên"]))
        XCTAssertEqual(moved.status, 200, moved.body)
        XCTAssertEqual(try store.ticket(other)?.unitCode, "P-GIAVIEN")
        XCTAssertEqual(try request(port: port, "/don-vi/phieu/\(other)", cookie: u.cookie).status, 403, "no longer Lê Chân's")
    }

    func testEveryNewFormNeedsItsToken() throws {
        let code = try forwardedToLeChan()
        let (u, a, l) = (try session("hoa"), try session("admin"), try session("lan"))
        for (path, cookie) in [("/don-vi/phieu/\(code)/tiep-nhan", u.cookie), ("/duyet/\(code)/xac-nhan", l.cookie),
                               ("/quan-tri/kich-ban", a.cookie), ("/quan-tri/nguoi-dung/them", a.cookie),
                               ("/quan-tri/ung-dung/them", a.cookie), ("/phieu/\(code)/mo-lai", l.cookie)] {
            XCTAssertEqual(try request(port: port, path, method: "POST", cookie: cookie, body: "x=1").status, 403, path)
        }
        let body = multipart([("ket_qua", "Đã xong")], files: [("anh", "a.png", Self.png)])
        XCTAssertEqual(try request(port: port, "/don-vi/phieu/\(code)/ket-qua", cookie: u.cookie, bytes: body.bytes,
                                   contentType: body.contentType).status, 403, "a multipart form without its token")
        XCTAssertEqual(try store.ticket(code)?.status, .forwarded, "nothing happened")
    }

    func testAUnitMemberAcceptsAndResolvesWithAPhotoThenTheReviewerConfirms() throws {
        let code = try forwardedToLeChan()
        let u = try session("hoa")
        let accepted = try request(port: port, "/don-vi/phieu/\(code)/tiep-nhan", method: "POST", cookie: u.cookie, body: form(["csrf": u.csrf]))
        XCTAssertEqual(accepted.status, 200)
        XCTAssertTrue(accepted.body.contains("Đơn vị đã tiếp nhận"))
        let inbox = try request(port: port, "/don-vi", cookie: u.cookie).body
        XCTAssertTrue(inbox.contains("data-code=\"\(code)\"") && inbox.contains("data-due="), "the card with its countdown")

        func resolve(_ files: [(String, String, [UInt8])], text: String = "Đã dựng lại cột đèn, đèn sáng bình thường") throws -> RawReply {
            let body = multipart([("csrf", u.csrf), ("ket_qua", text)], files: files)
            return try request(port: port, "/don-vi/phieu/\(code)/ket-qua", cookie: u.cookie, bytes: body.bytes, contentType: body.contentType)
        }
        let none = try resolve([("anh", "", [])])
        XCTAssertEqual(none.status, 409, "no evidence: the lifecycle refuses")
        XCTAssertTrue(none.body.contains("minh chứng") && none.body.contains("Đã dựng lại cột đèn"), "the message, the text kept")
        let svg = try resolve([("anh", "x.svg", Array("<svg onload=alert(1)>".utf8))])
        XCTAssertEqual(svg.status, 422)
        XCTAssertTrue(svg.body.contains("không phải loại được nhận"))
        let big = try resolve([("anh", "big.png", Self.png + [UInt8](repeating: 1, count: UploadPolicy.evidence.maxBytes + 1))])
        XCTAssertEqual(big.status, 413, "over the size limit")
        let empty = try resolve([("anh", "a.png", Self.png)], text: "  ")
        XCTAssertEqual(empty.status, 422, "a result text is required")
        XCTAssertEqual(try store.ticket(code)?.status, .accepted)
        let done = try resolve([("anh", "sau-xu-ly.png", Self.png), ("tai_lieu", "", [])])
        XCTAssertEqual(done.status, 200, done.body)
        XCTAssertTrue(done.body.contains("Đã gửi kết quả"))
        let t = try XCTUnwrap(store.ticket(code))
        XCTAssertEqual(t.status, .resolved)
        let photo = try XCTUnwrap(t.attachments.last { $0.kind == .photo })
        XCTAssertEqual(photo.sha256, SHA256.hex(Data(Self.png)))
        XCTAssertTrue(photo.path.hasPrefix(dir + "/evidence/"))

        // Evidence for readers, with its type.
        let l = try session("lan")
        let image = try request(port: port, "/phieu/\(code)/minh-chung/1", method: "GET", cookie: l.cookie, bytes: [], contentType: "text/plain")
        XCTAssertEqual(image.status, 200)
        XCTAssertEqual(image.header("Content-Type"), "image/png")
        XCTAssertTrue(image.header("Content-Disposition")?.hasPrefix("inline") ?? false)
        XCTAssertEqual(image.bytes, Self.png)
        XCTAssertEqual(try request(port: port, "/phieu/\(code)/minh-chung/1", cookie: try session("gv").cookie).status, 403)
        XCTAssertEqual(try request(port: port, "/phieu/\(code)/minh-chung/1").status, 303, "no session: sign in")
        XCTAssertEqual(try request(port: port, "/phieu/\(code)/minh-chung/9", cookie: l.cookie).status, 404)

        // Review: the result and the evidence inline, then confirm.
        let review = try request(port: port, "/duyet", cookie: l.cookie).body
        XCTAssertTrue(review.contains("Đã dựng lại cột đèn") && review.contains("<img class=\"thumb\" src=\"/phieu/\(code)/minh-chung/1\""))
        let reject = try request(port: port, "/duyet/\(code)/tra-lai", method: "POST", cookie: l.cookie, body: form(["csrf": l.csrf, "ly_do": " "]))
        XCTAssertEqual(reject.status, 422, "a rejection needs its reason")
        let confirmed = try request(port: port, "/duyet/\(code)/xac-nhan", method: "POST", cookie: l.cookie, body: form(["csrf": l.csrf]))
        XCTAssertEqual(confirmed.status, 200)
        XCTAssertTrue(confirmed.body.contains("Đã xác nhận kết quả"))
        XCTAssertTrue(try store.outbox().contains { $0.kind == .result && $0.body.contains("Đã dựng lại cột đèn, đèn sáng bình thường") })

        // Afterwards: the rating the citizen gave by phone, then a reopening.
        let rated = try request(port: port, "/phieu/\(code)/danh-gia", method: "POST", cookie: l.cookie,
                                body: form(["csrf": l.csrf, "diem": "4", "nhan_xet": "Nhanh"]))
        XCTAssertEqual(rated.status, 303)
        XCTAssertEqual(try store.ticket(code)?.rating, 4)
        let reopened = try request(port: port, "/phieu/\(code)/mo-lai", method: "POST", cookie: l.cookie,
                                   body: form(["csrf": l.csrf, "ly_do": "Đèn lại tắt sau hai ngày"]))
        XCTAssertEqual(reopened.status, 200)
        XCTAssertEqual(try store.ticket(code)?.status, .inProgress)
    }

    func testThePublicFormNeedsASignedAgedTokenOnceAndIsRateLimited() throws {
        func token(_ page: String) throws -> String {
            let r = try XCTUnwrap(page.range(of: #"name="form_token" value="[^"]+""#, options: .regularExpression))
            return String(page[r].dropFirst("name=\"form_token\" value=\"".count).dropLast())
        }
        let page = try request(port: port, "/phan-anh")
        XCTAssertEqual(page.status, 200)
        XCTAssertNil(page.header("Set-Cookie"), "no cookie for citizens")
        XCTAssertTrue(page.body.contains("capture=\"environment\"") && page.body.contains("Lê Chân"))
        let first = try token(page.body)
        func post(_ t: String, _ extra: [(String, String)] = []) throws -> RawReply {
            let body = multipart([("form_token", t), ("linh_vuc", "infrastructure"),
                                  ("mo_ta", "<script>alert(1)</script> Ống nước vỡ trên đường Tô Hiệu"), ("dia_ban", "Lê Chân"),
                                  ("dien_thoai", "0912345678"), ("ho_ten", "Trần Thị Mai")] + extra,
                                 files: [("anh", "", [])])
            return try request(port: port, "/phan-anh", bytes: body.bytes, contentType: body.contentType)
        }
        let fast = try post(first)
        XCTAssertEqual(fast.status, 400, "sent sooner than a person types")
        XCTAssertTrue(fast.body.contains("quá nhanh"))
        Thread.sleep(forTimeInterval: 0.5)
        let forged = try post(String(first.dropLast()) + (first.last == "0" ? "1" : "0"))
        XCTAssertEqual(forged.status, 400)
        let filed = try post(first)
        XCTAssertEqual(filed.status, 201, filed.body)
        let code = try XCTUnwrap(filed.body.range(of: #"\d{8}-\d{7}"#, options: .regularExpression).map { String(filed.body[$0]) })
        XCTAssertEqual(try store.ticket(code)?.channel, .portal)
        XCTAssertEqual(try post(first).status, 429, "the third POST from this address in the hour (limit 3)")

        // The lookup shows the public view only.
        let lookup = try request(port: port, "/tra-cuu?ma=\(code)")
        XCTAssertEqual(lookup.status, 200)
        XCTAssertTrue(lookup.body.contains("Chờ tiếp nhận") && lookup.body.contains("Trang tin 1022"))
        XCTAssertFalse(lookup.body.contains("0912345678") || lookup.body.contains("Trần Thị Mai") || lookup.body.contains("<script>alert"))
        XCTAssertEqual(try request(port: port, "/tra-cuu?ma=20260101-0000099").status, 404)
        XCTAssertEqual(try request(port: port, "/tra-cuu?ma=abc").status, 400)
    }

    func testTheRateLimitAndTokensOfTheFormsThemselves() throws {
        let signer = FormTokenSigner(key: Array(repeating: 7, count: 32), minimumAge: 3, maximumAge: 3600)
        let shown = Date(timeIntervalSince1970: 1_800_000_000)
        let t = try signer.issue(purpose: "phan-anh", now: shown)
        XCTAssertThrowsError(try signer.verify(t, purpose: "phan-anh", now: shown.addingTimeInterval(1))) { XCTAssertEqual($0 as? FormTokenProblem, .tooFresh) }
        XCTAssertThrowsError(try signer.verify(t, purpose: "danh-gia", now: shown.addingTimeInterval(5))) { XCTAssertEqual($0 as? FormTokenProblem, .invalid) }
        XCTAssertThrowsError(try signer.verify(t, purpose: "phan-anh", now: shown.addingTimeInterval(3601))) { XCTAssertEqual($0 as? FormTokenProblem, .expired) }
        let other = FormTokenSigner(key: Array(repeating: 8, count: 32))
        XCTAssertThrowsError(try other.verify(t, purpose: "phan-anh", now: shown.addingTimeInterval(5))) { XCTAssertEqual($0 as? FormTokenProblem, .invalid) }
        XCTAssertNoThrow(try signer.verify(t, purpose: "phan-anh", now: shown.addingTimeInterval(5)))
        XCTAssertThrowsError(try signer.verify(t, purpose: "phan-anh", now: shown.addingTimeInterval(6))) { XCTAssertEqual($0 as? FormTokenProblem, .reused) }
        XCTAssertThrowsError(try signer.verify(nil, purpose: "phan-anh")) { XCTAssertEqual($0 as? FormTokenProblem, .invalid) }

        // The key is made once, kept with mode 0600, and read back the same.
        let keyFile = dir + "/web-form.key"
        XCTAssertTrue(FileManager.default.fileExists(atPath: keyFile), "made at the console's first start in the data folder")
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        XCTAssertEqual(try FormTokenSigner.loadOrCreateKey(at: keyFile), try FormTokenSigner.loadOrCreateKey(at: keyFile))

        let limiter = RateLimiter(limit: 2, window: 60)
        XCTAssertTrue(limiter.allow("10.0.0.1", now: shown))
        XCTAssertTrue(limiter.allow("10.0.0.1", now: shown.addingTimeInterval(1)))
        XCTAssertFalse(limiter.allow("10.0.0.1", now: shown.addingTimeInterval(2)))
        XCTAssertEqual(limiter.retryAfter("10.0.0.1", now: shown.addingTimeInterval(2)), 58)
        XCTAssertTrue(limiter.allow("10.0.0.2", now: shown.addingTimeInterval(2)), "per address")
        XCTAssertTrue(limiter.allow("10.0.0.1", now: shown.addingTimeInterval(61)), "the window moves on")
        XCTAssertTrue(limiter.allow("2001:db8::1", now: shown))
        XCTAssertTrue(limiter.allow("2001:db8::2", now: shown))
        XCTAssertFalse(limiter.allow("2001:db8::3", now: shown), "IPv6 counted per /64")
    }

    func testOpen311ServicesRequestsAndKeys() throws {
        let key = try desk.addAPIClient("smart-haiphong", as: admin)
        let services = try request(port: port, "/open311/v2/services.json")
        XCTAssertEqual(services.status, 200)
        XCTAssertEqual(services.header("Content-Type"), "application/json; charset=utf-8")
        let list = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(services.body.utf8)) as? [[String: Any]])
        XCTAssertEqual(Set(list.compactMap { $0["service_code"] as? String }), Set(Topic.allCases.map(\.rawValue)))

        func post(_ fields: [String: String]) throws -> (Int, Any?) {
            let r = try request(port: port, "/open311/v2/requests.json", method: "POST", body: form(fields))
            return (r.status, try? JSONSerialization.jsonObject(with: Data(r.body.utf8)))
        }
        let good = ["service_code": "infrastructure_incident", "description": "Nắp cống vỡ giữa đường Lạch Tray",
                    "address_string": "120 Lạch Tray, Lê Chân", "phone": "0987654321", "email": "dan@example.vn"]
        XCTAssertEqual(try post(good).0, 401, "no key")
        var wrong = good
        wrong["api_key"] = "h1022_" + String(repeating: "a", count: 64)
        XCTAssertEqual(try post(wrong).0, 401, "a wrong key")
        var bad = good
        bad["api_key"] = key
        bad["service_code"] = "potholes"
        XCTAssertEqual(try post(bad).0, 400)
        var ok = good
        ok["api_key"] = key
        let (status, json) = try post(ok)
        XCTAssertEqual(status, 201)
        let code = try XCTUnwrap(((json as? [[String: Any]])?.first?["service_request_id"]) as? String)
        let t = try XCTUnwrap(store.ticket(code))
        XCTAssertEqual(t.channel, .app)
        XCTAssertEqual(t.ward, "Lê Chân")
        XCTAssertEqual(t.topic, .infrastructureIncident)
        let shown = try request(port: port, "/open311/v2/requests/\(code).json")
        XCTAssertEqual(shown.status, 200)
        let item = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(shown.body.utf8)) as? [[String: Any]])?.first)
        XCTAssertEqual(item["status"] as? String, "open")
        XCTAssertEqual(item["channel"] as? String, "app")
        XCTAssertFalse(shown.body.contains("0987654321") || shown.body.contains("dan@example.vn"), "the public view only")
        XCTAssertEqual(try request(port: port, "/open311/v2/requests/20260101-0000099.json").status, 404)
        try desk.setAPIClientActive("smart-haiphong", false, as: admin)
        XCTAssertEqual(try post(ok).0, 401, "a disabled key")
    }

    func testTheAdministratorsPagesValidateAndAudit() throws {
        let a = try session("admin")
        // The menu editor: a problem with its line, then install and rollback.
        let original = try String(contentsOfFile: live, encoding: .utf8)
        let broken = original.replacingOccurrences(of: "\"type\": \"hangup\"", with: "\"type\": \"hangupp\"")
        let line = broken[..<broken.range(of: "hangupp")!.lowerBound].filter { $0 == "\n" }.count + 1
        let checked = try request(port: port, "/quan-tri/kich-ban", method: "POST", cookie: a.cookie,
                                  body: form(["csrf": a.csrf, "hanh_dong": "cai-dat", "plan": broken.replacingOccurrences(of: "\n", with: "\r\n")]))
        XCTAssertEqual(checked.status, 422)
        XCTAssertTrue(checked.body.contains("dòng \(line), cột"), "the line of the problem")
        XCTAssertTrue(checked.body.contains("data-line=\"\(line)\""))
        XCTAssertEqual(try String(contentsOfFile: live, encoding: .utf8), original, "nothing installed")
        let edited = original.replacingOccurrences(of: "\"version\": \"", with: "\"version\": \"http-test-")
        let installed = try request(port: port, "/quan-tri/kich-ban", method: "POST", cookie: a.cookie,
                                    body: form(["csrf": a.csrf, "hanh_dong": "cai-dat", "plan": edited.replacingOccurrences(of: "\n", with: "\r\n")]))
        XCTAssertEqual(installed.status, 200)
        XCTAssertTrue(installed.body.contains("Đã cài kịch bản http-test-"))
        XCTAssertEqual(try String(contentsOfFile: live, encoding: .utf8), edited, "written with the file's own line ends")
        let older = try XCTUnwrap(desk.dialplanHistory(try XCTUnwrap(console.configuration.dialplan), as: admin).first { !$0.isLive })
        let back = try request(port: port, "/quan-tri/kich-ban/quay-lai", method: "POST", cookie: a.cookie, body: form(["csrf": a.csrf, "ban": older.id]))
        XCTAssertEqual(back.status, 200)
        XCTAssertEqual(try String(contentsOfFile: live, encoding: .utf8), original)
        let simulated = try request(port: port, "/quan-tri/kich-ban", method: "POST", cookie: a.cookie,
                                    body: form(["csrf": a.csrf, "hanh_dong": "chay-thu", "plan": original, "phim": "1,,2,"]))
        XCTAssertTrue(simulated.body.contains("id=\"simulation\"") && simulated.body.contains("cuộc gọi từ"))

        // Users: added with a password; a reset ends the user's sessions.
        let added = try request(port: port, "/quan-tri/nguoi-dung/them", method: "POST", cookie: a.cookie,
                                body: form(["csrf": a.csrf, "ten": "tam", "ho_ten": "Phạm Tâm", "vai_tro": "unit", "don_vi": "P-LECHAN",
                                            "mat_khau": "mật khẩu của Tâm"]))
        XCTAssertEqual(added.status, 200)
        XCTAssertEqual(try store.user(named: "tam")?.unitCode, "P-LECHAN")
        let l = try session("lan")
        XCTAssertEqual(try request(port: port, "/hang-doi", cookie: l.cookie).status, 200)
        let reset = try request(port: port, "/quan-tri/nguoi-dung/lan/mat-khau", method: "POST", cookie: a.cookie,
                                body: form(["csrf": a.csrf, "mat_khau": "mật khẩu mới của Lan"]))
        XCTAssertEqual(reset.status, 200)
        XCTAssertEqual(try request(port: port, "/hang-doi", cookie: l.cookie).status, 303, "the old session ended")
        let role = try request(port: port, "/quan-tri/nguoi-dung/tam/vai-tro", method: "POST", cookie: a.cookie,
                               body: form(["csrf": a.csrf, "vai_tro": "agent", "don_vi": ""]))
        XCTAssertEqual(role.status, 200)
        XCTAssertEqual(try store.user(named: "tam")?.role, .agent)

        // The calendar: a refused edit says why and changes nothing; a good one is read by the next step.
        let refused = try request(port: port, "/quan-tri/lich", method: "POST", cookie: a.cookie,
                                  body: form(["csrf": a.csrf, "ngay_nghi": "2026-09-05", "ngay_lam_bu": ""]))
        XCTAssertEqual(refused.status, 422)
        XCTAssertTrue(refused.body.contains("thứ Bảy") && refused.body.contains("2026-09-05"), "the message and the typed value")
        let saved = try request(port: port, "/quan-tri/lich", method: "POST", cookie: a.cookie,
                                body: form(["csrf": a.csrf, "ngay_nghi": "2026-09-01\r\n2026-09-04", "ngay_lam_bu": "2026-08-29"]))
        XCTAssertEqual(saved.status, 200)
        XCTAssertEqual(try WorkingCalendar.load(path: dir + "/Config/calendar.json").adjustments.extraDaysOff.count, 2)

        // Templates: an unknown placeholder is refused.
        var fields = ["csrf": a.csrf]
        for (k, v) in try desk.adminConfiguration(as: admin).templates { fields[k.rawValue] = v }
        fields["result"] = "Xong {ketqua}"
        XCTAssertEqual(try request(port: port, "/quan-tri/mau-tin", method: "POST", cookie: a.cookie, body: form(fields)).status, 422)

        // The unit directory: a second City Office is refused.
        let units = try String(contentsOfFile: dir + "/Config/units.json", encoding: .utf8)
        let twoOffices = units.replacingOccurrences(of: "\"kind\": \"department\"", with: "\"kind\": \"city_office\"")
        XCTAssertEqual(try request(port: port, "/quan-tri/don-vi", method: "POST", cookie: a.cookie,
                                   body: form(["csrf": a.csrf, "noi_dung": twoOffices])).status, 422)
        XCTAssertEqual(try String(contentsOfFile: dir + "/Config/units.json", encoding: .utf8), units)

        // API keys: shown once.
        let app = try request(port: port, "/quan-tri/ung-dung/them", method: "POST", cookie: a.cookie, body: form(["csrf": a.csrf, "ten": "smart-hp"]))
        XCTAssertEqual(app.status, 200)
        XCTAssertTrue(app.body.contains("h1022_"))
        XCTAssertFalse(try request(port: port, "/quan-tri/ung-dung", cookie: a.cookie).body.contains("h1022_"), "never shown again")

        let actions = try desk.systemAudit(limit: 100, as: admin).map(\.action)
        for action in ["dialplan-install", "dialplan-rollback", "user-add", "password-set", "user-role", "config-calendar", "api-key-add"] {
            XCTAssertTrue(actions.contains(action), "\(action) audited: \(actions)")
        }
    }

    func testReportsDownloadAsDocxAndCSVWithTheChartsInline() throws {
        _ = try forwardedToLeChan()
        let l = try session("lan")
        let page = try request(port: port, "/bao-cao", cookie: l.cookie)
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.body.components(separatedBy: "<svg").count - 1, 3, "three charts drawn by the server")
        XCTAssertTrue(page.body.contains("Trang tin 1022"))
        let csv = try request(port: port, "/bao-cao/tai-ve?loai=weekly&dinh-dang=csv", method: "GET", cookie: l.cookie, bytes: [],
                              contentType: "text/plain")
        XCTAssertEqual(csv.status, 200)
        XCTAssertEqual(Array(csv.bytes.prefix(3)), [0xEF, 0xBB, 0xBF])
        XCTAssertTrue(csv.header("Content-Disposition")?.contains("attachment; filename=\"bao-cao-1022-tuan-") ?? false)
        let docx = try request(port: port, "/bao-cao/tai-ve?loai=monthly&dinh-dang=docx&thang=2026-06", method: "GET", cookie: l.cookie,
                               bytes: [], contentType: "text/plain")
        XCTAssertEqual(docx.status, 200)
        XCTAssertEqual(Array(docx.bytes.prefix(2)), [0x50, 0x4B])
        XCTAssertEqual(try request(port: port, "/bao-cao/tai-ve?loai=quarterly&dinh-dang=docx&quy=2026-Q9", cookie: l.cookie).status, 409)
        XCTAssertEqual(try request(port: port, "/bao-cao/tai-ve?loai=weekly&dinh-dang=exe", cookie: l.cookie).status, 409)
    }
}
