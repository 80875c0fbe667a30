import DeskSecurity
import Foundation
import HotlineCore
import HotlineStore
import IVR

/// The administrators' data files as the console edits them.
public struct AdminConfiguration: Sendable {
    /// units.json as written (units and routing rules).
    public var unitsText: String
    public var calendar: WorkingCalendar.Adjustments
    public var templates: [NotificationKind: String]
}

/// The files of the administrators' data folder.
public enum ConfigFile: String, Sendable {
    case units = "units.json"
    case calendar = "calendar.json"
    case templates = "templates.vi.json"
}

extension Desk {
    /// The workflow context read from the administrators' files in `directory` (calendar.json,
    /// templates.vi.json): what a desk whose files are edited reads again after `reloadContext()`.
    public static func context(fromFiles directory: String) -> @Sendable () throws -> WorkflowContext {
        {
            let calendar = (directory as NSString).appendingPathComponent(ConfigFile.calendar.rawValue)
            let templates = (directory as NSString).appendingPathComponent(ConfigFile.templates.rawValue)
            return WorkflowContext(calendar: try WorkingCalendar.load(path: calendar), templates: try NotificationTemplates.load(path: templates))
        }
    }

    // MARK: Users

    /// Every user, for the administrators' page (who may change them).
    public func usersToAdminister(as admin: User) throws -> [User] {
        try check(admin, .administer)
        return try store.users()
    }

    /// Changes a user's role (and the unit of a unit member); audited.
    public func setUserRole(_ name: String, role: UserRole, unit: String?, as admin: User) throws {
        try check(admin, .administer)
        try store.setUserRole(name, role: role, unitCode: unit, by: admin, at: now())
    }

    /// Adds a user with a first password (set by the administrator, audited as a reset).
    public func addUser(_ new: User, password: String, as admin: User) throws {
        try check(admin, .administer)
        try Self.checkNewPassword(password, userName: new.name)
        try addUser(new, as: admin)
        try setPassword(SetPasswordRequest(userName: new.name, newPassword: password), as: admin)
    }

    // MARK: The administrators' files

    func configPath(_ file: ConfigFile) throws -> String {
        guard let dir = configDirectory else {
            throw DeskError.failed("chưa cấu hình thư mục dữ liệu quản trị (--config-dir)")
        }
        return (dir as NSString).appendingPathComponent(file.rawValue)
    }

    /// The unit directory, calendar and templates as the files hold them now.
    public func adminConfiguration(as admin: User) throws -> AdminConfiguration {
        try check(admin, .administer)
        let unitsPath = try configPath(.units)
        var unitsText = FileManager.default.contents(atPath: unitsPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if unitsText.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            unitsText = String(decoding: try encoder.encode(try store.unitDirectory()), as: UTF8.self)
        }
        let calendar: WorkingCalendar
        do {
            calendar = try WorkingCalendar.load(path: try configPath(.calendar))
        } catch {
            throw DeskError.failed("\(error)")
        }
        var templates: [NotificationKind: String] = [:]
        if let t = try? NotificationTemplates.load(path: try configPath(.templates)) { templates = t.texts }
        return AdminConfiguration(unitsText: unitsText, calendar: calendar.adjustments, templates: templates)
    }

    /// Replaces the unit directory and its routing rules: the text is read, checked (codes unique, one City
    /// Office, rules naming known units), written over units.json in one step, imported into the store, and
    /// the change audited with the file's SHA-256. A directory with a problem changes nothing.
    public func saveUnitDirectory(_ text: String, as admin: User) throws -> UnitDirectory {
        try check(admin, .administer)
        let data = Data(text.utf8)
        if let (position, message) = JSONLocator.syntaxError(in: data) {
            throw DeskError.invalidField(.unit, reason: "JSON sai cú pháp\(position.map { " ở dòng \($0.line), cột \($0.column)" } ?? ""): \(message)")
        }
        let directory: UnitDirectory
        do {
            directory = try JSONDecoder().decode(UnitDirectory.self, from: data)
            try directory.validate(source: ConfigFile.units.rawValue)
        } catch let error as UnitDirectory.InvalidDirectory {
            throw DeskError.invalidField(.unit, reason: error.description)
        } catch {
            throw DeskError.invalidField(.unit, reason: "\(ConfigFile.units.rawValue): \(Self.decodingProblem(error))")
        }
        let path = try configPath(.units)
        try writeConfig(path, data)
        try store.importUnits(directory, by: admin.name)
        try store.recordAdministration("config-units", ["file": path, "sha256": SHA256.hex(data),
                                                        "units": String(directory.units.count), "rules": String(directory.rules.count)],
                                       by: admin, at: now())
        return directory
    }

