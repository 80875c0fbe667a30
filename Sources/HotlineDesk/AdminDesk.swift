import Foundation
import HotlineCore
import HotlineStore
import IVR

/// A dialplan an administrator puts live.
public struct DialplanInstallRequest: Sendable {
    /// The plan's JSON, as read from the administrator's file or the console's editor.
    public var data: Data
    /// Where it came from, for messages ("plan.json", "trình soạn thảo").
    public var source: String
    /// The live file the gateway watches.
    public var target: String
    public var promptDirectory: String
    public var variables: [String: String]
    public init(data: Data, source: String, target: String, promptDirectory: String, variables: [String: String]) {
        (self.data, self.source, self.target, self.promptDirectory) = (data, source, target, promptDirectory)
        self.variables = variables
    }
}

public struct DialplanInstallResult: Sendable {
    public var version: String
    public var nodeCount: Int
    public var sha256: String
    /// The copy kept as the last plan installed successfully: the gateway serves it if the live file breaks.
    public var lastGood: String
}

extension Desk {
    // MARK: Users

    /// False on a new database, whose first user is an administrator added without one.
    public func hasUsers() throws -> Bool { try store.userCount() > 0 }

    public func users(as user: User) throws -> [User] {
        try check(user, .oversee)
        return try store.users()
    }

    /// Adds a user. `admin` is nil only for the very first user of an empty database, who must be an
    /// administrator (someone has to be able to add the rest).
    public func addUser(_ new: User, as admin: User?) throws {
        if let admin { try check(admin, .administer) }
        try store.addUser(new, by: admin, at: now())
    }

    public func setUserActive(_ name: String, _ active: Bool, as admin: User) throws {
        try check(admin, .administer)
        try store.setUserActive(name, active, by: admin, at: now())
    }

    // MARK: Units

    /// The unit directory and its routing rules: what every desk reads to route a case.
    public func unitDirectory() throws -> UnitDirectory { try store.unitDirectory() }

    public func importUnits(_ directory: UnitDirectory, as admin: User) throws {
        try check(admin, .administer)
        do {
            try directory.validate()
        } catch {
            throw DeskError.invalidField(.unit, reason: "\(error)")
        }
        try store.importUnits(directory, by: admin.name)
    }

    // MARK: Dialplans

    /// Validates a plan with its prompts and swaps it in whole over the live file (written beside it, renamed
    /// over it in one step, so a running gateway never reads half a file); keeps a copy as the last good plan;
    /// audited with the plan's version and SHA-256. A plan with any problem is refused and nothing changes.
    public func installDialplan(_ r: DialplanInstallRequest, as admin: User) throws -> DialplanInstallResult {
        try check(admin, .administer)
        let (plan, problems) = DialplanLoader.check(r.data, promptDirectory: r.promptDirectory, variables: r.variables)
        guard problems.isEmpty, let plan else {
            throw DeskError.invalidField(.dialplan, reason: "\(problems.count) lỗi trong \(r.source); \(r.target) giữ nguyên:\n"
                                         + problems.map { "  \(r.source): \($0)" }.joined(separator: "\n"))
        }
        let lastGood = DialplanFiles.lastGood(of: r.target)
        let kept: String
        do {
            // The plan being replaced is kept first when the history does not have it yet (a plan installed
            // before the history existed, or copied in by hand), so a rollback can always reach it.
            if let current = FileManager.default.contents(atPath: r.target),
               !(try Self.history(of: r.target)).contains(where: { $0.sha256 == SHA256.hex(current) }) {
                let modified = (try? FileManager.default.attributesOfItem(atPath: r.target)[.modificationDate] as? Date) ?? now()
                _ = try DialplanFiles.keep(current, of: r.target, at: modified)
            }
            try DialplanFiles.replace(r.target, with: r.data)
            try DialplanFiles.replace(lastGood, with: r.data)
            kept = try DialplanFiles.keep(r.data, of: r.target, at: now())
        } catch {
            throw DeskError.failed("không ghi được \(r.target): \(error)")
        }
        let sha = SHA256.hex(r.data)
        try store.recordAdministration("dialplan-install", ["file": r.target, "version": plan.version, "sha256": sha,
                                                            "history": kept], by: admin, at: now())
        return DialplanInstallResult(version: plan.version, nodeCount: plan.nodes.count, sha256: sha, lastGood: lastGood)
    }

    // MARK: Reports

