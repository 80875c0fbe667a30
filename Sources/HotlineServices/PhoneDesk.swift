import DeskSecurity
import Foundation
import Gateway
import HotlineCore
import HotlineStore
import IVR

/// The gateway's way into the domain core: files a finished call as a draft ticket and answers status
/// questions, all on one serial queue that owns the store connection, so neither SQLite nor hashing ever
/// runs on the gateway's or PJSIP's threads.
public final class PhoneDesk: ReportDesk, @unchecked Sendable {
    private let store: TicketStore
    private let queue = DispatchQueue(label: "hotline1022.desk")
    private let logger: EventLogger

    /// "calendar", "always" or "never" (see `serve --office-hours`).
    private let officeHoursMode: String

    private let calendar: WorkingCalendar

    /// Told of each draft stored or not, with its commit time (metrics); set once, before the first call.
    public var onDraftStored: (@Sendable (_ seconds: Double, _ interrupted: Bool, _ succeeded: Bool) -> Void)?

    /// Pauses between attempts when the store fails (a locked or full database): about 7 s in all, then
    /// the call hears the apology and the recording's sidecar makes the next start-up file the draft.
    public static let retryDelays: [Double] = [0.5, 2, 4.5]

    /// Pauses between attempts when the database could not be reached at all (PostgreSQL's primary stopped, a
    /// standby being promoted): about 30 s in all, while the caller hears the hold prompt every few seconds.
    public static let outageRetryDelays: [Double] = [0.5, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 5]

    /// Drafts stored together at most, in one transaction (issue 17 §5: one fsync for a surge of callers).
    public let maxGroup: Int

    /// Transactions that stored drafts (commits), for tests and metrics; read on any thread.
    public var draftCommits: Int {
        pendingLock.lock()
        defer { pendingLock.unlock() }
        return commits
    }

    /// Called on the desk's queue before each group is stored, with its size (tests: a slow disk, a gate);
    /// set once, before the first call.
    public var beforeGroupStored: (@Sendable (_ drafts: Int) -> Void)?

    private struct Waiting {
        let report: PhoneDraft
        /// Attempts made so far.
        var attempts = 0
        let completion: @Sendable (Result<String, ReportDeskError>) -> Void
    }

    private let pendingLock = NSLock()
    private var waiting: [Waiting] = []
    private var drainScheduled = false
    private var commits = 0

    public init(store: TicketStore, logger: EventLogger, calendar: WorkingCalendar, officeHoursMode: String = "calendar",
                maxGroup: Int = 64) {
        self.store = store
        self.logger = logger
        self.calendar = calendar
        self.officeHoursMode = officeHoursMode
        self.maxGroup = max(1, maxGroup)
    }

    /// Queues the draft; the desk's queue stores the drafts waiting together (group commit) and calls each
    /// completion only after the transaction holding that draft has committed: the caller hears a tracking code
    /// that is on disk, as before.
    public func submit(_ report: PhoneDraft, completion: @escaping @Sendable (Result<String, ReportDeskError>) -> Void) {
        enqueue(Waiting(report: report, completion: completion))
    }

    private func enqueue(_ item: Waiting) {
        pendingLock.lock()
        waiting.append(item)
        let schedule = !drainScheduled
        drainScheduled = true
        pendingLock.unlock()
        if schedule { queue.async { [self] in drain() } }
    }

    /// On the queue: stores one group, then yields the queue (lookups and ratings wait at most one group).
    private func drain() {
        pendingLock.lock()
        let group = Array(waiting.prefix(maxGroup))
        waiting.removeFirst(group.count)
        if group.isEmpty { drainScheduled = false }
        pendingLock.unlock()
        guard !group.isEmpty else { return }
        beforeGroupStored?(group.count)
        let results = storeGroup(group.map(\.report))
        for (item, (result, outage)) in zip(group, results) {
            let delays = outage ? PhoneDesk.outageRetryDelays : PhoneDesk.retryDelays
            guard case .failure(let error) = result, item.attempts < delays.count else {
                item.completion(result)
                continue
            }
            let delay = delays[item.attempts]
            logger.log(.warning, "draft-store-retry", [("call", item.report.callID), ("attempt", "\(item.attempts + 1)"),
                                                       ("database-unreachable", "\(outage)"), ("error", error.message)])
            let retry = Waiting(report: item.report, attempts: item.attempts + 1, completion: item.completion)
            queue.asyncAfter(deadline: .now() + delay) { [self] in enqueue(retry) }
        }
        queue.async { [self] in drain() }
    }

