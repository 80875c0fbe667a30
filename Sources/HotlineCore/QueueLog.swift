import Foundation

// The live queue's log (issue 23 §7): one record per thing that happened to a caller in the queue, and the figures
// a supervisor reads, computed from those records alone, so the wallboard and `queue stats` always agree with
// `queue log`.

/// What happened to a caller in the queue.
public enum QueueEventKind: String, Sendable, Codable, CaseIterable {
    /// The caller entered the queue (`position` on entry).
    case enter
    /// An agent's phone rang for this caller and nobody answered within the ring timeout (or it was refused).
    case offerNoAnswer = "offer-no-answer"
    /// An agent answered (`waitSeconds`: the hold time).
    case connect
    /// The agent hung up (`talkSeconds`).
    case completeByAgent = "complete-agent"
    /// The caller hung up while talking to the agent (`talkSeconds`).
    case completeByCaller = "complete-caller"
    /// The caller hung up while waiting (`position`, `waitSeconds`).
    case abandon
    /// The caller left by a key (`key`: 1 records a voice report).
    case exitByKey = "exit-key"
    /// The maximum wait passed: the caller went to the overflow.
    case exitByTimeout = "exit-timeout"
    /// No agent was logged in: the caller went to the overflow.
    case exitEmpty = "exit-empty"
    /// The caller asked to be called back (key 2, confirmed).
    case callbackRequested = "callback-requested"
    /// An agent rang the citizen back (`outcome`).
    case callbackAttempted = "callback-attempted"
    /// The agent's leg died during the call: the caller went back to the front of the queue.
    case requeued
}

/// One record of the queue log. Durations are whole seconds.
public struct QueueRecord: Sendable, Equatable, Codable {
    public var kind: QueueEventKind
    /// The gateway's call (its serial), the same for every record of one caller's stay.
    public var call: String
    /// The calling number ("" when withheld).
    public var callerNumber: String
    public var agent: String?
    public var position: Int?
    public var waitSeconds: Int?
    public var talkSeconds: Int?
    public var key: String?
    /// A callback's outcome (reached, no-answer, wrong-number).
    public var outcome: String?
    /// The tracking code, once the call has a ticket.
    public var ticketCode: String?

    public init(kind: QueueEventKind, call: String, callerNumber: String, agent: String? = nil, position: Int? = nil,
                waitSeconds: Int? = nil, talkSeconds: Int? = nil, key: String? = nil, outcome: String? = nil,
                ticketCode: String? = nil) {
        (self.kind, self.call, self.callerNumber, self.agent) = (kind, call, callerNumber, agent)
        (self.position, self.waitSeconds, self.talkSeconds) = (position, waitSeconds, talkSeconds)
        (self.key, self.outcome, self.ticketCode) = (key, outcome, ticketCode)
    }
}

/// The queue's figures over a set of records (a day's, for the wallboard), plus the live counts the performer
/// adds (who waits, each agent's state).
public struct QueueFigures: Sendable, Equatable, Codable {
    /// Callers who entered the queue.
    public var offered = 0
    public var answered = 0
    public var abandoned = 0
    /// Answered within `serviceSeconds`.
    public var answeredInTarget = 0
    /// Abandoned callers who waited at least `shortAbandonSeconds` (shorter ones are not counted against the
    /// service level: the caller left before anyone could answer).
    public var abandonedCounted = 0
    /// Sum of the hold times of answered calls.
    public var totalAnswerWaitSeconds = 0

    /// The service-level target: answered within 20 s.
    public static let serviceSeconds = 20
    /// An abandon after this long counts (and makes a callback item).
    public static let shortAbandonSeconds = 5

    public init() {}

    public init(records: [QueueRecord]) {
        for record in records { add(record) }
    }

