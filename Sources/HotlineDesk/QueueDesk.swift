import DeskSecurity
import Foundation
import HotlineCore
import HotlineStore

/// One line of `queue log`.
public struct QueueLogLine: Sendable, Equatable, Codable {
    public var at: Date
    public var record: QueueRecord
}

extension Desk {
    /// The gateway hosts' live states that are fresh at `now`, newest first (an older one is a host that stopped).
    func freshQueueSnapshots(at now: Date) throws -> [QueueSnapshot] {
        QueueSnapshot.fresh(try store.queueSnapshots(), at: now)
    }

    /// An agent's state as the freshest gateway reporting them has it, with that gateway's host.
    func liveAgent(_ name: String, at now: Date) throws -> (host: String, agent: QueueSnapshot.Agent)? {
        try freshQueueSnapshots(at: now).lazy.compactMap { snapshot in
            snapshot.agents.first { $0.name == name }.map { (snapshot.host, $0) }
        }.first
    }

    /// The call `call` as it is on the agent's own phone now (ringing, talking, or just ended and in wrap-up):
    /// its reference across hosts and the caller's number from the gateway, never from a form.
    func ownCall(_ call: String, of user: User, at now: Date) throws -> (reference: String, number: String) {
        guard let (host, live) = try liveAgent(user.name, at: now), live.call == call, let number = live.callerNumber else {
            throw DeskError.invalidField(.phone, reason: "cuộc gọi này không còn trên máy của bạn; tìm phiếu theo số điện thoại")
        }
        return (ConversationRecording.reference(host: host, call: call), number)
    }

    /// The queue log from `since` on, oldest first: for the hotline and administrators.
    public func queueLog(since: Date, as user: User) throws -> [QueueLogLine] {
        try check(user, .oversee)
        return try store.queueRecords(since: since).map { QueueLogLine(at: $0.at, record: $0.record) }
    }

    /// Today's figures (Vietnam's day) from the log, with who waits and each agent's state now.
    public func queueStats(as user: User) throws -> QueueStats {
        try check(user, .oversee)
        return try store.queueStats(at: now())
    }
}

extension Desk {
    /// Today's callback list (Vietnam's day): the items still to do, nearest deadline first, then those done.
    public func callbacks(as user: User) throws -> [QueueCallback] {
        try check(user, .hotlineWork)
        return Self.ordered(QueueCallback.items(try store.queueRecords(since: QueueStats.dayStart(of: now()))))
    }

    static func ordered(_ items: [QueueCallback]) -> [QueueCallback] {
        items.filter { !$0.isDone }.sorted { $0.dueAt < $1.dueAt } + items.filter(\.isDone)
    }

    /// An agent rang a citizen back from the callback list and says how it went: one `callback-attempted`
    /// record in the queue log. Only for a number on today's list that is not done (reached, wrong number, or
    /// three attempts).
    @discardableResult
    public func recordCallbackAttempt(number: String, outcome: CallbackOutcome, as user: User) throws -> QueueCallback {
        try check(user, .hotlineWork)
        // The list is read and the attempt written in one transaction: two agents at once cannot make a fourth.
        let (today, at) = (QueueStats.dayStart(of: now()), now())
        try store.appendQueueRecord(since: today, at: at) { records in
            try QueueCallback.attempt(to: number, by: user.name, outcome: outcome, call: "desk", records: records)
        }
        guard let item = QueueCallback.items(try store.queueRecords(since: today)).first(where: { $0.callerNumber == number }) else {
            throw DeskError.invalidField(.phone, reason: "số \(number) không có trong danh sách cần gọi lại hôm nay")
        }
        return item
    }
}

