import Foundation
import HotlineCore

/// Where a recording's speech-to-text job stands.
public enum TranscriptionJobStatus: String, Codable, Sendable, CaseIterable {
    /// Waiting for a worker.
    case queued
    /// A worker holds it (a worker that died leaves it running until its lease runs out, then it is taken again).
    case running
    /// Transcribed: the transcript is stored.
    case done
    /// The last attempt failed: retried at `nextAttemptAt`, or given up when that is nil (`transcribe retry`).
    case failed
}

/// A job a worker has claimed: one recording of one ticket.
public struct TranscriptionJob: Sendable, Equatable {
    public var id: Int64
    public var trackingCode: String
    public var recordingPath: String
    /// Attempts so far, this one included.
    public var attempts: Int
}

/// A job as `transcribe status` lists it.
public struct TranscriptionJobInfo: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var recordingPath: String
    public var status: TranscriptionJobStatus
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var updatedAt: Date
}

/// How many jobs are in each state; `retrying` are failed jobs with an attempt still to come.
public struct TranscriptionCounts: Codable, Sendable, Equatable {
    public var queued = 0
    public var running = 0
    public var done = 0
    public var retrying = 0
    public var failed = 0
    /// When the oldest job still waiting was queued (how far behind the workers are).
    public var oldestWaitingSince: Date?
}

/// A recording's transcript, with the engine that made it and what it cost.
public struct Transcript: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var recordingPath: String
    public var text: String
    public var engineVersion: String
    public var audioMs: Int
    public var processingMs: Int
    public var createdAt: Date
}

/// A ticket found by words, best match first.
public struct TicketSearchHit: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var status: TicketStatus
    public var summary: String
    public var receivedAt: Date
    /// Which fields matched: transcript, summary, content, address.
    public var matchedIn: [String]
    /// bm25 score (lower is better), for ordering only.
    public var score: Double
}

/// The transcription queue (jobs queued by a trigger on `attachments`, see Migrations), the transcripts,
/// and the word search over transcripts, summaries, content and addresses. Transcripts are derived data:
/// storing one never changes the ticket, its deadline or its audit log.
extension TicketStore {
    /// Waits before the next attempt after the n-th failure; after the last, the job is given up.
    public static let transcriptionBackoff: [TimeInterval] = [60, 300, 1800, 7200]
    /// A running job not finished within this lease is taken by another worker (its worker died).
    public static let transcriptionLease: TimeInterval = 600

    /// Text folded the way the word index folds it, before its tokenizer drops the other diacritics:
    /// đ/Đ become d/D (Unicode gives them no decomposition, so remove_diacritics leaves them).
    public static func searchFold(_ text: String) -> String {
        String(text.unicodeScalars.map { s -> Character in
            switch s {
            case "đ": "d"
            case "Đ": "D"
            default: Character(s)
            }
        })
    }

    /// The FTS5 query for free words: each word folded and quoted (so no word is read as an operator), all
    /// required. Nil when there is no word to look for.
    static func searchQuery(_ words: String) -> String? {
        let tokens = searchFold(words).split { !$0.isLetter && !$0.isNumber }.map(String.init)
        guard !tokens.isEmpty else { return nil }
        return tokens.map { "\"" + $0.replacingOccurrences(of: "\"", with: "") + "\"" }.joined(separator: " AND ")
    }

    /// Queues a recording by hand (a job per attachment; a recording already queued is left as it is).
    /// Recordings stored through `createPhoneDraft` or `addAttachment` are queued by the trigger.
    public func enqueueTranscription(recordingPath: String, at: Date) throws {
        try db.prepare("""
            INSERT INTO transcription_jobs (attachment_id, ticket_id, path, status, next_attempt_at, created_at, updated_at)
            SELECT id, ticket_id, path, 'queued', ?, ?, ? FROM attachments WHERE path = ? AND kind = 'recording'
            ON CONFLICT DO NOTHING
            """).run([.double(at.timeIntervalSince1970), .double(at.timeIntervalSince1970),
                      .double(at.timeIntervalSince1970), .text(recordingPath)])
    }

