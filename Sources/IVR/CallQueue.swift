import HotlineCore

/// How the queue picks the agent to ring.
public enum QueueStrategy: String, Sendable, Equatable, CaseIterable {
    /// The ready agent who has been idle longest (the default).
    case longestIdle = "longest-idle"
    /// Every ready agent at once; the first to answer takes the call.
    case ringAll = "ring-all"
    /// Ready agents in turn, after the one offered last.
    case roundRobin = "round-robin"
}

/// The queue's settings: the dialplan's `queue` node and the gateway's options.
public struct QueueSettings: Sendable, Equatable {
    public var strategy: QueueStrategy = .longestIdle
    /// How long one offer rings before the next agent is tried.
    public var ringTimeout: Duration = .seconds(15)
    /// After this long in the queue the caller goes to the overflow.
    public var maxWait: Duration = .seconds(300)
    /// The caller hears their position again this often.
    public var announceEvery: Duration = .seconds(45)
    /// An agent's wrap-up after each call.
    public var wrapUp: Duration = .seconds(30)
    /// Offers in a row an agent may let ring out before being put on break.
    public var maxMissedOffers = 2
    /// An estimated wait is spoken only when at least this many recent answered waits back it.
    public var estimateMinimumSamples = 5
    /// Answered waits older than this are not used for the estimate.
    public var estimateWindow: Duration = .seconds(1800)

    public init() {}
}

/// One caller in the queue, as the gateway names it (its call serial).
public struct QueueCallerID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "\(rawValue)" }
}

/// Why a caller left the queue before an agent answered.
public enum QueueLeaving: Sendable, Equatable {
    /// Hung up.
    case hungUp
    /// Pressed 1: leaves to record a voice report.
    case key(Character)
    /// Pressed 2 and confirmed: to be called back at the calling number.
    case callback
}

/// Why the queue sends a caller to the overflow.
public enum QueueOverflowReason: String, Sendable, Equatable {
    /// The maximum wait passed.
    case timeout
    /// No agent is logged in (with a registered phone).
    case noAgents = "no-agents"
    /// The agent's leg died a second time.
    case agentLost = "agent-lost"
}

/// Something that happened, delivered to the queue on one thread with the monotonic time it happened at.
public enum QueueEvent: Sendable, Equatable {
    case callerJoined(QueueCallerID, number: String)
    case callerLeft(QueueCallerID, QueueLeaving)
    /// An agent sets their state (ready, break, offline); `ready` also ends a wrap-up early.
    case agentSet(String, AgentRequest)
    /// The agent's phone registered (true) or its last contact went away (false).
    case agentPhone(String, registered: Bool)
    /// The agent's phone answered the offer.
    case answered(String, QueueCallerID)
    /// The agent's phone refused the offer (busy, declined) before the ring timeout.
    case declined(String, QueueCallerID)
    /// The conversation ended; `byAgent` when the agent hung up.
    case conversationEnded(String, QueueCallerID, byAgent: Bool)
    /// The agent's leg died (no media, a failed re-INVITE) while the caller was still on the line.
    case agentLegLost(String, QueueCallerID)
    /// Time passed; the performer sends it at `nextDeadline`.
    case tick
    /// The performer's legs now, by agent: the callers each agent's phone rings or talks for (issue 23 §2:
    /// presence never stuck). An agent shown ringing or on a call for a caller with no leg is put right, as if
    /// the offer was declined or the leg lost.
    case reconcile(legs: [String: Set<QueueCallerID>])
    /// The agent's phone rings for a call the agent places (a callback, issue 23 §5): they are offered no caller
    /// until `outboundEnded`. Ignored while the agent rings or talks for the queue.
    case outboundStarted(String)
    /// That call is over: wrap-up follows, or the break the agent was on.
    case outboundEnded(String)
}

/// What an agent may ask for.
public enum AgentRequest: Sendable, Equatable {
    case ready
    case onBreak(reason: String)
    case offline
}