extension Desk {
    /// "Gọi lại" (issue 23 §5): the gateway holding the agent's phone rings it within seconds, then calls the
    /// citizen through the trunk; the outcome is recorded from the call. Refused when the number is not due a
    /// callback today, or the agent has no phone in the queue.
    public func placeCallback(to number: String, as user: User) throws {
        try check(user, .hotlineWork)
        guard CallbackRequest.isDiallable(number) else {
            throw DeskError.invalidField(.phone, reason: "số \(number) không gọi lại được (không phải số điện thoại)")
        }
        guard try store.agentPhones().contains(where: { $0.name == user.name }) else {
            throw DeskError.invalidField(.phone, reason: "\(user.name) chưa có điện thoại ở hàng chờ để gọi lại: quản trị hệ thống đặt bằng `users phone`")
        }
        let now = self.now()
        // The same rule as a recorded attempt: on today's list, not done.
        _ = try QueueCallback.attempt(to: number, by: user.name, outcome: .noAnswer, call: "desk",
                                      records: try store.queueRecords(since: QueueStats.dayStart(of: now)))
        if let live = try liveAgent(user.name, at: now)?.agent, live.state == "ringing" || live.state == "onCall" {
            throw DeskError.invalidField(.phone, reason: "máy của bạn đang bận; gọi lại sau cuộc gọi này")
        }
        try store.requestCallback(agent: user.name, number: number, at: now)
    }
}

/// An agent's phone as an administrator sets it: a password for the gateway's registrar, or an external URI;
/// neither removes it.
public struct SetPhoneRequest: Sendable {
    public var userName: String
    public var password: String?
    public var uri: String?
    public init(userName: String, password: String? = nil, uri: String? = nil) {
        (self.userName, self.password, self.uri) = (userName, password, uri)
    }
}

extension Desk {
    /// Sets, replaces or removes an agent's or supervisor's phone (administrators). A registrar password is
    /// kept as its digest HA1 (`SIPDigest`), never itself; the SIP user name is the desk user's name.
    public func setPhone(_ r: SetPhoneRequest, as user: User) throws {
        try check(user, .administer)
        guard let target = try store.user(named: r.userName) else { throw DeskError.notFound(.user, r.userName) }
        guard target.role == .agent || target.role == .supervisor else {
            throw DeskError.invalidField(.phone, reason: "chỉ tổng đài viên và giám sát viên nghe máy ở hàng đợi; \(target.name) là \(target.role.label)")
        }
        guard r.password == nil || r.uri == nil else {
            throw DeskError.invalidField(.phone, reason: "chọn một: mật khẩu SIP (điện thoại đăng ký vào cổng) hoặc URI bên ngoài")
        }
        var ha1: String?
        if let password = r.password {
            try Self.checkNewPassword(password, userName: target.name)
            guard target.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw DeskError.invalidField(.phone, reason: "tên đăng nhập \(target.name) không dùng được làm tên SIP (chỉ chữ, số, . _ -)")
            }
            ha1 = SIPDigest.ha1(user: target.name, realm: AgentPhone.realm, password: password)
        }
        if let uri = r.uri {
            let lower = uri.lowercased()
            guard lower.hasPrefix("sip:") || lower.hasPrefix("sips:"), uri.count <= 256,
                  !uri.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" })
            else {
                throw DeskError.invalidField(.phone, reason: "URI phải có dạng sip:tên@máy[:cổng], không có khoảng trắng; nhận được '\(uri)'")
            }
        }
        try store.setAgentPhone(target.name, digestHA1: ha1, uri: r.uri, actor: "administrator:\(user.name)", at: now())
    }

    /// Sets the state an agent asks for: ready, on break (with a reason) or offline. An agent or supervisor
    /// sets their own; a supervisor or administrator anyone's. The gateway applies it within seconds.
    public func setAgentStatus(_ name: String, _ request: AgentStatusRequest, reason: String?, as user: User) throws {
        if name != user.name {
            guard user.role == .supervisor || user.role == .administrator else {
                throw DeskError.forbidden(user: user.name, role: user.role,
                                          reason: "chỉ giám sát viên và quản trị hệ thống đổi trạng thái của người khác")
            }
        }
        try check(user, .oversee)
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let reason, reason.count > 200 { throw DeskError.invalidField(.reason, reason: "tối đa 200 ký tự") }
        let kept = request == .break ? (reason?.isEmpty == false ? reason : "Tạm nghỉ") : nil
        guard try store.setAgentRequest(name, request, reason: kept, at: now()) else {
            throw DeskError.invalidField(.phone, reason: "\(name) chưa có điện thoại ở hàng đợi: quản trị hệ thống đặt bằng `users phone`")
        }
    }

    /// Every agent's phone (the HA1 left out) and the state they asked for: for the hotline and administrators.
    public func agentPhones(as user: User) throws -> [AgentPhone] {
        try check(user, .oversee)
        return try store.agentPhones().map { phone in
            var shown = phone
            shown.digestHA1 = phone.digestHA1 == nil ? nil : ""
            return shown
        }
    }
}

