import CPJSIP
import Foundation
import HotlineCore
import IVR

/// The telephony gateway: answers SIP calls, runs each through the IVR engine and performs what it asks.
///
/// Threads: PJSIP's worker and media-clock threads only post events; one owner thread (registered with
/// PJSIP) holds every call's state, runs the IVR sessions, keeps the timers and makes every pjsua call after
/// start-up; recordings are written by `RecordingWriter`'s queue; drafts are stored by the `ReportDesk` on its
/// own queue. No thread per call, no disk or database work on PJSIP's threads.
public final class Gateway: @unchecked Sendable {
    let configuration: GatewayConfiguration
    let desk: ReportDesk
    let logger: EventLogger
    let events = EventQueue()
    var endpoint: SIPEndpoint?
    private(set) var writer: RecordingWriter!
    private var ownerThread: Thread?
    private let stopped = DispatchSemaphore(value: 0)
    /// Messages the SIP edge refused, by reason (rate-limited, caller-limit, truncated-datagram, …).
    public let edgeCounters = EdgeCounters()

    // Owner-thread state.
    private var plan: CallPlan
    var registry = CallRegistry<CallLeg>()
    var timers = TimerTable()
    private var nextSerial: UInt64 = 1
    private(set) var draining = false
    private var drainDeadline: OwnerInstant?
    private var pendingStores = 0
    private var hungUpForShutdown = false
    /// When the owner next checks every call for silence (no RTP) and overlong calls.
    private var nextSweep = OwnerInstant.now
    private lazy var overload = OverloadDetector(policy: OverloadPolicy(
        tickLatenessMs: configuration.overloadTickMs, cpuPercent: configuration.overloadCPUPercent))
    private var lastCPUReading: (at: OwnerInstant, seconds: Double)?
    /// The bridge's tick lateness at p95 over the overload window (ms), as last read.
    private(set) var lastTickP95Ms = 0.0
    private let recordingsDirectory: String
    /// The live queue (owner-thread only): the pure machine, its monotonic clock, the agents' legs.
    var queue = LiveQueue()

    public init(configuration: GatewayConfiguration, plan: CallPlan, desk: ReportDesk, logger: EventLogger) {
        self.configuration = configuration
        self.plan = plan
        self.desk = desk
        self.logger = logger
        self.recordingsDirectory = URL(fileURLWithPath: configuration.recordingsDirectory).standardizedFileURL.path
    }

    /// Starts PJSIP on the calling thread and the owner thread. Throws if the SIP port cannot be bound.
    public func start() throws {
        try FileManager.default.createDirectory(atPath: recordingsDirectory, withIntermediateDirectories: true)
        let events = self.events
        writer = RecordingWriter(sparesDirectory: recordingsDirectory + "/.sidecar-spares") { serial, id, reason in
            events.post(.recordingFailed(serial: serial, id, reason: reason))
        }
        endpoint = try SIPEndpoint(configuration: configuration, events: events, counters: edgeCounters)
        let thread = Thread { [self] in runOwner() }
        thread.name = "hotline1022-owner"
        thread.stackSize = 1 << 20
        ownerThread = thread
        thread.start()
        logger.log(.info, "ready", [
            ("sip", (configuration.tcp ? "udp+tcp:" : "udp:") + "\(configuration.sipAddress):\(configuration.sipPort)"),
            ("calls-per-second", "\(configuration.admission.callsPerSecond)"),
            ("rtp-timeout", "\(configuration.rtpTimeoutSeconds)"), ("max-call-seconds", "\(configuration.maxCallSeconds)"),
            ("dialplan", plan.dialplan.version), ("prompts", "\(plan.prompts.count)"),
            ("max-calls", "\(configuration.maxCalls)"),
        ])
    }

    /// New calls use `plan` from now on; calls in progress finish on theirs.
    public func replacePlan(_ plan: CallPlan) { events.post(.replacePlan(plan)) }

    /// Stops taking calls (503), lets calls in progress finish for up to `drainSeconds`, then hangs up the rest,
    /// stores their drafts and stops PJSIP.
    public func shutdown(drainSeconds: Int) { events.post(.shutdown(drainSeconds: drainSeconds)) }

    /// Blocks until the owner thread has finished and PJSIP is destroyed.
    public func waitUntilStopped() { stopped.wait() }

    // MARK: The owner loop

