import CPJSIP
import Foundation
import HotlineCore
import IVR

/// One "Gọi lại" the gateway places (issue 23 §5): the agent's phones ring first; once the agent answers, the
/// citizen is called through the trunk; answered, the citizen hears who calls and that the call is recorded, and
/// the two are bridged and recorded like a queue conversation. Owner-thread only.
struct LiveCallback {
    let request: CallbackRequest
    /// The agent's phones ringing (they ring together), then the one that answered.
    var agentLegs: Set<pjsua_call_id>
    var agentLeg: pjsua_call_id?
    /// The citizen's leg once dialled (a `CallLeg` in the registry, by serial).
    var citizen: UInt64?
    /// The agent and the citizen talk.
    var connected = false
    /// When the phase that rings now gives up (the agent's phones, then the citizen's).
    var ringDeadline: OwnerInstant
    /// The agent hung up before the citizen answered: no attempt is recorded, the citizen was not really called.
    var agentGaveUp = false
}

extension Gateway {
    /// How long the agent's phones ring for their own callback, and then the citizen's phone.
    static let callbackAgentRingSeconds: TimeInterval = 30
    static let callbackCitizenRingSeconds: TimeInterval = 45
    /// The playback id of what the citizen hears first (the session's own ids count up from 1).
    static let callbackGreeting = PlaybackID(-5)

    func callbackOfAgentLeg(_ pjCall: pjsua_call_id) -> Int64? {
        queue.callbacks.first { $0.value.agentLegs.contains(pjCall) }?.key
    }

    /// The callback an agent places now, if any.
    func callback(ofAgent name: String) -> LiveCallback? {
        queue.callbacks.values.first { $0.request.agent == name }
    }

    /// Once a second: gives up rings that lasted too long (the requests are read with the agents' phones).
    func callbackHousekeeping(now: OwnerInstant) {
        for (id, callback) in queue.callbacks where !callback.connected && now >= callback.ringDeadline {
            if let serial = callback.citizen, let call = registry.call(serial: serial), !call.isEnded {
                log(.info, "callback-citizen-timeout", call, [("agent", callback.request.agent)])
                pjsua_call_hangup(call.pjCall, 0, nil, nil)  // its end records "no answer"
            } else if callback.citizen == nil {
                logger.log(.info, "callback-agent-unanswered", [("agent", callback.request.agent), ("request", "\(id)")])
                for leg in callback.agentLegs { pjsua_call_hangup(leg, 0, nil, nil) }
                endCallback(id)
            }
        }
    }

    /// Requests whose agent's phone is on this host, and free, are taken up (once across hosts: the store decides).
    func callbackRequestsRead(_ requests: [CallbackRequest]) {
        for request in requests where !queue.callbackRequestsSeen.contains(request.id) {
            let name = request.agent
            let reachable = queue.externalURIs[name] != nil || !(edgeState?.registrar?.contacts(of: name).isEmpty ?? true)
            guard reachable, !draining else { continue }
            queue.callbackRequestsSeen.insert(request.id)
            guard configuration.callbackTrunk != nil else {
                logger.log(.warning, "callback-no-trunk", [("agent", name), ("request", "\(request.id)"),
                                                          ("fix", "serve --callback-trunk HOST[:PORT]")])
                continue
            }
            let events = self.events
            desk.takeCallbackRequest(request.id, host: queue.host) { taken in
                events.post(.callbackRequestTaken(request, taken: taken))
            }
        }
    }