    /// A job due at `now`: queued, failed and its retry time come, or running with its lease run out. The
    /// condition on `transcription_jobs` (named `table` in the query) and its two values.
    private static func transcriptionDue(_ table: String, now: Date) -> (sql: String, values: [SQLValue]) {
        let t = now.timeIntervalSince1970
        return ("""
            \(table).status != 'done' AND (\(table).status = 'queued' OR (\(table).status = 'failed' AND \(table).next_attempt_at <= ?)
                OR (\(table).status = 'running' AND \(table).claimed_at < ?))
            """, [.double(t), .double(t - transcriptionLease)])
    }

    /// Whether a job is due: a read only (an idle worker polling the queue never takes the write lock the
    /// gateway's drafts need).
    public func transcriptionJobDue(now: Date) throws -> Bool {
        let due = Self.transcriptionDue("transcription_jobs", now: now)
        return try db.prepare("SELECT 1 FROM transcription_jobs WHERE \(due.sql) LIMIT 1")
            .query(due.values, { _ in true }).first == true
    }

    /// Takes the next job due for `worker`, oldest first, first attempts before retries; nil when none is due.
    /// On PostgreSQL one statement takes it with `FOR UPDATE SKIP LOCKED`: workers on several hosts take
    /// different jobs side by side, and none waits for the store's write lock (nor the drafts for them).
    public func claimTranscriptionJob(worker: String, now: Date) throws -> TranscriptionJob? {
        let t = now.timeIntervalSince1970
        guard try transcriptionJobDue(now: now) else { return nil }
        if db.isPostgres {
            let due = Self.transcriptionDue("q", now: now)
            return try db.prepare("""
                UPDATE transcription_jobs SET status = 'running', attempts = attempts + 1, claimed_at = ?, claimed_by = ?,
                    updated_at = ?
                WHERE id = (SELECT q.id FROM transcription_jobs q WHERE \(due.sql)
                    ORDER BY q.attempts, q.id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, (SELECT tracking_code FROM tickets WHERE tickets.id = transcription_jobs.ticket_id), path, attempts
                """).query([.double(t), .text(worker), .double(t)] + due.values) { r in
                    TranscriptionJob(id: r.int(0), trackingCode: r.text(1) ?? "", recordingPath: r.text(2) ?? "",
                                     attempts: Int(r.int(3)))
                }.first
        }
        let due = Self.transcriptionDue("j", now: now)
        return try db.transaction {
            guard let job = try db.prepare("""
                SELECT j.id, t.tracking_code, j.path, j.attempts FROM transcription_jobs j JOIN tickets t ON t.id = j.ticket_id
                WHERE \(due.sql)
                ORDER BY j.attempts, j.id LIMIT 1
                """).query(due.values, { r in
                    TranscriptionJob(id: r.int(0), trackingCode: r.text(1) ?? "", recordingPath: r.text(2) ?? "",
                                     attempts: Int(r.int(3)) + 1)
                }).first
            else { return nil }
            try db.prepare("""
                UPDATE transcription_jobs SET status = 'running', attempts = attempts + 1, claimed_at = ?, claimed_by = ?,
                    updated_at = ? WHERE id = ?
                """).run([.double(t), .text(worker), .double(t), .int(job.id)])
            return job
        }
    }

    /// Stores the transcript and closes the job, in one transaction; the word index follows by trigger.
    public func completeTranscription(_ job: TranscriptionJob, text: String, engineVersion: String, audioMs: Int,
                                      processingMs: Int, at: Date) throws {
        let t = at.timeIntervalSince1970
        try db.transaction {
            try db.prepare("""
                INSERT INTO transcripts (ticket_id, attachment_id, recording_path, text, engine_version, audio_ms,
                    processing_ms, created_at)
                SELECT ticket_id, attachment_id, path, ?, ?, ?, ?, ? FROM transcription_jobs WHERE id = ?
                ON CONFLICT (attachment_id) DO UPDATE SET text = excluded.text, engine_version = excluded.engine_version,
                    audio_ms = excluded.audio_ms, processing_ms = excluded.processing_ms, created_at = excluded.created_at
                """).run([.text(text), .text(engineVersion), .int(Int64(audioMs)), .int(Int64(processingMs)), .double(t),
                          .int(job.id)])
            try db.prepare("""
                UPDATE transcription_jobs SET status = 'done', next_attempt_at = NULL, last_error = NULL, updated_at = ?
                WHERE id = ?
                """).run([.double(t), .int(job.id)])
        }
    }