    private func runOwner() {
        registerThreadWithPJSIP("owner")
        pthread_setname_np(pthread_self(), "hotline1022-own")
        reportSignallingPriority(owner: ThreadPriority.raiseCurrentThread(to: configuration.signallingPriority))
        startQueue()
        while true {
            let deadline = [timers.nextDeadline, drainDeadline, nextSweep, queueDeadline].compactMap { $0 }.min()
                ?? .after(1)
            for event in events.take(waitingUntil: deadline) { handle(event) }
            queueTimePassed()
            let now = OwnerInstant.now
            if now >= nextSweep {
                nextSweep = now + .seconds(1)
                sweepDeadMedia(now: now)
                watchOverload(now: now)
                queueHousekeeping(now: now)
                callbackHousekeeping(now: now)
            }
            for (serial, id) in timers.due(at: now) {
                guard let call = registry.call(serial: serial) else { continue }
                if id == Gateway.transferTimer { transferTimedOut(call) } else { deliver(.timerFired(id), to: call) }
            }
            if draining {
                if let limit = drainDeadline, now >= limit, !hungUpForShutdown {
                    hungUpForShutdown = true
                    for call in registry.live where !call.isEnded {
                        log(.warning, "hangup-on-shutdown", call)
                        pjsua_call_hangup(call.pjCall, 503, nil, nil)
                    }
                }
                if registry.isEmpty, pendingStores == 0 { break }
            }
        }
        writer.shutdown()
        do {
            try endpoint?.close()
        } catch {
            logger.log(.error, "pjsip-destroy-failed", [("error", "\(error)")])
        }
        endpoint = nil
        logger.log(.info, "stopped", [])
        stopped.signal()
    }