    /// The agent's phones ring for their callback; the queue offers them no caller meanwhile.
    func startCallback(_ request: CallbackRequest) {
        let name = request.agent
        let refusal = callback(ofAgent: name) != nil ? "already-calling"
            : CallbackDial.uri(number: request.number, trunk: configuration.callbackTrunk ?? "") == nil ? "not-diallable" : nil
        if let refusal {
            logger.log(.warning, "callback-refused", [("agent", name), ("request", "\(request.id)"), ("reason", refusal)])
            return
        }
        runQueue(.outboundStarted(name))
        guard queue.machine.isCallingOut(name) else {
            // The queue rang or connected them for a caller since the request: that call comes first.
            logger.log(.info, "callback-busy", [("agent", name), ("request", "\(request.id)")])
            return
        }
        let placed = dialPhones(of: name, failure: "callback-ring-failed", role: "agent")
        guard !placed.isEmpty else {
            logger.log(.warning, "callback-unreachable", [("agent", name), ("request", "\(request.id)")])
            runQueue(.outboundEnded(name))
            return
        }
        queue.callbacks[request.id] = LiveCallback(request: request, agentLegs: Set(placed),
                                                   ringDeadline: .after(Gateway.callbackAgentRingSeconds))
        logger.log(.info, "callback-ring-agent", [("agent", name), ("request", "\(request.id)"), ("phones", "\(placed.count)")])
    }

    /// The agent answered (or their phone renewed its media): the citizen is called, or the bridge reconnected.
    func callbackAgentAnswered(_ pjCall: pjsua_call_id) {
        guard let id = callbackOfAgentLeg(pjCall), var callback = queue.callbacks[id] else { return }
        if callback.agentLeg == pjCall {
            if callback.connected, let serial = callback.citizen, let call = registry.call(serial: serial) {
                reconnectAgent(pjCall, serial: call.serial)
            }
            return
        }
        guard callback.agentLeg == nil else { return }
        for other in callback.agentLegs where other != pjCall { pjsua_call_hangup(other, 0, nil, nil) }
        callback.agentLegs = [pjCall]
        callback.agentLeg = pjCall
        let request = callback.request
        guard let account = endpoint?.accountID,
              let uri = CallbackDial.uri(number: request.number, trunk: configuration.callbackTrunk ?? "") else {
            queue.callbacks[id] = callback
            pjsua_call_hangup(pjCall, 0, nil, nil)
            return
        }
        var leg: pjsua_call_id = -1
        let status = withPJString(uri) { pjsua_call_make_call(account, $0, nil, nil, nil, &leg) }
        let sipCallID = status == pjSuccess ? withCallInfo(leg) { String(pjString: $0.pointee.call_id) } : nil
        guard let sipCallID, let call = addCall(leg, IncomingCall(sipCallID: sipCallID, fromTag: "",
                                                                  callerNumber: request.number, source: "callback"))
        else {
            logger.log(.error, "callback-dial-failed", [("agent", request.agent),
                                                        ("error", PJError("make_call", status: status).message)])
            if status == pjSuccess { pjsua_call_hangup(leg, 0, nil, nil) }
            queue.callbacks[id] = callback
            pjsua_call_hangup(pjCall, 0, nil, nil)
            return
        }
        call.callbackRequest = id
        callback.citizen = call.serial
        callback.ringDeadline = .after(Gateway.callbackCitizenRingSeconds)
        queue.callbacks[id] = callback
        log(.info, "callback-dial", call, [("agent", request.agent), ("request", "\(id)")])
    }

    /// The citizen answered: they hear who is calling and that the call is recorded, then the agent.
    func callbackCitizenAnswered(_ call: CallLeg) {
        call.lastRTPAt = .now
        log(.info, "callback-answered", call)
        if let pcm = call.plan.prompts[Gateway.callbackGreetingPrompt] {
            call.channel.play(Gateway.callbackGreeting, [pcm])
        } else {
            log(.error, "prompt-missing", call, [("prompt", Gateway.callbackGreetingPrompt.rawValue)])
            callbackGreeted(call)
        }
    }

    static let callbackGreetingPrompt = Readback.callbackGreeting

