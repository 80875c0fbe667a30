import CPJSIP
import Foundation
import HotlineCore
import IVR

/// The live queue as the owner thread keeps it: the pure `CallQueue`, the monotonic clock it runs on, and the
/// outgoing legs that ring agents' phones. Owner-thread only.
struct LiveQueue {
    var machine = CallQueue()
    /// The queue's time is a monotonic clock's (an NTP step neither fires nor stalls its timers).
    let epoch = ContinuousClock.now
    var now: Duration { ContinuousClock.now - epoch }

    /// One ring of an agent's phone for a caller, then the conversation if the agent answers.
    struct Leg {
        let serial: UInt64
        let agent: String
        var answered = false
        /// The queue withdrew the offer (or the caller's call ended): its end says nothing more to the queue.
        var withdrawn = false
    }
    var legs: [pjsua_call_id: Leg] = [:]
    /// Events the queue's own actions produce (a call that cannot be placed), fed after the current ones.
    var inbox: [QueueEvent] = []
    var running = false
    /// When each agent entered their state (wall clock, for the wallboard), and the last snapshot published.
    var since: [String: Date] = [:]
    var lastPublished: QueueSnapshot?
    var nextPublish = Date.distantPast
    let host = ProcessInfo.processInfo.hostName

    func leg(serial: UInt64, agent: String) -> pjsua_call_id? {
        legs.first { $0.value.serial == serial && $0.value.agent == agent }?.key
    }
}