    private func handle(_ event: GatewayEvent) {
        switch event {
        case .incoming(let pjCall, let incoming):
            accept(pjCall, incoming)
        case .mediaActive(let pjCall):
            if let call = registry.call(pjCall) {
                connectMedia(call)
            } else if queue.legs[pjCall] != nil {
                queueLegAnswered(pjCall)
            } else if queue.listeners[pjCall] != nil {
                listenerAnswered(pjCall)
            } else if callbackOfAgentLeg(pjCall) != nil {
                callbackAgentAnswered(pjCall)
            } else if let call = registry.callOfAgentLeg(pjCall) {
                agentAnswered(call)
            }
        case .streamCreated(let pjCall, let stream):
            if let call = registry.call(pjCall), !call.isEnded {
                call.newStream?.release()
                call.newStream = stream
            } else {
                stream.release()  // an agent's leg, or a call already over: the bridge alone carries it
            }
        case .confirmed(let pjCall):
            if let call = registry.call(pjCall) { log(.debug, "confirmed", call) }
        case .digit(let pjCall, let digit, let viaInfo):
            guard let call = registry.call(pjCall), call.sessionStarted, !call.isEnded else { return }
            log(.info, "digit", call, [("key", String(digit)), ("via", viaInfo ? "sip-info" : "rfc4733")])
            deliver(.digit(digit), to: call)
        case .disconnected(let pjCall, let status):
            switch registry.disconnected(pjCall) {
            case .caller(let call): disconnected(call, status: status)
            case .agentLeg(of: let call): agentLegEnded(call, status: status)
            case nil: queueLegEnded(pjCall, status: status)
            }
        case .playbackFinished(let serial, let id):
            // The hold prompt is the gateway's own, not the session's.
            if id == Gateway.holdPlayback { return }
            if id == Gateway.callbackGreeting {
                if let call = registry.call(serial: serial), !call.isEnded { callbackGreeted(call) }
                return
            }
            if let call = registry.call(serial: serial), !call.isEnded { deliver(.playbackFinished(id), to: call) }
        case .draftSlow(let serial):
            guard let call = registry.call(serial: serial), case .storing(let since, _, _) = call.draft, !call.isEnded
            else { return }
            let waited = Date().timeIntervalSince(since)
            log(.info, "draft-hold-prompt", call, [("waited-ms", "\(Int(waited * 1000))")])
            if let pcm = call.plan.prompts[Readback.stillStoring] {
                call.channel.play(Gateway.holdPlayback, [pcm])
            } else {
                log(.error, "prompt-missing", call, [("prompt", Readback.stillStoring.rawValue)])
            }
            scheduleHoldPrompt(call, after: Gateway.holdPromptRepeat)
        case .recordingLimit(let serial, let id, let end):
            if let call = registry.call(serial: serial), call.activeRecording == id { finishRecording(call, end: end) }
            if id == Gateway.conversationRecording, let call = registry.call(serial: serial) { finishConversation(call) }
        case .recordingFailed(let serial, let id, let reason):
            logger.log(.error, "recording-write-failed", [("serial", "\(serial)"), ("reason", reason)])
            if let call = registry.call(serial: serial), call.activeRecording == id { finishRecording(call, end: .failed) }
            if id == Gateway.conversationRecording, let call = registry.call(serial: serial) { finishConversation(call) }
        case .recordingLoaded(let serial, let id, let pcm):
            guard let call = registry.call(serial: serial), !call.isEnded else { return }
            if let pcm {
                call.channel.play(id, [pcm])
            } else {
                log(.error, "recording-unreadable", call)
                deliver(.playbackFinished(id), to: call)
            }
        case .draftStored(let serial, let result):
            pendingStores -= 1
            guard let call = registry.call(serial: serial), case .storing(let since, let path, let durationMs) = call.draft
            else { return }
            switch result {
            case .success(let code):
                call.draft = .stored(trackingCode: code)
                // store-ms: from the hand-over to the commit (the caller waits that long for the code).
                log(.info, "draft-submitted", call, [("recording-ms", "\(durationMs)"),
                                                     ("store-ms", "\(Int(Date().timeIntervalSince(since) * 1000))")])
                if let path { writer.forgetSidecar(of: path) }
                if !call.isEnded { deliver(.draftSubmitted(trackingCode: code), to: call) }
            case .failure(let error):
                call.draft = .failed
                log(.error, "draft-failed", call, [("error", error.message)])
                if !call.isEnded { deliver(.draftFailed, to: call) }
            }
            retireIfDone(call)
        case .statusFound(let serial, let status):
            guard let call = registry.call(serial: serial), !call.isEnded else { return }
            log(.info, "status-spoken", call, [("status", GatewayLogFormat.status(status))])
            deliver(.statusFound(status), to: call)
        case .ratingStored(let serial, let accepted):
            guard let call = registry.call(serial: serial), !call.isEnded else { return }
            log(.info, "rating-stored", call, [("accepted", "\(accepted)")])
            deliver(.ratingStored(accepted: accepted), to: call)
        case .registration(let code, let expires, let reason):
            if (200..<300).contains(code), expires > 0 {
                logger.log(.info, "trunk-registered", [("code", "\(code)"), ("expires", "\(expires)")])
            } else if (200..<300).contains(code) {
                logger.log(.info, "trunk-unregistered", [])
            } else {
                logger.log(.warning, "trunk-registration-failed", [("code", "\(code)"), ("reason", reason)])
            }
        case .replacePlan(let newPlan):
            plan = newPlan
            logger.log(.info, "dialplan-reloaded", [("version", newPlan.dialplan.version)])
        case .refused(let reason, let code, let source, let sipCallID, let bytes):
            var metadata: [(String, String)] = [("reason", reason), ("code", code == 0 ? "dropped" : "\(code)"),
                                                ("source", source)]
            if !sipCallID.isEmpty { metadata.append(("call", sipCallID)) }
            if reason == "truncated-datagram" { metadata.append(("bytes", "\(bytes)")) }
            logger.log(reason == "truncated-datagram" ? .warning : .info, "sip-refused", metadata)
        case .agentContacts(let agent, let contacts, let source):
            agentContactsChanged(agent, contacts, source: source)
        case .agentRegisterRefused(let agent, let source, let reason):
            logger.log(.warning, "agent-register-refused", [("agent", agent), ("reason", reason), ("source", source)])
        case .agentPhones(let phones):
            applyAgentPhones(phones)
        case .listenRequests(let requests):
            listenRequestsRead(requests)
        case .listenRequestTaken(let request, let serial, let taken):
            if taken { ringListener(request, serial: serial) }
        case .callbackRequests(let requests):
            callbackRequestsRead(requests)
        case .callbackRequestTaken(let request, let taken):
            if taken { startCallback(request) }
        case .shutdown(let seconds):
            guard !draining else { return }
            draining = true
            drainDeadline = .after(TimeInterval(max(0, seconds)))
            logger.log(.info, "draining", [("calls", "\(registry.liveCount)"), ("seconds", "\(seconds)")])
        }
    }

    // MARK: Call set-up and tear-down

