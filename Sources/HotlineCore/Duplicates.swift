import Foundation

/// What the finder knows of an earlier ticket.
public struct EarlierTicket: Sendable, Equatable {
    public var trackingCode: String
    public var status: TicketStatus
    public var callerNumber: String
    public var ward: String
    public var topic: Topic?
    public var summary: String
    public var receivedAt: Date
    public init(trackingCode: String, status: TicketStatus, callerNumber: String, ward: String, topic: Topic?,
                summary: String, receivedAt: Date) {
        (self.trackingCode, self.status, self.callerNumber, self.ward) = (trackingCode, status, callerNumber, ward)
        (self.topic, self.summary, self.receivedAt) = (topic, summary, receivedAt)
    }
}

/// A proposed link, with why it was proposed and what linking would mean.
public struct DuplicateCandidate: Sendable, Equatable, Codable {
    public enum Reason: String, Sendable, Codable { case sameCaller = "same_caller", sameWardAndTopic = "same_ward_topic", similarText = "similar_text" }
    public var trackingCode: String
    public var status: TicketStatus
    public var reasons: [Reason]
    /// Word overlap of the summaries, 0…1.
    public var similarity: Double
    /// What linking to it would make of the new report.
    public var link: LinkKind?
}

public enum LinkKind: String, Sendable, Codable {
    /// The first report is still open: the new one is linked to it and closed as merged (Art. 7.5).
    case duplicate
    /// The first report was marked done and the problem is back: a new ticket, linked, never refused (seed 000, 6a).
    case recurrence
}

public enum DuplicatePolicy {
    /// The window in which the same ward and topic make a candidate.
    public static let window: TimeInterval = 30 * 86400
    public static let similarityThreshold = 0.5

    /// Duplicate of an open ticket; recurrence of a completed one; nothing to link to a refused, withdrawn or
    /// merged one (handle the new report on its own).
    public static func linkKind(originalStatus: TicketStatus) -> LinkKind? {
        switch originalStatus {
        case .completed: .recurrence
        case .refused, .withdrawn, .merged: nil
        default: .duplicate
        }
    }

    /// Candidates for a new report among earlier tickets, best first.
    public static func candidates(callerNumber: String, ward: String, topic: Topic?, summary: String, receivedAt: Date,
                                  among earlier: [EarlierTicket]) -> [DuplicateCandidate] {
        let words = wordSet(summary)
        var out: [DuplicateCandidate] = []
        for e in earlier where e.receivedAt <= receivedAt {
            var reasons: [DuplicateCandidate.Reason] = []
            if !callerNumber.isEmpty, e.callerNumber == callerNumber { reasons.append(.sameCaller) }
            if !ward.isEmpty, WardName.same(e.ward, ward), topic != nil, e.topic == topic,
               receivedAt.timeIntervalSince(e.receivedAt) <= window {
                reasons.append(.sameWardAndTopic)
            }
            let similarity = jaccard(words, wordSet(e.summary))
            if similarity >= similarityThreshold { reasons.append(.similarText) }
            guard !reasons.isEmpty else { continue }
            out.append(DuplicateCandidate(trackingCode: e.trackingCode, status: e.status, reasons: reasons,
                                          similarity: similarity, link: linkKind(originalStatus: e.status)))
        }
        return out.sorted {
            ($0.reasons.count, $0.similarity, $0.trackingCode) > ($1.reasons.count, $1.similarity, $1.trackingCode)
        }
    }

    /// Words of two letters or more, folded to ASCII lower case, so "Đốt rác" and "dot rac" compare equal.
    public static func wordSet(_ text: String) -> Set<String> {
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "vi"))
            .replacingOccurrences(of: "đ", with: "d")
        return Set(folded.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init).filter { $0.count >= 2 })
    }

    static func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        return Double(a.intersection(b).count) / Double(a.union(b).count)
    }
}