extension Duration {
    /// Seconds, fractions included (the owner's wall-clock waits take a `TimeInterval`).
    var timeInterval: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension Gateway {
    /// The external members are reachable from the start and ready.
    func startQueue() {
        for member in configuration.queueMembers {
            runQueue(.agentPhone(member.name, registered: true))
            runQueue(.agentSet(member.name, .ready))
        }
    }

    /// When the queue next needs a tick, on the owner's wall-clock wait (converted from the monotonic clock).
    var queueDeadline: Date? {
        guard let next = queue.machine.nextDeadline else { return nil }
        let wait = next - queue.now
        return Date(timeIntervalSinceNow: max(0, wait.timeInterval))
    }

    func queueTimePassed() {
        if let next = queue.machine.nextDeadline, next <= queue.now { runQueue(.tick) }
        publishQueueIfChanged()
    }

    func joinQueue(_ call: CallLeg, _ settings: QueueSettings) {
        queue.machine.configure(settings)
        log(.info, "queue-join", call)
        runQueue(.callerJoined(QueueCallerID(call.serial), number: call.incoming.callerNumber))
    }

    /// Feeds one event to the queue and performs what it asks; events those actions cause are fed in order after.
    func runQueue(_ event: QueueEvent) {
        queue.inbox.append(event)
        guard !queue.running else { return }
        queue.running = true
        while !queue.inbox.isEmpty {
            let next = queue.inbox.removeFirst()
            for action in queue.machine.handle(next, at: queue.now) { performQueue(action) }
        }
        queue.running = false
    }

    private func performQueue(_ action: QueueAction) {
        switch action {
        case .announce(let id, let position, let wait):
            guard let call = registry.call(serial: id.rawValue), !call.isEnded else { return }
            log(.info, "queue-position", call, [("position", "\(position)")]
                + (wait.map { [("estimate-seconds", "\($0.components.seconds)")] } ?? []))
            deliver(.queuePosition(position, estimatedWait: wait), to: call)
        case .offer(let id, let agents):
            for agent in agents { ring(agent, for: id) }
        case .cancelOffer(let id, let agent):
            guard let pjCall = queue.leg(serial: id.rawValue, agent: agent) else { return }
            queue.legs[pjCall]?.withdrawn = true
            pjsua_call_hangup(pjCall, 0, nil, nil)
        case .connect(let id, let agent):
            connect(id, agent)
        case .overflow(let id, let reason):
            guard let call = registry.call(serial: id.rawValue), !call.isEnded else { return }
            log(.info, "queue-overflow", call, [("reason", reason.rawValue)])
            deliver(.queueOverflow(reason), to: call)
        case .callbackItem(let number, let requested):
            logger.log(.info, "queue-callback-item", [("requested", "\(requested)")])
            _ = number  // the callback list is built from the queue log's records (abandon, callback-requested)
        case .presence(let agent, let presence, let reason):
            queue.since[agent] = Date()
            logger.log(.info, "agent-presence", [("agent", agent), ("state", presence.key)]
                       + (reason.map { [("reason", $0)] } ?? []))
        case .log(var record):
            if let call = UInt64(record.call).flatMap({ registry.call(serial: $0) }) {
                record.ticketCode = call.trackingCode
            }
            desk.recordQueue(record, at: Date())
        }
    }

    /// Rings an agent's phone for a waiting caller; a call that cannot be placed is a declined offer.
    private func ring(_ agent: String, for id: QueueCallerID) {
        guard let member = configuration.queueMembers.first(where: { $0.name == agent }),
              let account = endpoint?.accountID
        else {
            queue.inbox.append(.declined(agent, id))
            return
        }
        var leg: pjsua_call_id = -1
        let status = withPJString(member.uri) { pjsua_call_make_call(account, $0, nil, nil, nil, &leg) }
        guard status == pjSuccess else {
            logger.log(.error, "queue-ring-failed", [("agent", agent), ("error", PJError("make_call", status: status).message)])
            queue.inbox.append(.declined(agent, id))
            return
        }
        queue.legs[leg] = LiveQueue.Leg(serial: id.rawValue, agent: agent)
        if let call = registry.call(serial: id.rawValue) { log(.info, "queue-ring", call, [("agent", agent)]) }
    }

    /// The agent's phone answered (its media is up): the queue decides whether this leg takes the caller.
    func queueLegAnswered(_ pjCall: pjsua_call_id) {
        guard var leg = queue.legs[pjCall], !leg.answered, !leg.withdrawn else { return }
        leg.answered = true
        queue.legs[pjCall] = leg
        runQueue(.answered(leg.agent, QueueCallerID(leg.serial)))
    }

    private func connect(_ id: QueueCallerID, _ agent: String) {
        guard let pjCall = queue.leg(serial: id.rawValue, agent: agent) else { return }
        guard let call = registry.call(serial: id.rawValue), !call.isEnded, let callSlot = call.callSlot else {
            queue.legs[pjCall]?.withdrawn = true
            pjsua_call_hangup(pjCall, 0, nil, nil)
            return
        }
        let agentSlot = pjsua_call_get_conf_port(pjCall)
        guard agentSlot != PJSUA_INVALID_ID.rawValue else {
            queue.inbox.append(.agentLegLost(agent, id))
            return
        }
        call.agentRinging(pjCall)
        bridge(call, callSlot: callSlot, agentSlot: agentSlot)
        log(.info, "queue-connect", call, [("agent", agent)])
        deliver(.queueConnected, to: call)
    }

    /// An agent's leg ended: a refused or unanswered ring, or the end of the conversation by the agent.
    func queueLegEnded(_ pjCall: pjsua_call_id, status: Int) {
        guard let leg = queue.legs.removeValue(forKey: pjCall), !leg.withdrawn else { return }
        let id = QueueCallerID(leg.serial)
        guard leg.answered else {
            runQueue(.declined(leg.agent, id))
            return
        }
        runQueue(.conversationEnded(leg.agent, id, byAgent: true))
        if let call = registry.call(serial: leg.serial), !call.isEnded {
            call.agentGone()
            log(.info, "agent-hangup", call, [("agent", leg.agent), ("status", "\(status)")])
            pjsua_call_hangup(call.pjCall, 0, nil, nil)
        }
    }

    /// The caller's call ended: out of the queue if waiting, the conversation over if talking.
    func callerLeftQueue(_ call: CallLeg) {
        let id = QueueCallerID(call.serial)
        for (pjCall, leg) in queue.legs where leg.serial == call.serial {
            queue.legs[pjCall]?.withdrawn = true
            if leg.answered { runQueue(.conversationEnded(leg.agent, id, byAgent: false)) }
            if call.agentLeg != pjCall { pjsua_call_hangup(pjCall, 0, nil, nil) }
        }
        if queue.machine.position(of: id) != nil { runQueue(.callerLeft(id, .hungUp)) }
    }

    /// Writes the queue's live state for `queue stats` and the wallboard when it changed, at most once a second.
    private func publishQueueIfChanged() {
        let now = Date()
        guard now >= queue.nextPublish else { return }
        let machine = queue.machine
        let agents = machine.agentNames.map { name -> QueueSnapshot.Agent in
            let presence = machine.presence(of: name) ?? .offline
            return QueueSnapshot.Agent(name: name, state: presence.key, label: presence.label,
                                       since: queue.since[name] ?? now)
        }
        let snapshot = QueueSnapshot(waiting: machine.waitingCount,
                                     longestWaitSeconds: Int(machine.longestWait(at: queue.now).components.seconds),
                                     agents: agents, host: queue.host, at: now)
        var unchanged = snapshot
        if let last = queue.lastPublished {
            unchanged.at = last.at
            if unchanged == last {
                queue.nextPublish = now.addingTimeInterval(0.25)
                return
            }
        }
        queue.lastPublished = snapshot
        queue.nextPublish = now.addingTimeInterval(1)
        desk.publishQueue(snapshot)
    }
}