    private func accept(_ pjCall: Int32, _ incoming: IncomingCall) {
        if draining {
            pjsua_call_answer(pjCall, 503, nil, nil)
            logger.log(.info, "rejected-draining", [("call", incoming.sipCallID)])
            return
        }
        let perCaller = configuration.admission.maxCallsPerCaller
        if perCaller > 0, !incoming.callerNumber.isEmpty, registry.liveCount(callerNumber: incoming.callerNumber) >= perCaller {
            answer(pjCall, 503, headers: [("Retry-After", "30")])
            edgeCounters.add("caller-limit")
            logger.log(.info, "sip-refused", [("reason", "caller-limit"), ("code", "503"), ("source", incoming.source),
                                              ("call", incoming.sipCallID), ("from-tag", incoming.fromTag)])
            return
        }
        guard let call = addCall(pjCall, incoming) else {
            pjsua_call_answer(pjCall, 500, nil, nil)
            return
        }
        log(.info, "incoming", call, [("source", incoming.source)])
        let status = pjsua_call_answer(pjCall, 200, nil, nil)
        if status != pjSuccess {
            log(.error, "answer-failed", call, [("error", PJError("pjsua_call_answer", status: status).message)])
        }
    }

    /// A call known to the owner from now on: its serial, media channel and IVR port (nil, logged, when the port
    /// cannot be made). An incoming call, or a callback's leg to the citizen.
    func addCall(_ pjCall: pjsua_call_id, _ incoming: IncomingCall) -> CallLeg? {
        let serial = nextSerial
        nextSerial += 1
        let events = self.events
        let channel = MediaChannel(serial: serial) { events.post($0) }
        let port: IVRMediaPort
        do {
            port = try IVRMediaPort(channel: channel)
        } catch {
            logger.log(.error, "media-port-failed", [("call", incoming.sipCallID), ("error", "\(error)")])
            return nil
        }
        let call = CallLeg(pjCall: pjCall, serial: serial, incoming: incoming, plan: plan, channel: channel, port: port)
        registry.add(call)
        return call
    }

    private func connectMedia(_ call: CallLeg) {
        let slot = pjsua_call_get_conf_port(call.pjCall)
        guard slot != PJSUA_INVALID_ID.rawValue, !call.isEnded else { return }
        let previous = call.callSlot
        let first = call.mediaUp(callSlot: slot)
        if let stream = call.newStream {
            // First media, or a re-INVITE gave the call another stream: the IVR drives it directly, and the
            // bridge stops writing to the call's slot (it never reads a slot nobody listens to).
            call.newStream = nil
            if !call.isWithAgent { pjsua_conf_configure_port(slot, PJMEDIA_PORT_DISABLE, PJMEDIA_PORT_NO_CHANGE) }
            call.port.path.attach(stream)
        }
        if previous != slot, call.isWithAgent, let agent = call.agentLeg {
            // A re-INVITE gave the call another port while it talks to an agent: connect the two again.
            let agentSlot = pjsua_call_get_conf_port(agent)
            if agentSlot != PJSUA_INVALID_ID.rawValue {
                pjsua_conf_connect(slot, agentSlot)
                pjsua_conf_connect(agentSlot, slot)
            }
            if call.conversation != nil { pjsua_conf_connect(slot, call.port.slot) }
        }
        if first, call.callbackRequest != nil {
            callbackCitizenAnswered(call)
        } else if first {
            log(.info, "answered", call)
            let context = CallContext(callerNumber: call.incoming.callerNumber,
                                      isOfficeHours: desk.isOfficeHours(Date()))
            deliver(.started(context), to: call)
        }
    }

    private func disconnected(_ call: CallLeg, status: Int) {
        finishConversation(call)
        callerLeftQueue(call)
        let agent = call.agentLeg
        call.ended()
        log(.info, "hangup", call, [("status", "\(status)")])
        call.channel.stopPlayback()
        timers.cancelAll(serial: call.serial)
        if let agent { pjsua_call_hangup(agent, 0, nil, nil) }
        if call.callbackRequest != nil {
            callbackCitizenEnded(call, status: status)
        } else if call.sessionStarted {
            if call.activeRecording != nil { finishRecording(call, end: .hangup) }
            deliver(.hangup, to: call)
        }
        call.newStream?.release()
        call.newStream = nil
        call.port.remove()
        retireIfDone(call)
    }

    // MARK: Dead media and overlong calls

