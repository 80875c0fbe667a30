import Foundation
import HotlineCore
import HotlineDesk
import HotlineStore
import StoreTestSupport
import XCTest

let configDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Config").path

func vn(_ text: String) -> Date { ISO8601DateFormatter().date(from: text + "+07:00")! }

/// A desk on a store in a temporary directory with the shipped unit directory and templates, and the desk's
/// people: an administrator, an agent, a supervisor and two ward units' members.
class DeskTestCase: XCTestCase {
    var dir: String!
    var store: TicketStore!
    var context: WorkflowContext!
    var desk: Desk!
    var admin: User!
    var lan: User!
    var minh: User!
    var giaVien: User!
    var leChan: User!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "desk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try TicketStore(path: try TestStore.location(in: dir), dataDirectory: dir)
        try store.importUnits(try UnitDirectory.load(path: configDirectory + "/units.json"))
        context = WorkflowContext(calendar: WorkingCalendar(),
                                  templates: try NotificationTemplates.load(path: configDirectory + "/templates.vi.json"))
        desk = Desk(store: store, context: context)
        admin = User(name: "admin", role: .administrator)
        try desk.addUser(admin, as: nil)
        lan = User(name: "lan", role: .agent)
        minh = User(name: "minh", role: .supervisor)
        giaVien = User(name: "gv1", role: .unit, unitCode: "P-GIAVIEN")
        leChan = User(name: "lc1", role: .unit, unitCode: "P-LECHAN")
        for u in [lan!, minh!, giaVien!, leChan!] { try desk.addUser(u, as: admin) }
    }

    override func tearDownWithError() throws {
        try store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// The desk with its clock at `date`.
    func at(_ date: Date) -> Desk {
        desk.now = { date }
        return desk
    }

    func portalTicket(at: Date, phone: String = "0912345678", category: HotlineCore.Category? = .socioeconomic,
                      topic: Topic? = .fieldReport, ward: String = "Gia Viên", summary: String = "Đốt rác gây ô nhiễm",
                      confidential: Bool = false) throws -> String {
        try store.createTicket(
            NewTicket(channel: .portal, receivedAt: at, category: category, topic: topic,
                      reporter: Reporter(name: "Trần Thị Bình", phone: phone, address: "5 Lạch Tray", email: "binh@example.vn"),
                      confidential: confidential, content: "Nhà bên cạnh đốt rác hằng tối", summary: summary, ward: ward),
            by: Actor(.citizen, "portal"), context: context)
    }

    /// A small evidence file (a photo stand-in).
    func evidenceFile(_ name: String = "photo.jpg") throws -> String {
        let path = dir + "/" + name
        try Data("JPEG \(name)".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    let details = CaseDetails(name: "Trần Thị Bình", address: "5 Lạch Tray", summary: "Đốt rác gây ô nhiễm",
                              category: .socioeconomic, topic: .fieldReport, ward: "Gia Viên")

    /// Forwarded to Gia Viên by an agent and accepted by its member.
    func forwardedAndAccepted(at received: Date) throws -> String {
        let code = try portalTicket(at: received)
        _ = try at(received.addingTimeInterval(600)).complete(CompleteRequest(code: code, details: details), as: lan)
        _ = try at(received.addingTimeInterval(900)).unitStep(UnitStepRequest(code: code, step: .accept), as: giaVien)
        return code
    }

    func assertDesk(_ expression: @autoclosure () throws -> some Any, _ check: (DeskError) -> Bool, _ message: String = "",
                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), message, file: file, line: line) { error in
            guard let e = error as? DeskError else { return XCTFail("not a DeskError: \(error)", file: file, line: line) }
            XCTAssertTrue(check(e), "\(message): \(e)", file: file, line: line)
        }
    }
}

func isForbidden(_ e: DeskError) -> Bool { e.isForbidden }
func article(_ a: String) -> (DeskError) -> Bool { { $0.article == a } }
func field(_ f: DeskField) -> (DeskError) -> Bool {
    { if case .invalidField(let g, _) = $0 { return g == f } else { return false } }
}