    /// Stores synchronously (on the desk's queue, or at start-up before calls are taken).
    public func store(_ report: PhoneDraft) -> Result<String, ReportDeskError> {
        storeGroup([report])[0].result
    }

    /// Hashes each recording (outside the transaction), then stores the group in one transaction. Each result
    /// says whether it failed because the database could not be reached (worth waiting for longer).
    private func storeGroup(_ reports: [PhoneDraft]) -> [(result: Result<String, ReportDeskError>, outage: Bool)] {
        let drafts = reports.map { report -> PhoneDraft in
            var path = report.recordingPath
            var sha: String?
            if let p = path {
                do {
                    sha = try FileDigest.sha256Hex(ofFile: p)
                } catch {
                    logger.log(.error, "recording-unreadable", [("call", report.callID), ("error", "\(error)")])
                    path = FileManager.default.fileExists(atPath: p) ? p : nil
                }
            }
            var draft = report
            draft.recordingPath = path
            draft.recordingSHA256 = sha
            return draft
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let results = store.createPhoneDrafts(drafts, calendar: calendar).map { r in
            (result: r.mapError { ReportDeskError("\($0)") }, outage: TicketStore.isUnreachable(r))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        pendingLock.lock()
        commits += 1
        pendingLock.unlock()
        for (report, (result, _)) in zip(reports, results) {
            onDraftStored?(seconds, report.interrupted, (try? result.get()) != nil)
        }
        return results
    }

    public func lookup(_ query: StatusQuery, callerNumber: String, completion: @escaping @Sendable (SpokenStatus) -> Void) {
        queue.async { [self] in
            do {
                completion(try spokenStatus(query, callerNumber: callerNumber))
            } catch {
                logger.log(.error, "status-lookup-failed", [("error", "\(error)")])
                completion(.notFound)
            }
        }
    }

    /// The caller's rating, stored by the citizen (the store's `rate` with no agent), on the desk's queue. The
    /// store refuses a second rating of the same result; the caller is thanked either way, the log says which.
    public func rate(_ query: StatusQuery, score: Int, callerNumber: String, completion: @escaping @Sendable (Bool) -> Void) {
        queue.async { [self] in
            do {
                guard let code = try trackingCode(query, callerNumber: callerNumber) else {
                    completion(false)
                    return
                }
                try store.rate(code, score: score, comment: "", at: Date())
                completion(true)
            } catch {
                logger.log(.info, "rating-refused", [("error", "\(error)")])
                completion(false)
            }
        }
    }

    private func trackingCode(_ query: StatusQuery, callerNumber: String) throws -> String? {
        switch query {
        case .code(let c): c
        case .latestForCaller: callerNumber.isEmpty ? nil : try store.latestTrackingCode(callerNumber: callerNumber)
        }
    }

    private func spokenStatus(_ query: StatusQuery, callerNumber: String) throws -> SpokenStatus {
        guard let code = try trackingCode(query, callerNumber: callerNumber), let summary = try store.phoneStatus(trackingCode: code, now: Date()) else { return .notFound }
        return PhoneDesk.spoken(summary)
    }

    public func recordQueue(_ record: QueueRecord, at date: Date) {
        queue.async { [self] in
            do {
                try store.appendQueueRecord(record, at: date)
            } catch {
                logger.log(.error, "queue-log-failed", [("kind", record.kind.rawValue), ("error", "\(error)")])
            }
        }
    }

    public func publishQueue(_ snapshot: QueueSnapshot) {
        queue.async { [self] in
            do {
                try store.saveQueueSnapshot(snapshot)
            } catch {
                logger.log(.warning, "queue-state-failed", [("error", "\(error)")])
            }
        }
    }

    public func agentPhones(completion: @escaping @Sendable (Result<[AgentPhone], ReportDeskError>) -> Void) {
        queue.async { [self] in
            do {
                completion(.success(try store.agentPhones()))
            } catch {
                completion(.failure(ReportDeskError("\(error)")))
            }
        }
    }

    public func listenRequests(since: Date, completion: @escaping @Sendable (Result<[ListenRequest], ReportDeskError>) -> Void) {
        queue.async { [self] in
            do {
                completion(.success(try store.openListenRequests(since: since)))
            } catch {
                completion(.failure(ReportDeskError("\(error)")))
            }
        }
    }

    public func takeListenRequest(_ id: Int64, host: String, completion: @escaping @Sendable (Bool) -> Void) {
        queue.async { [self] in
            do {
                completion(try store.takeListenRequest(id, host: host, at: Date()))
            } catch {
                logger.log(.error, "listen-request-failed", [("error", "\(error)")])
                completion(false)
            }
        }
    }

    public func fileConversation(_ recording: ConversationRecording, completion: @escaping @Sendable (Bool) -> Void) {
        queue.async { [self] in
            var filed = recording
            do {
                filed.sha256 = try FileDigest.sha256Hex(ofFile: recording.path)
                let code = try store.fileConversation(filed, at: Date())
                logger.log(.info, "conversation-filed", [("call", recording.call), ("ms", "\(recording.durationMs)")]
                           + (code.map { [("ticket", $0)] } ?? []))
                completion(true)
            } catch {
                logger.log(.error, "conversation-file-failed", [("call", recording.call), ("error", "\(error)")])
                completion(false)
            }
        }
    }

    public func callbackRequests(since: Date, completion: @escaping @Sendable (Result<[CallbackRequest], ReportDeskError>) -> Void) {
        queue.async { [self] in
            completion(Result { try store.openCallbackRequests(since: since) }.mapError { ReportDeskError("\($0)") })
        }
    }

    public func takeCallbackRequest(_ id: Int64, host: String, completion: @escaping @Sendable (Bool) -> Void) {
        queue.async { [self] in
            do {
                completion(try store.takeCallbackRequest(id, host: host, at: Date()))
            } catch {
                logger.log(.error, "callback-request-failed", [("error", "\(error)")])
                completion(false)
            }
        }
    }

    public func recordCallbackAttempt(to number: String, by agent: String, outcome: CallbackOutcome, call: String) {
        queue.async { [self] in
            let now = Date()
            do {
                try store.appendQueueRecord(since: QueueStats.dayStart(of: now), at: now) { records in
                    try QueueCallback.attempt(to: number, by: agent, outcome: outcome, call: call, records: records)
                }
            } catch {
                logger.log(.warning, "callback-attempt-not-recorded", [("agent", agent), ("error", "\(error)")])
            }
        }
    }

    public func isOfficeHours(_ date: Date) -> Bool {
        switch officeHoursMode {
        case "always": true
        case "never": false
        default: calendar.isOfficeHours(date)
        }
    }

    /// The words a caller hears for a ticket's status: status, unit, date; never a person's data.
    public static func spoken(_ s: PhoneStatusSummary) -> SpokenStatus {
        let unit = s.unitCode.map { PromptName("unit-" + $0.lowercased()) }
        if s.overdue { return .overdue(unitPrompt: unit) }
        switch s.status {
        case .draft: return .waiting
        case .forwarded, .accepted, .transferred, .returned: return .forwarded(unitPrompt: unit)
        case .inProgress, .resolved: return .inProgress(unitPrompt: unit)
        case .completed:
            guard let at = s.completedAt else { return .inProgress(unitPrompt: unit) }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TrackingCode.timeZone
            let c = calendar.dateComponents([.year, .month, .day], from: at)
            return .completed(year: c.year!, month: c.month!, day: c.day!)
        case .refused: return .refused
        case .merged: return .forwarded(unitPrompt: unit)
        case .withdrawn: return .withdrawn
        }
    }
}