    /// Reports count tickets, with no personal data: anyone at the desk may print them (Art. 9).
    public func weeklyReport(from: Date, to: Date, since: Date?) throws -> WeeklyReport {
        try checkPeriod(from: from, to: to, since: since)
        return try store.weeklyReport(from: from, to: to, since: since, asOf: min(to, now()))
    }

    public func monthlyReport(from: Date, to: Date, since: Date?) throws -> MonthlyReport {
        try checkPeriod(from: from, to: to, since: since)
        return try store.monthlyReport(from: from, to: to, since: since, asOf: min(to, now()))
    }

    public func quarterlyReport(from: Date, to: Date) throws -> QuarterlyReport {
        try checkPeriod(from: from, to: to)
        return try store.quarterlyReport(from: from, to: to, asOf: min(to, now()))
    }

    /// The week ending at `to` and the weeks before it (the trend chart), `weeks` from 1 to 104.
    public func weeklyTrend(to: Date, weeks: Int) throws -> WeeklyTrend {
        guard (1...104).contains(weeks) else {
            throw DeskError.invalidField(.weeks, reason: "số tuần của biểu đồ từ 1 đến 104, nhận được \(weeks)")
        }
        return try store.weeklyTrend(to: to, weeks: weeks, asOf: min(to, now()))
    }

    /// A period's start never follows its end, and cumulative figures never start after the period does (the
    /// default start, the first ticket, is moved back to the period's start by the store).
    func checkPeriod(from: Date, to: Date, since: Date? = nil) throws {
        guard from <= to else {
            throw DeskError.invalidField(.until, reason: "kỳ báo cáo bắt đầu \(DeskClock.text(from)) sau khi kết thúc \(DeskClock.text(to))")
        }
        if let since, since > from {
            throw DeskError.invalidField(.since, reason: "số liệu lũy kế bắt đầu \(DeskClock.text(since)) sau khi kỳ báo cáo bắt đầu \(DeskClock.text(from))")
        }
    }
}

/// The files of a live dialplan: written whole and renamed over, and the last plan installed successfully.
public enum DialplanFiles {
    /// `Dialplans/hotline-1022.json` → `Dialplans/.hotline-1022.json.last-good`.
    public static func lastGood(of live: String) -> String {
        let dir = (live as NSString).deletingLastPathComponent
        let name = "." + (live as NSString).lastPathComponent + ".last-good"
        return dir.isEmpty ? name : (dir as NSString).appendingPathComponent(name)
    }

    /// Keeps an installed plan in the history folder beside the live file, named by when it was installed
    /// (Vietnam time, to the millisecond) and its version: `.history/20260611-100000-123-v3.json`. Returns the name.
    public static func keep(_ data: Data, of live: String, at: Date) throws -> String {
        let dir = historyDirectory(of: live)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let version = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["version"] as? String ?? "khong-ro"
        let safe = String(version.unicodeScalars.map { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
            || $0 == "." || $0 == "-" ? Character($0) : "-" }.prefix(40))
        var name = "\(historyStamp(at))-\(safe).json"
        var n = 2
        while FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent(name)) {
            name = "\(historyStamp(at))-\(safe)-\(n).json"
            n += 1
        }
        try replace((dir as NSString).appendingPathComponent(name), with: data)
        return name
    }

    static func historyStamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) + 7 * 3_600_000
        let day = Day(Date(timeIntervalSince1970: Double(ms / 1000) - 7 * 3600))
        let inDay = Int((ms / 1000) % 86400)
        return String(format: "%04d%02d%02d-%02d%02d%02d-%03d", day.year, day.month, day.day, inDay / 3600, (inDay % 3600) / 60,
                      inDay % 60, Int(ms % 1000))
    }

    /// When a history entry was installed, from its name.
    public static func historyDate(_ name: String) -> Date? {
        let digits = name.prefix(19)
        let parts = digits.split(separator: "-")
        guard parts.count == 3, parts[0].count == 8, parts[1].count == 6, parts[2].count == 3,
              let ymd = Int(parts[0]), let hms = Int(parts[1]), let ms = Int(parts[2]) else { return nil }
        let day = Day(ymd / 10000, (ymd / 100) % 100, ymd % 100)
        let seconds = (hms / 10000) * 3600 + ((hms / 100) % 100) * 60 + hms % 100
        return day.at(minutes: 0).addingTimeInterval(Double(seconds) + Double(ms) / 1000)
    }

    /// Writes `data` beside `path` and renames it over `path` in one step (rename(2) is atomic).
    public static func replace(_ path: String, with data: Data) throws {
        let temporary = path + ".installing"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else { throw DeskError.failed(String(cString: strerror(errno))) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
