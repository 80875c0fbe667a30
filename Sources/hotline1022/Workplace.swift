import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

/// The options every case command shares: the database, who runs it, and the administrators' data files.
///   --db PATH          (default $HOTLINE1022_DB, else ./var/hotline.sqlite)
///   --as USER          (default $HOTLINE1022_USER)
///   --config-dir DIR   (default $HOTLINE1022_CONFIG, else ./Config): calendar.json, templates.vi.json
struct CaseOptions {
    var database: String
    var userName: String?
    var configDirectory: String

    static let userVariable = "HOTLINE1022_USER"
    /// The synopsis of the shared options; `CLI` explains them under any command whose help names them.
    static let help = "[--as USER] [--db PATH] [--config-dir DIR]"
    static let explanation = "\n\n" + """
        Tùy chọn chung: --as USER chạy lệnh với tư cách người dùng USER (mặc định $\(userVariable)); --db PATH là
        tệp cơ sở dữ liệu (mặc định ./var/hotline.sqlite); --config-dir DIR là thư mục chứa calendar.json và
        templates.vi.json (mặc định $HOTLINE1022_CONFIG, nếu không có thì ./Config).
        """

    /// Only a database, for the commands that need no user (a public view, the unit list).
    init(database: String) {
        self.database = database
        userName = nil
        configDirectory = ProcessInfo.processInfo.environment["HOTLINE1022_CONFIG"] ?? "Config"
    }

    init(_ args: inout Arguments) throws {
        let env = ProcessInfo.processInfo.environment
        database = try args.option("--db") ?? env["HOTLINE1022_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "./var/hotline.sqlite"
        userName = try args.option("--as") ?? env[Self.userVariable].flatMap { $0.isEmpty ? nil : $0 }
        configDirectory = try args.option("--config-dir") ?? env["HOTLINE1022_CONFIG"] ?? "Config"
    }

    /// Opens the desk and checks the user: a known, active account.
    func open() throws -> Workplace {
        guard let name = userName else {
            throw UsageError("cho biết bạn là ai: --as USER, hoặc đặt biến môi trường \(Self.userVariable)")
        }
        let desk = try openDesk()
        do {
            return Workplace(desk: desk, user: try desk.user(named: name), options: self)
        } catch {
            try? desk.store.close()
            throw error
        }
    }

    /// The desk on the database, with the administrators' calendar and templates read when a step needs them.
    func openDesk() throws -> Desk {
        let dir = configDirectory
        let desk = Desk(store: try openStore(database)) {
            let calendarPath = (dir as NSString).appendingPathComponent("calendar.json")
            let templatesPath = (dir as NSString).appendingPathComponent("templates.vi.json")
            do {
                return WorkflowContext(calendar: try WorkingCalendar.load(path: calendarPath),
                                       templates: try NotificationTemplates.load(path: templatesPath))
            } catch {
                throw CommandFailure("\(error) (tệp dữ liệu nằm trong \(dir)/; dùng --config-dir DIR)")
            }
        }
        desk.configDirectory = dir
        // Suggestions only: a missing or broken keyword file leaves the transcript's topic unsuggested.
        let keywords = (dir as NSString).appendingPathComponent("topic-keywords.json")
        if FileManager.default.fileExists(atPath: keywords) {
            do {
                desk.topicKeywords = try TopicKeywords.load(path: keywords)
            } catch {
                writeErr("cảnh báo: \(error) (bỏ qua gợi ý chuyên mục từ lời nói)")
            }
        }
        return desk
    }
}

/// The desk and the user a command runs as.
struct Workplace {
    let desk: Desk
    let user: User
    let options: CaseOptions

    func close() { try? desk.store.close() }
}

/// A tracking code argument, checked for its shape before the database is asked.
func trackingCodeArgument(_ args: inout Arguments) throws -> String {
    let code = try args.requiredPositional("mã số phản ánh (ví dụ 20260610-0134036)")
    try checkTrackingCode(code)
    return code
}

/// Refuses a word that cannot be a tracking code, saying what one looks like.
func checkTrackingCode(_ code: String) throws {
    guard TrackingCode.isValid(code) else {
        throw UsageError("'\(code)' không phải mã số phản ánh; mã số có dạng 20260610-0134036 (ngày, gạch ngang, 7 chữ số)")
    }
}

/// The shape of every command on one ticket: the shared options and the tracking code are read (the
/// command reads its own options first), nothing else may be left, the store is opened as the user.
func onTicket(_ args: inout Arguments, _ body: (Workplace, String) throws -> Void) throws {
    let options = try CaseOptions(&args)
    let code = try trackingCodeArgument(&args)
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    try body(w, code)
}

/// A step on one ticket that takes a `--reason` (refuse, reject, reopen): `step` takes it and returns what to print.
func reasonStepCommand(_ name: String, _ summary: String, help: String,
                       _ step: @escaping @Sendable (Workplace, _ code: String, _ reason: String) throws -> String) -> Command {
    Command.leaf(name, summary, help: help) { args in
        let reason = try args.requiredOption("--reason")
        try onTicket(&args) { w, code in print(try step(w, code, reason)) }
    }
}

/// The shape of every listing: the shared options and `--json` are read (the command reads its own options
/// first), nothing else may be left, the store is opened as the user.
func onListing(_ args: inout Arguments, _ body: (Workplace, _ json: Bool) throws -> Void) throws {
    let options = try CaseOptions(&args)
    let json = args.flag("--json")
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    try body(w, json)
}


/// "còn 42 phút" / "quá hạn 1 giờ 5 phút": how long until (or since) a deadline, for people.
func timeLeft(_ due: Date?, now: Date) -> String {
    guard let due else { return "không có hạn" }
    let seconds = Int(due.timeIntervalSince(now))
    let m = abs(seconds) / 60
    let text = m >= 24 * 60 ? "\(m / 1440) ngày \((m % 1440) / 60) giờ" : m >= 60 ? "\(m / 60) giờ \(m % 60) phút" : "\(m) phút"
    return seconds < 0 ? "QUÁ HẠN \(text)" : "còn \(text)"
}

/// A committed date: `2026-06-20` means the end of that working day (17:00 Vietnam time), a time may be given.
func parseCommitment(_ s: String, option: String) throws -> Date {
    let d = try parseVietnamDate(s, option: option)
    return s.contains("T") ? d : d.addingTimeInterval(17 * 3600)
}
