import Foundation
import HotlineCore

/// A call run through a dialplan without a phone: says what the caller would hear (prompt texts), and feeds
/// back the caller's keys from a script or from `ask`. Pure: its only ways out are the closures it is given,
/// so the CLI prints to a terminal and the console renders a page from the same run.
public struct DialplanSimulator {
    let plan: Dialplan
    /// The words of a prompt (its text file's), for people reading the run.
    let promptText: (PromptName) -> String
    /// Each line of the run, as it happens.
    let say: (String) -> Void
    /// The caller's next input when there is no script: keys, "" to let things run out, "h" to hang up; nil ends.
    let ask: () -> String?
    var script: [String]?
    var session: CallSession
    var playing: PlaybackID?
    var timer: TimerID?
    var recording: RecordingID?
    var ended = false
    /// The caller waits in the live queue (nobody answers in the simulation unless `agentAnswers`).
    var queueing = false
    var recordings = 0
    /// What a status lookup finds, and whether an agent answers a transfer.
    public var status: SpokenStatus = .waiting
    public var agentAnswers = false
    /// Say the run's own lines in Vietnamese (the console's simulator; ♪ marks what is played, a sign every font
    /// has); the prompts are Vietnamese either way.
    public var vietnamese = false
    /// The drafts the run filed, in order.
    public private(set) var drafts: [DraftRequest] = []

    public static func status(_ name: String, unit: PromptName?) -> SpokenStatus? {
        switch name {
        case "waiting": return .waiting
        case "forwarded": return .forwarded(unitPrompt: unit)
        case "in-progress": return .inProgress(unitPrompt: unit)
        case "overdue": return .overdue(unitPrompt: unit)
        case "completed":
            let c = Calendar(identifier: .gregorian).dateComponents([.year, .month, .day], from: Date())
            return .completed(year: c.year!, month: c.month!, day: c.day!)
        case "refused": return .refused
        case "withdrawn": return .withdrawn
        case "not-found": return .notFound
        default: return nil
        }
    }

    public init(plan: Dialplan, script: [String]?, promptText: @escaping (PromptName) -> String,
                say: @escaping (String) -> Void, ask: @escaping () -> String? = { nil }) {
        self.plan = plan
        self.script = script
        self.promptText = promptText
        self.say = say
        self.ask = ask
        self.session = CallSession(plan: plan)
    }

    func text(_ name: PromptName) -> String { promptText(name) }

    public mutating func run(_ context: CallContext) {
        say(vietnamese ? "— cuộc gọi từ \(context.callerNumber), \(context.isOfficeHours ? "trong giờ hành chính" : "ngoài giờ hành chính"), kịch bản \(plan.version)"
            : "— call from \(context.callerNumber), \(context.isOfficeHours ? "office hours" : "after hours"), plan \(plan.version)")
        perform(session.handle(.started(context)))
        while !ended {
            guard let input = nextInput() else {
                perform(session.handle(.hangup))
                say(vietnamese ? "— người gọi gác máy" : "— caller hung up")
                break
            }
            if input.isEmpty, queueing {
                queueing = false
                playing = nil
                say(vietnamese ? "  (chờ hết thời gian tối đa, không ai nghe máy)" : "  (the maximum wait passes, nobody answers)")
                perform(session.handle(.queueOverflow(.timeout)))
                continue
            }
            if input.isEmpty {
                // Let whatever runs finish: the playback first, then the timer, then a recording's silence.
                if let p = playing {
                    playing = nil
                    perform(session.handle(.playbackFinished(p)))
                } else if let t = timer {
                    timer = nil
                    say(vietnamese ? "  (không bấm phím: hết thời gian chờ)" : "  (no key: the wait runs out)")
                    perform(session.handle(.timerFired(t)))
                } else if let r = recording {
                    recording = nil
                    say(vietnamese ? "  (5 giây im lặng: dừng ghi âm)" : "  (5 s of silence: the recording stops)")
                    perform(session.handle(.recordingFinished(RecordingResult(id: r, end: .silence, durationMs: 12_000))))
                }
                continue
            }
            if input == "h" {
                if let r = recording {
                    recording = nil
                    perform(session.handle(.recordingFinished(RecordingResult(id: r, end: .hangup, durationMs: 9_000))))
                }
                perform(session.handle(.hangup))
                say(vietnamese ? "— người gọi gác máy" : "— caller hung up")
                break
            }
            for key in input where "0123456789*#".contains(key) {
                say(vietnamese ? "  [phím \(key)]" : "  [key \(key)]")
                perform(session.handle(.digit(key)))
            }
        }
    }