    public mutating func add(_ record: QueueRecord) {
        switch record.kind {
        case .enter: offered += 1
        case .connect:
            answered += 1
            let wait = record.waitSeconds ?? 0
            totalAnswerWaitSeconds += wait
            if wait <= QueueFigures.serviceSeconds { answeredInTarget += 1 }
        case .abandon:
            abandoned += 1
            if (record.waitSeconds ?? 0) >= QueueFigures.shortAbandonSeconds { abandonedCounted += 1 }
        default: break
        }
    }

    /// Answered within 20 s ÷ answered; nil before the first answer.
    public var serviceLevel: Double? { answered == 0 ? nil : Double(answeredInTarget) / Double(answered) }
    /// Answered within 20 s ÷ (answered + abandoned after 5 s).
    public var serviceLevelWithAbandoned: Double? {
        let base = answered + abandonedCounted
        return base == 0 ? nil : Double(answeredInTarget) / Double(base)
    }
    /// The average speed of answer.
    public var asaSeconds: Double? { answered == 0 ? nil : Double(totalAnswerWaitSeconds) / Double(answered) }
    /// Abandoned ÷ offered.
    public var abandonmentRate: Double? { offered == 0 ? nil : Double(abandoned) / Double(offered) }
}

/// An agent's presence (issue 23 §2).
public enum AgentPresence: Sendable, Equatable, Hashable {
    case ready
    case onBreak(reason: String)
    /// After a call, until the wrap-up time passes or the agent says ready.
    case wrapUp
    case ringing
    case onCall
    case offline

    /// The word the CLI and `queue stats` use.
    public var key: String {
        switch self {
        case .ready: "ready"
        case .onBreak: "break"
        case .wrapUp: "wrapUp"
        case .ringing: "ringing"
        case .onCall: "onCall"
        case .offline: "offline"
        }
    }

    /// What the console shows, in Vietnamese.
    public var label: String {
        switch self {
        case .ready: "Sẵn sàng"
        case .onBreak(let reason): reason.isEmpty ? "Tạm nghỉ" : "Tạm nghỉ: \(reason)"
        case .wrapUp: "Hoàn tất cuộc gọi"
        case .ringing: "Đang đổ chuông"
        case .onCall: "Đang nghe máy"
        case .offline: "Không trực"
        }
    }
}

/// The live queue as the gateway sees it now: who waits and each agent's state (for the wallboard and
/// `queue stats`; the day's counts come from the log).
public struct QueueSnapshot: Sendable, Equatable, Codable {
    public struct Agent: Sendable, Equatable, Codable {
        public var name: String
        /// `ready`, `break`, `wrapUp`, `ringing`, `onCall`, `offline`.
        public var state: String
        /// What the console shows (the break's reason included).
        public var label: String
        /// When the agent entered this state.
        public var since: Date
        /// While ringing or on a call: the caller's number ("" when withheld) and the gateway's call, for the
        /// agent's screen pop. Nil otherwise.
        public var callerNumber: String?
        public var call: String?
        public init(name: String, state: String, label: String, since: Date, callerNumber: String? = nil,
                    call: String? = nil) {
            (self.name, self.state, self.label, self.since) = (name, state, label, since)
            (self.callerNumber, self.call) = (callerNumber, call)
        }
    }

    public var waiting: Int
    public var longestWaitSeconds: Int
    public var agents: [Agent]
    /// The host that wrote it, and when.
    public var host: String
    public var at: Date

    public init(waiting: Int, longestWaitSeconds: Int, agents: [Agent], host: String, at: Date) {
        (self.waiting, self.longestWaitSeconds, self.agents, self.host, self.at) = (waiting, longestWaitSeconds, agents, host, at)
    }
}

/// The hotline's callback list (issue 23 §5), from the queue log: one item per calling number per day, made by
/// an abandon after 5 s or by a request (key 2), with its attempts; done when reached or after 3 attempts.
public struct QueueCallback: Sendable, Equatable, Codable {
    public var callerNumber: String
    /// The first call that made the item: its clock (Art. 7.3's 60 minutes) runs from then.
    public var since: Date
    public var requested: Bool
    public var attempts: Int
    /// The last attempt's outcome (reached, no-answer, wrong-number), and who made it.
    public var lastOutcome: String?
    public var lastAgent: String?

