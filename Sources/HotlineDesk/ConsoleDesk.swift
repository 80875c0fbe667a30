import Foundation
import HotlineCore
import HotlineStore

/// What one search box finds: a tracking code, a phone number or its last digits, a reporter's name, words of
/// the summary, content, address or transcript (diacritics optional).
public struct DeskSearchResult: Sendable {
    /// How the query was read: "trackingCode", "phone" or "words".
    public let kind: String
    public let hits: [TicketSearchHit]
}

/// The choices a case form offers: wards of the unit directory, its units, the categories and topics.
public struct CaseFormChoices: Sendable {
    public let wards: [String]
    public let units: [HotlineCore.Unit]
}

extension Desk {
    // MARK: The live queue

    /// The hotline's live queue: drafts and returned cases, and cases waiting for the City Office's guidance,
    /// most urgent first, each with who holds it.
    public func liveQueue(as user: User) throws -> [HotlineQueueItem] {
        try check(user, .hotlineWork)
        return try store.hotlineQueue(now: now())
    }

    /// Whether this user may watch the live queue (subscribe to its events); throws `forbidden` otherwise.
    public func checkQueueWatcher(_ user: User) throws { try check(user, .hotlineWork) }

    /// The store's newest ticket and audit line; reveals nothing but two counters (a watcher's poll).
    public func changeStamp() throws -> StoreChangeStamp { try store.changeStamp() }

    /// Tracking codes stored after a ticket id (what a watcher announces as new cases; sent only to watchers
    /// who passed `checkQueueWatcher`).
    public func newTrackingCodes(after id: Int64) throws -> [String] { try store.trackingCodes(after: id) }

    /// Wards, units, for a case form; for the hotline.
    public func caseFormChoices(as user: User) throws -> CaseFormChoices {
        try check(user, .hotlineWork)
        let directory = try store.unitDirectory()
        return CaseFormChoices(wards: directory.wardNames.sorted { $0.compare($1, locale: Locale(identifier: "vi")) == .orderedAscending },
                               units: directory.units)
    }

    // MARK: Search

    /// One search box for the hotline: a tracking code opens that ticket; a phone number (or its last 3 or
    /// more digits) lists that caller's tickets; anything else finds reporters by name and tickets by words.
    public func search(_ query: String, limit: Int = 50, as user: User) throws -> DeskSearchResult {
        try check(user, .hotlineWork)
        let q = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !q.isEmpty else { throw DeskError.invalidField(.summary, reason: "cần mã số, số điện thoại, họ tên hoặc từ cần tìm") }
        guard (1...500).contains(limit) else { throw DeskError.invalidField(.minutes, reason: "từ 1 đến 500 kết quả") }
        if TrackingCode.isValid(q) {
            return DeskSearchResult(kind: "trackingCode", hits: try store.ticketByTrackingCode(q).map { [$0] } ?? [])
        }
        if let spellings = Self.phoneSpellings(q) {
            return DeskSearchResult(kind: "phone", hits: try store.ticketsByPhone(spellings, limit: limit))
        }
        var hits = try store.ticketsByReporterName(q, limit: limit)
        var seen = Set(hits.map(\.trackingCode))
        for hit in try store.searchTickets(q, limit: limit) {
            if seen.insert(hit.trackingCode).inserted {
                hits.append(hit)
            } else if let i = hits.firstIndex(where: { $0.trackingCode == hit.trackingCode }) {
                hits[i].matchedIn += hit.matchedIn
            }
        }
        return DeskSearchResult(kind: "words", hits: Array(hits.prefix(limit)))
    }

    /// A query that is a phone number or its last digits ("0912 345 678", "+84 912345678", "5678"): the
    /// spellings a stored number may end with; nil when the query is not one.
    static func phoneSpellings(_ q: String) -> [String]? {
        guard q.allSatisfy({ $0.isNumber || " .-+()".contains($0) }) else { return nil }
        let digits = q.filter(\.isNumber)
        guard digits.count >= 3, digits.allSatisfy(\.isASCII) else { return nil }
        var spellings = [digits]
        if digits.hasPrefix("84"), digits.count >= 11 { spellings.append("0" + digits.dropFirst(2)) }
        if digits.hasPrefix("0"), digits.count >= 10 { spellings.append("84" + digits.dropFirst()) }
        // A number stored with more than 11 digits is indexed by its last 11 at most.
        return spellings.map { String($0.suffix(11)) }
    }
}
