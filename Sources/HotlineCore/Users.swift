import Foundation

/// What a person may do in the system. A role is stored with each user; every command runs as a user.
public enum UserRole: String, Codable, Sendable, CaseIterable {
    /// A hotline agent (tổng đài viên): picks up recorded cases, completes and routes them, confirms results.
    case agent
    /// A member of one handling unit: works that unit's tickets only.
    case unit
    /// A hotline supervisor: an agent who may also release another agent's claim and read every queue.
    case supervisor
    /// An administrator: edits units, users and dialplans; handles no tickets.
    case administrator

    public var label: String {
        switch self {
        case .agent: "Tổng đài viên"
        case .unit: "Cán bộ đơn vị"
        case .supervisor: "Giám sát viên"
        case .administrator: "Quản trị hệ thống"
        }
    }
}

/// A user of the case tools.
public struct User: Codable, Sendable, Equatable {
    /// The login name (`--as NAME`): lower-case letters, digits, `.`, `_`, `-`.
    public var name: String
    public var displayName: String
    public var role: UserRole
    /// The unit a unit member belongs to; nil for every other role.
    public var unitCode: String?
    public var active: Bool

    public init(name: String, displayName: String = "", role: UserRole, unitCode: String? = nil, active: Bool = true) {
        (self.name, self.displayName, self.role, self.unitCode) = (name, displayName, role, unitCode)
        self.active = active
    }

    /// The role the ticket lifecycle knows this user by; nil for an administrator, who takes no step.
    public var lifecycleRole: Role? {
        switch role {
        case .agent, .supervisor: .hotline
        case .unit: .unit
        case .administrator: nil
        }
    }

    /// How the audit log names this user.
    public var actor: Actor { Actor(lifecycleRole ?? .hotline, name) }

    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }
}

/// Something a user asks to do, checked before the store is touched.
public enum Activity: Sendable, Equatable {
    /// The hotline's work on a report: queue, claim, show, listen, complete, refuse, link, guidance, release.
    case hotlineWork
    /// Confirming or rejecting a unit's result (Art. 8.5).
    case review
    /// Releasing a claim another agent holds.
    case releaseOthersClaim
    /// Listening in silently on an agent's live call.
    case listenIn
    /// A unit's inbox or a step on a ticket the unit handles.
    case unitWork(unit: String)
    /// Reading a whole ticket, personal data included: the hotline any ticket, a unit member only one their
    /// unit handles (`unit` is the ticket's).
    case readTicket(unit: String?)
    /// Reading every open ticket across units (the overdue watch, reports).
    case oversee
    /// Editing units, users and dialplans.
    case administer
}

public enum Permissions {
    /// Who may do what (Regulation Art. 7–9 name the hotline, the unit and the City Office; the administrator
    /// keeps the system's data). Throws `DeskError.forbidden`, naming the role that may.
    /// Only the application layer (HotlineDesk) calls this: one check per operation, nowhere else.
    public static func check(_ user: User, _ activity: Activity) throws {
        func deny(_ reason: String) -> DeskError { .forbidden(user: user.name, role: user.role, reason: reason) }
        guard user.active else { throw deny("tài khoản đã bị khóa; liên hệ quản trị hệ thống") }
        switch activity {
        case .hotlineWork, .review:
            guard user.role == .agent || user.role == .supervisor else {
                throw deny("chỉ tổng đài viên và giám sát viên xử lý phản ánh tại Tổng đài (Art. 7.1, 8.5)")
            }
        case .releaseOthersClaim:
            guard user.role == .supervisor else { throw deny("chỉ giám sát viên được trả hồ sơ người khác đang nhận") }
        case .listenIn:
            guard user.role == .supervisor else { throw deny("chỉ giám sát viên được nghe kèm cuộc gọi của tổng đài viên") }
        case .unitWork(let unit):
            switch user.role {
            case .unit:
                guard user.unitCode?.uppercased() == unit.uppercased() else {
                    throw deny("cán bộ đơn vị chỉ xem và xử lý phản ánh của \(user.unitCode ?? "đơn vị mình"), không phải của \(unit)")
                }
            case .agent, .supervisor:
                throw deny("chỉ cán bộ của \(unit) thao tác thay đơn vị; tổng đài viên không xử lý thay đơn vị (Art. 8)")
            case .administrator:
                throw deny("quản trị hệ thống không xử lý phản ánh")
            }
        case .readTicket(let unit):
            try check(user, user.role == .unit ? .unitWork(unit: unit ?? "no unit") : .hotlineWork)
        case .oversee:
            guard user.role == .supervisor || user.role == .agent || user.role == .administrator else {
                throw deny("danh sách quá hạn của mọi đơn vị dành cho Tổng đài và quản trị hệ thống")
            }
        case .administer:
            guard user.role == .administrator else { throw deny("chỉ quản trị hệ thống sửa danh mục đơn vị, người dùng và kịch bản tổng đài") }
        }
    }
}

