import CPJSIP
import Foundation
import HotlineCore
import IVR

/// One caller's call as the owner thread sees it: its SIP call, its IVR session and media port, where it
/// stands (`state`), its recordings and its draft. Owner-thread only.
final class CallLeg {
    /// Where the call stands. Set by the owner as PJSIP reports the call's progress.
    enum State: Equatable {
        /// Answered with 200; the media is not up yet and the session has not started.
        case answering
        /// Media up and the IVR session running; `callSlot` is the call's port in the bridge.
        case inIVR(callSlot: pjsua_conf_port_id)
        /// An agent's phone is ringing (key 0); the caller still hears the IVR.
        case transferring(callSlot: pjsua_conf_port_id, agent: pjsua_call_id)
        /// The caller talks to the agent; the IVR port is out of the conversation.
        case withAgent(callSlot: pjsua_conf_port_id, agent: pjsua_call_id)
        /// The SIP call is over (the draft may still be being stored).
        case ended
    }

    /// Where the call's draft is.
    enum Draft {
        case notSubmitted
        /// Handed to the desk at `since`: the recording it carries and its length.
        case storing(since: Date, recordingPath: String?, durationMs: Int)
        case stored(trackingCode: String)
        case failed
    }

    /// A recording made on this call: its file, and once finished its length and RTP loss.
    struct Recording {
        let path: String
        var durationMs: Int?
        var lossPercent: Int?
    }

    let pjCall: pjsua_call_id
    let serial: UInt64
    let incoming: IncomingCall
    let plan: CallPlan
    let channel: MediaChannel
    let port: IVRMediaPort
    let startedAt = Date()
    /// The same moment on the owner's monotonic clock (the call's limits run on it).
    let startedClock = OwnerInstant.now
    /// Random, so recording file names cannot be guessed from the time and the call count.
    let token = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    var session: CallSession
    private(set) var state = State.answering
    var draft: Draft = .notSubmitted

    /// Events for the session, fed in order by the owner (never recursively).
    var inbox: [CallEvent] = []
    var delivering = false

    /// The recording running now, and the loss of its RTP stream so far.
    var activeRecording: RecordingID?
    var lossMeter = AudioLossMeter(start: .zero)
    var recordings: [RecordingID: Recording] = [:]
    /// The conversation with an agent being recorded (issue 23 §4): from the first agent's answer to the call's end.
    var conversation: (path: String, agent: String, startedAt: Date)?

    /// RTP packets received so far, and when the count last grew (the answer counts as the start).
    var rtpPackets: UInt32 = 0
    /// The caller's RTCP reports about what the gateway sends (RR or SR): a silent party still sends them.
    var rtcpReports: UInt32 = 0
    var lastRTPAt = OwnerInstant.now
    /// The audio stream PJSIP created last, until the media-state event that follows puts it to use.
    var newStream: StreamPortReference?
    /// A callback's leg to the citizen ("Gọi lại", issue 23 §5): the agent's request it places; no IVR session runs.
    var callbackRequest: Int64?
    /// Why the gateway hung up on its own (rtp-timeout, max-call-duration), once it has.
    var limitHangup: String?

    init(pjCall: pjsua_call_id, serial: UInt64, incoming: IncomingCall, plan: CallPlan, channel: MediaChannel,
         port: IVRMediaPort) {
        self.pjCall = pjCall
        self.serial = serial
        self.incoming = incoming
        self.plan = plan
        self.channel = channel
        self.port = port
        self.session = CallSession(plan: plan.dialplan)
    }

    // MARK: What the state says

    var isEnded: Bool { if case .ended = state { true } else { false } }
    /// The session has started (media came up before the call ended).
    private(set) var sessionStarted = false
    var callSlot: pjsua_conf_port_id? {
        switch state {
        case .inIVR(let slot), .transferring(let slot, _), .withAgent(let slot, _): slot
        case .answering, .ended: nil
        }
    }
    /// The agent's leg, ringing or bridged.
    var agentLeg: pjsua_call_id? {
        switch state {
        case .transferring(_, let agent), .withAgent(_, let agent): agent
        case .answering, .inIVR, .ended: nil
        }
    }
    var isWithAgent: Bool { if case .withAgent = state { true } else { false } }
    var isSubmitting: Bool { if case .storing = draft { true } else { false } }
    var trackingCode: String? { if case .stored(let code) = draft { code } else { nil } }

    // MARK: Moving the state on

    /// The call's media is up in slot `callSlot` (again, after a re-INVITE): returns true the first time,
    /// when the session is to start.
    func mediaUp(callSlot: pjsua_conf_port_id) -> Bool {
        guard state.mediaUp(callSlot: callSlot) else { return false }
        defer { sessionStarted = true }
        return !sessionStarted
    }

    func agentRinging(_ agent: pjsua_call_id) { state.agentRinging(agent) }
    func agentAnswered() { state.agentAnswered() }
    /// The agent's leg is over (unanswered, refused or hung up): the caller is back in the IVR.
    func agentGone() { state.agentGone() }
    func ended() { state = .ended }
}

/// The transitions, apart from PJSIP so they can be tested alone. A transition that does not apply to the
/// state is ignored (e.g. an agent answering after the caller hung up).
extension CallLeg.State {
    /// Returns false when the call has already ended.
    mutating func mediaUp(callSlot: pjsua_conf_port_id) -> Bool {
        switch self {
        case .answering, .inIVR: self = .inIVR(callSlot: callSlot)
        case .transferring(_, let agent): self = .transferring(callSlot: callSlot, agent: agent)
        case .withAgent(_, let agent): self = .withAgent(callSlot: callSlot, agent: agent)
        case .ended: return false
        }
        return true
    }

    mutating func agentRinging(_ agent: pjsua_call_id) {
        if case .inIVR(let slot) = self { self = .transferring(callSlot: slot, agent: agent) }
    }

    mutating func agentAnswered() {
        if case .transferring(let slot, let agent) = self { self = .withAgent(callSlot: slot, agent: agent) }
    }

    mutating func agentGone() {
        switch self {
        case .transferring(let slot, _), .withAgent(let slot, _): self = .inIVR(callSlot: slot)
        case .answering, .inIVR, .ended: break
        }
    }
}

extension CallLeg: RegisteredCall {
    var callerNumber: String { incoming.callerNumber }
}
