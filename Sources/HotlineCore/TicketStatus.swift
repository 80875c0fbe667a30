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

    /// Still needs someone to act.
    public var isOpen: Bool {
        switch self {
        case .completed, .refused, .withdrawn: false
        default: true
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
        self.status = status
        self.unitCode = unitCode
        self.completedAt = completedAt
        self.overdue = overdue
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

    public static func isValid(_ code: String) -> Bool {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0].count == 8 && parts[1].count == 7
            && parts.allSatisfy { $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }
}
