import Foundation
import HotlineDesk
import HotlineCore
import IVR

let dialplanCommands = Command.group("dialplan", "Tools for administrators who edit the IVR menus.", [
    dialplanValidateCommand, dialplanSimulateCommand, dialplanGraphCommand, dialplanInstallCommand,
])

let dialplanInstallCommand = Command.leaf(
    "install", "Put a checked dialplan live (administrators): validated with its prompts, swapped in whole, audited.",
    help: """
        FILE --as ADMINISTRATOR [--to LIVE_FILE] [--prompts DIR] [--db PATH]

        Validates FILE as `dialplan validate` does, prompts included (--prompts, default Prompts/vi); a plan
        with any problem is refused and the live file is not touched. Otherwise FILE is written beside
        --to (default Dialplans/hotline-1022.json) and renamed over it in one step, so a running gateway
        never reads half a file: it reloads within a second (new calls get the new menu). The change is
        recorded in the audit log with the plan's version and SHA-256.
        """
) { args in
    let options = try CaseOptions(&args)
    let target = try args.option("--to") ?? "Dialplans/hotline-1022.json"
    let prompts = try args.option("--prompts") ?? "Prompts/vi"
    let agents = try args.option("--agents-uri") ?? ServeSettings().agentsURI
    let path = try args.requiredPositional("the dialplan FILE to install")
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("không đọc được \(path)") }
    let done = try w.desk.installDialplan(DialplanInstallRequest(data: data, source: path, target: target, promptDirectory: prompts,
                                                                 variables: ["agentsURI": agents]), as: w.user)
    print("Đã cài kịch bản \(done.version) vào \(target) (\(done.nodeCount) nút). Tổng đài đang chạy tự nạp lại.")
}

private let planVariablesHelp = """
    --agents-uri URI stands for ${agentsURI} in the plan (default sip:agents@127.0.0.1:5070, as serve).
    """

private func loadForTool(_ args: inout Arguments) throws -> (path: String, prompts: String?, variables: [String: String]) {
    let prompts = try args.option("--prompts")
    let agents = try args.option("--agents-uri") ?? ServeSettings().agentsURI
    let path = try args.requiredPositional("the dialplan FILE")
    return (path, prompts, ["agentsURI": agents])
}

let dialplanValidateCommand = Command.leaf(
    "validate", "Check a dialplan: every problem with its JSON path; exit 1 if there is any.",
    help: """
        FILE [--prompts DIR] [--agents-uri URI]

        Reports unknown keys and node types, unknown targets, unreachable nodes, dead ends, loops without
        caller input, limits out of range and, with --prompts, prompts that have no WAV. A running gateway
        refuses a plan with problems and keeps the old one, so validate before saving over the live file.
        \(planVariablesHelp)
        """
) { args in
    let (path, prompts, variables) = try loadForTool(&args)
    try args.finish()
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
    let (plan, problems) = DialplanLoader.check(data, promptDirectory: prompts, variables: variables)
    if problems.isEmpty, let plan {
        print("\(path): OK — version \(plan.version), \(plan.nodes.count) nodes, \(plan.allPromptNames.count) prompts"
              + (prompts == nil ? " (prompt files not checked: give --prompts DIR)" : ""))
        return
    }
    for p in problems { print("\(path): \(p)") }
    throw CommandFailure("\(problems.count) problem(s) in \(path)")
}

let dialplanGraphCommand = Command.leaf(
    "graph", "Print a dialplan as a Graphviz DOT graph (dot -Tsvg plan.dot > plan.svg).",
    help: "FILE [--agents-uri URI]"
) { args in
    let (path, _, variables) = try loadForTool(&args)
    try args.finish()
    let plan = try DialplanLoader.load(path: path, promptDirectory: nil, variables: variables)
    print(DialplanGraph.dot(plan))
}

let dialplanSimulateCommand = Command.leaf(
    "simulate", "Run a call through a dialplan in the terminal: prompts shown as text, keys typed.",
    help: """
        FILE [--keys 1,2,,#,3] [--caller NUMBER] [--office-hours | --after-hours] [--prompts Prompts/vi]
             [--status waiting|forwarded|in-progress|completed|overdue|refused|withdrawn|not-found]
             [--unit unit-<code>] [--agent-answers] [--agents-uri URI]

        Shows the words of each prompt (from <prompts>/<name>.txt). Type keys (0-9 * #) and Enter; an empty
        line lets the prompt or the wait run out; 'h' hangs up. With --keys the keys are taken from the list
        (an empty item lets the prompt, the wait or the recording run out: `1,2,,#,3` files a report). The call
        is in office hours unless --after-hours. Recording, storing and status lookups are simulated: a lookup
        finds the --status given (default waiting, handled by --unit if given); a transfer is unanswered unless
        --agent-answers.
        """
) { args in
    let prompts = try args.option("--prompts") ?? ServeSettings().prompts
    let keys = try args.option("--keys")
    let caller = try args.option("--caller") ?? "0912345678"
    let officeHours = args.flag("--office-hours")
    let afterHours = args.flag("--after-hours")
    if officeHours && afterHours { throw CommandFailure("give --office-hours or --after-hours, not both") }
    let agents = try args.option("--agents-uri") ?? ServeSettings().agentsURI
    let statusName = try args.option("--status") ?? "waiting"
    let unit = try args.option("--unit").map(PromptName.init(rawValue:))
    let agentAnswers = args.flag("--agent-answers")
    let path = try args.requiredPositional("the dialplan FILE")
    try args.finish()
    guard let status = Simulator.status(statusName, unit: unit) else {
        throw CommandFailure("--status \(statusName): use waiting, forwarded, in-progress, completed, overdue, refused, "
                             + "withdrawn or not-found")
    }
    let plan = try DialplanLoader.load(path: path, promptDirectory: nil, variables: ["agentsURI": agents])
    var simulator = Simulator(plan: plan, promptDirectory: prompts,
                              script: keys.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) })
    simulator.status = status
    simulator.agentAnswers = agentAnswers
    simulator.run(CallContext(callerNumber: caller, isOfficeHours: !afterHours))
}