extension AgentRequest {
    /// The state the request puts an agent in.
    var presence: AgentPresence {
        switch self {
        case .ready: .ready
        case .onBreak(let reason): .onBreak(reason: reason)
        case .offline: .offline
        }
    }
}

/// Something the performer must do.
public enum QueueAction: Sendable, Equatable {
    /// Tell the caller their position, with an estimated wait when it is sound.
    case announce(QueueCallerID, position: Int, estimatedWait: Duration?)
    /// Ring these agents' phones for the caller (one, or every ready agent for ring-all).
    case offer(QueueCallerID, agents: [String])
    /// Stop ringing an agent's phone.
    case cancelOffer(QueueCallerID, agent: String)
    /// Bridge the caller and the agent who answered.
    case connect(QueueCallerID, agent: String)
    /// The caller leaves the queue for the node's overflow.
    case overflow(QueueCallerID, QueueOverflowReason)
    /// A callback item for this number (an abandon after 5 s, or a request).
    case callbackItem(number: String, requested: Bool)
    /// An agent's presence changed; `reason` says why when the queue changed it by itself.
    case presence(String, AgentPresence, reason: String?)
    case log(QueueRecord)
}

/// The hotline's call queue: a value-type state machine like `CallSession`. Events go in with their monotonic
/// time, actions come out; the machine never sleeps and never touches SIP, so tests drive it on virtual time.
public struct CallQueue: Sendable {
    public private(set) var settings: QueueSettings
    /// What the console says of an agent's state the reconciler put right.
    public static let reconciledReason = "Trạng thái được đồng bộ lại với cuộc gọi"

    private struct Caller: Sendable {
        let id: QueueCallerID
        let number: String
        let joinedAt: Duration
        /// The position last told; a position never goes up.
        var toldPosition: Int
        var nextAnnounce: Duration
        /// Agents whose offer to this caller rang out or was refused, and when: tried again only when nobody else
        /// is ready, and not within a ring timeout of the last try (a phone that refuses at once is not rung in a loop).
        var triedAgents: [String: Duration] = [:]
        /// When an agent tried last becomes eligible again (a tick is due then).
        var retryAt: Duration?
        /// Ringing these agents since `offeredAt`.
        var ringing: [String] = []
        var offeredAt: Duration = .zero
    }

    private struct Agent: Sendable {
        let name: String
        var presence: AgentPresence = .offline
        var registered = false
        /// When the agent became ready (longest-idle picks the oldest).
        var idleSince: Duration = .zero
        var missedInARow = 0
        var wrapUpUntil: Duration?
        /// The caller being offered or talked to.
        var caller: QueueCallerID?
        var connectedAt: Duration = .zero
        /// On a call the agent placed, and the state they were in before it.
        var outboundFrom: AgentPresence?
        /// A break or going offline asked for during a call: it begins when the call's wrap-up ends.
        var afterCall: AgentRequest?
    }

    /// Callers waiting, in order (front first).
    private var waiting: [Caller] = []
    private var agents: [String: Agent] = [:]
    /// Agents in the order they were first seen (round-robin's ring).
    private var agentOrder: [String] = []
    private var lastOffered: String?
    /// Recent answered waits: (answered at, wait, position on entry).
    private var answeredWaits: [(at: Duration, wait: Duration, position: Int)] = []
    /// Callers talking to an agent: their number, first join, and whether a lost agent leg put them back once.
    private var connected: [QueueCallerID: (number: String, joinedAt: Duration, requeued: Bool)] = [:]

    public init(settings: QueueSettings = QueueSettings()) { self.settings = settings }

    /// The settings of the queue node a caller joins from (the shipped plan has one queue); callers already
    /// waiting keep their places and are timed by the new settings from now on.
    public mutating func configure(_ settings: QueueSettings) { self.settings = settings }

    // MARK: What the wallboard reads

