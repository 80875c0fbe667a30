import Console
import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import HotlineStore
import XCTest

/// Makes the README's screenshots of the console: a queue with every kind of clock (overdue, due soon, a
/// suggestion's working day, a returned case, a guidance request), a confidential case and one another agent
/// holds, at 1366×768, and a case page. Skipped unless HOTLINE_CONSOLE_SCREENSHOTS names a folder:
///   HOTLINE_CONSOLE_SCREENSHOTS=docs swift test --skip-build --filter ConsoleScreenshot
final class ConsoleScreenshot: XCTestCase {
    func testTakeTheREADMEsScreenshots() throws {
        guard let folder = ProcessInfo.processInfo.environment["HOTLINE_CONSOLE_SCREENSHOTS"] else {
            throw XCTSkip("set HOTLINE_CONSOLE_SCREENSHOTS=FOLDER to take the README's screenshots")
        }
        let dir = NSTemporaryDirectory() + "console-shot-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try TicketStore(path: dir + "/h.sqlite")
        defer { try? store.close() }
        try store.importUnits(try UnitDirectory.load(path: repositoryRoot + "/Config/units.json"))
        let context = WorkflowContext(calendar: WorkingCalendar(),
                                      templates: try NotificationTemplates.load(path: repositoryRoot + "/Config/templates.vi.json"))
        let desk = Desk(store: store, context: context)
        let admin = User(name: "admin", role: .administrator)
        try desk.addUser(admin, as: nil)
        let lan = User(name: "lan", displayName: "Nguyễn Thị Lan", role: .agent)
        let binh = User(name: "binh", role: .agent)
        let unit = User(name: "hoa", role: .unit, unitCode: "P-LECHAN")
        for u in [lan, binh, unit] { try desk.addUser(u, as: admin) }

        let now = Date()
        func call(_ minutesAgo: Double, _ phone: String, _ category: HotlineCore.Category?, confidential: Bool = false) throws -> String {
            try store.createPhoneDraft(PhoneDraft(callID: UUID().uuidString, callerNumber: phone, category: category,
                                                  confidential: confidential, receivedAt: now.addingTimeInterval(-minutesAgo * 60),
                                                  recordingPath: nil, recordingDurationMs: 0, recordingSHA256: nil,
                                                  dialplanVersion: "docs", interrupted: false), calendar: context.calendar)
        }
        func portal(_ minutesAgo: Double, _ summary: String, ward: String, category: HotlineCore.Category = .infrastructure,
                    topic: Topic = .infrastructureIncident) throws -> String {
            try store.createTicket(NewTicket(channel: .portal, receivedAt: now.addingTimeInterval(-minutesAgo * 60), category: category,
                                             topic: topic, reporter: Reporter(name: "Trần Văn Bình", phone: "0904555666",
                                                                              address: "8 Tô Hiệu"),
                                             content: summary, summary: summary, ward: ward),
                                   by: Actor(.citizen, "portal"), context: context)
        }
        _ = try call(72, "0912345678", .infrastructure)
        let held = try portal(48, "Cây đổ chắn ngang đường Lạch Tray sau mưa", ward: "Lê Chân")
        _ = try call(35, "0987654321", .socioeconomic, confidential: true)
        _ = try portal(20, "Đề xuất lắp thêm đèn tín hiệu ở ngã tư Cầu Đất", ward: "Ngô Quyền", category: .suggestion,
                       topic: .citySuggestion)
        let returned = try portal(600, "Nước thải tràn ra vỉa hè ngõ 45 Hai Bà Trưng", ward: "Lê Chân", category: .socioeconomic,
                                  topic: .fieldReport)
        desk.now = { now.addingTimeInterval(-590 * 60) }
        _ = try desk.complete(CompleteRequest(code: returned, details: CaseDetails(
            name: "Trần Văn Bình", address: "8 Tô Hiệu", summary: "Nước thải tràn ra vỉa hè ngõ 45 Hai Bà Trưng",
            category: .socioeconomic, topic: .fieldReport, ward: "Lê Chân")), as: lan)
        desk.now = { now.addingTimeInterval(-12 * 60) }
        _ = try desk.unitStep(UnitStepRequest(code: returned, step: .giveBack(reason: "Thuộc địa bàn phường khác")), as: unit)
        let guidance = try portal(30, "Khói bụi từ xưởng gỗ ảnh hưởng nhiều hộ dân", ward: "Hồng Bàng", category: .socioeconomic,
                                  topic: .fieldReport)
        desk.now = { now.addingTimeInterval(-25 * 60) }
        _ = try desk.seekGuidance(GuidanceRequest(code: guidance, details: CaseDetails(
            name: "Trần Văn Bình", address: "8 Tô Hiệu", summary: "Khói bụi từ xưởng gỗ ảnh hưởng nhiều hộ dân",
            category: .socioeconomic, topic: .fieldReport, ward: "Hồng Bàng"), reason: "liên quan nhiều đơn vị"), as: lan)
        desk.now = { now.addingTimeInterval(-3 * 60) }
        _ = try desk.claim(held, as: binh)
        _ = try call(2, "0903111222", nil)

        let console = try startConsole(database: dir + "/h.sqlite")
        defer { console.stop() }
        let session = try console.sessions.create(userID: "lan")
        let script = """
            import os, sys
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
            o = webdriver.ChromeOptions(); o.binary_location = "/usr/bin/chromium"
            for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,768", "--hide-scrollbars"):
                o.add_argument(a)
            d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
            try:
                base = os.environ["BASE"]
                d.get(base + "/dang-nhap")
                d.add_cookie({"name": "hotline_session", "value": os.environ["SESSION"], "path": "/"})
                d.get(base + "/hang-doi")
                d.implicitly_wait(3)
                d.find_element("css selector", "tr.case-row")
                d.execute_script("document.querySelectorAll('tr.case-row')[1].focus()")
                import time; time.sleep(1.5)
                d.save_screenshot(os.path.join(os.environ["OUT"], "console-queue.png"))
                d.get(base + "/phieu/" + os.environ["CASE"])
                time.sleep(0.5)
                d.save_screenshot(os.path.join(os.environ["OUT"], "console-case.png"))
            finally:
                d.quit()
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script]
        p.environment = ProcessInfo.processInfo.environment.merging([
            "BASE": "http://127.0.0.1:\(console.port)", "SESSION": session.id, "OUT": folder, "CASE": returned,
        ]) { $1 }
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        print("screenshots in \(folder): console-queue.png, console-case.png")
    }

    /// The README's screenshots of part 2: a unit's inbox and case on a phone (390×844), the report dashboard
    /// over eight weeks of reports from the three channels, and the menu editor with its graph and a simulated
    /// call. Skipped unless HOTLINE_CONSOLE_SCREENSHOTS names a folder.
    func testTakeThePartTwoScreenshots() throws {
        guard let folder = ProcessInfo.processInfo.environment["HOTLINE_CONSOLE_SCREENSHOTS"] else {
            throw XCTSkip("set HOTLINE_CONSOLE_SCREENSHOTS=FOLDER to take the README's screenshots")
        }
        let out = folder.hasPrefix("/") ? folder : repositoryRoot + "/" + folder
        let dir = NSTemporaryDirectory() + "console-shot2-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/Dialplans", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Config", toPath: dir + "/Config")
        let live = dir + "/Dialplans/hotline-1022.json"
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Dialplans/hotline-1022.json", toPath: live)
        let store = try TicketStore(path: dir + "/h.sqlite")
        defer { try? store.close() }
        try store.importUnits(try UnitDirectory.load(path: repositoryRoot + "/Config/units.json"))
        let desk = Desk(store: store, context: Desk.context(fromFiles: dir + "/Config"))
        desk.configDirectory = dir + "/Config"
        let admin = User(name: "admin", displayName: "Quản trị", role: .administrator)
        try desk.addUser(admin, as: nil)
        let lan = User(name: "lan", displayName: "Nguyễn Thị Lan", role: .agent)
        let hoa = User(name: "hoa", displayName: "Phạm Thu Hòa", role: .unit, unitCode: "P-LECHAN")
        let gv = User(name: "gv", role: .unit, unitCode: "P-GIAVIEN")
        let hb = User(name: "hb", role: .unit, unitCode: "P-HONGBANG")
        for u in [lan, hoa, gv, hb] { try desk.addUser(u, as: admin) }
        let members = ["Lê Chân": hoa, "Gia Viên": gv, "Hồng Bàng": hb]

        // Eight weeks of reports: most from the web page and the app, a few by phone; most resolved on time.
        var seed: UInt64 = 1022
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int((seed >> 33) % UInt64(n)) }
        let now = Date()
        let stories: [(String, HotlineCore.Category, Topic)] = [
            ("Đèn đường hỏng cả đoạn phố", .infrastructure, .infrastructureIncident),
            ("Nắp cống vỡ giữa lòng đường", .infrastructure, .infrastructureIncident),
            ("Rác thải tập kết sai nơi quy định", .socioeconomic, .fieldReport),
            ("Tiếng ồn từ quán karaoke sau 23 giờ", .socioeconomic, .fieldReport),
            ("Hồ sơ cấp phép xây dựng chậm trả kết quả", .socioeconomic, .administrativeProcedure),
            ("Đề xuất trồng thêm cây xanh dọc bờ hồ", .suggestion, .citySuggestion),
        ]
        let wards = ["Lê Chân", "Lê Chân", "Gia Viên", "Hồng Bàng"]
        var evidenceCount = 0
        for week in 0..<8 {
            for _ in 0..<(7 + next(6) + (8 - week)) {
                let received = now.addingTimeInterval(-Double(week * 7 * 86400 + 3600 + next(6 * 86400)))
                let story = stories[next(stories.count)]
                let ward = wards[next(wards.count)]
                let roll = next(20)
                let channel: Channel = roll == 0 ? .phone : roll < 10 ? .portal : .app
                let code = try store.createTicket(NewTicket(channel: channel, receivedAt: received, category: story.1, topic: story.2,
                                                            reporter: Reporter(name: "Người dân", phone: "09\(10000000 + next(89999999))",
                                                                               address: "Hải Phòng"),
                                                            content: story.0, summary: "", ward: ward),
                                                  by: Actor(.citizen, channel.rawValue), context: try desk.context())
                if now.timeIntervalSince(received) < 4 * 3600 { continue }  // still in the hotline's queue
                desk.now = { received.addingTimeInterval(1800) }
                let t = try desk.complete(CompleteRequest(code: code, details: CaseDetails(
                    name: "Người dân", address: "Hải Phòng", summary: "\(story.0) (\(ward))", category: story.1, topic: story.2,
                    ward: ward)), as: lan)
                guard let member = members[ward], t.unitCode == member.unitCode else { continue }
                let fate = next(10)
                if fate == 0 && week <= 1 { continue }  // not yet accepted
                desk.now = { received.addingTimeInterval(7200) }
                _ = try desk.unitStep(UnitStepRequest(code: code, step: .accept), as: member)
                if (fate == 1 && week <= 1) || (week == 0 && fate < 5) { continue }  // being worked on
                let late = fate == 2
                let resolvedAt = received.addingTimeInterval(late ? 11 * 86400 : Double(4 * 3600 + next(2 * 86400)))
                guard resolvedAt < now.addingTimeInterval(-3600) else { continue }
                desk.now = { resolvedAt }
                evidenceCount += 1
                let photo = dir + "/anh-\(evidenceCount).jpg"
                try Data([0xFF, 0xD8, 0xFF, 0xE0] + Array("photo \(evidenceCount)".utf8)).write(to: URL(fileURLWithPath: photo))
                _ = try desk.unitStep(UnitStepRequest(code: code, step: .resolve(result: "Đã xử lý xong: \(story.0.lowercased())"),
                                                      evidence: [photo]), as: member)
                desk.now = { resolvedAt.addingTimeInterval(3600) }
                _ = try desk.confirm(code, as: lan)
            }
        }
        desk.now = Date.init

        let console = try startConsole(database: dir + "/h.sqlite", configDirectory: dir + "/Config") {
            $0.dialplan = DialplanSettings(live: live, promptDirectory: repositoryRoot + "/Prompts/vi",
                                           variables: ["agentsURI": "sip:agents@127.0.0.1:5070"])
        }
        defer { console.stop() }
        let inbox = try desk.inbox(nil, as: hoa)
        let open = try XCTUnwrap(inbox.first { $0.status == .accepted } ?? inbox.first)
        let script = """
            import os, time
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
            def browser(w, h, mobile=False):
                o = webdriver.ChromeOptions(); o.binary_location = "/usr/bin/chromium"
                for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={w},{h}", "--hide-scrollbars", "--lang=vi-VN"):
                    o.add_argument(a)
                if mobile:
                    o.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": w, "height": h, "pixelRatio": 2.0}})
                return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
            base, out = os.environ["BASE"], os.environ["OUT"]
            def signed(d, session):
                d.get(base + "/dang-nhap")
                d.add_cookie({"name": "hotline_session", "value": session, "path": "/"})
            def whole(d, name, width):
                h = d.execute_script("return Math.min(document.documentElement.scrollHeight, 2400)")
                d.set_window_size(width, h + 90); time.sleep(0.4)
                d.save_screenshot(os.path.join(out, name))
            phone = browser(390, 844, mobile=True)
            try:
                signed(phone, os.environ["UNIT"])
                phone.get(base + "/don-vi"); time.sleep(1.2)
                phone.save_screenshot(os.path.join(out, "console-unit-phone.png"))
                phone.get(base + "/don-vi/phieu/" + os.environ["CASE"]); time.sleep(0.6)
                phone.execute_script("document.getElementById('ket_qua').value = 'Đã thay bóng đèn và kiểm tra lại cả đoạn phố lúc 15 giờ.'")
                phone.execute_script("document.getElementById('ket-qua').scrollIntoView()")
                time.sleep(0.3)
                phone.save_screenshot(os.path.join(out, "console-unit-case-phone.png"))
            finally:
                phone.quit()
            d = browser(1366, 900)
            try:
                signed(d, os.environ["AGENT"])
                d.get(base + "/bao-cao"); time.sleep(1.0)
                whole(d, "console-reports.png", 1366)
                d.delete_all_cookies(); signed(d, os.environ["ADMIN"])
                d.set_window_size(1366, 900)
                d.get(base + "/quan-tri/kich-ban")
                d.find_element("id", "phim").clear(); d.find_element("id", "phim").send_keys("1,,2,,")
                d.find_element("id", "simulate").click(); time.sleep(1.2)
                d.execute_script("document.getElementById('plan').style.minHeight = '16rem'; document.getElementById('plan').style.height = '16rem'")
                whole(d, "console-menu-editor.png", 1366)
            finally:
                d.quit()
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script]
        p.environment = ProcessInfo.processInfo.environment.merging([
            "BASE": "http://127.0.0.1:\(console.port)", "OUT": out, "CASE": open.trackingCode,
            "UNIT": try console.sessions.create(userID: "hoa").id, "AGENT": try console.sessions.create(userID: "lan").id,
            "ADMIN": try console.sessions.create(userID: "admin").id,
        ]) { $1 }
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        print("screenshots in \(out): console-unit-phone.png, console-unit-case-phone.png, console-reports.png, console-menu-editor.png")
    }
}
