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
    var nextPublish = OwnerInstant.now
    let host = ProcessInfo.processInfo.hostName
    /// Agents whose phone is an external URI (`--agents-uri`, `users phone --uri`), rung directly.
    var externalURIs: [String: String] = [:]
    /// The agents' phones as the store last had them, and when to read them again.
    var phones: [String: AgentPhone] = [:]
    var nextPhoneRead = OwnerInstant.now
    /// When the queue's presence is next checked against the legs (the reconciler).
    var nextReconcile = OwnerInstant.now
    var phoneReadPending = false
    /// Supervisors' phones listening in (issue 23 §6), by their leg: the caller's call they hear, and who.
    var listeners: [pjsua_call_id: (serial: UInt64, supervisor: String, agent: String)] = [:]
    /// Listen-in requests this host took up or is taking up (each is acted on once).
    var listenRequestsSeen: Set<Int64> = []
    /// Each agent's last conversation (the caller's serial): in wrap-up their screen still shows it, so the case
    /// can be made from it after the call.
    var lastCall: [String: (serial: UInt64, number: String)] = [:]
    /// Agents' callbacks being placed (issue 23 §5), by request; the requests this host took up or is taking up.
    var callbacks: [Int64: LiveCallback] = [:]
    var callbackRequestsSeen: Set<Int64> = []

    /// The legs ringing or talking for one caller and one agent (an agent's phones ring together).
    func legs(serial: UInt64, agent: String) -> [pjsua_call_id] {
        legs.filter { $0.value.serial == serial && $0.value.agent == agent }.map(\.key)
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
            queue.externalURIs[member.name] = member.uri
            runQueue(.agentPhone(member.name, registered: true))
            runQueue(.agentSet(member.name, .ready))
        }
    }

    /// Once a second: registrations that expired, and every few seconds the agents' phones from the store.
    func queueHousekeeping(now: OwnerInstant) {
        for name in edgeState?.registrar?.expire() ?? [] { agentContactsChanged(name, [], source: nil) }
        if now >= queue.nextReconcile {
            queue.nextReconcile = now + .seconds(5)
            var legs: [String: Set<QueueCallerID>] = [:]
            for leg in queue.legs.values where !leg.withdrawn { legs[leg.agent, default: []].insert(QueueCallerID(leg.serial)) }
            // An agent's own callback has legs too: the reconciler ends only one whose legs are gone.
            for callback in queue.callbacks.values where legs[callback.request.agent] == nil { legs[callback.request.agent] = [] }
            runQueue(.reconcile(legs: legs))
        }
        guard now >= queue.nextPhoneRead, !queue.phoneReadPending else { return }
        queue.phoneReadPending = true
        queue.nextPhoneRead = now + .seconds(Gateway.phoneReadSeconds)
        let events = self.events, logger = self.logger
        desk.agentPhones { result in
            switch result {
            case .success(let phones): events.post(.agentPhones(phones))
            case .failure(let error):
                logger.log(.warning, "agent-phones-unread", [("error", error.message)])
                events.post(.agentPhones(nil))
            }
        }
        desk.listenRequests(since: Date().addingTimeInterval(-ListenRequest.lapseSeconds)) { result in
            if case .success(let requests) = result, !requests.isEmpty { events.post(.listenRequests(requests)) }
        }
        desk.callbackRequests(since: Date().addingTimeInterval(-CallbackRequest.lapseSeconds)) { result in
            if case .success(let requests) = result, !requests.isEmpty { events.post(.callbackRequests(requests)) }
        }
    }

    // MARK: Listen-in (issue 23 §6)

    /// Requests for agents talking on this host are taken up (once, across hosts: the store decides); the others
    /// are some other host's, or lapse.
    func listenRequestsRead(_ requests: [ListenRequest]) {
        for request in requests where !queue.listenRequestsSeen.contains(request.id) {
            guard let leg = queue.legs.values.first(where: { $0.agent == request.agent && $0.answered && !$0.withdrawn }),
                  registry.call(serial: leg.serial)?.isEnded == false else { continue }
            queue.listenRequestsSeen.insert(request.id)
            let events = self.events, serial = leg.serial
            desk.takeListenRequest(request.id, host: queue.host) { taken in
                events.post(.listenRequestTaken(request, serial: serial, taken: taken))
            }
        }
    }

    /// Rings the supervisor's phones (the external URI, or every contact registered).
    func ringListener(_ request: ListenRequest, serial: UInt64) {
        guard let call = registry.call(serial: serial), !call.isEnded else { return }
        let placed = dialPhones(of: request.supervisor, failure: "listen-in-ring-failed", role: "supervisor")
        guard !placed.isEmpty else {
            log(.warning, "listen-in-unreachable", call, [("supervisor", request.supervisor), ("agent", request.agent)])
            return
        }
        for leg in placed { queue.listeners[leg] = (serial, request.supervisor, request.agent) }
        log(.info, "listen-in-ring", call, [("supervisor", request.supervisor), ("agent", request.agent)])
    }

    /// The supervisor answered: they hear the caller and the agent; nothing of theirs is connected back.
    func listenerAnswered(_ pjCall: pjsua_call_id) {
        guard let listener = queue.listeners[pjCall] else { return }
        guard let call = registry.call(serial: listener.serial), !call.isEnded, let callSlot = call.callSlot,
              let agentLeg = call.agentLeg else {
            pjsua_call_hangup(pjCall, 0, nil, nil)
            return
        }
        // The supervisor's other phones stop ringing.
        for (other, l) in queue.listeners where other != pjCall && l.serial == listener.serial && l.supervisor == listener.supervisor {
            queue.listeners[other] = nil
            pjsua_call_hangup(other, 0, nil, nil)
        }
        let listenSlot = pjsua_call_get_conf_port(pjCall)
        let agentSlot = pjsua_call_get_conf_port(agentLeg)
        guard listenSlot != PJSUA_INVALID_ID.rawValue else { return }
        pjsua_conf_connect(callSlot, listenSlot)
        if agentSlot != PJSUA_INVALID_ID.rawValue { pjsua_conf_connect(agentSlot, listenSlot) }
        log(.info, "listen-in", call, [("supervisor", listener.supervisor), ("agent", listener.agent)])
    }

    /// The agent's leg has a new slot (a re-INVITE): the listeners hear it again.
    private func reconnectListeners(serial: UInt64, agentSlot: pjsua_conf_port_id) {
        for (leg, listener) in queue.listeners where listener.serial == serial {
            let slot = pjsua_call_get_conf_port(leg)
            if slot != PJSUA_INVALID_ID.rawValue { pjsua_conf_connect(agentSlot, slot) }
        }
    }

    /// The caller's conversation ended: the listeners' phones are hung up, with what was sent to them.
    private func endListeners(_ call: CallLeg) {
        for (leg, listener) in queue.listeners where listener.serial == call.serial {
            var stat = pjsua_stream_stat()
            if pjsua_call_get_stream_stat(leg, 0, &stat) == pjSuccess {
                log(.info, "listen-in-media", call, [("supervisor", listener.supervisor), ("tx-packets", "\(stat.rtcp.tx.pkt)"),
                                                     ("rx-packets", "\(stat.rtcp.rx.pkt)")])
            }
            queue.listeners[leg] = nil
            pjsua_call_hangup(leg, 0, nil, nil)
        }
    }

    /// How often the gateway reads the agents' phones and requested states (seconds).
    static let phoneReadSeconds: TimeInterval = 2

    /// The store's phones: the registrar's credentials, the external URIs, and each state asked for anew.
    func applyAgentPhones(_ read: [AgentPhone]?) {
        queue.phoneReadPending = false
        guard let phones = read else { return }  // the store did not answer: keep what the gateway has
        let configured = Set(configuration.queueMembers.map(\.name))
        let registrar = edgeState?.registrar
        var credentials: [String: String] = [:]
        for phone in phones { if let ha1 = phone.digestHA1 { credentials[phone.name] = ha1 } }
        for name in registrar?.setCredentials(credentials) ?? [] { agentContactsChanged(name, [], source: nil) }
        let byName = Dictionary(phones.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in queue.phones.keys where byName[name] == nil && !configured.contains(name) {
            queue.externalURIs[name] = nil
            logger.log(.info, "agent-phone-removed", [("agent", name)])
            runQueue(.agentSet(name, .offline))
            runQueue(.agentPhone(name, registered: false))
        }
        for phone in phones where !configured.contains(phone.name) {
            let name = phone.name
            let old = queue.phones[name]
            if old?.uri != phone.uri || old?.digestHA1 != phone.digestHA1 {
                logger.log(.info, "agent-phone", [("agent", name), ("phone", phone.uri == nil ? "registrar" : "external")])
            }
            if let uri = phone.uri {
                if queue.externalURIs[name] != uri {
                    queue.externalURIs[name] = uri
                    runQueue(.agentPhone(name, registered: true))
                }
            } else if old == nil || queue.externalURIs[name] != nil {
                queue.externalURIs[name] = nil
                runQueue(.agentPhone(name, registered: !(registrar?.contacts(of: name).isEmpty ?? true)))
            }
            if old?.changedAt != phone.changedAt || old?.requested != phone.requested {
                let request: AgentRequest = switch phone.requested {
                case .ready: .ready
                case .break: .onBreak(reason: phone.reason ?? "Tạm nghỉ")
                case .offline: .offline
                }
                runQueue(.agentSet(name, request))
            }
        }
        queue.phones = byName
    }

    /// An agent's registered phones changed (REGISTER, un-REGISTER, expiry, the account removed).
    func agentContactsChanged(_ name: String, _ contacts: [String], source: String?) {
        logger.log(.info, contacts.isEmpty ? "agent-unregistered" : "agent-registered",
                   [("agent", name), ("contacts", "\(contacts.count)")] + (source.map { [("source", $0)] } ?? []))
        guard queue.externalURIs[name] == nil else { return }
        runQueue(.agentPhone(name, registered: !contacts.isEmpty))
    }

    /// When the queue next needs a tick, on the owner's clock (both are monotonic: the queue's counts from its epoch).
    var queueDeadline: OwnerInstant? {
        queue.machine.nextDeadline.map { queue.epoch + $0 }
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
            for pjCall in queue.legs(serial: id.rawValue, agent: agent) {
                queue.legs[pjCall]?.withdrawn = true
                pjsua_call_hangup(pjCall, 0, nil, nil)
            }
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
            var why = reason
            if why == nil, case .onBreak(let asked) = presence { why = asked }
            logger.log(.info, "agent-presence", [("agent", agent), ("state", presence.key)]
                       + (why.map { [("reason", $0)] } ?? []))
        case .log(var record):
            if let call = UInt64(record.call).flatMap({ registry.call(serial: $0) }) {
                record.ticketCode = call.trackingCode
            }
            desk.recordQueue(record, at: Date())
        }
    }

    /// Rings an agent's phones for a waiting caller: the external URI, or every contact registered (they ring
    /// together; the first to answer takes the call). None placed is a declined offer.
    private func ring(_ agent: String, for id: QueueCallerID) {
        let placed = dialPhones(of: agent, failure: "queue-ring-failed", role: "agent")
        for leg in placed { queue.legs[leg] = LiveQueue.Leg(serial: id.rawValue, agent: agent) }
        guard !placed.isEmpty else {
            queue.inbox.append(.declined(agent, id))
            return
        }
        if let call = registry.call(serial: id.rawValue) {
            log(.info, "queue-ring", call, [("agent", agent), ("phones", "\(placed.count)")])
        }
    }

    /// Calls every phone of a desk user (their external URI, or each contact registered: they ring together) from
    /// the gateway's account; the legs placed, none when the user has no phone or every call failed (each failure
    /// logged as `failure`, the user under `role`).
    func dialPhones(of name: String, failure: String, role: String) -> [pjsua_call_id] {
        let targets = queue.externalURIs[name].map { [$0] } ?? edgeState?.registrar?.contacts(of: name) ?? []
        guard let account = endpoint?.accountID else { return [] }
        return targets.compactMap { uri in
            var leg: pjsua_call_id = -1
            let status = withPJString(uri) { pjsua_call_make_call(account, $0, nil, nil, nil, &leg) }
            guard status == pjSuccess else {
                logger.log(.error, failure, [(role, name), ("error", PJError("make_call", status: status).message)])
                return nil
            }
            return leg
        }
    }

    /// The agent's phone answered (its media is up): the queue decides whether this leg takes the caller. The
    /// agent's other phones stop ringing.
    func queueLegAnswered(_ pjCall: pjsua_call_id) {
        if let leg = queue.legs[pjCall], leg.answered, !leg.withdrawn {
            reconnectAgent(pjCall, serial: leg.serial)
            return
        }
        guard var leg = queue.legs[pjCall], !leg.answered, !leg.withdrawn else { return }
        leg.answered = true
        queue.legs[pjCall] = leg
        for other in queue.legs(serial: leg.serial, agent: leg.agent) where other != pjCall {
            queue.legs[other]?.withdrawn = true
            pjsua_call_hangup(other, 0, nil, nil)
        }
        runQueue(.answered(leg.agent, QueueCallerID(leg.serial)))
    }

    /// The agent's phone changed its media (a re-INVITE: a softphone settling on one codec, hold and resume):
    /// its stream, and its slot in the bridge, are new, so the conversation is connected again. Without this
    /// the caller heard the agent but the agent heard nothing after baresip's first re-INVITE.
    func reconnectAgent(_ pjCall: pjsua_call_id, serial: UInt64) {
        guard let call = registry.call(serial: serial), !call.isEnded, call.agentLeg == pjCall,
              let callSlot = call.callSlot else { return }
        let agentSlot = pjsua_call_get_conf_port(pjCall)
        guard agentSlot != PJSUA_INVALID_ID.rawValue else { return }
        pjsua_conf_connect(callSlot, agentSlot)
        pjsua_conf_connect(agentSlot, callSlot)
        if call.conversation != nil { pjsua_conf_connect(agentSlot, call.port.slot) }
        reconnectListeners(serial: serial, agentSlot: agentSlot)
        log(.info, "agent-media-renewed", call, [("slot", "\(agentSlot)")])
    }

    private func connect(_ id: QueueCallerID, _ agent: String) {
        guard let pjCall = queue.legs(serial: id.rawValue, agent: agent).first(where: { queue.legs[$0]?.answered == true })
        else { return }
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
        queue.lastCall[agent] = (call.serial, call.callerNumber)
        log(.info, "queue-connect", call, [("agent", agent)])
        recordConversation(call, agent: agent, callSlot: callSlot, agentSlot: agentSlot)
        deliver(.queueConnected, to: call)
    }

    // MARK: The conversation's recording (issue 23 §4)

    /// The recording id of a call's conversation (the session's own ids count up from 1).
    static let conversationRecording = RecordingID(-23)

    /// Both parties' slots are connected to the call's IVR port, whose tick records their mix: started at the
    /// first agent's answer, it runs until the call ends (a caller put back in the queue stays in it).
    func recordConversation(_ call: CallLeg, agent: String, callSlot: pjsua_conf_port_id, agentSlot: pjsua_conf_port_id) {
        guard configuration.recordConversations, call.activeRecording == nil else { return }
        pjsua_conf_connect(callSlot, call.port.slot)
        pjsua_conf_connect(agentSlot, call.port.slot)
        guard call.conversation == nil else { return }
        let path = recordingPath(call, name: "talk")
        let limit = configuration.maxCallSeconds > 0 ? configuration.maxCallSeconds : 4 * 3600
        call.conversation = (path, agent, Date())
        beginRecording(call, Gateway.conversationRecording, path: path, RecordingLimits(maxSeconds: limit, silenceSeconds: 0))
        log(.info, "conversation-recording", call, [("agent", agent)])
    }

    /// The conversation is over (the call ended, a limit, a write failure, or the caller went on to record a
    /// voice report): the file is closed and filed for the call's case, off the owner's thread. Its sidecar goes
    /// once the store has it; until then a restart would file the audio as an interrupted draft.
    func finishConversation(_ call: CallLeg) {
        guard let conversation = call.conversation else { return }
        call.conversation = nil
        guard let (stopped, loss) = endRecording(call) else { return }
        log(.info, "conversation-recorded", call, [("agent", conversation.agent), ("ms", "\(stopped.durationMs)"),
                                                   ("loss-percent", "\(loss)")])
        let recording = ConversationRecording(
            call: ConversationRecording.reference(host: queue.host, call: "\(call.serial)"),
            callerNumber: call.incoming.callerNumber, agent: conversation.agent, path: conversation.path,
            durationMs: stopped.durationMs, lossPercent: loss, startedAt: conversation.startedAt)
        let desk = self.desk, writer: RecordingWriter = self.writer
        writer.afterPendingWrites {
            desk.fileConversation(recording) { filed in if filed { writer.forgetSidecar(of: recording.path) } }
        }
    }

    /// An agent's leg ended: a refused or unanswered ring, or the end of the conversation by the agent.
    func queueLegEnded(_ pjCall: pjsua_call_id, status: Int) {
        if callbackAgentLegEnded(pjCall, status: status) { return }
        if let listener = queue.listeners.removeValue(forKey: pjCall) {
            logger.log(.info, "listen-in-ended", [("serial", "\(listener.serial)"), ("supervisor", listener.supervisor),
                                                  ("status", "\(status)")])
            return
        }
        guard let leg = queue.legs.removeValue(forKey: pjCall), !leg.withdrawn else { return }
        let id = QueueCallerID(leg.serial)
        guard leg.answered else {
            // Declined only when the last of the agent's ringing phones gave up.
            let stillRinging = queue.legs(serial: leg.serial, agent: leg.agent).contains { queue.legs[$0]?.withdrawn == false }
            if !stillRinging { runQueue(.declined(leg.agent, id)) }
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
        endListeners(call)
        let id = QueueCallerID(call.serial)
        for (pjCall, leg) in queue.legs where leg.serial == call.serial {
            queue.legs[pjCall]?.withdrawn = true
            if leg.answered {
                logAgentMedia(pjCall, agent: leg.agent, call: call)
                runQueue(.conversationEnded(leg.agent, id, byAgent: false))
            }
            if call.agentLeg != pjCall { pjsua_call_hangup(pjCall, 0, nil, nil) }
        }
        if queue.machine.position(of: id) != nil { runQueue(.callerLeft(id, .hungUp)) }
    }

    /// What the agent's phone sent and received in the conversation, when it ends: one line that shows audio
    /// flowed both ways (or did not).
    private func logAgentMedia(_ pjCall: pjsua_call_id, agent: String, call: CallLeg) {
        var stat = pjsua_stream_stat()
        guard pjsua_call_get_stream_stat(pjCall, 0, &stat) == pjSuccess else { return }
        log(.info, "agent-media", call, [("agent", agent), ("rx-packets", "\(stat.rtcp.rx.pkt)"),
                                         ("tx-packets", "\(stat.rtcp.tx.pkt)"), ("rx-lost", "\(stat.rtcp.rx.loss)")])
    }

    /// Writes the queue's live state for `queue stats` and the wallboard when it changed, at most once a second.
    private func publishQueueIfChanged() {
        let now = Date()
        let tick = OwnerInstant.now
        guard tick >= queue.nextPublish else { return }
        let machine = queue.machine
        let agents = machine.agentNames.map { name -> QueueSnapshot.Agent in
            let presence = machine.presence(of: name) ?? .offline
            // An agent with no phone registered is not offered calls, and is shown so.
            var label = presence == .offline || machine.isRegistered(name) ? presence.label
                : presence.label + " · chưa đăng ký điện thoại"
            switch machine.requestAfterCall(of: name) {
            case .onBreak?: label += " · tạm nghỉ sau cuộc gọi này"
            case .offline?: label += " · nghỉ làm sau cuộc gọi này"
            case .ready?, nil: break
            }
            var agent = QueueSnapshot.Agent(name: name, state: presence.key, label: label, since: queue.since[name] ?? now)
            // Ringing or talking: whose call it is, for the agent's screen pop.
            if presence == .ringing || presence == .onCall,
               let leg = queue.legs.values.first(where: { $0.agent == name && !$0.withdrawn }),
               let call = registry.call(serial: leg.serial) {
                (agent.callerNumber, agent.call) = (call.callerNumber, "\(leg.serial)")
            } else if presence == .onCall, let serial = callback(ofAgent: name)?.citizen, let call = registry.call(serial: serial) {
                (agent.callerNumber, agent.call) = (call.callerNumber, "\(serial)")
            } else if presence == .wrapUp, let last = queue.lastCall[name] {
                (agent.callerNumber, agent.call) = (last.number, "\(last.serial)")
            }
            return agent
        }
        let snapshot = QueueSnapshot(waiting: machine.waitingCount,
                                     longestWaitSeconds: Int(machine.longestWait(at: queue.now).components.seconds),
                                     agents: agents, host: queue.host, at: now)
        var unchanged = snapshot
        // Unchanged, it is written again every few seconds all the same: readers take a state older than
        // `QueueSnapshot.freshSeconds` for a stopped host.
        if let last = queue.lastPublished, now.timeIntervalSince(last.at) < 4 {
            unchanged.at = last.at
            if unchanged == last {
                queue.nextPublish = tick + .milliseconds(250)
                return
            }
        }
        queue.lastPublished = snapshot
        queue.nextPublish = tick + .seconds(1)
        desk.publishQueue(snapshot)
    }
}
