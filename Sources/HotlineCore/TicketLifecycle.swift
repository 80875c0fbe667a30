import Foundation

/// Who acts on a ticket; the lifecycle checks that each step is taken by the role the Regulation names.
public enum Role: String, Codable, Sendable, CaseIterable {
    /// A hotline agent (tổng đài viên) or supervisor.
    case hotline
    /// A member of the handling unit.
    case unit
    /// The citizen who reported.
    case citizen
}

/// A step in a ticket's life (Regulation Art. 7–9).
public enum TicketAction: Sendable, Equatable {
    /// The agent classified the report and forwarded it to a unit (Art. 7.1, 7.3).
    case forward(unit: String)
    /// The unit accepts the ticket.
    case accept
    /// The unit reports progress.
    case progress(note: String)
    /// The unit needs longer: a progress report, evidence and the committed date (Art. 8.2e).
    case extend(until: Date, note: String, evidenceCount: Int)
    /// The unit says it is done: what was done, in words the citizen receives, and evidence attached
    /// (Art. 8.1c; seed 000, 6b and §6: no "chung chung" answers).
    case resolve(result: String, evidenceCount: Int)
    /// The hotline confirms the result (Art. 8.5): only the hotline completes a ticket.
    case confirm
    /// The hotline does not accept the result: back to the unit.
    case reject(reason: String)
    /// The unit sends the ticket back to the hotline (not its jurisdiction, Art. 8.1a, 8.2f).
    case giveBack(reason: String)
    /// The unit hands it to the competent unit (Art. 8.2f).
    case transfer(to: String, reason: String)
    /// The hotline refuses the content, with the reason the citizen receives (Art. 4.7).
    case refuse(reason: String)
    /// The citizen withdraws the report.
    case withdraw
    /// No unit can be named, or several are involved: to the City Office for guidance (Art. 7.4).
    case seekGuidance(reason: String)
    /// A repeat of a ticket still open: linked to it, the reporter told it is being handled (Art. 7.5).
    case markDuplicate(of: String)
    /// The citizen is not satisfied with a completed result and the hotline reopens it (Art. 8.5b).
    case reopen(reason: String)

    public var name: String {
        switch self {
        case .forward: "forward"
        case .accept: "accept"
        case .progress: "progress"
        case .extend: "extend"
        case .resolve: "resolve"
        case .confirm: "confirm"
        case .reject: "reject"
        case .giveBack: "return"
        case .transfer: "transfer"
        case .refuse: "refuse"
        case .withdraw: "withdraw"
        case .seekGuidance: "seek-guidance"
        case .markDuplicate: "mark-duplicate"
        case .reopen: "reopen"
        }
    }
}

extension TicketAction {
    /// A step in Vietnamese, as "Không thể … phản ánh" reads it.
    public static func label(of action: String) -> String {
        switch action {
        case "forward": "chuyển xử lý"
        case "accept": "tiếp nhận"
        case "progress": "báo cáo tiến độ"
        case "extend": "gia hạn"
        case "resolve": "báo đã xử lý"
        case "confirm": "xác nhận hoàn thành"
        case "reject": "trả lại kết quả"
        case "return": "chuyển trả Tổng đài"
        case "transfer": "chuyển cơ quan có thẩm quyền"
        case "refuse": "từ chối"
        case "withdraw": "rút"
        case "seek-guidance": "xin hướng dẫn cho"
        case "mark-duplicate": "gộp trùng"
        case "reopen": "mở lại"
        case "rate": "ghi đánh giá cho"
        case "edit": "sửa thông tin"
        case "link-recurrence": "liên kết tái diễn"
        case "claim": "nhận xử lý"
        default: action
        }
    }
}

/// The ticket lifecycle as a pure function: a status, a step and who takes it in; the next status out, or a
/// `DeskError.invalidStep` naming the rule. Callers record each accepted step in the audit log.
public enum TicketLifecycle {
    /// The longest a unit may commit to for a socioeconomic ticket: 15 days from receipt (Art. 8.2e).
    public static let maxCommitment: TimeInterval = 15 * 24 * 3600

    public static func next(_ status: TicketStatus, _ action: TicketAction, by role: Role, receivedAt: Date)
        throws -> TicketStatus
    {
        func fail(_ reason: String, _ article: String) -> DeskError {
            .invalidStep(step: action.name, status: status, reason: reason, article: article)
        }
        func require(_ r: Role, _ article: String) throws {
            guard role == r else { throw fail("chỉ \(r == .hotline ? "Tổng đài 1022" : r == .unit ? "đơn vị xử lý" : "người phản ánh") được làm việc này", article) }
        }
        /// A reason, note or name the step needs: not empty nor only spaces.
        func requireText(_ text: String, _ reason: String, _ article: String) throws {
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(reason, article) }
        }
        /// Progress, extension and result come after the unit has accepted the ticket.
        func requireAccepted() throws {
            guard status == .accepted || status == .inProgress else { throw fail("đơn vị cần tiếp nhận phản ánh trước", "Art. 8") }
        }
        if case .reopen(let reason) = action {
            try require(.hotline, "Art. 8.5b")
            guard status == .completed else { throw fail("chỉ mở lại phản ánh đã hoàn thành", "Art. 8.5b") }
            try requireText(reason, "cần nêu điều người dân chưa hài lòng với kết quả", "Art. 8.5b")
            return .inProgress
        }
        guard status.isOpen else { throw fail("phản ánh đã đóng", "Art. 8.5") }