    public var waitingCount: Int { waiting.count }
    public func longestWait(at now: Duration) -> Duration { waiting.map { now - $0.joinedAt }.max() ?? .zero }
    public func presence(of agent: String) -> AgentPresence? { agents[agent]?.presence }
    public var agentNames: [String] { agentOrder }
    /// Whether the agent has a phone to ring (registered, or an external URI).
    public func isRegistered(_ agent: String) -> Bool { agents[agent]?.registered ?? false }
    /// On a call the agent placed (a callback): `outboundStarted` took, `outboundEnded` not yet.
    public func isCallingOut(_ agent: String) -> Bool { agents[agent]?.outboundFrom != nil }
    /// The caller's place in the queue as last told (1 is the front), nil if not waiting.
    public func position(of caller: QueueCallerID) -> Int? { waiting.first { $0.id == caller }?.toldPosition }

    /// The earliest time the machine needs a `tick`.
    public var nextDeadline: Duration? {
        var times: [Duration] = []
        for caller in waiting {
            times.append(caller.nextAnnounce)
            if let retry = caller.retryAt { times.append(retry) }
            times.append(caller.joinedAt + settings.maxWait)
            if !caller.ringing.isEmpty { times.append(caller.offeredAt + settings.ringTimeout) }
        }
        for agent in agents.values { if let until = agent.wrapUpUntil { times.append(until) } }
        return times.min()
    }

    /// True when at least one agent could take a call now or soon (logged in with a registered phone).
    public var hasAgentsLoggedIn: Bool {
        agents.values.contains { $0.registered && $0.presence != .offline }
    }

    // MARK: Events

    public mutating func handle(_ event: QueueEvent, at now: Duration) -> [QueueAction] {
        var actions: [QueueAction] = []
        switch event {
        case .callerJoined(let id, let number):
            guard !waiting.contains(where: { $0.id == id }) else { return [] }
            let position = waiting.count + 1
            actions.append(.log(record(.enter, id, number, position: position)))
            guard hasAgentsLoggedIn else {
                actions.append(.log(record(.exitEmpty, id, number)))
                actions.append(.overflow(id, .noAgents))
                return actions
            }
            waiting.append(Caller(id: id, number: number, joinedAt: now, toldPosition: position,
                                  nextAnnounce: now + settings.announceEvery))
            actions.append(.announce(id, position: position, estimatedWait: estimate(position: position, at: now)))
        case .callerLeft(let id, let leaving):
            actions += callerLeft(id, leaving, at: now)
        case .agentSet(let name, let request):
            actions += agentSet(name, request, at: now)
        case .agentPhone(let name, let registered):
            ensureAgent(name)
            guard var agent = agents[name] else { return [] }
            agent.registered = registered
            agents[name] = agent
            if !registered, agent.caller == nil, agent.presence != .offline {
                // Not offered calls while no phone is registered; the console shows why.
                actions.append(.presence(name, agent.presence, reason: "Chưa đăng ký điện thoại"))
            }
            if !hasAgentsLoggedIn { actions += emptyQueue() }
        case .answered(let name, let id):
            actions += answered(name, id, at: now)
        case .declined(let name, let id):
            actions += offerEnded(name, id, missed: false, at: now)
        case .conversationEnded(let name, let id, let byAgent):
            guard var agent = agents[name], agent.caller == id, agent.presence == .onCall else { return [] }
            let talk = now - agent.connectedAt
            let number = connected.removeValue(forKey: id)?.number ?? ""
            actions.append(.log(record(byAgent ? .completeByAgent : .completeByCaller, id, number, agent: name,
                                       talk: talk)))
            agent.caller = nil
            agent.presence = .wrapUp
            agent.wrapUpUntil = now + settings.wrapUp
            agents[name] = agent
            actions.append(.presence(name, .wrapUp, reason: nil))
        case .agentLegLost(let name, let id):
            actions += agentLost(name, id, at: now)
        case .tick:
            break
        case .outboundStarted(let name):
            ensureAgent(name)
            guard var agent = agents[name], agent.caller == nil, agent.outboundFrom == nil,
                  agent.presence != .ringing, agent.presence != .onCall else { return [] }
            agent.outboundFrom = agent.presence
            agent.presence = .onCall
            agent.wrapUpUntil = nil
            agents[name] = agent
            actions.append(.presence(name, .onCall, reason: CallQueue.outboundReason))
        case .outboundEnded(let name):
            actions += outboundEnded(name, at: now)
        case .reconcile(let legs):
            // A call the agent placed whose legs are all gone ends too.
            for name in agentOrder where agents[name]?.outboundFrom != nil && legs[name] == nil {
                actions += outboundEnded(name, at: now)
            }
            for name in agentOrder {
                guard let agent = agents[name], let caller = agent.caller, legs[name]?.contains(caller) != true else { continue }
                let fixed: [QueueAction]
                switch agent.presence {
                case .ringing: fixed = offerEnded(name, caller, missed: false, at: now)
                case .onCall: fixed = agentLost(name, caller, at: now)
                default: continue
                }
                actions += fixed
                if let now = agents[name]?.presence {
                    actions.append(.presence(name, now, reason: CallQueue.reconciledReason))
                }
            }
        }
        actions += timePassed(at: now)
        actions += dispatch(at: now)
        return actions
    }

