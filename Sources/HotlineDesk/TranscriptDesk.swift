import Foundation
import HotlineCore
import HotlineStore

/// A case's transcript as the desk shows it beside the player: the text the engine heard (or where its job
/// stands), and what it suggests, always for the agent to confirm.
public struct CaseTranscript: Encodable, Sendable {
    public let transcript: Transcript?
    public let job: TranscriptionJobInfo?
    /// Wards of the unit directory heard in the transcript.
    public let heardWards: [String]
    /// The topic its words point to (the administrators' topic keywords), and the words heard.
    public let suggestedTopic: Topic?
    public let topicWords: [String]
    /// Earlier tickets that sound alike.
    public let similar: [TranscriptMatch]
}

public struct TranscriptionStatus: Encodable, Sendable {
    public let counts: TranscriptionCounts
    public let jobs: [TranscriptionJobInfo]
}

extension Desk {
    /// The transcript of a case, with its suggestions; for those who may read the case.
    public func transcript(_ code: String, as user: User) throws -> CaseTranscript {
        let t = try ticket(code)
        try check(user, .readTicket(unit: t.unitCode))
        let transcript = try store.transcript(for: code)
        guard let text = transcript?.text else {
            return CaseTranscript(transcript: nil, job: try store.transcriptionJob(for: code), heardWards: [], suggestedTopic: nil,
                                  topicWords: [], similar: [])
        }
        let heard = TranscriptHints.wards(in: text, among: try store.unitDirectory().wardNames)
        let topic = topicKeywords.flatMap { TranscriptHints.topic(in: text, keywords: $0) }
        return CaseTranscript(transcript: transcript, job: try store.transcriptionJob(for: code), heardWards: heard,
                              suggestedTopic: topic?.0, topicWords: topic?.1 ?? [],
                              similar: try store.transcriptDuplicateCandidates(for: code))
    }

    /// Tickets by words of their transcript, summary, content or address, diacritics optional.
    public func find(_ words: String, limit: Int = 20, as user: User) throws -> [TicketSearchHit] {
        try check(user, .hotlineWork)
        guard (1...500).contains(limit) else { throw DeskError.invalidField(.minutes, reason: "từ 1 đến 500 kết quả") }
        guard !words.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw DeskError.invalidField(.summary, reason: "cần ít nhất một từ để tìm")
        }
        return try store.searchTickets(words, limit: limit)
    }

    /// The transcription queue, for the hotline and administrators.
    public func transcriptionStatus(limit: Int = 50, as user: User) throws -> TranscriptionStatus {
        try check(user, .oversee)
        return TranscriptionStatus(counts: try store.transcriptionCounts(), jobs: try store.pendingTranscriptionJobs(limit: limit))
    }

    /// Failed transcription jobs queued again now (all, or one ticket's); how many.
    public func retryTranscriptions(code: String?, as user: User) throws -> Int {
        try check(user, .oversee)
        return try store.retryFailedTranscriptions(code: code, at: now())
    }
}
