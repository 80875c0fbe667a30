import Foundation

// The rules on a ticket besides its lifecycle (`TicketWorkflow`): editing what the reporter said, linking a
// repeat to the first report, the citizen's rating, and the claims agents hold. Each is a pure `decide`: the
// ticket (and what else the rule reads) in, what to persist out, or a `DeskError` naming the rule. The store
// persists the decision and decides nothing.

/// What the workflow needs besides the database: the working-day calendar and the message templates, both
/// read by the caller from the administrators' data files.
public struct WorkflowContext: Sendable {
    public var calendar: WorkingCalendar
    public var templates: NotificationTemplates
    /// Where citizens look a ticket up, quoted in messages (Art. 8.5a).
    public var lookupAddress: String
    public init(calendar: WorkingCalendar, templates: NotificationTemplates,
                lookupAddress: String = "1022.haiphong.gov.vn") {
        (self.calendar, self.templates, self.lookupAddress) = (calendar, templates, lookupAddress)
    }
}

/// A report that arrives already typed (portal, app), or one an agent types in from a call.
public struct NewTicket: Sendable {
    public var channel: Channel
    public var receivedAt: Date
    public var category: Category?
    public var topic: Topic?
    public var reporter: Reporter
    public var confidential: Bool
    public var content: String
    public var summary: String
    public var ward: String
    public init(channel: Channel, receivedAt: Date, category: Category?, topic: Topic?, reporter: Reporter,
                confidential: Bool = false, content: String, summary: String = "", ward: String = "") {
        (self.channel, self.receivedAt, self.category, self.topic) = (channel, receivedAt, category, topic)
        (self.reporter, self.confidential, self.content, self.summary) = (reporter, confidential, content, summary)
        self.ward = ward
    }
}

/// The details an agent fills in on a draft (Art. 6); nil leaves a field as it is.
public struct TicketDetails: Sendable {
    public var category: Category?
    public var topic: Topic?
    public var reporterName: String?
    public var reporterAddress: String?
    public var reporterEmail: String?
    public var confidential: Bool?
    public var content: String?
    public var summary: String?
    public var ward: String?
    public init(category: Category? = nil, topic: Topic? = nil, reporterName: String? = nil,
                reporterAddress: String? = nil, reporterEmail: String? = nil, confidential: Bool? = nil,
                content: String? = nil, summary: String? = nil, ward: String? = nil) {
        (self.category, self.topic, self.reporterName) = (category, topic, reporterName)
        (self.reporterAddress, self.reporterEmail, self.confidential) = (reporterAddress, reporterEmail, confidential)
        (self.content, self.summary, self.ward) = (content, summary, ward)
    }
}

// MARK: Editing

/// A field of what the reporter said that an agent may correct; the raw value is its column in the store.
public enum EditableField: String, Sendable, CaseIterable {
    case category, topic, reporterName = "reporter_name", reporterAddress = "reporter_address",
         reporterEmail = "reporter_email", content, summary, ward

    /// Personal data: the audit log records that it changed, never its value (Art. 10).
    public var isPersonal: Bool {
        switch self {
        case .reporterName, .reporterAddress, .reporterEmail, .content: true
        case .category, .topic, .summary, .ward: false
        }
    }
}

/// What an edit changes: the new values, the confidentiality flag if it changes, and the audit line.
public struct TicketEdit: Sendable, Equatable {
    public var values: [EditableField: String]
    public var confidential: Bool?
    public var audit: AuditRecord
}

public enum TicketEditing {
    /// Decides an agent's corrections. Only while the hotline holds the ticket (a draft, or one a unit sent
    /// back: Art. 7.1). Nil when nothing would change. Personal fields are audited as changed, without values.
    public static func decide(_ t: Ticket, _ d: TicketDetails) throws -> TicketEdit? {
        guard t.status == .draft || t.status == .returned else {
            throw DeskError.invalidStep(step: "edit", status: t.status,
                                        reason: "chỉ sửa thông tin khi phản ánh còn ở Tổng đài (mới hoặc bị trả lại)",
                                        article: "Art. 7.1")
        }
        let proposed: [(EditableField, old: String?, new: String?)] = [
            (.category, t.category?.rawValue, d.category?.rawValue),
            (.topic, t.topic?.rawValue, d.topic?.rawValue),
            (.reporterName, t.reporter.name, d.reporterName),
            (.reporterAddress, t.reporter.address, d.reporterAddress),
            (.reporterEmail, t.reporter.email, d.reporterEmail),
            (.content, t.content, d.content),
            (.summary, t.summary, d.summary),
            (.ward, t.ward, d.ward),
        ]
        var values: [EditableField: String] = [:]
        var before: [String: String?] = [:]
        var after: [String: String?] = [:]
        for (field, old, new) in proposed {
            guard let new, new != old else { continue }
            values[field] = new
            before[field.rawValue] = field.isPersonal ? (old?.isEmpty == false ? "…" : "") : old
            after[field.rawValue] = field.isPersonal ? "…" : new
        }
        var confidential: Bool?
        if let c = d.confidential, c != t.confidential {
            confidential = c
            before["confidential"] = "\(t.confidential)"
            after["confidential"] = "\(c)"
        }
        guard !after.isEmpty else { return nil }
        return TicketEdit(values: values, confidential: confidential,
                          audit: AuditRecord(action: "edit", before: before, after: after))
    }
}