        switch action {
        case .forward(let unit):
            try require(.hotline, "Art. 7.1")
            guard status == .draft || status == .returned else {
                throw fail("chỉ chuyển xử lý phản ánh mới hoặc bị đơn vị trả lại", "Art. 7.1")
            }
            try requireText(unit, "chưa nêu đơn vị xử lý", "Art. 7.3")
            return .forwarded
        case .accept:
            try require(.unit, "Art. 8")
            guard status == .forwarded || status == .transferred else { throw fail("không có gì để tiếp nhận", "Art. 8") }
            return .accepted
        case .progress(let note):
            try require(.unit, "Art. 8.2e")
            try requireAccepted()
            try requireText(note, "báo cáo tiến độ cần có nội dung", "Art. 8.2e")
            return .inProgress
        case .extend(let until, let note, let evidence):
            try require(.unit, "Art. 8.2e")
            try requireAccepted()
            try requireText(note, "gia hạn cần có báo cáo tiến độ", "Art. 8.2e")
            guard evidence > 0 else { throw fail("gia hạn cần có minh chứng (ảnh hoặc tài liệu)", "Art. 8.2e") }
            guard until.timeIntervalSince(receivedAt) <= maxCommitment else {
                throw fail("ngày cam kết quá 15 ngày kể từ khi tiếp nhận", "Art. 8.2e")
            }
            return .inProgress
        case .resolve(let result, let evidence):
            try require(.unit, "Art. 8.1c")
            try requireAccepted()
            guard !result.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw fail("kết quả cần nêu rõ đã làm gì; nội dung này được gửi tới người phản ánh", "Art. 8.1c")
            }
            guard evidence > 0 else {
                throw fail("kết quả cần ít nhất một minh chứng của chính lần báo cáo này (ảnh, tài liệu, biên bản)", "Art. 8.1c")
            }
            return .resolved
        case .confirm:
            try require(.hotline, "Art. 8.5")
            guard status == .resolved else { throw fail("chỉ xác nhận phản ánh đơn vị đã báo xử lý", "Art. 8.5") }
            return .completed
        case .reject(let reason):
            try require(.hotline, "Art. 8.5")
            guard status == .resolved else { throw fail("chỉ trả lại kết quả của phản ánh đơn vị đã báo xử lý", "Art. 8.5") }
            guard !reason.isEmpty else { throw fail("cần nêu lý do chưa chấp nhận kết quả", "Art. 8.5") }
            return .inProgress
        case .giveBack(let reason):
            try require(.unit, "Art. 8.1a")
            guard [.forwarded, .accepted, .transferred].contains(status) else {
                throw fail("chỉ chuyển trả phản ánh chưa bắt đầu xử lý", "Art. 8.1a")
            }
            guard !reason.isEmpty else { throw fail("chuyển trả cần có lý do và kết quả xác minh", "Art. 8.1a") }
            return .returned
        case .transfer(let to, let reason):
            try require(.unit, "Art. 8.2f")
            guard [.forwarded, .accepted].contains(status) else { throw fail("chỉ chuyển trước khi bắt đầu xử lý", "Art. 8.2f") }
            guard !to.isEmpty, !reason.isEmpty else { throw fail("cần nêu cơ quan có thẩm quyền và lý do", "Art. 8.2f") }
            return .transferred
        case .refuse(let reason):
            try require(.hotline, "Art. 4.7")
            guard status == .draft else { throw fail("chỉ từ chối phản ánh mới; sau đó, đơn vị chuyển trả", "Art. 4.7") }
            try requireText(reason, "từ chối cần có lý do gửi người phản ánh", "Art. 4.7")
            return .refused
        case .withdraw:
            try require(.citizen, "Art. 6")
            return .withdrawn
        case .seekGuidance(let reason):
            try require(.hotline, "Art. 7.4")
            guard status == .draft || status == .returned else {
                throw fail("chỉ phản ánh mới hoặc bị trả lại mới chuyển Văn phòng UBND TP xin hướng dẫn", "Art. 7.4")
            }
            try requireText(reason, "cần nêu lý do không xác định được một đơn vị", "Art. 7.4")
            return .forwarded
        case .markDuplicate(let original):
            try require(.hotline, "Art. 7.5")
            guard status == .draft else { throw fail("chỉ gộp phản ánh mới là trùng", "Art. 7.5") }
            guard !original.isEmpty else { throw fail("cần nêu phản ánh gốc", "Art. 7.5") }
            return .merged
        case .reopen:
            preconditionFailure("handled above")
        }
    }
}