    /// Records a failed attempt with its reason; returns when it is tried again, nil when it was the last
    /// attempt (`transcriptionBackoff`). The ticket is not touched.
    @discardableResult
    public func failTranscription(_ job: TranscriptionJob, reason: String, at: Date) throws -> Date? {
        let attempts = try db.prepare("SELECT attempts FROM transcription_jobs WHERE id = ?")
            .query([.int(job.id)]) { Int($0.int(0)) }.first ?? job.attempts
        let next = attempts <= Self.transcriptionBackoff.count
            ? at.addingTimeInterval(Self.transcriptionBackoff[max(0, attempts - 1)]) : nil
        try db.prepare("""
            UPDATE transcription_jobs SET status = 'failed', next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?
            """).run([next.map { .double($0.timeIntervalSince1970) } ?? .null, .text(reason),
                      .double(at.timeIntervalSince1970), .int(job.id)])
        return next
    }

    /// Jobs per state.
    public func transcriptionCounts() throws -> TranscriptionCounts {
        var c = TranscriptionCounts()
        _ = try db.prepare("""
            SELECT status, next_attempt_at IS NOT NULL, count(*) FROM transcription_jobs GROUP BY 1, 2
            """).query { r in
                let n = Int(r.int(2))
                switch TranscriptionJobStatus(rawValue: r.text(0) ?? "") {
                case .queued: c.queued += n
                case .running: c.running += n
                case .done: c.done += n
                case .failed: if r.int(1) != 0 { c.retrying += n } else { c.failed += n }
                case nil: break
                }
            }
        c.oldestWaitingSince = try db.prepare("""
            SELECT min(created_at) FROM transcription_jobs WHERE status != 'done' AND (status IN ('queued', 'running')
               OR (status = 'failed' AND next_attempt_at IS NOT NULL))
            """).query { Self.date($0, 0) }.first ?? nil
        return c
    }

    /// Jobs not done (waiting, running, failed), the most recently changed first.
    public func pendingTranscriptionJobs(limit: Int = 100) throws -> [TranscriptionJobInfo] {
        try db.prepare("""
            SELECT \(Self.jobInfoColumns)
            FROM transcription_jobs j JOIN tickets t ON t.id = j.ticket_id
            WHERE j.status != 'done' ORDER BY j.updated_at DESC, j.id DESC LIMIT ?
            """).query([.int(Int64(limit))], Self.jobInfo)
    }

    /// Puts failed jobs back in the queue now, with a fresh count of attempts (after the engine or a file was
    /// fixed). With a tracking code, only that ticket's. Returns how many.
    @discardableResult
    public func retryFailedTranscriptions(code: String? = nil, at: Date) throws -> Int {
        try db.transaction {
            let t = at.timeIntervalSince1970
            try db.prepare("""
                UPDATE transcription_jobs SET status = 'queued', attempts = 0, next_attempt_at = ?, updated_at = ?
                WHERE status = 'failed' AND (CAST(? AS TEXT) IS NULL OR ticket_id = (SELECT id FROM tickets WHERE tracking_code = ?))
                """)
                .run([.double(t), .double(t), .optional(code), .optional(code)])
            return db.changes
        }
    }