    mutating func nextInput() -> String? {
        if script != nil {
            guard !script!.isEmpty else { return nil }
            return script!.removeFirst().trimmingCharacters(in: .whitespaces)
        }
        return ask()?.trimmingCharacters(in: .whitespaces)
    }

    mutating func perform(_ actions: [CallAction]) {
        for action in actions {
            switch action {
            case .play(let id, let names, let bargeIn):
                playing = id
                for name in names { say("  \(vietnamese ? "♪" : "🔊") \(text(name))\(bargeIn ? "" : vietnamese ? "  [không nhận phím]" : "  [keys ignored]")") }
            case .playRecording(let id, let r, _):
                playing = id
                say(vietnamese ? "  ♪ <bản ghi âm #\(r.rawValue)>" : "  🔊 <recording #\(r.rawValue)>")
            case .stopPlayback:
                playing = nil
            case .startTimer(let id, let after):
                timer = id
                say(vietnamese ? "  (chờ bấm phím tối đa \(after.components.seconds) giây)" : "  (waiting up to \(after.components.seconds) s for a key)")
            case .cancelTimer:
                timer = nil
            case .startRecording(let id, let limits):
                recording = id
                say(vietnamese ? "  ● đang ghi âm (tối đa \(limits.maxSeconds) giây; # để kết thúc)" : "  ● recording (up to \(limits.maxSeconds) s; # ends it)")
            case .stopRecording:
                if let r = recording {
                    recording = nil
                    perform(session.handle(.recordingFinished(RecordingResult(id: r, end: .stopped, durationMs: 8_000))))
                }
            case .discardRecording(let id):
                say(vietnamese ? "  (bỏ bản ghi âm #\(id.rawValue))" : "  (recording #\(id.rawValue) discarded)")
            case .submitDraft(let draft):
                recordings += 1
                drafts.append(draft)
                let code = "20261122-00000\(String(format: "%02d", recordings))"
                say(vietnamese ? "  ✓ đã lưu phiếu nháp: lĩnh vực \(draft.category?.label ?? "chưa chọn"), bảo mật \(draft.confidential.map { $0 ? "có" : "không" } ?? "chưa hỏi"), mã số \(code)"
                    : "  ✓ draft filed: category \(draft.category?.rawValue ?? "none"), confidential \(draft.confidential.map(String.init) ?? "not asked"), code \(code)")
                if !ended { perform(session.handle(.draftSubmitted(trackingCode: code))) }
            case .lookupStatus(let query):
                say(vietnamese ? "  (tra cứu trạng thái: \(query); giả lập là \(status))" : "  (status lookup: \(query); simulated as \(status))")
                perform(session.handle(.statusFound(status)))
            case .rateTicket(let query, let score):
                say(vietnamese ? "  ★ đã lưu đánh giá \(score)/5 cho \(query)" : "  ★ rating \(score)/5 stored for \(query)")
                perform(session.handle(.ratingStored(accepted: true)))
            case .transfer(let uri):
                say(vietnamese ? "  ☎ chuyển tới \(uri): giả lập \(agentAnswers ? "có người nghe" : "không ai nghe")" : "  ☎ transfer to \(uri): simulated as \(agentAnswers ? "answered" : "unanswered")")
                perform(session.handle(.transferFinished(success: agentAnswers)))
                if agentAnswers {
                    say(vietnamese ? "— người gọi nói chuyện với tổng đài viên; menu tự động kết thúc" : "— the caller talks with the agent; the IVR is done")
                    ended = true
                }
            case .joinQueue(let settings):
                say(vietnamese ? "  ☎ vào hàng chờ (đổ chuông \(settings.ringTimeout.components.seconds) giây mỗi máy, chờ tối đa \(settings.maxWait.components.seconds) giây): giả lập \(agentAnswers ? "có người nghe" : "không ai nghe")"
                    : "  ☎ joins the queue (\(settings.ringTimeout.components.seconds) s ring per agent, \(settings.maxWait.components.seconds) s maximum wait): simulated as \(agentAnswers ? "answered" : "unanswered")")
                queueing = true
                perform(session.handle(.queuePosition(1, estimatedWait: nil)))
                if agentAnswers {
                    queueing = false
                    perform(session.handle(.queueConnected))
                    say(vietnamese ? "— người gọi nói chuyện với tổng đài viên; menu tự động kết thúc" : "— the caller talks with the agent; the IVR is done")
                    ended = true
                }
            case .leaveQueue(let leaving):
                queueing = false
                say(vietnamese ? "  (rời hàng chờ: \(leaving == .callback ? "đề nghị gọi lại" : "bấm phím"))" : "  (leaves the queue: \(leaving == .callback ? "callback requested" : "by a key"))")
            case .hangup:
                say(vietnamese ? "— tổng đài gác máy" : "— the hotline hangs up")
                ended = true
            }
        }
    }
}