    public static let maxAttempts = 3
    public static let responseSeconds: TimeInterval = 3600

    public var dueAt: Date { since.addingTimeInterval(QueueCallback.responseSeconds) }
    public var isDone: Bool { lastOutcome == "reached" || lastOutcome == "wrong-number" || attempts >= QueueCallback.maxAttempts }

    /// The items of one day's records (in time order).
    public static func items(_ records: [(at: Date, record: QueueRecord)]) -> [QueueCallback] {
        var items: [String: QueueCallback] = [:]
        var order: [String] = []
        for (at, record) in records where !record.callerNumber.isEmpty {
            switch record.kind {
            case .abandon where (record.waitSeconds ?? 0) >= QueueFigures.shortAbandonSeconds, .callbackRequested:
                if var item = items[record.callerNumber] {
                    item.requested = item.requested || record.kind == .callbackRequested
                    items[record.callerNumber] = item
                } else {
                    items[record.callerNumber] = QueueCallback(callerNumber: record.callerNumber, since: at,
                                                               requested: record.kind == .callbackRequested, attempts: 0)
                    order.append(record.callerNumber)
                }
            case .callbackAttempted:
                items[record.callerNumber]?.attempts += 1
                items[record.callerNumber]?.lastOutcome = record.outcome
                items[record.callerNumber]?.lastAgent = record.agent
            default:
                break
            }
        }
        return order.compactMap { items[$0] }
    }
}

extension QueueSnapshot {
    /// A host's live state older than this is a host that stopped: its callers and agents are not counted.
    public static let freshSeconds: TimeInterval = 10

    /// The live states that are fresh at `now`, in the order given (the store's: newest first).
    public static func fresh(_ snapshots: [QueueSnapshot], at now: Date) -> [QueueSnapshot] {
        snapshots.filter { now.timeIntervalSince($0.at) <= freshSeconds }
    }
}

/// How a callback attempt ended (issue 23 §5).
extension QueueCallback {
    /// The record of an attempt to call `number` back, by the rule: the number is on today's list (`records`, the
    /// day's log) and not done yet (reached, a wrong number, or 3 attempts). The desk (an agent recording what
    /// happened) and the gateway ("Gọi lại", its outcome from SIP) both decide through it.
    public static func attempt(to number: String, by agent: String, outcome: CallbackOutcome, call: String,
                               records: [(at: Date, record: QueueRecord)]) throws -> QueueRecord {
        guard let item = items(records).first(where: { $0.callerNumber == number }) else {
            throw DeskError.invalidField(.phone, reason: "số \(number) không có trong danh sách cần gọi lại hôm nay")
        }
        guard !item.isDone else {
            let why = item.attempts >= maxAttempts ? "đã gọi đủ \(maxAttempts) lần"
                : "đã xong (\(CallbackOutcome(rawValue: item.lastOutcome ?? "")?.label ?? item.lastOutcome ?? ""))"
            throw DeskError.invalidField(.phone, reason: "số \(number) \(why)")
        }
        return QueueRecord(kind: .callbackAttempted, call: call, callerNumber: number, agent: agent, outcome: outcome.rawValue)
    }
}

/// A callback an agent asked the gateway to place (issue 23 §5, "Gọi lại"): the gateway holding the agent's phone
/// rings it, then calls the citizen through the trunk and bridges the two.
public struct CallbackRequest: Sendable, Equatable, Codable {
    public var id: Int64
    public var agent: String
    public var number: String
    public var at: Date
    public init(id: Int64, agent: String, number: String, at: Date) {
        (self.id, self.agent, self.number, self.at) = (id, agent, number, at)
    }

    /// A request no gateway took up by then (the agent's phone is on none) lapses.
    public static let lapseSeconds: TimeInterval = 30