    /// Hangs up calls that received no RTP for `rtpTimeoutSeconds` (a `c=0.0.0.0` offer, a caller whose media
    /// died) and calls longer than `maxCallSeconds`. The hang-up takes the usual path: a recording already
    /// made is filed as a draft.
    private func sweepDeadMedia(now: OwnerInstant) {
        let rtpTimeout = TimeInterval(configuration.rtpTimeoutSeconds)
        let maxLength = TimeInterval(configuration.maxCallSeconds)
        // Audio integrity: the loss counters of a running recording, read often enough to see every
        // sequence restart of the sender (issue 17 §6).
        for call in registry.live where !call.isEnded && (call.activeRecording != nil || call.conversation != nil) {
            if let counters = AudioCounters.read(call.pjCall) { call.lossMeter.sample(counters) }
        }
        guard rtpTimeout > 0 || maxLength > 0 else { return }
        // A callback's leg to the citizen rings with no media yet: its own ring limit applies (`callbackHousekeeping`).
        for call in registry.live where !call.isEnded && call.limitHangup == nil && !(call.callbackRequest != nil && call.callSlot == nil) {
            if maxLength > 0, now.seconds(since: call.startedClock) >= maxLength {
                hangUpForLimit(call, "max-call-duration")
                continue
            }
            guard rtpTimeout > 0 else { continue }
            // Dead media (issue 23 §8) is no RTP and no RTCP from the caller for --rtp-timeout: a silent caller
            // without comfort noise still sends RTCP, and a call on hold (sendonly, inactive) is not dead.
            var stat = pjsua_stream_stat()
            if pjsua_call_get_stream_stat(call.pjCall, 0, &stat) == pjSuccess,
               stat.rtcp.rx.pkt != call.rtpPackets || stat.rtcp.tx.update_cnt != call.rtcpReports
            {
                call.rtpPackets = stat.rtcp.rx.pkt
                call.rtcpReports = stat.rtcp.tx.update_cnt
                call.lastRTPAt = now
            }
            guard now.seconds(since: call.lastRTPAt) >= rtpTimeout else { continue }
            var info = pjsua_call_info()
            if pjsua_call_get_info(call.pjCall, &info) == pjSuccess, info.media_status == PJSUA_CALL_MEDIA_REMOTE_HOLD {
                call.lastRTPAt = now
                continue
            }
            hangUpForLimit(call, "rtp-timeout")
        }
    }

    /// Once a second: the bridge clock's lateness and the CPU decide whether new calls are refused.
    private func watchOverload(now: OwnerInstant) {
        let cpu = processCPUSeconds()
        var share: Double?
        if let last = lastCPUReading {
            let wall = now.seconds(since: last.at)
            if wall > 0.2 { share = (cpu - last.seconds) / wall / Double(ProcessInfo.processInfo.activeProcessorCount) }
        }
        lastCPUReading = (now, cpu)
        let reading = overload.update(lateness: mediaClock.drain(), cpuShare: share)
        lastTickP95Ms = reading.p95Ms
        guard reading.changed else { return }
        edgeState?.admission.isOverloaded = overload.overloaded
        logger.log(overload.overloaded ? .warning : .info, overload.overloaded ? "overload-on" : "overload-off", [
            ("tick-p95-ms", String(format: "%.1f", reading.p95Ms)), ("cpu-percent", String(format: "%.0f", reading.cpuPercent)),
            ("calls", "\(registry.liveCount)"),
        ])
    }

    private func hangUpForLimit(_ call: CallLeg, _ reason: String) {
        call.limitHangup = reason
        log(.warning, reason, call, [("seconds", "\(Int(OwnerInstant.now.seconds(since: call.startedClock)))"),
                                     ("rtp-packets", "\(call.rtpPackets)")])
        pjsua_call_hangup(call.pjCall, 0, nil, nil)
    }

    // MARK: Transfer to an agent (key 0)

    /// How long an agent may ring before the caller is offered the fallback.
    static let transferRingSeconds: TimeInterval = 30
    static let transferTimer = TimerID(-1)

    /// Calls the agent and, once they answer, bridges the caller to them (the gateway stays in the media
    /// path, so it works with callers that do not support REFER).
    private func transfer(_ call: CallLeg, to uri: String) {
        guard case .inIVR = call.state, let account = endpoint?.accountID else {
            call.inbox.append(.transferFinished(success: false))
            return
        }
        var agentCall: pjsua_call_id = -1
        let status = withPJString(uri) { pjsua_call_make_call(account, $0, nil, nil, nil, &agentCall) }
        guard status == pjSuccess else {
            log(.error, "transfer-failed", call, [("uri", uri), ("error", PJError("make_call", status: status).message)])
            call.inbox.append(.transferFinished(success: false))
            return
        }
        call.agentRinging(agentCall)
        registry.addAgentLeg(agentCall, of: call)
        timers.add(serial: call.serial, Gateway.transferTimer, at: .after(Gateway.transferRingSeconds))
        log(.info, "transfer-started", call, [("uri", uri)])
    }

