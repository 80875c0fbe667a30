import Foundation
import HotlineCore
import StoreTestSupport
import XCTest

@testable import HotlineStore

let configDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Config").path

func vn(_ text: String) -> Date { ISO8601DateFormatter().date(from: text + "+07:00")! }

let agent = Actor(.hotline, "agent-1")
let unitMember = Actor(.unit, "gia-vien-1")

/// A store in a temporary directory with the shipped unit directory and templates.
class StoreTestCase: XCTestCase {
    var dir: String!
    var store: TicketStore!
    /// Where `store` lives (an SQLite file or a PostgreSQL URL), for a second connection to the same store.
    var location: String!
    var context: WorkflowContext!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        location = try TestStore.location(in: dir)
        store = try TicketStore(path: location, dataDirectory: dir)
        try store.importUnits(try UnitDirectory.load(path: configDirectory + "/units.json"))
        context = WorkflowContext(calendar: WorkingCalendar(),
                                  templates: try NotificationTemplates.load(path: configDirectory + "/templates.vi.json"))
    }

    override func tearDownWithError() throws {
        try store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func portalTicket(at: Date, phone: String = "0912345678", category: HotlineCore.Category? = .socioeconomic,
                      topic: Topic? = .fieldReport, ward: String = "Gia Viên", summary: String = "Đốt rác gây ô nhiễm",
                      channel: Channel = .portal) throws -> String {
        try store.createTicket(
            NewTicket(channel: channel, receivedAt: at, category: category, topic: topic,
                      reporter: Reporter(name: "Trần Thị Bình", phone: phone, address: "5 Lạch Tray", email: "binh@example.vn"),
                      content: "Nhà bên cạnh đốt rác hằng tối", summary: summary, ward: ward),
            by: Actor(.citizen, "portal"), context: context)
    }

    /// A small evidence file (a photo stand-in).
    func evidenceFile(_ name: String = "photo.jpg") throws -> String {
        let path = dir + "/" + name
        try Data("JPEG \(name)".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Forward, accept, attach a photo, resolve and confirm, at the given moments.
    func complete(_ code: String, unit: String, forwardAt: Date, resolveAt: Date) throws {
        try store.perform(.forward(unit: unit), on: code, by: agent, at: forwardAt, context: context)
        try store.perform(.accept, on: code, by: unitMember, at: forwardAt.addingTimeInterval(60), context: context)
        try store.addAttachment(code, kind: .photo, path: try evidenceFile("\(code).jpg"), by: unitMember, at: resolveAt)
        try store.perform(.resolve(result: "Đã sửa xong đèn chiếu sáng", evidenceCount: 0), on: code, by: unitMember, at: resolveAt, context: context)
        try store.perform(.confirm, on: code, by: agent, at: resolveAt.addingTimeInterval(600), context: context)
    }
}
