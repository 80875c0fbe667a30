import Foundation

/// An agent's or supervisor's phone for the live queue (issue 23 §1): a SIP account on the gateway's registrar
/// (its digest HA1, never the password) or an external URI on the city's PBX, and the state the agent last
/// asked for (ready, on break with a reason, offline). The gateway derives the rest (ringing, on a call,
/// wrap-up) from its calls.
public struct AgentPhone: Sendable, Equatable, Codable {
    /// The desk user's name, which is also the SIP user name.
    public var name: String
    /// MD5 of `name:realm:password` in lower-case hex (RFC 2617 §3.2.2.2), for a phone that registers.
    public var digestHA1: String?
    /// A phone outside the gateway (`sip:…`), rung directly.
    public var uri: String?
    public var requested: AgentStatusRequest
    public var reason: String?
    /// When the phone or the state asked for last changed: the same state asked again (ready after an automatic
    /// break) is a new request.
    public var changedAt: Date

    public init(name: String, digestHA1: String? = nil, uri: String? = nil, requested: AgentStatusRequest = .ready,
                reason: String? = nil, changedAt: Date = Date(timeIntervalSince1970: 0)) {
        (self.name, self.digestHA1, self.uri, self.requested, self.reason) = (name, digestHA1, uri, requested, reason)
        self.changedAt = changedAt
    }

    /// The digest realm of the gateway's registrar: part of every stored HA1, so it never changes.
    public static let realm = "hotline1022"
}

/// A supervisor's request to listen in silently on the call an agent is on (issue 23 §6). The gateway that holds
/// the agent's call rings the supervisor's phone and lets it hear both parties; nothing it sends reaches them.
public struct ListenRequest: Sendable, Equatable, Codable {
    public var id: Int64
    public var supervisor: String
    public var agent: String
    public var at: Date
    public init(id: Int64, supervisor: String, agent: String, at: Date) {
        (self.id, self.supervisor, self.agent, self.at) = (id, supervisor, agent, at)
    }

    /// A request not taken up by then (the agent was not on a call on any gateway) lapses.
    public static let lapseSeconds: TimeInterval = 30
}

/// The recording of a live conversation between a caller and an agent (issue 23 §4): both directions mixed into
/// one 8 kHz track, from the moment the agent answers (the caller heard the recorded-call notice before the
/// queue). The gateway files it when the call ends; it goes with the case the agent made from the call or picked
/// for it, during the call or afterwards, and is transcribed like a voice report.
public struct ConversationRecording: Sendable, Equatable, Codable {
    /// The call it belongs to, `ConversationRecording.reference(host:call:)`: the same the case from the call keeps.
    public var call: String
    public var callerNumber: String
    public var agent: String
    public var path: String
    public var durationMs: Int
    public var sha256: String?
    /// RTP lost from the caller's stream while recording, as for voice reports.
    public var lossPercent: Int?
    public var startedAt: Date

    public init(call: String, callerNumber: String, agent: String, path: String, durationMs: Int, sha256: String? = nil,
                lossPercent: Int?, startedAt: Date) {
        (self.call, self.callerNumber, self.agent, self.path) = (call, callerNumber, agent, path)
        (self.durationMs, self.sha256, self.lossPercent, self.startedAt) = (durationMs, sha256, lossPercent, startedAt)
    }

    /// How a live call is named across hosts: the gateway's host and its call there (the queue's caller id).
    public static func reference(host: String, call: String) -> String { "queue:\(host):\(call)" }
}

/// What an agent asks for (`agent status`, the console's header): the queue's other states follow from calls.
public enum AgentStatusRequest: String, Sendable, Equatable, Codable, CaseIterable {
    case ready
    case `break`
    case offline

    public var label: String {
        switch self {
        case .ready: "Sẵn sàng"
        case .break: "Tạm nghỉ"
        case .offline: "Ngoại tuyến"
        }
    }
}
