import Foundation
import HotlineCore
import IVR

/// Where and how the gateway listens and keeps its recordings.
public struct GatewayConfiguration: Sendable {
    /// The address the SIP UDP transport binds to.
    public var sipAddress: String = "127.0.0.1"
    public var sipPort: Int = 5060
    /// The first local RTP port; each call takes two (RTP and RTCP).
    public var rtpPort: Int = 20000
    /// Concurrent calls; the next caller gets 486 Busy Here (pjsua's own limit, at most PJSUA_MAX_CALLS).
    public var maxCalls: Int = 1000
    /// Where recordings go: `<dir>/YYYY/MM/DD/<time>-<call>-r<N>.wav`.
    public var recordingsDirectory: String = "./var/recordings"
    /// PJSIP's own log verbosity on stderr (0–5). Levels above 3 print SIP messages, which carry phone numbers.
    public var pjsipLogLevel: Int = 1
    /// PJSIP worker threads polling the SIP socket.
    public var sipThreads: Int = 1
    /// The SIP workers and the owner thread run under `SCHED_RR` at this priority (1–99; 0 = normal scheduling),
    /// when the process may (root, `CAP_SYS_NICE` or `RLIMIT_RTPRIO`); otherwise normally, and the log says why.
    public var signallingPriority: Int = 10
    /// SIP over TLS, when a port, certificate and key are given (PEM files).
    public var tls: TLSConfiguration?
    /// SRTP for the media: off, offered (optional) or demanded (required: a plain RTP offer gets 488).
    public var srtp: SRTPPolicy = .off

    /// Register with the SIP trunk's registrar (an authenticated trunk); pjsua re-registers on its own and
    /// retries every `retrySeconds` after a failure, so the trunk recovers when the registrar comes back.
    public var registration: TrunkRegistration?

    /// The trunk networks allowed to start calls; everyone else gets 403 (then silence if they insist).
    public var sourcePolicy = SourcePolicy(networks: [try! .init("127.0.0.0/8"), try! .init("::1/128")])

    /// SIP over TCP on the same address and port as UDP (RFC 3261 §18: trunks move large requests to TCP).
    public var tcp = true
    /// New calls per second per source, per network, and per caller number: over the limit, 503 + Retry-After.
    public var admission = AdmissionLimits()
    /// Hang up a call that has received no RTP for this long (seconds; 0 = never).
    public var rtpTimeoutSeconds: Int = 30
    /// Send RTP while the gateway has nothing to say (while it records, say). Off: silence is not sent, but
    /// for one packet every 5 s (PJSIP's VAD on G.711), as Asterisk's Record() sends nothing: fewer packets
    /// out by the share of the call the gateway is silent, about 40% in the benchmark's call (issue 17 §2).
    /// On, for a trunk that hangs up on one-way RTP.
    public var sendSilence = false
    /// Hang up any call after this long (seconds; 0 = never).
    public var maxCallSeconds: Int = 600
    /// Overload control (issue 17 §4): refuse new calls (503, reason overload) while the bridge's tick lateness
    /// at p95 over the last seconds exceeds this (ms; 0 = not watched) ...
    public var overloadTickMs: Int = 10
    /// ... or the process uses this share of all cores (percent; 0 = not watched).
    public var overloadCPUPercent: Int = 95
    /// The live queue's members whose phones are SIP URIs outside the gateway (the city's PBX, a softphone):
    /// always reachable, ready when not on a call or in wrap-up. `--agents-uri` is one such member.
    public var queueMembers: [QueueMember] = []
    /// Record each conversation with an agent, both directions (issue 23 §4); the caller heard the recorded-call
    /// notice before the queue.
    public var recordConversations = true
    /// Where callbacks to citizens go (issue 23 §5): `sip:NUMBER@` this host[:port] (the carrier's trunk or an
    /// outbound proxy); nil: "Gọi lại" is not placed by this gateway.
    public var callbackTrunk: String?
    /// Where agents' phones may REGISTER from (issue 23 §1), apart from the trunks' `sourcePolicy`.
    public var agentNetworks: [SourcePolicy.Network] = [try! .init("127.0.0.0/8"), try! .init("::1/128")]

    public init() {}
}

/// An agent of the live queue whose phone is an external SIP URI.
public struct QueueMember: Sendable, Equatable {
    /// The desk user's name (the queue log and the wallboard name the agent by it).
    public var name: String
    public var uri: String
    public init(name: String, uri: String) { (self.name, self.uri) = (name, uri) }

    /// The user part of a SIP URI (`sip:agents@10.0.0.5:5070` → `agents`), or the whole URI without one.
    public static func name(ofURI uri: String) -> String {
        var rest = Substring(uri)
        if let colon = rest.firstIndex(of: ":") { rest = rest[rest.index(after: colon)...] }
        guard let at = rest.firstIndex(of: "@") else { return String(rest) }
        return String(rest[..<at])
    }
}

public struct TLSConfiguration: Sendable {
    public var port: Int
    public var certificateFile: String
    public var privateKeyFile: String
    public init(port: Int, certificateFile: String, privateKeyFile: String) {
        self.port = port
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }
}