extension Desk {
    /// "New case from this call" (issue 23 §4): the draft of the call ringing, answered or just ended (wrap-up) on
    /// the agent's own phone, made once per call with the caller's number from the gateway's live state (never
    /// from the form), and claimed by the agent. The conversation's recording goes with it (now, or when the
    /// gateway files it). Returns its tracking code, the same on a second request.
    public func caseFromCall(_ call: String, as user: User) throws -> String {
        try check(user, .hotlineWork)
        let now = self.now()
        let (reference, number) = try ownCall(call, of: user, at: now)
        let code = try store.liveCallDraft(PhoneDraft(
            callID: reference, callerNumber: number, category: nil, confidential: nil, receivedAt: now,
            recordingPath: nil, recordingDurationMs: 0, recordingSHA256: nil, dialplanVersion: "live-call", interrupted: false),
            calendar: try context().calendar)
        if try store.claim(of: code, at: now).map({ $0.userName != user.name }) ?? true {
            _ = try? store.claim(code, by: user, at: now)  // held by another agent already: theirs stays
        }
        _ = try store.linkConversation(reference, callerNumber: number, toCase: code, by: user.name, at: now)
        return code
    }

    /// The conversation of the agent's own call goes with an open case of the same caller instead (the citizen
    /// rings about it): its recording is attached to that case, now or when the gateway files it. One case per
    /// conversation: refused once it goes with another.
    public func attachCall(_ call: String, toCase code: String, as user: User) throws {
        try check(user, .hotlineWork)
        let now = self.now()
        let (reference, number) = try ownCall(call, of: user, at: now)
        // The caller's own cases, as the screen pop lists them.
        guard let t = try store.callerTickets(number, except: "", limit: 50).first(where: { $0.trackingCode == code }) else {
            throw DeskError.invalidField(.trackingCode, reason: "phiếu \(code) không phải của số đang gọi")
        }
        guard t.status.isOpen else {
            throw DeskError.invalidField(.trackingCode, reason: "phiếu \(code) đã đóng; tạo phiếu mới từ cuộc gọi")
        }
        guard try store.linkConversation(reference, callerNumber: number, toCase: code, by: user.name, at: now) else {
            let other = try store.conversation(reference)?.trackingCode ?? "khác"
            throw DeskError.invalidField(.trackingCode, reason: "cuộc gọi này đã gắn với phiếu \(other)")
        }
    }
}

/// What the console's header shows an agent of themself in the live queue.
public struct AgentPresenceView: Sendable, Equatable {
    /// False: no phone in the queue yet (an administrator sets one with `users phone`).
    public var hasPhone: Bool
    public var requested: AgentStatusRequest
    public var reason: String?
    /// The state the gateways report now (ringing, on a call, wrap-up…), nil when no gateway reports the agent.
    public var live: QueueSnapshot.Agent?
    /// While the agent's phone rings or they talk: who calls, and what the hotline already has from that number.
    public var caller: ScreenPop?
}