    /// The greeting is over: the agent and the citizen talk, recorded; the attempt counts as reached.
    func callbackGreeted(_ call: CallLeg) {
        guard let id = call.callbackRequest, var callback = queue.callbacks[id], !callback.connected,
              let agentLeg = callback.agentLeg, let callSlot = call.callSlot else { return }
        let agentSlot = pjsua_call_get_conf_port(agentLeg)
        guard agentSlot != PJSUA_INVALID_ID.rawValue else {
            pjsua_call_hangup(call.pjCall, 0, nil, nil)
            return
        }
        callback.connected = true
        queue.callbacks[id] = callback
        let agent = callback.request.agent
        call.agentRinging(agentLeg)
        bridge(call, callSlot: callSlot, agentSlot: agentSlot)
        queue.lastCall[agent] = (call.serial, call.callerNumber)
        log(.info, "callback-connected", call, [("agent", agent)])
        recordConversation(call, agent: agent, callSlot: callSlot, agentSlot: agentSlot)
        desk.recordCallbackAttempt(to: callback.request.number, by: agent, outcome: .reached, call: "\(call.serial)")
    }

    /// The citizen's leg ended (the call is over, or it was never answered): the outcome is recorded, the agent's
    /// phones hung up, and the agent goes to wrap-up (or back to their break).
    func callbackCitizenEnded(_ call: CallLeg, status: Int) {
        guard let id = call.callbackRequest, let callback = queue.callbacks[id] else { return }
        if !callback.connected {
            // The bridge never formed: the agent's phone is still up (disconnected() hangs up only a bridged one).
            for leg in callback.agentLegs { pjsua_call_hangup(leg, 0, nil, nil) }
            if !callback.agentGaveUp {
                let outcome = CallbackRequest.outcome(answered: false, status: status)
                log(.info, "callback-not-reached", call, [("agent", callback.request.agent), ("status", "\(status)"),
                                                          ("outcome", outcome.rawValue)])
                desk.recordCallbackAttempt(to: callback.request.number, by: callback.request.agent, outcome: outcome,
                                           call: "\(call.serial)")
            }
        } else {
            log(.info, "callback-ended", call, [("agent", callback.request.agent), ("status", "\(status)")])
        }
        endCallback(id)
    }

    /// An agent's leg of a callback ended; true when it was one (nothing else is to be done with it).
    func callbackAgentLegEnded(_ pjCall: pjsua_call_id, status: Int) -> Bool {
        guard let id = callbackOfAgentLeg(pjCall), var callback = queue.callbacks[id] else { return false }
        callback.agentLegs.remove(pjCall)
        let wasTheAgent = callback.agentLeg == pjCall
        guard wasTheAgent || (callback.agentLeg == nil && callback.agentLegs.isEmpty) else {
            queue.callbacks[id] = callback
            return true
        }
        if let serial = callback.citizen, let call = registry.call(serial: serial), !call.isEnded {
            // The agent hung up: the citizen's leg goes too, and its end finishes the callback.
            if !callback.connected { callback.agentGaveUp = true }
            queue.callbacks[id] = callback
            log(.info, "callback-agent-hangup", call, [("agent", callback.request.agent), ("status", "\(status)")])
            pjsua_call_hangup(call.pjCall, 0, nil, nil)
        } else {
            logger.log(.info, "callback-agent-unanswered", [("agent", callback.request.agent), ("request", "\(id)"),
                                                            ("status", "\(status)")])
            queue.callbacks[id] = callback
            endCallback(id)
        }
        return true
    }

    private func endCallback(_ id: Int64) {
        guard let callback = queue.callbacks.removeValue(forKey: id) else { return }
        runQueue(.outboundEnded(callback.request.agent))
    }
}

/// Where a callback to a citizen goes: `sip:NUMBER@TRUNK`, for a diallable number and a trunk `HOST[:PORT]`.
public enum CallbackDial {
    public static func uri(number: String, trunk: String) -> String? {
        guard CallbackRequest.isDiallable(number), trunkProblem(trunk) == nil else { return nil }
        return "sip:\(number)@\(trunk)"
    }

    /// What is wrong with a trunk given as `HOST[:PORT]`, nil when it is usable.
    public static func trunkProblem(_ trunk: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        guard !trunk.isEmpty, trunk.allSatisfy(allowed.contains), trunk.first != ":", trunk.first != "-" else {
            return "cần HOST hoặc HOST:PORT (tên máy hoặc địa chỉ IP), nhận được '\(trunk)'"
        }
        return nil
    }
}
