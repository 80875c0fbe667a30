import Foundation
import HotlineCore

/// Typed readers for the columns the store writes as codes (status, category, topic, channel) and as Unix
/// times, so that every row mapping reads them the same way.
extension Row {
    /// An unknown status reads as `draft`.
    func status(_ i: Int32) -> TicketStatus { TicketStatus(rawValue: text(i) ?? "") ?? .draft }
    func category(_ i: Int32) -> HotlineCore.Category? { text(i).flatMap(HotlineCore.Category.init(rawValue:)) }
    func topic(_ i: Int32) -> Topic? { text(i).flatMap(Topic.init(rawValue:)) }
    /// An unknown channel reads as `phone`.
    func channel(_ i: Int32) -> Channel { Channel(rawValue: text(i) ?? "") ?? .phone }
    /// A Unix time in seconds (NULL reads as 0, the epoch).
    func date(_ i: Int32) -> Date { Date(timeIntervalSince1970: double(i)) }
    /// A Unix time in seconds, nil when NULL.
    func optionalDate(_ i: Int32) -> Date? { isNull(i) ? nil : date(i) }
}