/// What the agent's console shows the moment their phone rings (issue 23 §4): the caller's number, their earlier
/// tickets with status and deadlines, and whether they ring again about something open.
public struct ScreenPop: Sendable, Equatable {
    /// The calling number ("" when withheld) and the gateway's call it is.
    public var number: String
    public var call: String
    /// Earlier tickets from this number, newest first (at most 10).
    public var tickets: [CallerTicket]
    /// Of those tickets, the ones still open.
    public var openCount: Int
    /// The number rang the hotline before (it has tickets).
    public var repeatCaller: Bool { !tickets.isEmpty }
    /// The case this call's conversation goes with, once the agent made or picked one.
    public var linkedCode: String?

    public init(number: String, call: String, tickets: [CallerTicket]) {
        (self.number, self.call, self.tickets) = (number, call, tickets)
        openCount = tickets.filter { $0.status.isOpen }.count
    }
}

extension Desk {
    /// The signed-in agent's own state in the live queue: what they asked for and what the gateways see.
    public func ownPresence(as user: User) throws -> AgentPresenceView {
        try check(user, .oversee)
        guard let phone = try store.agentPhones().first(where: { $0.name == user.name }) else {
            return AgentPresenceView(hasPhone: false, requested: .offline, reason: nil, live: nil)
        }
        let found = try liveAgent(user.name, at: now())
        let live = found?.agent
        var caller: ScreenPop?
        if let found, let live, let number = live.callerNumber, let call = live.call {
            caller = ScreenPop(number: number, call: call,
                               tickets: try store.callerTickets(number, except: "", limit: 10))
            caller?.linkedCode = try store.conversation(ConversationRecording.reference(host: found.host, call: call))?.trackingCode
        }
        return AgentPresenceView(hasPhone: true, requested: phone.requested, reason: phone.reason, live: live,
                                 caller: caller)
    }
}

/// What the supervisors' wallboard shows (issue 23 §6): the queue's figures for today and now, and the cases
/// waiting for the hotline with the nearest of their deadlines.
public struct Wallboard: Sendable, Equatable {
    public var stats: QueueStats
    /// Cases in the hotline's queue (drafts and returned cases), and of them the voice reports (drafts with a
    /// recording; a case an agent opened from a live call has none) not yet completed.
    public var casesWaiting: Int
    public var voiceReportsWaiting: Int
    /// The nearest deadline among those cases, and its case.
    public var nearestDeadline: Date?
    public var nearestDeadlineCode: String?
    public var at: Date
}

extension Desk {
    /// The wallboard's figures now: the same `QueueStats` as `queue stats`, plus the hotline's waiting cases.
    public func wallboard(as user: User) throws -> Wallboard {
        try check(user, .oversee)
        let now = self.now()
        let stats = try store.queueStats(at: now)
        let cases = try store.hotlineQueue(now: now)
        let nearest = cases.filter { $0.dueAt != nil }.min { $0.dueAt! < $1.dueAt! }
        return Wallboard(stats: stats, casesWaiting: cases.count,
                         voiceReportsWaiting: cases.filter { $0.status == .draft && $0.recordingDurationMs != nil }.count,
                         nearestDeadline: nearest?.dueAt, nearestDeadlineCode: nearest?.trackingCode, at: now)
    }
}

extension Desk {
    /// A supervisor listens in silently on the call `agent` is on now (issue 23 §6): the gateway holding it rings
    /// the supervisor's own phone within seconds. Refused when the agent is on no call, or the supervisor has no phone.
    public func listenIn(to agent: String, as user: User) throws {
        try check(user, .listenIn)
        guard try store.agentPhones().contains(where: { $0.name == user.name }) else {
            throw DeskError.invalidField(.phone, reason: "\(user.name) chưa có điện thoại ở hàng chờ để nghe kèm: quản trị hệ thống đặt bằng `users phone`")
        }
        guard let live = try liveAgent(agent, at: now())?.agent, live.state == "onCall" else {
            throw DeskError.invalidField(.phone, reason: "\(agent) không đang nghe máy; chỉ nghe kèm được một cuộc gọi đang diễn ra")
        }
        try store.requestListenIn(supervisor: user.name, agent: agent, at: now())
    }
}