    /// What the console says of an agent on a call they placed.
    public static let outboundReason = "Đang gọi lại cho người dân"

    private mutating func outboundEnded(_ name: String, at now: Duration) -> [QueueAction] {
        guard var agent = agents[name], let before = agent.outboundFrom else { return [] }
        agent.outboundFrom = nil
        switch before {
        case .onBreak, .offline:
            agent.presence = agent.afterCall?.presence ?? before
            agent.afterCall = nil
        default:
            agent.presence = .wrapUp
            agent.wrapUpUntil = now + settings.wrapUp
        }
        agents[name] = agent
        return [.presence(name, agent.presence, reason: nil)]
    }

    // MARK: Callers

    private mutating func callerLeft(_ id: QueueCallerID, _ leaving: QueueLeaving, at now: Duration) -> [QueueAction] {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return [] }
        let caller = waiting.remove(at: index)
        connected[id] = nil
        var actions = caller.ringing.map { QueueAction.cancelOffer(id, agent: $0) }
        for name in caller.ringing { release(name, at: now) }
        let wait = now - caller.joinedAt
        switch leaving {
        case .hungUp:
            actions.append(.log(record(.abandon, id, caller.number, position: index + 1, wait: wait)))
            if wait >= .seconds(QueueFigures.shortAbandonSeconds), !caller.number.isEmpty {
                actions.append(.callbackItem(number: caller.number, requested: false))
            }
        case .key(let key):
            actions.append(.log(record(.exitByKey, id, caller.number, position: index + 1, wait: wait, key: key)))
        case .callback:
            actions.append(.log(record(.callbackRequested, id, caller.number, position: index + 1, wait: wait)))
            if !caller.number.isEmpty { actions.append(.callbackItem(number: caller.number, requested: true)) }
        }
        return actions
    }

    /// Every caller tells their new place when it changed for the better (a position never goes up).
    private mutating func tellPositions(at now: Duration) -> [QueueAction] {
        var actions: [QueueAction] = []
        for index in waiting.indices {
            let actual = index + 1
            if actual < waiting[index].toldPosition {
                waiting[index].toldPosition = actual
            }
            if now >= waiting[index].nextAnnounce {
                waiting[index].nextAnnounce = now + settings.announceEvery
                let position = waiting[index].toldPosition
                actions.append(.announce(waiting[index].id, position: position,
                                         estimatedWait: estimate(position: position, at: now)))
            }
        }
        return actions
    }

    /// From recent answered waits, scaled to this position; nil unless enough waits back it and they agree.
    func estimate(position: Int, at now: Duration) -> Duration? {
        let recent = answeredWaits.filter { now - $0.at <= settings.estimateWindow }
        guard recent.count >= settings.estimateMinimumSamples else { return nil }
        // The time one place in the queue took, per answered call: its wait over its position on entry.
        let perPlace = recent.map { $0.wait / max(1, $0.position) }.sorted()
        let low = perPlace[perPlace.count / 4], high = perPlace[(perPlace.count * 3) / 4]
        // Widely scattered figures are no estimate: say nothing rather than something wrong.
        if low > .zero, high > low * 3 { return nil }
        let median = perPlace[perPlace.count / 2]
        let seconds = Int((median * position).components.seconds)
        // Spoken in whole minutes, rounded up.
        return .seconds(max(60, ((seconds + 59) / 60) * 60))
    }

    // MARK: Agents

    private mutating func ensureAgent(_ name: String) {
        guard agents[name] == nil else { return }
        agents[name] = Agent(name: name)
        agentOrder.append(name)
    }

    private mutating func agentSet(_ name: String, _ request: AgentRequest, at now: Duration) -> [QueueAction] {
        ensureAgent(name)
        guard var agent = agents[name] else { return [] }
        var actions: [QueueAction] = []
        switch request {
        case .ready:
            if agent.presence == .ringing || agent.presence == .onCall {
                agent.afterCall = nil  // ready after all: no break follows the call
                agents[name] = agent
                return []
            }
            guard agent.presence != .ready else { return [] }
            agent.presence = .ready
            agent.wrapUpUntil = nil
            agent.idleSince = now
            agent.missedInARow = 0
        case .onBreak(let reason):
            // A call in progress finishes; the break begins with the wrap-up, not in the middle of it.
            if agent.presence == .ringing, let caller = agent.caller {
                actions.append(.cancelOffer(caller, agent: name))
                removeRinging(name, from: caller)
                agent.caller = nil
            }
            guard agent.presence != .onCall else { return afterTheCall(name, request) }
            agent.presence = .onBreak(reason: reason)
            agent.wrapUpUntil = nil
        case .offline:
            if agent.presence == .ringing, let caller = agent.caller {
                actions.append(.cancelOffer(caller, agent: name))
                removeRinging(name, from: caller)
                agent.caller = nil
            }
            guard agent.presence != .onCall else { return afterTheCall(name, request) }
            agent.presence = .offline
            agent.wrapUpUntil = nil
        }
        agent.afterCall = nil
        agents[name] = agent
        actions.append(.presence(name, agent.presence, reason: nil))
        if !hasAgentsLoggedIn { actions += emptyQueue() }
        return actions
    }

    /// A break or offline asked for on a call is kept for its end (the gateway passes a request on once: dropped,
    /// it would be lost).
    private mutating func afterTheCall(_ name: String, _ request: AgentRequest) -> [QueueAction] {
        agents[name]?.afterCall = request
        return []
    }

    /// The break or offline an agent asked for during their call, to begin when it is over.
    public func requestAfterCall(of agent: String) -> AgentRequest? { agents[agent]?.afterCall }

    /// Nobody is left to answer: every waiting caller goes to the overflow.
    private mutating func emptyQueue() -> [QueueAction] {
        var actions: [QueueAction] = []
        for (index, caller) in waiting.enumerated() {
            actions += caller.ringing.map { QueueAction.cancelOffer(caller.id, agent: $0) }
            actions.append(.log(record(.exitEmpty, caller.id, caller.number, position: index + 1)))
            actions.append(.overflow(caller.id, .noAgents))
        }
        waiting.removeAll()
        return actions
    }

    private mutating func answered(_ name: String, _ id: QueueCallerID, at now: Duration) -> [QueueAction] {
        guard let index = waiting.firstIndex(where: { $0.id == id }), waiting[index].ringing.contains(name),
              var agent = agents[name]
        else {
            // A late answer (the caller left, another agent took it): the performer hangs that leg up.
            return [.cancelOffer(id, agent: name)]
        }
        let caller = waiting.remove(at: index)
        var actions: [QueueAction] = []
        for other in caller.ringing where other != name {
            actions.append(.cancelOffer(id, agent: other))
            release(other, at: now)
        }
        agent.presence = .onCall
        agent.caller = id
        agent.connectedAt = now
        agent.missedInARow = 0
        agents[name] = agent
        let wait = now - caller.joinedAt
        connected[id] = (caller.number, caller.joinedAt, connected[id]?.requeued ?? false)
        answeredWaits.append((now, wait, caller.toldPosition))
        answeredWaits.removeAll { now - $0.at > settings.estimateWindow }
        actions.append(.presence(name, .onCall, reason: nil))
        actions.append(.connect(id, agent: name))
        actions.append(.log(record(.connect, id, caller.number, agent: name, wait: wait)))
        return actions
    }

    /// An offer rang out (`missed`) or was declined: the agent is free again, or put on break after too many.
    private mutating func offerEnded(_ name: String, _ id: QueueCallerID, missed: Bool, at now: Duration) -> [QueueAction] {
        guard let index = waiting.firstIndex(where: { $0.id == id }), waiting[index].ringing.contains(name) else {
            return []
        }
        var actions: [QueueAction] = []
        if missed { actions.append(.cancelOffer(id, agent: name)) }
        waiting[index].triedAgents[name] = now
        waiting[index].retryAt = now + settings.ringTimeout
        removeRinging(name, from: id)
        actions.append(.log(record(.offerNoAnswer, id, waiting[index].number, agent: name)))
        guard var agent = agents[name] else { return actions }
        agent.caller = nil
        if missed { agent.missedInARow += 1 }
        if agent.missedInARow >= settings.maxMissedOffers {
            let reason = "Không trả lời \(agent.missedInARow) cuộc gọi liên tiếp"
            agent.presence = .onBreak(reason: reason)
            agent.missedInARow = 0
            agents[name] = agent
            actions.append(.presence(name, agent.presence, reason: reason))
            if !hasAgentsLoggedIn { actions += emptyQueue() }
            return actions
        }
        agent.presence = .ready
        agents[name] = agent
        actions.append(.presence(name, .ready, reason: nil))
        return actions
    }

    private mutating func agentLost(_ name: String, _ id: QueueCallerID, at now: Duration) -> [QueueAction] {
        guard var agent = agents[name], agent.caller == id, agent.presence == .onCall else { return [] }
        agent.caller = nil
        agent.presence = .wrapUp
        agent.wrapUpUntil = now + settings.wrapUp
        agents[name] = agent
        var actions: [QueueAction] = [.presence(name, .wrapUp, reason: "Mất kết nối với điện thoại")]
        // The caller goes back to the front, once; a second loss sends them to the voice report.
        guard let entry = connected[id], !entry.requeued else {
            connected[id] = nil
            actions.append(.overflow(id, .agentLost))
            return actions
        }
        connected[id] = (entry.number, entry.joinedAt, true)
        waiting.insert(Caller(id: id, number: entry.number, joinedAt: entry.joinedAt, toldPosition: 1,
                              nextAnnounce: now + settings.announceEvery), at: 0)
        actions.append(.log(record(.requeued, id, entry.number, agent: name, position: 1)))
        actions.append(.announce(id, position: 1, estimatedWait: nil))
        return actions
    }

    private mutating func removeRinging(_ name: String, from id: QueueCallerID) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting[index].ringing.removeAll { $0 == name }
    }

    /// An agent whose offer was withdrawn (the caller left, another agent answered) is ready again.
    private mutating func release(_ name: String, at now: Duration) {
        guard var agent = agents[name], agent.presence == .ringing else { return }
        agent.presence = .ready
        agent.caller = nil
        agents[name] = agent
    }

    // MARK: Time and dispatch

    private mutating func timePassed(at now: Duration) -> [QueueAction] {
        var actions: [QueueAction] = []
        // Ring timeouts.
        for caller in waiting where !caller.ringing.isEmpty && now >= caller.offeredAt + settings.ringTimeout {
            for name in caller.ringing { actions += offerEnded(name, caller.id, missed: true, at: now) }
        }
        for index in waiting.indices where waiting[index].retryAt.map({ now >= $0 }) ?? false {
            waiting[index].retryAt = nil
        }
        // Wrap-ups ending.
        var wentOffline = false
        for name in agentOrder {
            guard var agent = agents[name], let until = agent.wrapUpUntil, now >= until else { continue }
            agent.wrapUpUntil = nil
            if agent.presence == .wrapUp, let next = agent.afterCall {
                agent.afterCall = nil
                agent.presence = next.presence
                wentOffline = wentOffline || next == .offline
                actions.append(.presence(name, agent.presence, reason: nil))
            } else if agent.presence == .wrapUp {
                agent.presence = .ready
                agent.idleSince = now
                actions.append(.presence(name, .ready, reason: nil))
            }
            agents[name] = agent
        }
        if wentOffline, !hasAgentsLoggedIn { actions += emptyQueue() }
        // The maximum wait.
        var index = 0
        while index < waiting.count {
            let caller = waiting[index]
            if now >= caller.joinedAt + settings.maxWait {
                waiting.remove(at: index)
                actions += caller.ringing.map { QueueAction.cancelOffer(caller.id, agent: $0) }
                for name in caller.ringing { release(name, at: now) }
                actions.append(.log(record(.exitByTimeout, caller.id, caller.number, position: index + 1,
                                           wait: now - caller.joinedAt)))
                actions.append(.overflow(caller.id, .timeout))
            } else {
                index += 1
            }
        }
        actions += tellPositions(at: now)
        return actions
    }

    /// Offers waiting callers, front first, to ready agents by the strategy. One offer at a time per caller
    /// (ring-all rings every ready agent for the front caller).
    private mutating func dispatch(at now: Duration) -> [QueueAction] {
        var actions: [QueueAction] = []
        for index in waiting.indices where waiting[index].ringing.isEmpty {
            let tried = waiting[index].triedAgents
            let free = readyAgents(excluding: Set(tried.keys))
            let pool = free.isEmpty
                ? readyAgents(excluding: Set(tried.filter { now < $0.value + settings.ringTimeout }.keys)) : free
            guard !pool.isEmpty else { continue }
            let chosen: [String]
            switch settings.strategy {
            case .ringAll: chosen = pool
            case .longestIdle:
                chosen = [pool.min { (agents[$0]!.idleSince, order($0)) < (agents[$1]!.idleSince, order($1)) }!]
            case .roundRobin:
                let start = lastOffered.flatMap { agentOrder.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
                let rotated = (0..<agentOrder.count).map { agentOrder[(start + $0) % agentOrder.count] }
                chosen = [rotated.first { pool.contains($0) }!]
            }
            lastOffered = chosen.last
            for name in chosen {
                agents[name]?.presence = .ringing
                agents[name]?.caller = waiting[index].id
                actions.append(.presence(name, .ringing, reason: nil))
            }
            waiting[index].ringing = chosen
            waiting[index].offeredAt = now
            actions.append(.offer(waiting[index].id, agents: chosen))
        }
        return actions
    }

    private func order(_ name: String) -> Int { agentOrder.firstIndex(of: name) ?? Int.max }

    private func readyAgents(excluding tried: Set<String>) -> [String] {
        agentOrder.filter { name in
            guard let agent = agents[name] else { return false }
            return agent.presence == .ready && agent.registered && !tried.contains(name)
        }
    }

    private func record(_ kind: QueueEventKind, _ id: QueueCallerID, _ number: String, agent: String? = nil,
                        position: Int? = nil, wait: Duration? = nil, talk: Duration? = nil,
                        key: Character? = nil) -> QueueRecord {
        QueueRecord(kind: kind, call: id.description, callerNumber: number, agent: agent, position: position,
                    waitSeconds: wait.map { Int($0.components.seconds) }, talkSeconds: talk.map { Int($0.components.seconds) },
                    key: key.map { String($0) })
    }
}