// MARK: Linking

/// What linking a report to an earlier one does (Art. 7.5; seed 000, 6a).
public struct LinkDecision: Sendable, Equatable {
    public var kind: LinkKind
    /// The report linked to: the one typed, or the report it was merged into.
    public var originalCode: String
    /// A duplicate's new status (merged); nil for a recurrence, which stays a draft.
    public var status: TicketStatus?
    /// The audit line of the new report, and for a recurrence the first report's own.
    public var audit: AuditRecord
    public var originalAudit: AuditRecord?
    /// A duplicate's reporter is told which report stands for theirs.
    public var message: CitizenMessage?
}

public enum TicketLinking {
    /// A merged report stands for the one it was merged into: the code to load instead, if any.
    public static func standIn(for original: Ticket) -> String? {
        original.status == .merged ? original.duplicateOf : nil
    }

    /// Decides linking `t` to `original` (already the stand-in, when the typed one was merged). A repeat of an
    /// open ticket is merged into it and the reporter told; a repeat of a completed ticket is a recurrence: a new
    /// ticket, linked, for the agent to forward. Nothing links to a refused or withdrawn report, to itself, or to
    /// a later one. With `expected` (the kind the agent chose), a disagreement changes nothing and says which
    /// kind it is; `typedCode` is the code the agent typed.
    public static func decide(_ t: Ticket, to original: Ticket, typedCode: String? = nil, expected: LinkKind? = nil,
                              by role: Role, at now: Date) throws -> LinkDecision {
        let typed = typedCode ?? original.trackingCode
        guard original.trackingCode != t.trackingCode else {
            throw DeskError.invalidField(.trackingCode, reason: "không thể liên kết \(t.trackingCode) với chính nó")
        }
        guard original.receivedAt <= t.receivedAt else {
            throw DeskError.invalidField(.trackingCode, reason: "\(typed) được tiếp nhận sau \(t.trackingCode): liên kết phản ánh sau vào phản ánh trước")
        }
        guard let kind = DuplicatePolicy.linkKind(originalStatus: original.status) else {
            throw DeskError.invalidField(.trackingCode, reason: "\(original.trackingCode) đang ở trạng thái «\(original.status.label)»: không liên kết được; xử lý \(t.trackingCode) như phản ánh riêng")
        }
        if let expected, expected != kind {
            switch kind {
            case .recurrence:
                throw DeskError.invalidField(.trackingCode, reason: "\(typed) đã hoàn thành: phản ánh lặp lại sau khi đã hoàn thành "
                                             + "là tái diễn, một phản ánh mới liên kết với phản ánh cũ, không phải trùng (Art. 7.5; seed 000, 6a); "
                                             + "liên kết là tái diễn")
            case .duplicate:
                throw DeskError.invalidField(.trackingCode, reason: "\(typed) đang xử lý (\(original.status.label)): phản ánh lặp lại là trùng, "
                                             + "gộp vào phản ánh đó (Art. 7.5); liên kết là trùng")
            }
        }
        switch kind {
        case .duplicate:
            let next = try TicketLifecycle.next(t.status, .markDuplicate(of: original.trackingCode), by: role,
                                                receivedAt: t.receivedAt)
            return LinkDecision(
                kind: kind, originalCode: original.trackingCode, status: next,
                audit: AuditRecord(action: "link-duplicate", before: ["status": t.status.rawValue],
                                   after: ["status": next.rawValue, "duplicate_of": original.trackingCode]),
                originalAudit: nil, message: CitizenMessage(.duplicate, ["original": original.trackingCode]))
        case .recurrence:
            guard t.status == .draft else {
                throw DeskError.invalidStep(step: "link-recurrence", status: t.status,
                                            reason: "chỉ phản ánh mới được liên kết là tái diễn", article: "Art. 7.5")
            }
            return LinkDecision(
                kind: kind, originalCode: original.trackingCode, status: nil,
                audit: AuditRecord(action: "link-recurrence", before: nil, after: ["recurrence_of": original.trackingCode]),
                originalAudit: AuditRecord(action: "recurred", before: nil, after: ["by": t.trackingCode]), message: nil)
        }
    }
}

// MARK: Rating