/// An agent's hold on a ticket so that two agents never work the same case.
public struct Claim: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var userName: String
    public var claimedAt: Date
    public var expiresAt: Date
    public init(trackingCode: String, userName: String, claimedAt: Date, expiresAt: Date) {
        (self.trackingCode, self.userName, self.claimedAt) = (trackingCode, userName, claimedAt)
        self.expiresAt = expiresAt
    }

    public func isLive(at now: Date) -> Bool { expiresAt > now }

    /// How long a claim lasts unless renewed: long enough to listen and type in a report, short enough that a
    /// case an agent walked away from comes back well within the 60 minutes of Art. 7.3.
    public static let defaultDuration: TimeInterval = 15 * 60
}

/// The rules on the desk's accounts: who may be added, disabled or given a new role. Pure, like the ticket
/// rules: the store reads what they need (how many users there are, whether the name is taken, the units) and
/// persists what they return.
public enum UserRules {
    /// Checks a user to add and returns it as stored (a unit member's unit code as the directory spells it).
    /// `admin` is the administrator adding it, or nil for the very first user of an empty database, who must
    /// be an administrator: someone has to be able to add the rest.
    public static func admit(_ user: User, by admin: User?, existingUsers: Int, nameTaken: Bool,
                             directory: UnitDirectory) throws -> User {
        guard User.isValidName(user.name) else {
            throw DeskError.invalidField(.userName, reason: "'\(user.name)' không hợp lệ: dùng chữ thường không dấu, chữ số, '.', '_' hoặc '-'")
        }
        if admin == nil {
            guard existingUsers == 0 else {
                throw DeskError.forbidden(user: "(chưa đăng nhập)", role: .administrator,
                                          reason: "đã có người dùng: quản trị hệ thống thêm người dùng")
            }
            guard user.role == .administrator else {
                throw DeskError.invalidField(.role, reason: "người dùng đầu tiên phải là quản trị hệ thống (administrator)")
            }
        }
        guard !nameTaken else { throw DeskError.invalidField(.userName, reason: "người dùng \(user.name) đã có") }
        var admitted = user
        if user.role == .unit {
            admitted.unitCode = try unitCode(user.unitCode, directory: directory)
        } else if user.unitCode != nil {
            throw DeskError.invalidField(.unit, reason: "chỉ cán bộ đơn vị thuộc một đơn vị")
        }
        return admitted
    }

    /// An administrator does not lock themselves out.
    public static func checkActivation(of user: User, active: Bool, by admin: User) throws {
        guard user.name != admin.name || active else {
            throw DeskError.invalidField(.userName, reason: "quản trị hệ thống không tự khóa tài khoản của mình")
        }
    }

    /// Checks a role change and returns the user's unit under it (nil unless a unit member). An administrator
    /// does not take away their own administration: someone must be left to give it back.
    public static func roleChange(of user: User, to role: UserRole, unitCode: String?, by admin: User,
                                  directory: UnitDirectory) throws -> String? {
        guard user.name != admin.name || role == .administrator else {
            throw DeskError.invalidField(.role, reason: "quản trị hệ thống không tự bỏ quyền quản trị của mình")
        }
        return role == .unit ? try self.unitCode(unitCode, directory: directory) : nil
    }

    /// A unit member's unit, as the directory spells its code.
    static func unitCode(_ typed: String?, directory: UnitDirectory) throws -> String {
        guard let typed = typed?.trimmingCharacters(in: .whitespaces), !typed.isEmpty else {
            throw DeskError.invalidField(.unit, reason: "cán bộ đơn vị cần mã đơn vị")
        }
        guard let known = directory.unit(typed) else { throw DeskError.notFound(.unit, typed) }
        return known.code
    }
}
