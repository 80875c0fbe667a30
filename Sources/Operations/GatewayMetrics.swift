import Foundation
import HotlineCore
import HotlineStore

/// The gateway's metrics, by name (README, "Monitoring"). Call counts come from the gateway's own log events
/// (`observe(event:metadata:)`: every event the gateway logs passes through here before the log level filter),
/// so the call path needs no second instrumentation; drafts and store latency come from the report desk;
/// queues come from the store when Prometheus scrapes.
///
/// The events read, by name: `incoming` (a call accepted), `hangup` (it ended), `answered`, `recording-finished`,
/// `rejected-draining`, and `sip-refused` / `call-refused` with a `reason=` (every request the SIP edge refuses,
/// counted under its reason). A refusal that is not logged can be counted with `refused(reason:)`.
public final class GatewayMetrics: @unchecked Sendable {
    public let registry: Metrics

    public static let callsInProgress = "hotline1022_calls_in_progress"
    public static let calls = "hotline1022_calls_total"
    public static let answered = "hotline1022_calls_answered_total"
    public static let refused = "hotline1022_calls_refused_total"
    public static let recordings = "hotline1022_recordings_total"
    public static let drafts = "hotline1022_drafts_total"
    public static let draftFailures = "hotline1022_draft_failures_total"
    public static let storeSeconds = "hotline1022_draft_store_seconds"
    public static let draftsWaiting = "hotline1022_drafts_waiting"
    public static let outboxQueued = "hotline1022_outbox_queued"
    public static let outboxFailed = "hotline1022_outbox_failed"
    public static let transcriptionJobs = "hotline1022_transcription_jobs"
    public static let transcriptionOldest = "hotline1022_transcription_oldest_waiting_seconds"
    public static let retransmissions = "hotline1022_sip_retransmissions_total"
    public static let startTime = "hotline1022_start_time_seconds"
    public static let scrapeErrors = "hotline1022_metrics_store_errors_total"
    public static let queueWaiting = "hotline1022_queue_waiting"
    public static let queueLongestWait = "hotline1022_queue_longest_wait_seconds"
    public static let queueAgents = "hotline1022_queue_agents"
    public static let queueOffered = "hotline1022_queue_offered_today"
    public static let queueAnswered = "hotline1022_queue_answered_today"
    public static let queueAbandoned = "hotline1022_queue_abandoned_today"
    public static let queueServiceLevel = "hotline1022_queue_service_level"
    public static let queueASA = "hotline1022_queue_asa_seconds"
    public static let queueAbandonmentRate = "hotline1022_queue_abandonment_rate"
    public static let queueCallbacksDue = "hotline1022_queue_callbacks_due"

    /// Draft commit times: a draft is one small transaction with an fsync (synchronous=FULL).
    public static let storeBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Every metric with its kind and the help text Prometheus shows (declared in this order).
    static let declarations: [(name: String, kind: Metrics.Kind, help: String)] = [
        (startTime, .gauge, "When this gateway process started (Unix time)."),
        (callsInProgress, .gauge, "Calls the gateway holds now."),
        (calls, .counter, "Calls accepted (INVITEs the gateway took) since start."),
        (answered, .counter, "Calls answered with media (the IVR started)."),
        (refused, .counter, "Calls refused, by reason (stranger, draining, caller-limit, ...)."),
        (recordings, .counter, "Voice recordings finished (any end: key, silence, limit, hang-up)."),
        (drafts, .counter, "Draft tickets stored, interrupted ones (hang-up or crash recovery) labelled."),
        (draftFailures, .counter, "Attempts to store a draft that failed (retried; the sidecar keeps it)."),
        (storeSeconds, .histogram, "Time to commit one draft to the store (hash excluded)."),
        (draftsWaiting, .gauge, "Drafts and returned tickets waiting for the hotline's agents."),
        (outboxQueued, .gauge, "Citizens' messages waiting to be delivered."),
        (outboxFailed, .gauge, "Citizens' messages that failed after every retry (outbox list --failed)."),
        (transcriptionJobs, .gauge, "Speech-to-text jobs by state (the backlog is queued + running + retrying)."),
        (transcriptionOldest, .gauge, "Age of the oldest transcription job not done (0 if none)."),
        (retransmissions, .counter, "SIP messages the gateway sent again (its retransmissions and re-answers to peers' retransmissions)."),
        (scrapeErrors, .counter, "Scrapes whose store queries failed (the queue gauges then keep their last values)."),
        // The live queue (issue 23 §7): the same figures as `queue stats` and the wallboard, every gateway host's.
        (queueWaiting, .gauge, "Callers waiting in the live queue now (every gateway host)."),
        (queueLongestWait, .gauge, "How long the longest-waiting caller has waited."),
        (queueAgents, .gauge, "Agents by state (ready, break, wrapUp, ringing, onCall, offline)."),
        (queueOffered, .gauge, "Callers who entered the queue today (Vietnam's day)."),
        (queueAnswered, .gauge, "Queued callers an agent answered today."),
        (queueAbandoned, .gauge, "Queued callers who hung up while waiting today."),
        (queueServiceLevel, .gauge, "Answered within 20 s / answered today; abandoned=\"counted\" also divides by abandons after 5 s (absent before the first answer)."),
        (queueASA, .gauge, "Average wait of today's answered callers (absent before the first answer)."),
        (queueAbandonmentRate, .gauge, "Abandoned / offered today (absent before the first caller)."),
        (queueCallbacksDue, .gauge, "Callback items not yet done (reached, wrong number or 3 attempts)."),
    ]