    private func agentAnswered(_ call: CallLeg) {
        guard case .transferring(let callSlot, let agent) = call.state else { return }
        let agentSlot = pjsua_call_get_conf_port(agent)
        guard agentSlot != PJSUA_INVALID_ID.rawValue else { return }
        timers.cancel(serial: call.serial, Gateway.transferTimer)
        bridge(call, callSlot: callSlot, agentSlot: agentSlot)
        log(.info, "transfer-answered", call)
        deliver(.transferFinished(success: true), to: call)
    }

    /// The caller and the agent talk through the bridge: the IVR lets go of the caller's stream.
    func bridge(_ call: CallLeg, callSlot: pjsua_conf_port_id, agentSlot: pjsua_conf_port_id) {
        call.agentAnswered()
        call.channel.stopPlayback()
        call.port.path.drive(false)
        pjsua_conf_configure_port(callSlot, PJMEDIA_PORT_ENABLE, PJMEDIA_PORT_NO_CHANGE)
        pjsua_conf_connect(callSlot, agentSlot)
        pjsua_conf_connect(agentSlot, callSlot)
    }

    private func agentLegEnded(_ call: CallLeg, status: Int) {
        timers.cancel(serial: call.serial, Gateway.transferTimer)
        guard !call.isEnded else { return }
        let wasWithAgent = call.isWithAgent
        call.agentGone()
        if wasWithAgent {
            // The agent finished the conversation: the caller's call ends with it.
            log(.info, "agent-hangup", call, [("status", "\(status)")])
            pjsua_call_hangup(call.pjCall, 0, nil, nil)
        } else {
            log(.warning, "transfer-unanswered", call, [("status", "\(status)")])
            deliver(.transferFinished(success: false), to: call)
        }
    }

    private func transferTimedOut(_ call: CallLeg) {
        guard case .transferring(_, let agent) = call.state else { return }
        log(.warning, "transfer-timeout", call)
        pjsua_call_hangup(agent, 408, nil, nil)  // agentLegEnded tells the session
    }

    private func retireIfDone(_ call: CallLeg) {
        guard call.isEnded, !call.isSubmitting else { return }
        registry.retire(call)
        log(.info, "call-ended", call)
    }

    // MARK: Running the IVR

    /// Feeds an event to the call's session and performs the actions; events the actions produce
    /// synchronously are queued and fed in order, never recursively.
    func deliver(_ event: CallEvent, to call: CallLeg) {
        call.inbox.append(event)
        guard !call.delivering else { return }
        call.delivering = true
        while !call.inbox.isEmpty {
            let next = call.inbox.removeFirst()
            for action in call.session.handle(next) { perform(action, call) }
        }
        call.delivering = false
    }

    private func perform(_ action: CallAction, _ call: CallLeg) {
        switch action {
        case .play(let id, let names, _):
            guard !call.isEnded else { return }
            var audio: [PCM] = []
            for name in names {
                if let pcm = call.plan.prompts[name] { audio.append(pcm) } else {
                    log(.error, "prompt-missing", call, [("prompt", name.rawValue)])
                }
            }
            if audio.isEmpty {
                call.inbox.append(.playbackFinished(id))
            } else {
                call.channel.play(id, audio)
            }
        case .stopPlayback:
            call.channel.stopPlayback()
        case .startTimer(let id, let after):
            guard !call.isEnded else { return }
            timers.add(serial: call.serial, id, at: .now + after)
        case .cancelTimer(let id):
            timers.cancel(serial: call.serial, id)
        case .startRecording(let id, let limits):
            guard !call.isEnded else { return }
            finishConversation(call)  // back from an agent whose phone died, the caller records a voice report
            let path = recordingPath(call, name: "r\(id.rawValue)")
            call.recordings[id] = CallLeg.Recording(path: path)
            call.activeRecording = id
            beginRecording(call, id, path: path, limits)
            log(.info, "recording-started", call, [("recording", "\(id.rawValue)")])
        case .stopRecording:
            if call.activeRecording != nil { finishRecording(call, end: .stopped) }
        case .discardRecording(let id):
            if let path = call.recordings.removeValue(forKey: id)?.path {
                writer.discard(path: path)
                log(.info, "recording-discarded", call, [("recording", "\(id.rawValue)")])
            }
        case .playRecording(let playback, let id, _):
            guard let path = call.recordings[id]?.path, !call.isEnded else {
                call.inbox.append(.playbackFinished(playback))
                return
            }
            let serial = call.serial
            let events = self.events
            writer.load(path: path) { pcm in events.post(.recordingLoaded(serial: serial, playback, pcm)) }
        case .submitDraft(let request):
            submit(request, call)
        case .lookupStatus(let query):
            let serial = call.serial
            let events = self.events
            desk.lookup(query, callerNumber: call.incoming.callerNumber) { status in
                events.post(.statusFound(serial: serial, status))
            }
        case .rateTicket(let query, let score):
            let serial = call.serial
            let events = self.events
            desk.rate(query, score: score, callerNumber: call.incoming.callerNumber) { accepted in
                events.post(.ratingStored(serial: serial, accepted: accepted))
            }
        case .transfer(let uri):
            transfer(call, to: uri)
        case .joinQueue(let settings):
            joinQueue(call, settings)
        case .leaveQueue(let leaving):
            runQueue(.callerLeft(QueueCallerID(call.serial), leaving))
        case .hangup:
            if !call.isEnded { pjsua_call_hangup(call.pjCall, 0, nil, nil) }
        }
    }

