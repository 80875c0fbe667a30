import DeskSecurity
import Foundation
import HotlineCore
import HotlineStore

/// The application layer: every operation a person performs at the hotline's desk, from any interface (the CLI,
/// the web console). Each operation takes a typed request and the acting user and returns a typed result;
/// permission is checked here, once, and nowhere else. Refusals are `DeskError`s, rendered by the interface.
public final class Desk: @unchecked Sendable {
    public let store: TicketStore
    /// The calendar and message templates, read when a step first needs them (the administrators' files).
    private let loadContext: () throws -> WorkflowContext
    private var loaded: WorkflowContext?
    /// The clock; tests set it.
    public var now: () -> Date
    /// The administrators' topic keywords (Config/topic-keywords.json), for suggestions from transcripts.
    public var topicKeywords: TopicKeywords?
    /// Password checks and sign-in throttling, shared by every desk of one console process (its counts live in
    /// memory); nil where nobody signs in (the CLI), which hashes new passwords with the standard parameters.
    public var signInGate: SignInGate?
    /// The administrators' data files (units.json, calendar.json, templates.vi.json): where their edits from
    /// the console are written; nil where nobody edits them (their operations then say so).
    public var configDirectory: String?

    public init(store: TicketStore, context: @escaping () throws -> WorkflowContext, now: @escaping () -> Date = Date.init) {
        self.store = store
        self.loadContext = context
        self.now = now
    }

    public convenience init(store: TicketStore, context: WorkflowContext, now: @escaping () -> Date = Date.init) {
        self.init(store: store, context: { context }, now: now)
    }

    /// The workflow's calendar and templates.
    public func context() throws -> WorkflowContext {
        if let loaded { return loaded }
        let c = try loadContext()
        loaded = c
        return c
    }

    /// Forgets the calendar and templates read so far: the next step reads the files again (after an edit).
    public func reloadContext() { loaded = nil }

    // MARK: Who is acting

    /// The user an interface acts as (the CLI's `--as`, the console's signed-in user): known and active.
    public func user(named name: String) throws -> User {
        guard let u = try store.user(named: name) else {
            if try store.userCount() == 0 {
                throw DeskError.notFound(.user, "\(name) (chưa có người dùng nào: tạo quản trị hệ thống đầu tiên)")
            }
            throw DeskError.notFound(.user, name)
        }
        guard u.active else {
            throw DeskError.forbidden(user: u.name, role: u.role, reason: "tài khoản đã bị khóa; liên hệ quản trị hệ thống")
        }
        return u
    }

    func check(_ user: User, _ activity: Activity) throws { try Permissions.check(user, activity) }

    /// The whole ticket, or `notFound`.
    func ticket(_ code: String) throws -> Ticket {
        guard let t = try store.ticket(code) else { throw DeskError.notFound(.ticket, code) }
        return t
    }

    /// The directory's own spelling of a unit code typed in any letter case; `notFound` when unknown.
    func unitCode(_ typed: String) throws -> String {
        let directory = try store.unitDirectory()
        if directory.units.isEmpty { return typed.trimmingCharacters(in: .whitespaces) }
        guard let u = directory.unit(typed) else { throw DeskError.notFound(.unit, typed) }
        return u.code
    }
}

/// A required free text (a reason, a note, a result): trimmed, and refused when empty with why it is needed.
func required(_ text: String?, _ field: DeskField, _ why: String) throws -> String {
    let t = (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    guard !t.isEmpty else { throw DeskError.invalidField(field, reason: "cần có: \(why)") }
    return t
}
