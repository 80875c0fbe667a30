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
}