public struct TrunkRegistration: Sendable {
    public var registrarURI: String
    public var user: String
    public var password: String
    public var expiresSeconds: Int = 300
    public var retrySeconds: Int = 30
    public init(registrarURI: String, user: String, password: String) {
        self.registrarURI = registrarURI
        self.user = user
        self.password = password
    }
}

public enum SRTPPolicy: String, Sendable, CaseIterable {
    case off, optional, required
}

/// A dialplan with the audio of every prompt it can ask for, ready for new calls. Swapped whole on reload;
/// calls in progress keep the plan they started with.
public struct CallPlan: Sendable {
    public let dialplan: Dialplan
    public let prompts: PromptLibrary

    public init(dialplan: Dialplan, prompts: PromptLibrary) {
        self.dialplan = dialplan
        self.prompts = prompts
    }
}

/// Every prompt's PCM, loaded once and shared by all calls.
public final class PromptLibrary: Sendable {
    private let audio: [PromptName: PCM]

    public init(audio: [PromptName: PCM]) { self.audio = audio }

    /// Loads `<directory>/<name>.wav` for each name; every missing or malformed file is reported at once.
    public static func load(directory: String, names: Set<PromptName>) throws -> PromptLibrary {
        var audio: [PromptName: PCM] = [:]
        var problems: [String] = []
        for name in names.sorted(by: { $0.rawValue < $1.rawValue }) {
            let path = (directory as NSString).appendingPathComponent(name.rawValue + ".wav")
            do {
                audio[name] = try WAV.load(path: path)
            } catch {
                problems.append("\(error)")
            }
        }
        if !problems.isEmpty { throw PromptLibraryError(problems: problems) }
        return PromptLibrary(audio: audio)
    }

    public subscript(name: PromptName) -> PCM? { audio[name] }
    public var count: Int { audio.count }
}

public struct PromptLibraryError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String {
        "\(problems.count) prompt(s) cannot be used (run `hotline1022 prompts build`):\n  "
            + problems.joined(separator: "\n  ")
    }
}

public struct ReportDeskError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The domain side of the gateway, wired by the executable to the ticket store and calendar. Its methods are
/// called from the owner thread and must not block it: they do their work elsewhere and call back.
public protocol ReportDesk: Sendable {
    /// Files the call as a draft: the core's `PhoneDraft`, its recording's checksum left for the desk to compute
    /// off the gateway's threads.
    func submit(_ report: PhoneDraft, completion: @escaping @Sendable (Result<String, ReportDeskError>) -> Void)
    func lookup(_ query: StatusQuery, callerNumber: String,
                completion: @escaping @Sendable (SpokenStatus) -> Void)
    /// Stores a caller's rating (1–5) of the completed ticket `query` finds (Art. 8.5b); `completion(false)` when
    /// the store refused it (already rated, not completed, not found).
    func rate(_ query: StatusQuery, score: Int, callerNumber: String, completion: @escaping @Sendable (Bool) -> Void)
    /// Inside the hotline's office hours on a working day, by the domain core's calendar.
    func isOfficeHours(_ date: Date) -> Bool
    /// Keeps a record of the live queue's log (issue 23 §7), off the gateway's threads, in order.
    func recordQueue(_ record: QueueRecord, at date: Date)
    /// The queue's live state, for `queue stats` and the wallboard: written when it changed, at most once a second.
    func publishQueue(_ snapshot: QueueSnapshot)
    /// The agents' phones and the states they asked for (issue 23 §1–2), read off the gateway's threads.
    func agentPhones(completion: @escaping @Sendable (Result<[AgentPhone], ReportDeskError>) -> Void)
    /// Supervisors' listen-in requests made since `since` and not taken up yet (issue 23 §6).
    func listenRequests(since: Date, completion: @escaping @Sendable (Result<[ListenRequest], ReportDeskError>) -> Void)
    /// Takes a request up for this host; `completion(false)` when another host already had (or the store failed).
    func takeListenRequest(_ id: Int64, host: String, completion: @escaping @Sendable (Bool) -> Void)
    /// Files a conversation's finished recording (its checksum left to the desk), to go with the call's case;
    /// `completion(false)` when the store failed (the sidecar stays, and the next start-up files the audio).
    func fileConversation(_ recording: ConversationRecording, completion: @escaping @Sendable (Bool) -> Void)
    /// Agents' "Gọi lại" requests made since `since` and not taken up yet (issue 23 §5).
    func callbackRequests(since: Date, completion: @escaping @Sendable (Result<[CallbackRequest], ReportDeskError>) -> Void)
    /// Takes a callback request up for this host; `completion(false)` when another host already had.
    func takeCallbackRequest(_ id: Int64, host: String, completion: @escaping @Sendable (Bool) -> Void)
    /// Records the outcome of a callback the gateway placed, by the same rule as an agent's (`QueueCallback.attempt`).
    func recordCallbackAttempt(to number: String, by agent: String, outcome: CallbackOutcome, call: String)
}

// The gateway logs through HotlineCore's `EventLogger`: call id and tracking code as metadata, never personal data.
