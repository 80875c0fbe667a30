import Foundation

/// Where a ticket stands in its lifecycle (Regulation Art. 7–9).
public enum TicketStatus: String, CaseIterable, Codable, Sendable {
    /// Recorded (by phone) or submitted, waiting for an agent.
    case draft
    /// Classified by an agent and forwarded to the handling unit; the citizen acknowledged.
    case forwarded
    case accepted
    case inProgress = "in_progress"
    /// The unit says it is done (with evidence); the hotline has not confirmed yet.
    case resolved
    /// Confirmed by the hotline.
    case completed
    case returned
    case transferred
    case refused
    case withdrawn
    /// A repeat of a ticket still open: linked to the first one, which is the one handled (Art. 7.5).
    case merged

    /// Still needs someone to act.
    public var isOpen: Bool {
        switch self {
        case .completed, .refused, .withdrawn, .merged: false
        default: true
        }
    }

    /// The status as agents and citizens read it.
    public var label: String {
        switch self {
        case .draft: "Chờ tiếp nhận"
        case .forwarded: "Đã tiếp nhận và chuyển xử lý"
        case .accepted: "Đơn vị đã tiếp nhận"
        case .inProgress: "Đang xử lý"
        case .resolved: "Đơn vị đã xử lý, chờ Tổng đài xác nhận"
        case .completed: "Đã hoàn thành"
        case .returned: "Đơn vị chuyển trả Tổng đài"
        case .transferred: "Đã chuyển cơ quan có thẩm quyền"
        case .refused: "Từ chối tiếp nhận"
        case .withdrawn: "Người dân rút phản ánh"
        case .merged: "Trùng phản ánh trước, đã gộp"
        }
    }
}

/// What a caller may hear about a ticket by phone: no personal data at all.
public struct PhoneStatusSummary: Sendable, Equatable {
    public var status: TicketStatus
    public var unitCode: String?
    public var completedAt: Date?
    public var overdue: Bool
    public init(status: TicketStatus, unitCode: String?, completedAt: Date?, overdue: Bool) {
        (self.status, self.unitCode, self.completedAt, self.overdue) = (status, unitCode, completedAt, overdue)
    }
}

/// Tracking codes `YYYYMMDD-NNNNNNN`: the receipt date (Vietnam time) and a 7-digit running number.
public enum TrackingCode {
    public static let timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!

    public static func make(receivedAt: Date, number: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: receivedAt)
        return String(format: "%04d%02d%02d-%07d", c.year!, c.month!, c.day!, number % 10_000_000)
    }

    /// The code a caller keyed in as its 15 digits (the dash has no key), or nil when it cannot be one.
    public static func fromKeypad(_ digits: String) -> String? {
        guard digits.count == 15, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let code = String(digits.prefix(8)) + "-" + String(digits.suffix(7))
        return isValid(code) ? code : nil
    }

    public static func isValid(_ code: String) -> Bool {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0].count == 8 && parts[1].count == 7
            && parts.allSatisfy { $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }
}