    /// Starts the call's recording `id` into `path`: the channel keeps the caller's frames (or the bridge's mix), the
    /// writer drains them to disk beside a sidecar naming the call, and the loss meter starts from the stream's
    /// counters now. A voice report and a conversation both start here.
    func beginRecording(_ call: CallLeg, _ id: RecordingID, path: String, _ limits: RecordingLimits) {
        call.channel.startRecording(id, limits)
        call.lossMeter = AudioLossMeter(start: AudioCounters.read(call.pjCall) ?? .zero)
        writer.begin(serial: call.serial, id: id, path: path, channel: call.channel, sidecar: .init(
            callID: call.incoming.sipCallID, callerNumber: call.incoming.callerNumber,
            startedAt: call.startedAt, dialplanVersion: call.plan.dialplan.version))
    }

    /// Stops the running recording, hands its last samples to the writer, and returns it with its RTP loss; nil
    /// when none was running.
    func endRecording(_ call: CallLeg) -> (stopped: MediaChannel.StoppedRecording, lossPercent: Int)? {
        guard let stopped = call.channel.stopRecording() else { return nil }
        // After a hang-up the stream is gone: the last reading the watch took stands in.
        if let now = AudioCounters.read(call.pjCall) { call.lossMeter.sample(now) }
        writer.finish(serial: call.serial, id: stopped.id, remaining: stopped.remaining)
        return (stopped, call.lossMeter.lossPercent(recordedMs: stopped.durationMs))
    }

    private func finishRecording(_ call: CallLeg, end: RecordingEnd) {
        guard let (stopped, loss) = endRecording(call) else { return }
        call.activeRecording = nil
        call.recordings[stopped.id]?.durationMs = stopped.durationMs
        call.recordings[stopped.id]?.lossPercent = loss
        log(.info, "recording-finished", call, [
            ("recording", "\(stopped.id.rawValue)"), ("end", end.rawValue), ("ms", "\(stopped.durationMs)"),
            ("loss-percent", "\(loss)"),
        ])
        deliver(.recordingFinished(RecordingResult(id: stopped.id, end: end, durationMs: stopped.durationMs)), to: call)
    }

    private func submit(_ request: DraftRequest, _ call: CallLeg) {
        let recording = request.recording.flatMap { call.recordings[$0] }
        let path = recording?.path
        let duration = recording?.durationMs ?? 0
        let report = PhoneDraft(
            callID: call.incoming.sipCallID, callerNumber: call.incoming.callerNumber,
            category: request.category, confidential: request.confidential, receivedAt: call.startedAt,
            recordingPath: path, recordingDurationMs: duration, recordingSHA256: nil,
            dialplanVersion: call.plan.dialplan.version, interrupted: request.callerHungUp,
            audioLossPercent: recording?.lossPercent)
        call.draft = .storing(since: Date(), recordingPath: path, durationMs: duration)
        if !request.callerHungUp { scheduleHoldPrompt(call, after: Gateway.holdPromptDelay) }
        pendingStores += 1
        let serial = call.serial
        let events = self.events
        let desk = self.desk
        // After the writer has closed the file, so the desk hashes the complete recording.
        writer.afterPendingWrites {
            desk.submit(report) { result in events.post(.draftStored(serial: serial, result)) }
        }
    }

