import Foundation
import HotlineCore
import XCTest

@testable import HotlineStore

/// The transcription queue, transcripts and the word search (issue 14).
final class TranscriptStoreTests: StoreTestCase {
    func phoneDraft(recording: String?, at: Date, interrupted: Bool = false) -> PhoneDraft {
        PhoneDraft(callID: UUID().uuidString, callerNumber: "0912345678", category: .infrastructure, confidential: nil,
                   receivedAt: at, recordingPath: recording, recordingDurationMs: 4200,
                   recordingSHA256: recording.map { _ in String(repeating: "a", count: 64) },
                   dialplanVersion: "t1", interrupted: interrupted)
    }

    func testEveryStoredRecordingIsQueuedOnceInTheSameTransaction() throws {
        let t0 = vn("2026-06-10T08:00:00")
        let a = try store.createPhoneDraft(phoneDraft(recording: dir + "/a.wav", at: t0))
        // A draft recovered after a crash goes through the same door, flagged interrupted.
        let b = try store.createPhoneDraft(phoneDraft(recording: dir + "/b.wav", at: t0, interrupted: true))
        // Filing the same recording again (recovery after a crash right after the commit) queues nothing new.
        XCTAssertEqual(try store.createPhoneDraft(phoneDraft(recording: dir + "/a.wav", at: t0)), a)
        // No recording, no job.
        let c = try store.createPhoneDraft(phoneDraft(recording: nil, at: t0))
        XCTAssertEqual(try store.transcriptionCounts().queued, 2)
        XCTAssertEqual(try store.transcriptionJob(for: a)?.status, .queued)
        XCTAssertEqual(try store.transcriptionJob(for: b)?.recordingPath, dir + "/b.wav")
        XCTAssertNil(try store.transcriptionJob(for: c))

        // A draft that fails to store leaves no job behind (the trigger runs inside its transaction).
        XCTAssertThrowsError(try store.db.transaction {
            _ = try store.createPhoneDraft(phoneDraft(recording: dir + "/d.wav", at: t0))
            throw DeskError.failed("rolled back")
        })
        XCTAssertEqual(try store.transcriptionCounts().queued, 2)
        XCTAssertEqual(try store.db.prepare("SELECT count(*) FROM transcription_jobs WHERE path LIKE '%/d.wav'")
            .query { $0.int(0) }.first, 0)
    }

    func testAFailedJobKeepsItsReasonIsRetriedWithBackOffThenGivenUpAndTheTicketIsUntouched() throws {
        let t0 = vn("2026-06-10T08:00:00")
        let code = try store.createPhoneDraft(phoneDraft(recording: dir + "/broken.wav", at: t0))
        let before = try store.ticket(code)
        let historyBefore = try store.history(code)
        let updatedAt = { try self.store.db.prepare("SELECT updated_at FROM tickets WHERE tracking_code = ?")
            .query([.text(code)]) { $0.double(0) }.first }
        let updatedBefore = try updatedAt()

        var now = t0
        var waits: [TimeInterval] = []
        for attempt in 1...(TicketStore.transcriptionBackoff.count + 1) {
            let job = try XCTUnwrap(try store.claimTranscriptionJob(worker: "w", now: now), "attempt \(attempt) is due")
            XCTAssertEqual(job.attempts, attempt)
            XCTAssertEqual(job.trackingCode, code)
            // Nothing else is due while it runs.
            XCTAssertNil(try store.claimTranscriptionJob(worker: "other", now: now))
            let retry = try store.failTranscription(job, reason: "tệp bị cắt cụt (lần \(attempt))", at: now)
            let info = try XCTUnwrap(try store.transcriptionJob(for: code))
            XCTAssertEqual(info.status, .failed)
            XCTAssertEqual(info.lastError, "tệp bị cắt cụt (lần \(attempt))")
            guard let retry else {
                XCTAssertEqual(attempt, TicketStore.transcriptionBackoff.count + 1, "given up only after the last back-off")
                XCTAssertNil(info.nextAttemptAt)
                break
            }
            waits.append(retry.timeIntervalSince(now))
            // Not before its time…
            XCTAssertNil(try store.claimTranscriptionJob(worker: "w", now: retry.addingTimeInterval(-1)))
            now = retry
        }
        XCTAssertEqual(waits, TicketStore.transcriptionBackoff)
        XCTAssertTrue(waits == waits.sorted() && Set(waits).count == waits.count, "each wait is longer than the last")
        XCTAssertNil(try store.claimTranscriptionJob(worker: "w", now: now.addingTimeInterval(86400 * 30)))
        XCTAssertEqual(try store.transcriptionCounts().failed, 1)
        XCTAssertEqual(try store.transcriptionCounts().retrying, 0)

        // The ticket itself never changed: same fields, same audit log, no transcript.
        XCTAssertEqual(try store.ticket(code), before)
        XCTAssertEqual(try store.history(code), historyBefore)
        XCTAssertEqual(try updatedAt(), updatedBefore)
        XCTAssertNil(try store.transcript(for: code))

        // An administrator's retry puts it back at once, with fresh attempts.
        XCTAssertEqual(try store.retryFailedTranscriptions(at: now), 1)
        let again = try XCTUnwrap(try store.claimTranscriptionJob(worker: "w", now: now))
        XCTAssertEqual(again.attempts, 1)
    }