    public init(registry: Metrics = Metrics(), now: Date = Date()) {
        self.registry = registry
        let m = registry
        for (name, kind, help) in Self.declarations {
            m.declare(name, kind, help: help, buckets: kind == .histogram ? Self.storeBuckets : [])
        }
        m.set(Self.startTime, now.timeIntervalSince1970.rounded())
        m.set(Self.callsInProgress, 0)
        for name in [Self.calls, Self.answered, Self.recordings, Self.draftFailures, Self.retransmissions, Self.scrapeErrors] {
            m.set(name, 0)
        }
        m.set(Self.drafts, 0, labels: [("interrupted", "false")])
        m.set(Self.drafts, 0, labels: [("interrupted", "true")])
    }

    // MARK: From the gateway's log events

    /// Counts what a gateway log event says happened. Unknown events are ignored; cheap for every event.
    public func observe(event: String, metadata: [(String, String)]) {
        switch event {
        case "incoming":
            registry.increment(Self.calls)
            registry.add(Self.callsInProgress, 1)
        case "hangup":
            registry.add(Self.callsInProgress, -1)
        case "answered":
            registry.increment(Self.answered)
        case "recording-finished":
            registry.increment(Self.recordings)
        case "sip-refused", "call-refused":
            refused(reason: metadata.first { $0.0 == "reason" }?.1 ?? "unknown")
        case "rejected-draining":
            refused(reason: "draining")
        default:
            break
        }
    }

    /// A call refused for `reason` (a short word: `stranger`, `draining`, `caller-limit`…).
    public func refused(reason: String) {
        registry.increment(Self.refused, labels: [("reason", reason.isEmpty ? "unknown" : reason)])
    }

    // MARK: From the report desk

    /// A draft stored (or not) and how long its commit took.
    public func draftStored(seconds: TimeInterval, interrupted: Bool, succeeded: Bool) {
        registry.observe(Self.storeSeconds, seconds)
        if succeeded {
            registry.increment(Self.drafts, labels: [("interrupted", interrupted ? "true" : "false")])
        } else {
            registry.increment(Self.draftFailures)
        }
    }

    // MARK: At scrape time

    /// Reads the queues from the store (its own connection, used only here) on every scrape, and the SIP
    /// retransmission count from `retransmissions` if given.
    public func collect(from reader: StoreProbe, retransmissions: (@Sendable () -> UInt64)? = nil) {
        registry.onScrape { m in
            if let retransmissions { m.set(Self.retransmissions, Double(retransmissions())) }
            do {
                let counts = try reader.counts()
                m.set(Self.draftsWaiting, Double(counts.draftsWaiting))
                m.set(Self.outboxQueued, Double(counts.outboxQueued))
                m.set(Self.outboxFailed, Double(counts.outboxFailed))
                let t = counts.transcription
                for (state, n) in [("queued", t.queued), ("running", t.running), ("retrying", t.retrying), ("failed", t.failed)] {
                    m.set(Self.transcriptionJobs, Double(n), labels: [("state", state)])
                }
                m.set(Self.transcriptionOldest, t.oldestWaitingSince.map { max(0, Date().timeIntervalSince($0)) } ?? 0)
                Self.setQueue(try reader.queueStats(now: Date()), on: m)
            } catch {
                m.increment(Self.scrapeErrors)
            }
        }
    }

    /// The queue's figures as gauges. A ratio with no base yet (no answer, no caller) is left out, not shown as 0.
    static func setQueue(_ s: QueueStats, on m: Metrics) {
        m.set(queueWaiting, Double(s.waiting))
        m.set(queueLongestWait, Double(s.longestWaitSeconds))
        let a = s.agents
        for (state, n) in [("ready", a.ready), ("break", a.break), ("wrapUp", a.wrapUp), ("ringing", a.ringing),
                           ("onCall", a.onCall), ("offline", a.offline)] {
            m.set(queueAgents, Double(n), labels: [("state", state)])
        }
        m.set(queueOffered, Double(s.offered))
        m.set(queueAnswered, Double(s.answered))
        m.set(queueAbandoned, Double(s.abandoned))
        m.set(queueCallbacksDue, Double(s.callbacksDue))
        for (name, value, labels) in [(queueServiceLevel, s.serviceLevel, [("abandoned", "ignored")]),
                                      (queueServiceLevel, s.serviceLevelWithAbandoned, [("abandoned", "counted")]),
                                      (queueASA, s.asaSeconds, []), (queueAbandonmentRate, s.abandonmentRate, [])] as [(String, Double?, Metrics.Labels)] {
            if let value { m.set(name, value, labels: labels) } else { m.remove(name, labels: labels) }
        }
    }
}

/// One store connection for scrapes and health checks, opened on first use, used under a lock (a scrape runs
/// on a web connection thread; two may overlap).
public final class StoreProbe: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var store: TicketStore?

    public init(path: String) { self.path = path }

    public func counts() throws -> OperationalCounts {
        try use { try $0.operationalCounts() }
    }

    /// Today's queue figures, as `queue stats` computes them.
    public func queueStats(now: Date) throws -> QueueStats {
        try use { try $0.queueStats(at: now) }
    }

    /// nil when the database answers a read, else why not (for `/healthz`).
    public func problem() -> String? {
        do {
            try use { try $0.ping() }
            return nil
        } catch {
            return "the database does not answer: \(error)"
        }
    }

    func use<T>(_ body: (TicketStore) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if store == nil { store = try TicketStore(path: path) }
        do {
            return try body(store!)
        } catch {
            try? store?.close()
            store = nil
            throw error
        }
    }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        try? store?.close()
        store = nil
    }
}