    /// Replaces the announced days off and make-up working days: each a date `yyyy-MM-dd`; a day off falls
    /// on a weekday and a make-up day on a weekend, and no day is both. Written over calendar.json, audited;
    /// deadlines computed from now on count with it.
    public func saveCalendar(daysOff: [String], workingWeekendDays: [String], as admin: User) throws -> WorkingCalendar.Adjustments {
        try check(admin, .administer)
        func days(_ lines: [String], _ what: String) throws -> [Day] {
            var out: [Day] = []
            for raw in lines {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty { continue }
                guard let day = Day(line), day.description == line else {
                    throw DeskError.invalidField(.until, reason: "\(what): «\(line)» không phải ngày dạng 2026-09-01")
                }
                if !out.contains(day) { out.append(day) }
            }
            return out.sorted()
        }
        var adjustments = try adminConfiguration(as: admin).calendar
        adjustments.extraDaysOff = try days(daysOff, "ngày nghỉ")
        adjustments.workingWeekendDays = try days(workingWeekendDays, "ngày làm bù")
        for d in adjustments.extraDaysOff where d.isoWeekday >= 6 {
            throw DeskError.invalidField(.until, reason: "ngày nghỉ \(d) là \(d.isoWeekday == 6 ? "thứ Bảy" : "Chủ nhật"), vốn đã nghỉ")
        }
        for d in adjustments.workingWeekendDays where d.isoWeekday < 6 {
            throw DeskError.invalidField(.until, reason: "ngày làm bù \(d) không phải thứ Bảy hay Chủ nhật")
        }
        if let both = adjustments.extraDaysOff.first(where: adjustments.workingWeekendDays.contains) {
            throw DeskError.invalidField(.until, reason: "ngày \(both) vừa là ngày nghỉ vừa là ngày làm bù")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(adjustments) + Data("\n".utf8)
        let path = try configPath(.calendar)
        try writeConfig(path, data)
        try store.recordAdministration("config-calendar", ["file": path, "sha256": SHA256.hex(data),
                                                           "daysOff": adjustments.extraDaysOff.map(\.description).joined(separator: ","),
                                                           "workingWeekendDays": adjustments.workingWeekendDays.map(\.description).joined(separator: ",")],
                                       by: admin, at: now())
        reloadContext()
        return adjustments
    }

    /// Replaces the citizens' message templates: every message present, only known placeholders. Written over
    /// templates.vi.json, audited; messages queued from now on use them.
    public func saveTemplates(_ texts: [NotificationKind: String], as admin: User) throws {
        try check(admin, .administer)
        let trimmed = texts.mapValues { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        do {
            _ = try NotificationTemplates(texts: trimmed)
        } catch {
            throw DeskError.invalidField(.content, reason: "\(error)".replacingOccurrences(of: "templates: ", with: ""))
        }
        var object: [String: String] = [:]
        for (k, v) in trimmed { object[k.rawValue] = v }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            + Data("\n".utf8)
        let path = try configPath(.templates)
        try writeConfig(path, data)
        try store.recordAdministration("config-templates", ["file": path, "sha256": SHA256.hex(data)], by: admin, at: now())
        reloadContext()
    }

    func writeConfig(_ path: String, _ data: Data) throws {
        do {
            try DialplanFiles.replace(path, with: data)
        } catch {
            throw DeskError.failed("không ghi được \(path): \(error)")
        }
    }

    /// A decoding error in a few words: which key, what was wrong.
    static func decodingProblem(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func at(_ path: [CodingKey]) -> String {
            path.isEmpty ? "$" : "$" + path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch e {
        case .keyNotFound(let key, let c): return "\(at(c.codingPath)): thiếu khóa «\(key.stringValue)»"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(at(c.codingPath)): sai kiểu giá trị (\(c.debugDescription))"
        case .dataCorrupted(let c): return "\(at(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    // MARK: The city app's API keys

    /// Makes a client of the Open311 API with a new random key, returned once: only its SHA-256 is stored.
    public func addAPIClient(_ name: String, as admin: User) throws -> String {
        try check(admin, .administer)
        guard User.isValidName(name) else {
            throw DeskError.invalidField(.userName, reason: "'\(name)' không hợp lệ: dùng chữ thường không dấu, chữ số, '.', '_' hoặc '-'")
        }
        let key: String
        do {
            key = "h1022_" + (try SecureRandom.hexToken(byteCount: 32))
        } catch {
            throw DeskError.failed("\(error)")
        }
        try store.addAPIClient(name: name, keySHA256: SHA256.hex(Data(key.utf8)), by: admin, at: now())
        return key
    }

    public func setAPIClientActive(_ name: String, _ active: Bool, as admin: User) throws {
        try check(admin, .administer)
        try store.setAPIClientActive(name: name, active, by: admin, at: now())
    }

    public func apiClients(as admin: User) throws -> [APIClient] {
        try check(admin, .administer)
        return try store.apiClients()
    }

    /// The client a key belongs to; nil for a missing, unknown or disabled key (the API answers 401).
    public func apiClient(key: String?) throws -> String? {
        guard let key, key.hasPrefix("h1022_"), key.count == 70 else { return nil }
        return try store.apiClient(keySHA256: SHA256.hex(Data(key.utf8)), at: now())
    }
}