public enum TicketRating {
    /// The citizen's satisfaction (1–5) with a completed result (Art. 8.5b): one rating per result, never
    /// overwritten; a citizen who is not satisfied gets the ticket reopened, which clears the rating for the next
    /// result. `recordedBy` is the agent who typed in a rating given by phone or SMS reply. Returns who the audit
    /// log names and its line.
    public static func decide(_ t: Ticket, score: Int, recordedBy: Actor?) throws -> (actor: Actor, audit: AuditRecord) {
        guard (1...5).contains(score) else { throw DeskError.invalidField(.score, reason: "từ 1 đến 5, nhận được \(score)") }
        guard t.status == .completed else {
            throw DeskError.invalidStep(step: "rate", status: t.status, reason: "chỉ đánh giá sau khi có kết quả", article: "Art. 8.5b")
        }
        if let earlier = t.rating {
            throw DeskError.invalidStep(step: "rate", status: t.status,
                                        reason: "kết quả này đã được đánh giá \(earlier)/5; mỗi kết quả nhận một đánh giá. "
                                            + "Nếu người dân chưa hài lòng, mở lại phản ánh", article: "Art. 8.5b")
        }
        var after: [String: String?] = ["rating": String(score)]
        if recordedBy != nil { after["for"] = "citizen" }
        return (recordedBy ?? Actor(.citizen, "citizen"), AuditRecord(action: "rate", before: ["rating": nil], after: after))
    }
}

// MARK: Claims

public enum ClaimRules {
    /// The hotline holds a ticket while it is a draft or came back from a unit.
    public static let hotlineHeld: Set<TicketStatus> = [.draft, .returned]

    /// Claims a ticket for an agent, exclusively, until `now + duration`. Claiming one's own claim again renews
    /// it; another agent's live claim is a conflict naming them.
    public static func claim(_ t: Ticket, held: Claim?, by user: User, at now: Date,
                             duration: TimeInterval = Claim.defaultDuration) throws -> Claim {
        guard hotlineHeld.contains(t.status) else {
            throw DeskError.invalidStep(step: "claim", status: t.status, reason: "Tổng đài không có gì để nhận xử lý", article: "Art. 7.1")
        }
        try checkFree(t.trackingCode, held: held, for: user)
        return Claim(trackingCode: t.trackingCode, userName: user.name, claimedAt: now, expiresAt: now.addingTimeInterval(duration))
    }

    /// A hotline step on a ticket is refused while another agent holds a live claim on it.
    public static func checkFree(_ code: String, held: Claim?, for user: User) throws {
        if let held, held.userName != user.name { throw DeskError.conflict(code: code, holder: held.userName, until: held.expiresAt) }
    }

    /// Releasing needs a claim to release.
    public static func releasable(_ code: String, held: Claim?) throws -> Claim {
        guard let held else { throw DeskError.invalidField(.trackingCode, reason: "\(code) chưa có ai nhận xử lý") }
        return held
    }
}

// MARK: The steps around a unit's and an agent's work

public enum StepRules {
    /// The unit an agent forwards a completed draft to: the one typed, else the router's suggestion; when the
    /// router names no single unit, the agent is told to name one or ask the City Office (Art. 7.4).
    public static func forwardTarget(typed unit: String?, suggestion: RoutingDecision, code: String) throws -> String {
        if let unit, !unit.isEmpty { return unit }
        switch suggestion {
        case .unit(let u, _): return u
        case .guidance(_, let reason):
            throw DeskError.invalidField(.unit, reason: "không xác định được một đơn vị cho \(code) (\(reason)): nêu đơn vị, "
                                         + "hoặc chuyển Văn phòng UBND TP xin hướng dẫn (Art. 7.4)")
        }
    }

    /// A transfer is refused once its window has closed (Art. 8.2f: 1 working day from receipt by the unit, 2
    /// with a field check). Other steps pass.
    public static func checkTransferWindow(_ t: Ticket, _ action: TicketAction, forwardedAt: Date?, fieldCheck: Bool,
                                           at now: Date, calendar: WorkingCalendar) throws {
        guard case .transfer = action else { return }
        let window = DeadlinePolicy.transferWindow(receivedAt: forwardedAt ?? t.receivedAt, fieldCheck: fieldCheck,
                                                   calendar: calendar)
        guard now <= window else {
            throw DeskError.invalidStep(step: action.name, status: t.status,
                                        reason: "đã hết hạn chuyển lúc \(DeskClock.text(window)) "
                                            + "(\(fieldCheck ? 2 : 1) ngày làm việc kể từ khi đơn vị nhận)",
                                        article: "Art. 8.2f")
        }
    }

    /// The same file again (same content: evidence copies are named by their SHA-256) is not new evidence of a
    /// step; say so rather than "evidence needed" (seed 000, 6b).
    public static func checkNewEvidence(_ file: String, attachedBefore earlier: Date?) throws {
        guard let earlier else { return }
        throw DeskError.invalidField(.evidence, reason: "tệp \((file as NSString).lastPathComponent) đã được đính kèm "
                                     + "lúc \(DeskClock.text(earlier)); minh chứng của bước này cần là ảnh hoặc tài liệu mới")
    }
}