    /// A number the gateway may call back: a phone number (3 to 15 digits, a leading `+`), not a caller ID such as
    /// "anonymous" (nor anything that would change the SIP URI it goes into).
    public static func isDiallable(_ number: String) -> Bool {
        let digits = number.hasPrefix("+") ? number.dropFirst() : Substring(number)
        return (3...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The outcome of the call to the citizen from its final SIP status: answered is reached; a number that does
    /// not exist (404, 410, 484, 485, 604) is a wrong number; anything else (busy, no answer, unavailable) no answer.
    public static func outcome(answered: Bool, status: Int) -> CallbackOutcome {
        if answered { return .reached }
        return [404, 410, 484, 485, 604].contains(status) ? .wrongNumber : .noAnswer
    }
}

public enum CallbackOutcome: String, Sendable, CaseIterable, Codable {
    case reached
    case noAnswer = "no-answer"
    case wrongNumber = "wrong-number"

    public var label: String {
        switch self {
        case .reached: "Đã gặp người dân"
        case .noAnswer: "Không ai nghe máy"
        case .wrongNumber: "Sai số"
        }
    }
}

/// The live queue's figures (issue 23 §7): `queue stats`, the wallboard and `/metrics` read the same, computed
/// here from the day's log and the gateways' live states alone.
public struct QueueStats: Sendable, Equatable, Codable {
    public struct Agents: Sendable, Equatable, Codable {
        public var ready = 0, `break` = 0, wrapUp = 0, ringing = 0, onCall = 0, offline = 0
    }
    public var waiting: Int
    public var longestWaitSeconds: Int
    public var agents: Agents
    public var offered: Int
    public var answered: Int
    public var abandoned: Int
    /// Answered within 20 s ÷ answered (nil before the first answer).
    public var serviceLevel: Double?
    /// The same with abandoned calls (after 5 s) counted.
    public var serviceLevelWithAbandoned: Double?
    public var asaSeconds: Double?
    public var abandonmentRate: Double?
    public var callbacksDue: Int
    /// Each agent's state now, from the gateways' live state.
    public var agentStates: [QueueSnapshot.Agent]
    /// The gateway hosts whose live state is fresh.
    public var hosts: [String]

    /// Midnight of `now`'s day in Vietnam: where "today's" figures start.
    public static func dayStart(of now: Date) -> Date { Day(now).at(minutes: 0) }

    /// The figures of `today`'s records (from `dayStart(of: now)` on, oldest first), with who waits and each agent's
    /// state from the `snapshots` still fresh at `now`; an agent two hosts report is counted once, by the newest.
    public init(today records: [(at: Date, record: QueueRecord)], snapshots: [QueueSnapshot], now: Date) {
        let figures = QueueFigures(records: records.map(\.record))
        let fresh = QueueSnapshot.fresh(snapshots, at: now)
        var agents = Agents()
        var states: [QueueSnapshot.Agent] = []
        for snapshot in fresh {
            for agent in snapshot.agents where !states.contains(where: { $0.name == agent.name }) {
                states.append(agent)
                switch agent.state {
                case "ready": agents.ready += 1
                case "break": agents.break += 1
                case "wrapUp": agents.wrapUp += 1
                case "ringing": agents.ringing += 1
                case "onCall": agents.onCall += 1
                default: agents.offline += 1
                }
            }
        }
        waiting = fresh.reduce(0) { $0 + $1.waiting }
        longestWaitSeconds = fresh.map(\.longestWaitSeconds).max() ?? 0
        self.agents = agents
        (offered, answered, abandoned) = (figures.offered, figures.answered, figures.abandoned)
        (serviceLevel, serviceLevelWithAbandoned) = (figures.serviceLevel, figures.serviceLevelWithAbandoned)
        (asaSeconds, abandonmentRate) = (figures.asaSeconds, figures.abandonmentRate)
        callbacksDue = QueueCallback.items(records).filter { !$0.isDone }.count
        agentStates = states
        hosts = fresh.map(\.host)
    }
}