    /// Gives back the jobs these workers hold (a stop that could not wait for them): queued again at once,
    /// the attempt not counted, instead of waiting for the lease. Returns how many.
    @discardableResult
    public func releaseTranscriptionJobs(claimedBy workers: [String], at: Date) throws -> Int {
        try db.transaction {
            var released = 0
            for worker in workers {
                try db.prepare("""
                    UPDATE transcription_jobs SET status = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, claimed_at = NULL,
                        claimed_by = NULL, updated_at = ? WHERE status = 'running' AND claimed_by = ?
                    """).run([.double(at.timeIntervalSince1970), .text(worker)])
                released += db.changes
            }
            return released
        }
    }

    /// The newest transcript of a ticket's recordings; nil when none is done yet.
    public func transcript(for code: String) throws -> Transcript? {
        try db.prepare("""
            SELECT t.tracking_code, x.recording_path, x.text, x.engine_version, x.audio_ms, x.processing_ms, x.created_at
            FROM transcripts x JOIN tickets t ON t.id = x.ticket_id WHERE t.tracking_code = ?
            ORDER BY x.id DESC LIMIT 1
            """).query([.text(code)]) { r in
                Transcript(trackingCode: r.text(0) ?? "", recordingPath: r.text(1) ?? "", text: r.text(2) ?? "",
                           engineVersion: r.text(3) ?? "", audioMs: Int(r.int(4)), processingMs: Int(r.int(5)),
                           createdAt: r.date(6))
            }.first
    }

    /// The state of a ticket's transcription job, nil when its recording has none (or there is no recording).
    public func transcriptionJob(for code: String) throws -> TranscriptionJobInfo? {
        try db.prepare("""
            SELECT \(Self.jobInfoColumns)
            FROM transcription_jobs j JOIN tickets t ON t.id = j.ticket_id WHERE t.tracking_code = ?
            ORDER BY j.id DESC LIMIT 1
            """).query([.text(code)], Self.jobInfo).first
    }

    /// Tickets whose transcript, summary, content or address hold every word, best match first (bm25, a
    /// summary word counting twice). Diacritics are optional on both sides: "den duong" finds "đèn đường".
    public func searchTickets(_ words: String, limit: Int = 50) throws -> [TicketSearchHit] {
        guard let query = Self.searchQuery(words) else { return [] }
        let columns = ["transcript", "summary", "content", "address"]
        let wanted = Set(Self.searchWords(words))
        // PostgreSQL: the folded words all required, ranked by ts_rank (the summary weighs A, the rest B),
        // negated so that, as with bm25, lower is better.
        let sql = db.isPostgres ? """
            SELECT t.tracking_code, t.status, t.summary, t.received_at, -ts_rank(s.doc, q),
                   s.transcript, s.summary, s.content, s.address
            FROM ticket_search s JOIN tickets t ON t.id = s.id, to_tsquery('simple', ?) q
            WHERE s.doc @@ q ORDER BY 5, t.received_at DESC LIMIT ?
            """ : """
            SELECT t.tracking_code, t.status, t.summary, t.received_at, bm25(ticket_search, 1.0, 2.0, 1.0, 1.0),
                   s.transcript, s.summary, s.content, s.address
            FROM ticket_search s JOIN tickets t ON t.id = s.rowid
            WHERE ticket_search MATCH ? ORDER BY 5, t.received_at DESC LIMIT ?
            """
        let match = db.isPostgres ? Self.searchWords(words).joined(separator: " & ") : query
        return try db.prepare(sql).query([.text(match), .int(Int64(limit))]) { r in
                // Which fields hold a word: the same folding, compared word by word.
                var matched: [String] = []
                for (i, name) in columns.enumerated() {
                    let have = Set(Self.searchWords(r.text(Int32(5 + i)) ?? ""))
                    if !wanted.isDisjoint(with: have) { matched.append(name) }
                }
                return Self.searchHit(r, matchedIn: matched, score: r.double(4))
            }
    }

    static let jobInfoColumns = "t.tracking_code, j.path, j.status, j.attempts, j.next_attempt_at, j.last_error, j.updated_at"

