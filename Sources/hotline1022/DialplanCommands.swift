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
    guard let status = DialplanSimulator.status(statusName, unit: unit) else {
        throw CommandFailure("--status \(statusName): use waiting, forwarded, in-progress, completed, overdue, refused, "
                             + "withdrawn or not-found")
    }
    let plan = try DialplanLoader.load(path: path, promptDirectory: nil, variables: ["agentsURI": agents])
    var simulator = DialplanSimulator(
        plan: plan, script: keys.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) },
        promptText: { name in
            let path = "\(prompts)/\(name.rawValue).txt"
            return (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                ?? "<\(name.rawValue)>"
        },
        say: { print($0) },
        ask: {
            print("> ", terminator: "")
            return readLine()
        })
    simulator.status = status
    simulator.agentAnswers = agentAnswers
    simulator.run(CallContext(callerNumber: caller, isOfficeHours: !afterHours))
}