    /// The caller hears `still-storing` when the desk has not answered within this long, then again every
    /// `holdPromptRepeat` seconds while it still has not (issue 17 §5: never silence while the code is stored).
    static let holdPromptDelay: Double = 1
    static let holdPromptRepeat: Double = 4
    /// The playback id of the hold prompt: the session's own ids count up from 1.
    static let holdPlayback = PlaybackID(-17)

    private func scheduleHoldPrompt(_ call: CallLeg, after seconds: Double) {
        let serial = call.serial
        let events = self.events
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { events.post(.draftSlow(serial: serial)) }
    }

    /// `yyyy/MM/dd/HHmmss-cSERIAL-TOKEN-NAME.wav` under the recordings folder (`r1` for a voice report's take 1,
    /// `talk` for the conversation with an agent).
    func recordingPath(_ call: CallLeg, name: String) -> String {
        "\(recordingsDirectory)/\(Self.vietnamStamp(call.startedAt))-c\(call.serial)-\(call.token)-\(name).wav"
    }

    /// `yyyy/MM/dd/HHmmss` in Vietnam time.
    static func vietnamStamp(_ date: Date) -> String {
        let v = VietnamTime(date), two = VietnamTime.two
        return "\(v.year)/\(two(v.month))/\(two(v.day))/" + two(v.hour) + two(v.minute) + two(v.second)
    }

    /// Answers an incoming call with extra headers (e.g. 503 with Retry-After).
    private func answer(_ pjCall: Int32, _ code: Int, headers: [(String, String)]) {
        guard let pool = pjsua_pool_create("answer", 512, 512) else {
            pjsua_call_answer(pjCall, UInt32(code), nil, nil)
            return
        }
        defer { pj_pool_release(pool) }
        // In the pool, so the list head keeps its address.
        let data = pj_pool_zalloc(pool, MemoryLayout<pjsua_msg_data>.size).assumingMemoryBound(to: pjsua_msg_data.self)
        pjsua_msg_data_init(data)
        let head = (UnsafeMutableRawPointer(data) + MemoryLayout<pjsua_msg_data>.offset(of: \.hdr_list)!)
            .assumingMemoryBound(to: pjsip_hdr.self)
        for (name, value) in headers {
            withPJString(name) { n in
                withPJString(value) { v in
                    guard let h = pjsip_generic_string_hdr_create(pool, n, v) else { return }
                    h.withMemoryRebound(to: pjsip_hdr.self, capacity: 1) { hdr in
                        hdr.pointee.prev = head.pointee.prev
                        hdr.pointee.next = head
                        head.pointee.prev.pointee.next = hdr
                        head.pointee.prev = hdr
                    }
                }
            }
        }
        pjsua_call_answer(pjCall, UInt32(code), nil, data)
    }

    /// Says once whether the SIP workers and the owner run at real-time priority, and if not, why and how to grant it.
    private func reportSignallingPriority(owner: String?) {
        let priority = configuration.signallingPriority
        guard priority > 0 else { return }
        if let why = endpoint?.signallingPriorityRefusal ?? owner {
            logger.log(.warning, "signalling-priority-not-raised", [
                ("reason", why), ("effect", "on a busy machine INVITEs wait behind other work before their 200"),
                ("fix", "run as root, or allow it (systemd: LimitRTPRIO=99, RestrictRealtime=no); --signalling-priority 0 stops asking"),
            ])
        } else {
            logger.log(.info, "signalling-priority", [("policy", "SCHED_RR"), ("priority", "\(priority)"),
                                                      ("threads", "sip-workers,owner")])
        }
    }

    func log(_ level: LogLevel, _ event: String, _ call: CallLeg, _ extra: [(String, String)] = []) {
        var metadata: [(String, String)] = [("call", call.incoming.sipCallID)]
        if let code = call.trackingCode { metadata.append(("code", code)) }
        // The From tag last: with the Call-ID it names the dialog, and earlier fields keep their places.
        logger.log(level, event, metadata + extra + [("from-tag", call.incoming.fromTag)])
    }
}

enum GatewayLogFormat {
    /// A status as a log word (no personal data: the status only).
    static func status(_ s: SpokenStatus) -> String {
        switch s {
        case .notFound: "not-found"
        case .waiting: "waiting"
        case .forwarded: "forwarded"
        case .inProgress: "in-progress"
        case .completed: "completed"
        case .refused: "refused"
        case .withdrawn: "withdrawn"
        case .overdue: "overdue"
        }
    }
}