/// The terminal performer of a call: prints what the caller would hear and feeds back the caller's keys.
struct Simulator {
    let plan: Dialplan
    let promptDirectory: String
    var script: [String]?
    var session: CallSession
    var playing: PlaybackID?
    var timer: TimerID?
    var recording: RecordingID?
    var ended = false
    var recordings = 0
    /// What a status lookup finds, and whether an agent answers a transfer.
    var status: SpokenStatus = .waiting
    var agentAnswers = false

    static func status(_ name: String, unit: PromptName?) -> SpokenStatus? {
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

    init(plan: Dialplan, promptDirectory: String, script: [String]?) {
        self.plan = plan
        self.promptDirectory = promptDirectory
        self.script = script
        self.session = CallSession(plan: plan)
    }

    func text(_ name: PromptName) -> String {
        let path = "\(promptDirectory)/\(name.rawValue).txt"
        let words = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return words ?? "<\(name.rawValue)>"
    }

    mutating func run(_ context: CallContext) {
        print("— call from \(context.callerNumber), \(context.isOfficeHours ? "office hours" : "after hours"), plan \(plan.version)")
        perform(session.handle(.started(context)))
        while !ended {
            guard let input = nextInput() else {
                perform(session.handle(.hangup))
                print("— caller hung up")
                break
            }
            if input.isEmpty {
                // Let whatever runs finish: the playback first, then the timer, then a recording's silence.
                if let p = playing {
                    playing = nil
                    perform(session.handle(.playbackFinished(p)))
                } else if let t = timer {
                    timer = nil
                    print("  (no key: the wait runs out)")
                    perform(session.handle(.timerFired(t)))
                } else if let r = recording {
                    recording = nil
                    print("  (5 s of silence: the recording stops)")
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
                print("— caller hung up")
                break
            }
            for key in input where "0123456789*#".contains(key) {
                print("  [key \(key)]")
                perform(session.handle(.digit(key)))
            }
        }
    }

    mutating func nextInput() -> String? {
        if script != nil {
            guard !script!.isEmpty else { return nil }
            return script!.removeFirst().trimmingCharacters(in: .whitespaces)
        }
        print("> ", terminator: "")
        return readLine()?.trimmingCharacters(in: .whitespaces)
    }

    mutating func perform(_ actions: [CallAction]) {
        for action in actions {
            switch action {
            case .play(let id, let names, let bargeIn):
                playing = id
                for name in names { print("  🔊 \(text(name))\(bargeIn ? "" : "  [keys ignored]")") }
            case .playRecording(let id, let r, _):
                playing = id
                print("  🔊 <recording #\(r.rawValue)>")
            case .stopPlayback:
                playing = nil
            case .startTimer(let id, let after):
                timer = id
                print("  (waiting up to \(after.components.seconds) s for a key)")
            case .cancelTimer:
                timer = nil
            case .startRecording(let id, let limits):
                recording = id
                print("  ● recording (up to \(limits.maxSeconds) s; # ends it)")
            case .stopRecording:
                if let r = recording {
                    recording = nil
                    perform(session.handle(.recordingFinished(RecordingResult(id: r, end: .stopped, durationMs: 8_000))))
                }
            case .discardRecording(let id):
                print("  (recording #\(id.rawValue) discarded)")
            case .submitDraft(let draft):
                recordings += 1
                let code = "20261122-00000\(String(format: "%02d", recordings))"
                print("  ✓ draft filed: category \(draft.category ?? "none"), confidential \(draft.confidential.map(String.init) ?? "not asked"), code \(code)")
                if !ended { perform(session.handle(.draftSubmitted(trackingCode: code))) }
            case .lookupStatus(let query):
                print("  (status lookup: \(query); simulated as \(status))")
                perform(session.handle(.statusFound(status)))
            case .transfer(let uri):
                print("  ☎ transfer to \(uri): simulated as \(agentAnswers ? "answered" : "unanswered")")
                perform(session.handle(.transferFinished(success: agentAnswers)))
                if agentAnswers {
                    print("— the caller talks with the agent; the IVR is done")
                    ended = true
                }
            case .hangup:
                print("— the hotline hangs up")
                ended = true
            }
        }
    }
}

/// A dialplan as Graphviz DOT: one box per node, one edge per way out, labelled with its key or reason.
enum DialplanGraph {
    static func dot(_ plan: Dialplan) -> String {
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
            case .officeHours(let open, let closed): shape = "hexagon"; edges = [(open, "open"), (closed, "closed")]
            case .transfer(_, _, let failed): shape = "house"; edges = [(failed, "no answer")]
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