    func testARunningJobWhoseWorkerDiedIsTakenAgainAfterItsLease() throws {
        let t0 = vn("2026-06-10T08:00:00")
        _ = try store.createPhoneDraft(phoneDraft(recording: dir + "/a.wav", at: t0))
        XCTAssertNotNil(try store.claimTranscriptionJob(worker: "dead", now: t0))
        XCTAssertNil(try store.claimTranscriptionJob(worker: "w", now: t0.addingTimeInterval(TicketStore.transcriptionLease - 1)))
        XCTAssertEqual(try store.claimTranscriptionJob(worker: "w", now: t0.addingTimeInterval(TicketStore.transcriptionLease + 1))?.attempts, 2)
    }

    /// Workers on two connections (two hosts) claiming at the same time: each job is taken exactly once, none is
    /// left behind (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the write lock).
    func testWorkersOnTwoConnectionsTakeEachJobExactlyOnce() throws {
        let t0 = vn("2026-06-10T08:00:00")
        for n in 0..<30 { _ = try store.createPhoneDraft(phoneDraft(recording: dir + "/r\(n).wav", at: t0)) }
        let other = try TicketStore(path: location, dataDirectory: dir)
        defer { try? other.close() }
        let lock = NSLock()
        nonisolated(unsafe) var taken: [String: [Int64]] = [:]
        nonisolated(unsafe) var errors: [String] = []
        let stores = [("a", store!), ("b", other)]
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let (worker, s) = stores[i]
            while true {
                do {
                    guard let job = try s.claimTranscriptionJob(worker: worker, now: t0) else { return }
                    lock.lock(); taken[worker, default: []].append(job.id); lock.unlock()
                } catch {
                    lock.lock(); errors.append("\(worker): \(error)"); lock.unlock()
                    return
                }
            }
        }
        XCTAssertEqual(errors, [])
        let all = taken.values.flatMap { $0 }
        XCTAssertEqual(all.count, 30, "every job taken")
        XCTAssertEqual(Set(all).count, 30, "no job taken twice: \(taken)")
        XCTAssertEqual(try store.transcriptionCounts().running, 30)
        XCTAssertEqual(try store.db.prepare("SELECT count(*) FROM transcription_jobs WHERE attempts = 1 AND claimed_by IN ('a', 'b')")
            .query { $0.int(0) }.first, 30)
    }

    func testAStoppingWorkerGivesItsJobBackAtOnceWithoutCountingTheAttempt() throws {
        let t0 = vn("2026-06-10T08:00:00")
        _ = try store.createPhoneDraft(phoneDraft(recording: dir + "/a.wav", at: t0))
        _ = try store.createPhoneDraft(phoneDraft(recording: dir + "/b.wav", at: t0))
        XCTAssertEqual(try store.claimTranscriptionJob(worker: "mine", now: t0)?.attempts, 1)
        XCTAssertEqual(try store.claimTranscriptionJob(worker: "theirs", now: t0)?.attempts, 1)
        XCTAssertEqual(try store.releaseTranscriptionJobs(claimedBy: ["mine", "gone"], at: t0), 1, "only my job")
        XCTAssertEqual(try store.transcriptionCounts().queued, 1)
        XCTAssertEqual(try store.transcriptionCounts().running, 1)
        XCTAssertEqual(try store.claimTranscriptionJob(worker: "next", now: t0)?.attempts, 1)
    }

    func testATranscriptIsStoredWithItsEngineAndTimingAndIsSearchable() throws {
        let t0 = vn("2026-06-10T08:00:00")
        let code = try store.createPhoneDraft(phoneDraft(recording: dir + "/a.wav", at: t0))
        let before = try store.ticket(code)
        let job = try XCTUnwrap(try store.claimTranscriptionJob(worker: "w", now: t0))
        try store.completeTranscription(job, text: "cột điện đổ chắn ngang đường ở phường đông khê", engineVersion: "vietasr 0.1.0",
                                        audioMs: 4200, processingMs: 700, at: t0.addingTimeInterval(5))
        let transcript = try XCTUnwrap(try store.transcript(for: code))
        XCTAssertEqual(transcript.engineVersion, "vietasr 0.1.0")
        XCTAssertEqual(transcript.audioMs, 4200)
        XCTAssertEqual(transcript.processingMs, 700)
        XCTAssertEqual(transcript.recordingPath, dir + "/a.wav")
        XCTAssertEqual(try store.transcriptionJob(for: code)?.status, .done)
        XCTAssertEqual(try store.ticket(code), before, "a transcript is not a change of the ticket")
        XCTAssertNil(try store.claimTranscriptionJob(worker: "w", now: t0.addingTimeInterval(86400)))

        let hits = try store.searchTickets("cot dien dong khe")
        XCTAssertEqual(hits.map(\.trackingCode), [code])
        XCTAssertEqual(hits.first?.matchedIn, ["transcript"])
        XCTAssertEqual(try store.searchTickets("cot dien hai an"), [], "every word is required")

        // A job taken again after its lease (a slow worker) replaces the transcript; the index follows.
        try store.completeTranscription(job, text: "ống nước vỡ", engineVersion: "vietasr 0.1.1", audioMs: 4200,
                                        processingMs: 650, at: t0.addingTimeInterval(9))
        XCTAssertEqual(try store.transcript(for: code)?.engineVersion, "vietasr 0.1.1")
        XCTAssertEqual(try store.searchTickets("cot dien"), [])
        XCTAssertEqual(try store.searchTickets("ong nuoc vo").map(\.trackingCode), [code])
    }

    func testSearchWithoutDiacriticsFindsASummaryWithDiacriticsAndFollowsEdits() throws {
        let t0 = vn("2026-06-10T08:00:00")
        let lamp = try portalTicket(at: t0, ward: "Lạch Tray", summary: "Đèn đường hỏng ở ngõ 12")
        let smoke = try portalTicket(at: t0.addingTimeInterval(60), summary: "Khói bếp than tổ ong")
        XCTAssertEqual(try store.searchTickets("den duong").map(\.trackingCode), [lamp])
        XCTAssertEqual(try store.searchTickets("ĐÈN ĐƯỜNG").map(\.trackingCode), [lamp], "case and diacritics both ways")
        XCTAssertEqual(try store.searchTickets("lach tray").map(\.trackingCode).first, lamp, "the ward is an address")
        XCTAssertEqual(try store.searchTickets("bep than").map(\.trackingCode), [smoke])
        // Both contents say "đốt rác".
        XCTAssertEqual(Set(try store.searchTickets("dot rac").map(\.trackingCode)), [lamp, smoke])
        XCTAssertEqual(try store.searchTickets("dot rac").first?.matchedIn, ["content"])
        XCTAssertEqual(try store.searchTickets("lạch").count, 2, "both reporters live at 5 Lạch Tray")
        XCTAssertEqual(try store.searchTickets("  \"--  "), [], "no words, no query (and no FTS syntax error)")
        XCTAssertEqual(try store.searchTickets("den OR"), [], "OR is a word here, not an operator")

        // The index follows the agent's edits.
        try store.updateDetails(smoke, TicketDetails(summary: "Cống thoát nước tắc"), by: agent, at: t0.addingTimeInterval(120))
        XCTAssertEqual(try store.searchTickets("bep than").map(\.trackingCode), [])
        XCTAssertEqual(try store.searchTickets("cong thoat nuoc").map(\.trackingCode), [smoke])
        XCTAssertEqual(try store.searchTickets("cong").first?.matchedIn, ["summary"])
    }

    func testEarlierTicketsThatSoundAlikeAreDuplicateCandidates() throws {
        let t0 = vn("2026-06-10T08:00:00")
        func transcribed(_ name: String, at: Date, _ text: String) throws -> String {
            let code = try store.createPhoneDraft(phoneDraft(recording: dir + "/\(name).wav", at: at))
            let job = try XCTUnwrap(try store.claimTranscriptionJob(worker: "w", now: at))
            try store.completeTranscription(job, text: text, engineVersion: "t", audioMs: 1000, processingMs: 100, at: at)
            return code
        }
        let lamp = try transcribed("a", at: t0, "đèn đường ở ngõ mười hai phố lạch tray bị hỏng từ tối qua")
        let noise = try transcribed("b", at: t0.addingTimeInterval(60), "nhà bên cạnh hát karaoke đến nửa đêm")
        // A typed-in portal ticket about the same lamp counts too, through its summary.
        let typed = try portalTicket(at: t0.addingTimeInterval(120), summary: "Đèn đường ngõ 12 Lạch Tray hỏng")
        let old = try transcribed("c", at: t0.addingTimeInterval(-40 * 86400), "đèn đường ở ngõ mười hai phố lạch tray bị hỏng")
        let again = try transcribed("d", at: t0.addingTimeInterval(3600), "đèn đường ngõ mười hai lạch tray vẫn hỏng chưa ai sửa")

        let found = try store.transcriptDuplicateCandidates(for: again)
        XCTAssertEqual(found.first?.trackingCode, lamp)
        XCTAssertFalse(found.map(\.trackingCode).contains(noise))
        XCTAssertFalse(found.map(\.trackingCode).contains(old), "outside the 30-day window")
        XCTAssertFalse(found.map(\.trackingCode).contains(again), "not itself")
        XCTAssertTrue(found.allSatisfy { $0.similarity >= TicketStore.transcriptSimilarityThreshold && $0.similarity <= 1 })
        XCTAssertTrue(found.map(\.trackingCode).contains(typed), "\(found)")
        // Only earlier tickets: the first report has none that sound like it.
        XCTAssertEqual(try store.transcriptDuplicateCandidates(for: lamp).map(\.trackingCode), [])
        XCTAssertEqual(try store.transcriptDuplicateCandidates(for: typed), [], "no transcript, no transcript match")
    }

    func testFoldingMatchesTheIndex() {
        XCTAssertEqual(TicketStore.searchFold("Đèn đường Đồ Sơn"), "Dèn dường Dồ Sơn")
        XCTAssertEqual(TicketStore.searchWords("Đèn ĐƯỜNG, ngõ 12"), ["den", "duong", "ngo", "12"])
        XCTAssertEqual(TicketStore.searchQuery("đèn \"đường\""), "\"dèn\" AND \"dường\"")
        XCTAssertNil(TicketStore.searchQuery(" ,; "))
    }
}