    /// A job from a row of `jobInfoColumns`.
    static func jobInfo(_ r: Row) -> TranscriptionJobInfo {
        TranscriptionJobInfo(trackingCode: r.text(0) ?? "", recordingPath: r.text(1) ?? "",
                             status: TranscriptionJobStatus(rawValue: r.text(2) ?? "") ?? .queued,
                             attempts: Int(r.int(3)), nextAttemptAt: r.optionalDate(4), lastError: r.text(5),
                             updatedAt: r.date(6))
    }

    /// A search hit from a row whose first columns are tracking code, status, summary and received-at.
    static func searchHit(_ r: Row, matchedIn: [String], score: Double = 0) -> TicketSearchHit {
        TicketSearchHit(trackingCode: r.text(0) ?? "", status: r.status(1), summary: r.text(2) ?? "",
                        receivedAt: r.date(3), matchedIn: matchedIn, score: score)
    }

    /// Words as the index compares them: folded, lower case, without diacritics.
    static func searchWords(_ text: String) -> [String] {
        searchFold(text).folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
            .split { !$0.isLetter && !$0.isNumber }.map(String.init)
    }
}

/// An earlier ticket whose words sound like this one's transcript: a duplicate candidate for the agent to judge.
public struct TranscriptMatch: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var status: TicketStatus
    public var summary: String
    public var receivedAt: Date
    /// 0…1 (`TranscriptHints.similarity` against the other's transcript, or its summary and content).
    public var similarity: Double
}

extension TicketStore {
    /// Below this, two reports are not called alike.
    public static let transcriptSimilarityThreshold = 0.2

    /// Earlier tickets (within the duplicate window, not merged) that sound like this ticket's transcript, most
    /// alike first: the word index picks up to 50 sharing words, then syllable pairs are compared.
    public func transcriptDuplicateCandidates(for code: String, limit: Int = 5) throws -> [TranscriptMatch] {
        guard let transcript = try transcript(for: code), !transcript.text.isEmpty,
              let (id, t, _) = try loadTicket(code) else { return [] }
        var distinct: [String] = []
        for w in TranscriptHints.words(transcript.text) where !distinct.contains(w) { distinct.append(w) }
        guard !distinct.isEmpty else { return [] }
        let words = distinct.prefix(64)
        let query = db.isPostgres
            ? words.flatMap { Self.searchWords($0) }.joined(separator: " | ")
            : "{transcript summary content} : (" + words.map { "\"\($0)\"" }.joined(separator: " OR ") + ")"
        let since = t.receivedAt.addingTimeInterval(-DuplicatePolicy.window).timeIntervalSince1970
        let sql = db.isPostgres ? """
            SELECT t.tracking_code, t.status, t.summary, t.received_at, s.transcript, s.summary || ' ' || s.content
            FROM ticket_search s JOIN tickets t ON t.id = s.id, to_tsquery('simple', ?) q
            WHERE s.alike @@ q AND t.id != ? AND t.status != 'merged' AND t.received_at BETWEEN ? AND ?
            ORDER BY ts_rank(s.alike, q) DESC LIMIT 50
            """ : """
            SELECT t.tracking_code, t.status, t.summary, t.received_at, s.transcript, s.summary || ' ' || s.content
            FROM ticket_search s JOIN tickets t ON t.id = s.rowid
            WHERE ticket_search MATCH ? AND t.id != ? AND t.status != 'merged' AND t.received_at BETWEEN ? AND ?
            ORDER BY bm25(ticket_search) LIMIT 50
            """
        let found = try db.prepare(sql).query([.text(query), .int(id), .double(since), .double(t.receivedAt.timeIntervalSince1970)]) { r in
                TranscriptMatch(trackingCode: r.text(0) ?? "", status: r.status(1),
                                summary: r.text(2) ?? "", receivedAt: r.date(3),
                                similarity: max(TranscriptHints.similarity(transcript.text, r.text(4) ?? ""),
                                                TranscriptHints.similarity(transcript.text, r.text(5) ?? "")))
            }
        return Array(found.filter { $0.similarity >= Self.transcriptSimilarityThreshold }
            .sorted { ($0.similarity, $0.receivedAt) > ($1.similarity, $1.receivedAt) }.prefix(limit))
    }
}
