import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import HotlineStore
import StoreTestSupport
import XCTest

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A few bytes that are what they say they are (the desk reads the signature, not the name).
enum Sample {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("IHDR a photo of the site".utf8)
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array("JFIF another photo".utf8)
    static let pdf = Array("%PDF-1.7 minutes of the site visit".utf8)
    static let svg = Array("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".utf8)
    static let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + Array("not a word file".utf8)
}

/// The desk operations of the console's part 2: uploads and evidence, citizens' channels, API keys, the
/// administrators' files, roles, the menu editor, prompts, reports.
final class ConsolePartTwoDeskTests: DeskTestCase {
    func files(under path: String) -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).filter {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent($0), isDirectory: &isDir) && !isDir.boolValue
        }
    }

    // MARK: Uploads and evidence

    func testUploadsAreReadByTheirBytesAndStagedInTheDataFolderOnly() throws {
        XCTAssertEqual(UploadType.detect(Sample.png), .png)
        XCTAssertEqual(UploadType.detect(Sample.jpeg), .jpeg)
        XCTAssertEqual(UploadType.detect(Sample.pdf), .pdf)
        XCTAssertNil(UploadType.detect(Sample.svg), "an SVG (which can carry script) is never an accepted image")
        XCTAssertNil(UploadType.detect(Sample.zip), "a zip that is not a Word file")
        XCTAssertNil(UploadType.detect(Array("MZ\u{90}\0 an executable".utf8)))

        let staged = try desk.stage(Upload(filename: "Ảnh hiện trường 1.PNG", bytes: Sample.png), policy: .evidence)
        XCTAssertTrue(staged.hasPrefix(dir + "/uploads/staging/"), staged)
        XCTAssertEqual((staged as NSString).lastPathComponent, "anh-hien-truong-1.png", "named by what it is, in ASCII")
        desk.unstage(staged)
        XCTAssertFalse(FileManager.default.fileExists(atPath: staged))

        assertDesk(try desk.stage(Upload(filename: "x.svg", bytes: Sample.svg), policy: .evidence), field(.evidence), "an SVG")
        assertDesk(try desk.stage(Upload(filename: "x.jpg", bytes: Sample.svg), policy: .evidence), field(.evidence),
                   "a name does not make a picture")
        assertDesk(try desk.stage(Upload(filename: "x.jpg", bytes: []), policy: .evidence), field(.evidence), "empty")
        assertDesk(try desk.stage(Upload(filename: "big.png", bytes: Sample.png + [UInt8](repeating: 0, count: UploadPolicy.evidence.maxBytes)),
                                  policy: .evidence), field(.evidence), "too big")
        assertDesk(try desk.stage(Upload(filename: "x.pdf", bytes: Sample.pdf), policy: .citizenPhoto), field(.evidence),
                   "a citizen sends a photo, not a document")
        XCTAssertTrue(files(under: dir + "/uploads").isEmpty, "nothing refused was written")
    }

    func testAUnitResolvesWithPhotosFromThePageStoredWithTheirSHA256() throws {
        let received = vn("2026-06-08T09:00:00")
        let code = try forwardedAndAccepted(at: received)
        let d = at(received.addingTimeInterval(3600))
        assertDesk(try d.unitStep(UnitStepRequest(code: code, step: .resolve(result: "Đã dọn")),
                                  uploads: [Upload(filename: "a.png", bytes: Sample.png)], as: leChan),
                   isForbidden, "another unit's member is refused before any file is written")
        XCTAssertTrue(files(under: dir + "/uploads").isEmpty)
        assertDesk(try d.unitStep(UnitStepRequest(code: code, step: .resolve(result: "Đã dọn")),
                                  uploads: [Upload(filename: "a.svg", bytes: Sample.svg)], as: giaVien), field(.evidence))
        XCTAssertEqual(try store.ticket(code)?.status, .accepted, "a refused upload takes no step")

        let t = try d.unitStep(UnitStepRequest(code: code, step: .resolve(result: "Đã dọn sạch bãi rác, lập biên bản nhắc nhở")),
                               uploads: [Upload(filename: "truoc.png", bytes: Sample.png), Upload(filename: "bien-ban.pdf", bytes: Sample.pdf)],
                               as: giaVien)
        XCTAssertEqual(t.status, .resolved)
        let evidence = t.attachments.filter(\.kind.isEvidence)
        XCTAssertEqual(evidence.map(\.kind), [.photo, .document])
        for a in evidence {
            XCTAssertTrue(a.path.hasPrefix(dir + "/evidence/\(code)/"), a.path)
            XCTAssertEqual(a.sha256, try SHA256.hexOfFile(atPath: a.path))
        }
        XCTAssertTrue(files(under: dir + "/uploads").isEmpty, "staged copies are removed")

        // The evidence files, for the case's readers only.
        let photo = try desk.evidenceFile(code: code, index: 0, as: lan)
        XCTAssertEqual(photo.type, .png)
        XCTAssertEqual(photo.contentType, "image/png")
        XCTAssertEqual(photo.filename, "truoc.png")
        XCTAssertEqual(try desk.evidenceFile(code: code, index: 1, as: giaVien).type, .pdf)
        assertDesk(try desk.evidenceFile(code: code, index: 0, as: leChan), isForbidden)
        assertDesk(try desk.evidenceFile(code: code, index: 0, as: admin), isForbidden)
        assertDesk(try desk.evidenceFile(code: code, index: 2, as: lan), { if case .notFound(.file, _) = $0 { true } else { false } })
        try Data("changed".utf8).write(to: URL(fileURLWithPath: photo.path))
        assertDesk(try desk.evidenceFile(code: code, index: 0, as: lan), { if case .failed = $0 { true } else { false } },
                   "a file changed after it was stored is not handed out")

        // The hotline sees the result with its evidence, and the citizen's message carries the result.
        let pending = try desk.pendingReview(as: lan)
        XCTAssertEqual(pending.first?.resultText, "Đã dọn sạch bãi rác, lập biên bản nhắc nhở")
        _ = try at(received.addingTimeInterval(7200)).confirm(code, as: lan)
        XCTAssertTrue(try store.outbox().contains { $0.kind == .result && $0.body.contains("Đã dọn sạch bãi rác") })
    }

    // MARK: Citizens' channels

    func testCitizensReportsCarryTheirChannelAndAreChecked() throws {
        let d = at(vn("2026-06-10T08:00:00"))
        func report(_ change: (inout CitizenReport) -> Void) -> CitizenReport {
            var r = CitizenReport(channel: .portal, category: .infrastructure, description: "Cột đèn đổ nghiêng trước số 45 Tô Hiệu",
                                  ward: "le chan", place: "45 Tô Hiệu", name: "Trần Thị Mai", phone: "0912 345 678")
            change(&r)
            return r
        }
        assertDesk(try d.fileReport(report { $0.category = nil }), field(.category))
        assertDesk(try d.fileReport(report { $0.description = "đèn hỏng" }), field(.content), "too short to act on")
        assertDesk(try d.fileReport(report { $0.ward = "Quận 1" }), field(.ward), "a ward not in the city's directory")
        assertDesk(try d.fileReport(report { $0.ward = "" }), field(.ward))
        assertDesk(try d.fileReport(report { $0.email = "mai at example" }), field(.email))
        assertDesk(try d.fileReport(report { $0.phone = "12345" }), field(.name))
        assertDesk(try d.fileReport(report { $0.photo = Upload(filename: "x.svg", bytes: Sample.svg) }), field(.evidence))
        assertDesk(try d.fileReport(report { $0.channel = .phone }), { if case .failed = $0 { true } else { false } })
        XCTAssertEqual(try store.changeStamp().newestTicketID, 0, "nothing refused was filed")

        let portal = try d.fileReport(report { $0.photo = Upload(filename: "IMG_0001.JPG", bytes: Sample.jpeg) })
        let t = try XCTUnwrap(store.ticket(portal))
        XCTAssertEqual(t.channel, .portal)
        XCTAssertEqual(t.status, .draft)
        XCTAssertEqual(t.ward, "Lê Chân", "the directory's spelling")
        XCTAssertEqual(t.reporter.phone, "0912345678")
        XCTAssertEqual(t.summary, "", "the public summary is the agent's to write, not the citizen's words")
        XCTAssertTrue(t.content.contains("45 Tô Hiệu"))
        XCTAssertEqual(t.attachments.map(\.kind), [.photo])
        XCTAssertEqual(t.attachments.first?.sha256, SHA256.hex(Data(Sample.jpeg)))
        let history = try store.history(portal)
        XCTAssertEqual(history.map(\.actor), ["citizen:portal", "citizen:portal"])
        XCTAssertTrue(try desk.queue(as: lan).contains { $0.trackingCode == portal }, "in the hotline's queue like a call's draft")

        let app = try d.fileReport(CitizenReport(channel: .app, topic: .infrastructureIncident,
                                                 description: "Nắp cống vỡ giữa đường Lạch Tray", ward: "",
                                                 place: "120 Lạch Tray, phường Lê Chân", client: "smart-haiphong"))
        let a = try XCTUnwrap(store.ticket(app))
        XCTAssertEqual(a.channel, .app)
        XCTAssertEqual(a.category, .infrastructure, "the topic's category")
        XCTAssertEqual(a.ward, "Lê Chân", "a ward named in the address")
        XCTAssertEqual(try store.history(app).first?.actor, "citizen:app:smart-haiphong")

        let week = try desk.weeklyReport(from: vn("2026-06-04T10:00:00"), to: vn("2026-06-11T10:00:00"), since: nil)
        XCTAssertEqual(week.byChannel.first { $0.label == Channel.portal.label }?.count, 1)
        XCTAssertEqual(week.byChannel.first { $0.label == Channel.app.label }?.count, 1)
        XCTAssertEqual(try desk.publicView(portal).channel, .portal)
    }

    func testACitizenRatesACompletedResultWithTheLastDigitsOfTheirPhone() throws {
        let received = vn("2026-06-08T09:00:00")
        let code = try forwardedAndAccepted(at: received)
        assertDesk(try desk.rateAsCitizen(code, score: 5, comment: "", phoneDigits: "5678"), article("Art. 8.5b"), "not completed yet")
        _ = try at(received.addingTimeInterval(3600)).unitStep(UnitStepRequest(code: code, step: .resolve(result: "Đã dọn")),
                                                               uploads: [Upload(filename: "a.png", bytes: Sample.png)], as: giaVien)
        _ = try desk.confirm(code, as: lan)
        XCTAssertTrue(try desk.ratingNeedsPhone(code))
        assertDesk(try desk.rateAsCitizen(code, score: 5, comment: "", phoneDigits: "1111"), field(.score), "wrong digits")
        assertDesk(try desk.rateAsCitizen(code, score: 5, comment: "", phoneDigits: ""), field(.score), "no digits")
        assertDesk(try desk.rateAsCitizen(code, score: 9, comment: "", phoneDigits: "5678"), field(.score))
        try desk.rateAsCitizen(code, score: 4, comment: "Nhanh", phoneDigits: "5678")
        XCTAssertEqual(try desk.publicView(code).rating, 4)
        assertDesk(try desk.rateAsCitizen(code, score: 5, comment: "", phoneDigits: "5678"), article("Art. 8.5b"), "one rating per result")
        XCTAssertEqual(try store.history(code).last?.actor, "citizen:citizen")
    }

    func testAPIKeysAreMadeByAdministratorsAndStoredAsTheirHashOnly() throws {
        assertDesk(try desk.addAPIClient("smart-haiphong", as: lan), isForbidden)
        let key = try desk.addAPIClient("smart-haiphong", as: admin)
        XCTAssertTrue(key.hasPrefix("h1022_") && key.count == 70)
        XCTAssertNotEqual(try desk.addAPIClient("other-app", as: admin), key, "each client its own key")
        assertDesk(try desk.addAPIClient("smart-haiphong", as: admin), field(.userName), "one key per client")
        assertDesk(try desk.addAPIClient("Tên Có Dấu", as: admin), field(.userName))
        XCTAssertEqual(try desk.apiClient(key: key), "smart-haiphong")
        XCTAssertNil(try desk.apiClient(key: nil))
        XCTAssertNil(try desk.apiClient(key: "h1022_" + String(repeating: "0", count: 64)))
        XCTAssertNil(try desk.apiClient(key: String(key.dropLast()) + (key.last == "0" ? "1" : "0")))
        // The key itself is nowhere in the database: the file's bytes on SQLite, a whole dump on PostgreSQL.
        let raw = TestStore.onPostgres ? try PostgresServer.dump(store.path)
            : String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/h.sqlite")), as: UTF8.self)
        XCTAssertFalse(raw.isEmpty)
        XCTAssertFalse(raw.contains(String(key.dropFirst(6))), "the key itself is nowhere in the database")
        XCTAssertNotNil(try desk.apiClients(as: admin).first { $0.name == "smart-haiphong" }?.lastUsedAt)
        try desk.setAPIClientActive("smart-haiphong", false, as: admin)
        XCTAssertNil(try desk.apiClient(key: key), "a disabled client's key is refused")
        XCTAssertTrue(try desk.systemAudit(limit: 50, as: admin).map(\.action).contains("api-key-disable"))
    }

    // MARK: Administrators

    func copyConfig() throws -> String {
        let config = dir + "/Config"
        try FileManager.default.copyItem(atPath: configDirectory, toPath: config)
        desk.configDirectory = config
        return config
    }

    func testTheUnitDirectoryIsCheckedWrittenWholeImportedAndAudited() throws {
        let config = try copyConfig()
        let before = try String(contentsOfFile: config + "/units.json", encoding: .utf8)
        XCTAssertEqual(try desk.adminConfiguration(as: admin).unitsText, before)
        assertDesk(try desk.saveUnitDirectory(before, as: lan), isForbidden)
        assertDesk(try desk.saveUnitDirectory("{\n  \"units\": [,\n}", as: admin), { e in
            if case .invalidField(.unit, let why) = e { return why.contains("dòng 2") } else { return false }
        }, "a syntax error with its line")
        assertDesk(try desk.saveUnitDirectory(before.replacingOccurrences(of: "\"kind\": \"department\"", with: "\"kind\": \"city_office\""),
                                              as: admin), field(.unit), "two City Offices")
        assertDesk(try desk.saveUnitDirectory("{\"units\": []}", as: admin), field(.unit), "no rules key")
        XCTAssertEqual(try String(contentsOfFile: config + "/units.json", encoding: .utf8), before, "refused edits change nothing")

        var directory = try JSONDecoder().decode(UnitDirectory.self, from: Data(before.utf8))
        directory.units.append(HotlineCore.Unit(code: "P-MOI", name: "Phường Mới", kind: .ward, wards: ["Phường Mới"]))
        directory.rules.append(RoutingRule(ward: "Phường Mới", units: ["P-MOI"]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        let text = String(decoding: try encoder.encode(directory), as: UTF8.self)
        XCTAssertEqual(try desk.saveUnitDirectory(text, as: admin).units.count, directory.units.count)
        XCTAssertEqual(try String(contentsOfFile: config + "/units.json", encoding: .utf8), text, "written as typed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: config + "/units.json.installing"))
        XCTAssertNotNil(try store.unitDirectory().unit("P-MOI"), "imported into the store")
        XCTAssertTrue(try desk.systemAudit(limit: 50, as: admin).contains { $0.action == "config-units" && ($0.after ?? "").contains("sha256") })
    }

    func testTheCalendarAndTemplatesAreCheckedAndTheDeskReadsThemAgain() throws {
        let config = try copyConfig()
        // A desk that reads its context from the files, as the CLI's and the console's do.
        desk = Desk(store: store, context: Desk.context(fromFiles: config))
        desk.configDirectory = config
        XCTAssertTrue(try desk.context().calendar.adjustments.extraDaysOff.isEmpty)
        assertDesk(try desk.saveCalendar(daysOff: ["2026-09-05"], workingWeekendDays: [], as: admin), field(.until), "a Saturday off")
        assertDesk(try desk.saveCalendar(daysOff: [], workingWeekendDays: ["2026-09-07"], as: admin), field(.until), "a Monday made up")
        assertDesk(try desk.saveCalendar(daysOff: ["1/9/2026"], workingWeekendDays: [], as: admin), field(.until), "not a date")
        assertDesk(try desk.saveCalendar(daysOff: ["2026-09-01"], workingWeekendDays: [], as: lan), isForbidden)
        let saved = try desk.saveCalendar(daysOff: ["2026-09-01", "", "2026-09-01"], workingWeekendDays: ["2026-08-29"], as: admin)
        XCTAssertEqual(saved.extraDaysOff.map(\.description), ["2026-09-01"])
        XCTAssertEqual(try WorkingCalendar.load(path: config + "/calendar.json").adjustments, saved)
        XCTAssertEqual(try desk.context().calendar.adjustments.extraDaysOff.map(\.description), ["2026-09-01"], "read again")
        XCTAssertFalse(try desk.context().calendar.isWorkingDay(Day(2026, 9, 1)))

        var texts = try desk.adminConfiguration(as: admin).templates
        XCTAssertEqual(texts.count, NotificationKind.allCases.count)
        texts[.result] = "Phản ánh {code} đã xong: {ketqua}"
        assertDesk(try desk.saveTemplates(texts, as: admin), field(.content), "an unknown placeholder")
        texts[.result] = ""
        assertDesk(try desk.saveTemplates(texts, as: admin), field(.content), "a missing message")
        texts[.result] = "Phản ánh {code} đã xử lý xong: {result}. Tra cứu, đánh giá tại {lookup}."
        try desk.saveTemplates(texts, as: admin)
        XCTAssertEqual(try NotificationTemplates.load(path: config + "/templates.vi.json").texts[.result], texts[.result])
        XCTAssertEqual(try desk.context().templates.texts[.result], texts[.result], "the next message uses it")
        let actions = try desk.systemAudit(limit: 50, as: admin).map(\.action)
        XCTAssertTrue(actions.contains("config-calendar") && actions.contains("config-templates"), "\(actions)")
    }

    func testAdministratorsChangeRolesAndAddUsersWithAPassword() throws {
        desk.signInGate = try SignInGate(hasher: PasswordHasher(parameters: ScryptParameters(logN: 10)))
        assertDesk(try desk.setUserRole("lan", role: .unit, unit: "P-LECHAN", as: minh), isForbidden)
        assertDesk(try desk.setUserRole("lan", role: .unit, unit: nil, as: admin), field(.unit))
        assertDesk(try desk.setUserRole("lan", role: .unit, unit: "P-KHONGCO", as: admin), { if case .notFound(.unit, _) = $0 { true } else { false } })
        assertDesk(try desk.setUserRole("admin", role: .agent, unit: nil, as: admin), field(.role), "an administrator keeps their own role")
        try desk.setUserRole("lan", role: .unit, unit: "p-lechan", as: admin)
        XCTAssertEqual(try desk.user(named: "lan").unitCode, "P-LECHAN")
        XCTAssertEqual(try desk.user(named: "lan").role, .unit)
        try desk.setUserRole("lan", role: .supervisor, unit: "P-LECHAN", as: admin)
        XCTAssertNil(try desk.user(named: "lan").unitCode, "only unit members belong to a unit")
        let change = try XCTUnwrap(desk.systemAudit(limit: 50, as: admin).last { $0.action == "user-role" })
        XCTAssertTrue((change.before ?? "").contains("unit") && (change.after ?? "").contains("supervisor"), "\(change)")

        assertDesk(try desk.addUser(User(name: "tam", role: .agent), password: "ngắn", as: admin), field(.password))
        XCTAssertNil(try store.user(named: "tam"), "no user without a good password")
        try desk.addUser(User(name: "tam", displayName: "Phạm Tâm", role: .agent), password: "mật khẩu của Tâm", as: admin)
        XCTAssertEqual(try desk.signIn(name: "tam", password: "mật khẩu của Tâm", address: "127.0.0.1").name, "tam")
    }

    // MARK: The menu editor and prompts

    func menuSettings() throws -> (DialplanSettings, String) {
        try FileManager.default.createDirectory(atPath: dir + "/Dialplans", withIntermediateDirectories: true)
        let live = dir + "/Dialplans/hotline-1022.json"
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Dialplans/hotline-1022.json", toPath: live)
        return (DialplanSettings(live: live, promptDirectory: repositoryRoot + "/Prompts/vi",
                                 variables: ["agentsURI": "sip:agents@127.0.0.1:5070"]), try String(contentsOfFile: live, encoding: .utf8))
    }

    func testTheMenuEditorLocatesProblemsInstallsKeepsHistoryAndRollsBack() throws {
        let (settings, original) = try menuSettings()
        assertDesk(try desk.liveDialplan(settings, as: lan), isForbidden)
        XCTAssertEqual(try desk.liveDialplan(settings, as: admin), original)
        XCTAssertTrue(try desk.checkDialplan(original, settings, as: admin).isValid)

        let broken = original.replacingOccurrences(of: "\"type\": \"hangup\"", with: "\"type\": \"hangupp\"")
        let line = broken[..<broken.range(of: "hangupp")!.lowerBound].filter { $0 == "\n" }.count + 1
        let check = try desk.checkDialplan(broken, settings, as: admin)
        let problem = try XCTUnwrap(check.problems.first { $0.message.contains("hangupp") })
        XCTAssertTrue(problem.path.hasPrefix("$.nodes.") && problem.path.hasSuffix(".type"), problem.path)
        XCTAssertEqual(problem.line, line, "the line the administrator wrote it on")
        let syntax = try desk.checkDialplan(original.replacingOccurrences(of: "\"start\":", with: "\"start\" ::"), settings, as: admin)
        let startLine = original[..<original.range(of: "\"start\"")!.lowerBound].filter { $0 == "\n" }.count + 1
        XCTAssertEqual(syntax.problems.first?.line, startLine)
        XCTAssertEqual(try desk.checkDialplan(original.replacingOccurrences(of: "\n", with: "\r\n")
            .replacingOccurrences(of: "\"start\":", with: "\"start\" ::"), settings, as: admin).problems.first?.line, startLine,
                       "CRLF lines count the same")
        assertDesk(try desk.installDialplan(text: broken, settings, as: admin), field(.dialplan))
        XCTAssertEqual(try String(contentsOfFile: settings.live, encoding: .utf8), original)

        let lines = try desk.simulateDialplan(original, settings, keys: "1,,2,", as: admin)
        XCTAssertTrue(lines.first?.contains("cuộc gọi từ") ?? false, "\(lines.prefix(3))")
        let welcome = try String(contentsOfFile: settings.promptDirectory + "/welcome.txt", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(lines.contains { $0.contains(welcome) }, "the welcome's Vietnamese words")
        let svg = try desk.dialplanGraph(original, settings, as: admin)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("welcome"), String(svg.prefix(200)))

        let edited = original.replacingOccurrences(of: "\"version\": \"", with: "\"version\": \"edited-")
        let done = try desk.installDialplan(text: edited, settings, as: admin)
        XCTAssertTrue(done.version.hasPrefix("edited-"))
        XCTAssertEqual(try String(contentsOfFile: settings.live, encoding: .utf8), edited)
        var history = try desk.dialplanHistory(settings, as: admin)
        XCTAssertEqual(history.count, 2, "the plan replaced is kept, then the one installed")
        XCTAssertTrue(history[0].isLive && history[0].version.hasPrefix("edited-"))
        XCTAssertFalse(history[1].isLive)
        assertDesk(try desk.rollbackDialplan(to: "../../etc/passwd", settings, as: admin), { if case .notFound = $0 { true } else { false } })
        assertDesk(try desk.rollbackDialplan(to: history[1].id, settings, as: lan), isForbidden)
        _ = try desk.rollbackDialplan(to: history[1].id, settings, as: admin)
        XCTAssertEqual(try String(contentsOfFile: settings.live, encoding: .utf8), original)
        history = try desk.dialplanHistory(settings, as: admin)
        XCTAssertTrue(history[0].isLive && !history[0].version.hasPrefix("edited-"))
        let actions = try desk.systemAudit(limit: 50, as: admin).map(\.action)
        XCTAssertEqual(actions.filter { $0 == "dialplan-install" }.count, 2)
        XCTAssertTrue(actions.contains("dialplan-rollback"))
    }

    func testPromptsAreHeardReplacedByStudioRecordingsAndRebuilt() throws {
        let prompts = dir + "/prompts"
        try FileManager.default.createDirectory(atPath: prompts, withIntermediateDirectories: true)
        for name in ["welcome", "beep"] {
            for ext in ["txt", "wav"] {
                try FileManager.default.copyItem(atPath: repositoryRoot + "/Prompts/vi/\(name).\(ext)", toPath: "\(prompts)/\(name).\(ext)")
            }
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Prompts/vi/manifest.json")))
            as! [String: Any]
        try JSONSerialization.data(withJSONObject: manifest.filter { ["welcome", "beep"].contains($0.key) })
            .write(to: URL(fileURLWithPath: prompts + "/manifest.json"))
        let settings = DialplanSettings(live: dir + "/live.json", promptDirectory: prompts, variables: [:])

        assertDesk(try desk.prompts(settings, as: lan), isForbidden)
        var list = try desk.prompts(settings, as: admin)
        XCTAssertEqual(list.map(\.name), ["beep", "welcome"])
        XCTAssertFalse(list.contains { $0.isStudioRecording || $0.textChanged })
        XCTAssertEqual(try desk.promptAudio("welcome", settings, as: admin), prompts + "/welcome.wav")
        assertDesk(try desk.promptAudio("../welcome", settings, as: admin), { if case .notFound = $0 { true } else { false } })

        // A studio recording at 44.1 kHz stereo is converted to the gateway's format.
        let studio = dir + "/studio.wav"
        let sox = try XCTUnwrap(["/usr/bin/sox", "/usr/local/bin/sox"].first { FileManager.default.isExecutableFile(atPath: $0) })
        let p = Process()
        p.executableURL = URL(fileURLWithPath: sox)
        p.arguments = ["-n", "-r", "44100", "-c", "2", "-b", "24", studio, "synth", "1.5", "sine", "440"]
        try p.run()
        p.waitUntilExit()
        let ms = try desk.installStudioPrompt("welcome", upload: Upload(filename: "welcome-studio.wav",
                                                                         bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: studio)))),
                                              settings, as: admin)
        XCTAssertEqual(Double(ms), 1500, accuracy: 20)
        let header = [UInt8](try Data(contentsOf: URL(fileURLWithPath: prompts + "/welcome.wav")).prefix(44))
        XCTAssertEqual(Int(header[22]) | Int(header[23]) << 8, 1, "mono")
        XCTAssertEqual(Int(header[24]) | Int(header[25]) << 8 | Int(header[26]) << 16, 8000, "8 kHz")
        XCTAssertEqual(Int(header[34]), 16, "16-bit")
        assertDesk(try desk.installStudioPrompt("welcome", upload: Upload(filename: "x.wav", bytes: Sample.png), settings, as: admin),
                   field(.evidence), "not a WAV")
        list = try desk.prompts(settings, as: admin)
        XCTAssertTrue(list.first { $0.name == "welcome" }!.isStudioRecording)

        // Words changed: a rebuild regenerates the generated prompt and keeps the studio recording.
        try desk.setPromptText("beep", text: "[beep]", settings, as: admin)
        try desk.setPromptText("welcome", text: "Xin chào, đây là Tổng đài 1022.", settings, as: admin)
        let rebuilt = try desk.rebuildPrompts(settings, as: admin)
        XCTAssertEqual(rebuilt.generated, [], "the beep's words did not change")
        XCTAssertEqual(rebuilt.kept, ["welcome"])
        try "Thêm một lời nhắc mới.\n".write(toFile: prompts + "/moi.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try desk.rebuildPrompts(settings, as: admin).generated, ["moi"])
        let actions = try desk.systemAudit(limit: 50, as: admin).map(\.action)
        XCTAssertTrue(actions.contains("prompt-studio") && actions.contains("prompt-text") && actions.contains("prompts-build"))
    }

    // MARK: Reports

    func testReportFilesAndTheDashboardAreForTheHotlineAndAdministrators() throws {
        _ = try portalTicket(at: vn("2026-06-08T09:00:00"))
        let d = at(vn("2026-06-11T10:00:00"))
        let period = ReportPeriod.week(to: vn("2026-06-11T10:00:00"))
        assertDesk(try d.reportFile(.weekly, period: period, format: .docx, as: giaVien), isForbidden)
        assertDesk(try d.dashboard(to: vn("2026-06-11T10:00:00"), as: giaVien), isForbidden)
        let docx = try d.reportFile(.weekly, period: period, format: .docx, as: lan)
        XCTAssertEqual(Array(docx.bytes.prefix(2)), [0x50, 0x4B])
        XCTAssertEqual(docx.filename, "bao-cao-1022-tuan-2026-06-11.docx")
        let csv = try d.reportFile(.weekly, period: period, format: .csv, as: admin)
        XCTAssertEqual(Array(csv.bytes.prefix(3)), [0xEF, 0xBB, 0xBF])
        XCTAssertEqual(try d.reportFile(.monthly, period: try XCTUnwrap(ReportPeriod.month("2026-06")), format: .csv, as: lan).filename,
                       "bao-cao-1022-thang-2026-06.csv")
        XCTAssertNotNil(ReportPeriod.quarter("2026-q2"))
        XCTAssertNil(ReportPeriod.quarter("2026-Q5"))
        XCTAssertNil(ReportPeriod.month("2026-13"))
        let board = try d.dashboard(to: vn("2026-06-11T10:00:00"), as: lan)
        XCTAssertEqual(board.report.week.total, 1)
        XCTAssertTrue(board.trendChart.hasPrefix("<svg") && board.topicsChart.hasPrefix("<svg") && board.unitsChart.hasPrefix("<svg"))
        XCTAssertEqual(board.watch.count, 1, "the overdue draft is on the board")
    }
}