/// A dialplan as Graphviz DOT: one box per node, one edge per way out, labelled with its key or reason.
public enum DialplanGraph {
    public static func dot(_ plan: Dialplan) -> String {
        var lines = ["digraph dialplan {", "  rankdir=LR;", "  node [shape=box, fontname=\"Helvetica\"];",
                     "  label=\"\(plan.version)\";"]
        func id(_ t: Target) -> String {
            switch t {
            case .node(let n): "\"\(n)\""
            case .top: "\"\(plan.top)\""
            case .back: "\"@back\""
            case .repeat: ""
            }
        }
        for name in plan.nodes.keys.sorted() {
            let node = plan.nodes[name]!
            let shape: String
            var edges: [(Target, String)] = []
            switch node.kind {
            case .play(_, _, let next): shape = "box"; edges = [(next, "")]
            case .menu(let m):
                shape = "diamond"
                edges = m.options.sorted { $0.key < $1.key }.map { ($0.value, "key \($0.key)") } + [(m.fallback, "fallback")]
            case .collect(let c): shape = "parallelogram"; edges = [(c.next, "digits"), (c.timeout, "timeout")]
            case .record(let r): shape = "ellipse"; edges = [(r.next, "")] + (r.tooShort.map { [($0, "too short")] } ?? [])
            case .review(let r): shape = "diamond"; edges = [(.node(r.record), "2 re-record"), (r.next, "3 send")]
            case .set(_, let next): shape = "note"; edges = [(next, "")]
            case .submit(let next, let failed): shape = "cylinder"; edges = [(next, "stored"), (failed, "failed")]
            case .sayCode(_, _, let next), .sayDigits(_, _, let next): shape = "box"; edges = [(next, "")]
            case .status(_, let next): shape = "cylinder"; edges = [(next, "")]
            case .rate(let r): shape = "diamond"; edges = [(r.next, "1-5 rated, or none")]
            case .officeHours(let open, let closed): shape = "hexagon"; edges = [(open, "open"), (closed, "closed")]
            case .transfer(_, _, let failed): shape = "house"; edges = [(failed, "no answer")]
            case .queue(let q):
                shape = "house"
                edges = [(q.record, "key 1 record"), (q.overflow, "overflow")] + (q.callback.map { [($0, "key 2 callback")] } ?? [])
            case .goto(let t): shape = "point"; edges = [(t, "")]
            case .submenu(let t, let r): shape = "box3d"; edges = [(t, "enter"), (r, "back")]
            case .hangup: shape = "doublecircle"
            }
            lines.append("  \"\(name)\" [shape=\(shape)];")
            for (target, label) in edges where !id(target).isEmpty {
                lines.append("  \"\(name)\" -> \(id(target))" + (label.isEmpty ? ";" : " [label=\"\(label)\"];"))
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}
