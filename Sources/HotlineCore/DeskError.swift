import Foundation

/// What a desk error can be about when something is missing.
public enum DeskEntity: String, Sendable, Equatable {
    case ticket, user, unit, recording, file, dialplan
}

/// A field of a request a person fills in. Interfaces name it their own way: the CLI by its flag, the console
/// by its form label (`label`).
public enum DeskField: String, Sendable, Equatable, CaseIterable {
    case name, address, email, summary, content, category, topic, ward, unit, reason, note, result, until, score
    case evidence, minutes, output, role, userName, password, confidential, trackingCode, dialplan
    /// An agent's phone: its SIP password or external URI.
    case phone
    /// Where a report's cumulative figures start.
    case since
    /// The weeks a trend chart covers.
    case weeks

    /// The field as a Vietnamese form labels it.
    public var label: String {
        switch self {
        case .name: "họ tên người phản ánh"
        case .address: "địa chỉ"
        case .email: "thư điện tử"
        case .summary: "nội dung tóm tắt"
        case .content: "nội dung"
        case .category: "lĩnh vực"
        case .topic: "chuyên mục"
        case .ward: "địa bàn (phường, xã)"
        case .unit: "đơn vị"
        case .reason: "lý do"
        case .note: "nội dung báo cáo"
        case .result: "kết quả xử lý"
        case .until: "ngày cam kết"
        case .score: "mức hài lòng"
        case .evidence: "minh chứng"
        case .minutes: "thời gian nhận xử lý"
        case .output: "tệp xuất"
        case .role: "vai trò"
        case .userName: "tên đăng nhập"
        case .password: "mật khẩu"
        case .confidential: "yêu cầu bảo mật"
        case .trackingCode: "mã số phản ánh"
        case .dialplan: "kịch bản tổng đài"
        case .phone: "điện thoại tổng đài viên"
        case .since: "ngày bắt đầu lũy kế"
        case .weeks: "số tuần"
        }
    }
}

/// Every refusal of an operation a person performs at the desk, from any interface (CLI, console, IVR).
/// The rules decide in the core and the store; each interface renders the error its own way
/// (`rendered(fieldName:)`): only the CLI names its flags.
public enum DeskError: Error, Equatable, Sendable {
    /// No such ticket, user, unit, recording or file.
    case notFound(DeskEntity, String)
    /// The user may not do this; `reason` says who may (Art. 7–9).
    case forbidden(user: String, role: UserRole, reason: String)
    /// Another agent holds the ticket until `until`.
    case conflict(code: String, holder: String, until: Date)
    /// A step the Regulation does not allow from the ticket's status: which step, from where, why, the article.
    case invalidStep(step: String, status: TicketStatus, reason: String, article: String)
    /// A field of the request is missing or wrong.
    case invalidField(DeskField, reason: String)
    /// The operation could not be carried out (a file that cannot be read or written); nothing was changed.
    case failed(String)

    /// The article of an invalid step, for tests and logs.
    public var article: String? {
        if case .invalidStep(_, _, _, let a) = self { return a }
        return nil
    }

    public var isForbidden: Bool {
        if case .forbidden = self { return true }
        return false
    }

    /// The error in Vietnamese; `fieldName` names a field as the interface shows it (a form label, a flag).
    public func rendered(fieldName: (DeskField) -> String = { $0.label }) -> String {
        switch self {
        case .notFound(let what, let key):
            switch what {
            case .ticket: "Không tìm thấy phản ánh mã số \(key) (mã số có dạng 20260610-0134036)."
            case .user: "Không có người dùng «\(key)»."
            case .unit: "Không có đơn vị \(key) trong danh mục đơn vị."
            case .recording: "Phản ánh \(key) không có ghi âm."
            case .file: "Không có tệp \(key)."
            case .dialplan: "Không có kịch bản tổng đài \(key)."
            }
        case .forbidden(let user, let role, let reason):
            "\(user) (\(role.label)) không được làm việc này: \(reason)"
        case .conflict(let code, let holder, let until):
            "\(code) đang do \(holder) nhận xử lý đến \(DeskClock.text(until)); đề nghị người đó hoặc giám sát viên trả hồ sơ."
        case .invalidStep(let step, let status, let reason, let article):
            "Không thể \(TicketAction.label(of: step)) phản ánh đang ở trạng thái «\(status.label)» (\(status.rawValue)): "
                + "\(reason) (\(article))"
        case .invalidField(let field, let reason):
            "\(fieldName(field)): \(reason)."
        case .failed(let reason):
            "Không thực hiện được: \(reason)."
        }
    }
}

extension DeskError: CustomStringConvertible {
    public var description: String { rendered() }
}

/// How the desk's messages write a moment for people: `17:00 15/06/2026`, Vietnam time.
public enum DeskClock {
    public static func text(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TrackingCode.timeZone
        f.dateFormat = "HH:mm dd/MM/yyyy"
        return f.string(from: date)
    }
}
