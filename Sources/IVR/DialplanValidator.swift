import Foundation

/// The checks that make a decoded plan safe to serve: every target exists, every node is reachable, no path
/// ends without hanging up, no loop runs without the caller's input, every prompt has its audio.
public enum DialplanValidator {
    public static func validate(_ plan: Dialplan, promptDirectory: String?) -> [DialplanProblem] {
        var problems: [DialplanProblem] = []
        func nodePath(_ id: NodeID) -> String { "$.nodes.\(id)" }

        if plan.version.isEmpty { problems.append(DialplanProblem("$.version", "missing")) }
        for (key, id) in [("start", plan.start), ("top", plan.top)] where plan.nodes[id] == nil {
            problems.append(DialplanProblem("$.\(key)", "no node '\(id)'"))
        }

        for id in plan.nodes.keys.sorted() {
            let node = plan.nodes[id]!
            for target in node.targets {
                switch target {
                case .node(let t) where plan.nodes[t] == nil:
                    problems.append(DialplanProblem(nodePath(id), "leads to '\(t)', which is not a node"))
                case .repeat:
                    if case .menu = node.kind {} else {
                        problems.append(DialplanProblem(nodePath(id), "@repeat only makes sense in a menu option"))
                    }
                default:
                    break
                }
            }
            if case .review(let r) = node.kind {
                if let target = plan.nodes[r.record] {
                    if case .record = target.kind {} else {
                        problems.append(DialplanProblem(nodePath(id) + ".record", "'\(r.record)' is not a record node"))
                    }
                }
            }
            if case .menu(let m) = node.kind, m.greetLong.isEmpty {
                problems.append(DialplanProblem(nodePath(id) + ".greetLong", "a menu must say its options"))
            }
        }

        // Reachability from the start (navigation words may lead to the top).
        var seen: Set<NodeID> = []
        var queue = [plan.start]
        while let id = queue.popLast() {
            guard seen.insert(id).inserted, let node = plan.nodes[id] else { continue }
            for target in node.targets {
                switch target {
                case .node(let t): queue.append(t)
                case .top, .back: queue.append(plan.top)
                case .repeat: break
                }
            }
        }
        for id in plan.nodes.keys.sorted() where !seen.contains(id) {
            problems.append(DialplanProblem(nodePath(id), "unreachable from the start node '\(plan.start)'"))
        }

        // Dead ends: from every reachable node some path must hang up (or hand the caller to an agent).
        var ends: Set<NodeID> = Set(plan.nodes.filter {
            if case .hangup = $0.value.kind { return true }
            return false
        }.keys)
        var changed = true
        while changed {
            changed = false
            for (id, node) in plan.nodes where !ends.contains(id) {
                let leads = node.targets.contains { target in
                    switch target {
                    case .node(let t): ends.contains(t)
                    case .top, .back: ends.contains(plan.top)
                    case .repeat: false
                    }
                }
                if leads {
                    ends.insert(id)
                    changed = true
                }
            }
        }
        for id in seen.sorted() where plan.nodes[id] != nil && !ends.contains(id) {
            problems.append(DialplanProblem(nodePath(id), "dead end: no path from here ever hangs up"))
        }

        // Loops with no exit: a cycle of nodes none of which waits for the caller runs forever.
        let automatic = plan.nodes.filter { !$0.value.waitsForCaller }
        var state: [NodeID: Int] = [:]  // 1 = on the stack, 2 = done
        var reported: Set<NodeID> = []
        func visit(_ id: NodeID, _ stack: [NodeID]) {
            state[id] = 1
            for target in automatic[id]?.targets ?? [] {
                // `@top` is a plain edge to the top node; `@back` depends on the call, so it is left out.
                let next: NodeID
                switch target {
                case .node(let n): next = n
                case .top: next = plan.top
                case .back, .repeat: continue
                }
                let t = next
                guard automatic[t] != nil else { continue }
                if state[t] == 1 {
                    let cycle = Array(stack.drop { $0 != t }) + [id]
                    if reported.insert(t).inserted {
                        problems.append(DialplanProblem(nodePath(t), "loop with no caller input: "
                            + (cycle + [t]).joined(separator: " → ")))
                    }
                } else if state[t] == nil {
                    visit(t, stack + [id])
                }
            }
            state[id] = 2
        }
        for id in automatic.keys.sorted() where state[id] == nil { visit(id, []) }

        if let dir = promptDirectory {
            var missing: [PromptName: String] = [:]
            for id in plan.nodes.keys.sorted() {
                for name in plan.nodes[id]!.prompts where missing[name] == nil {
                    if !FileManager.default.fileExists(atPath: "\(dir)/\(name.rawValue).wav") {
                        missing[name] = nodePath(id)
                    }
                }
            }
            for (i, name) in plan.unitPrompts.enumerated() where missing[name] == nil {
                if !FileManager.default.fileExists(atPath: "\(dir)/\(name.rawValue).wav") {
                    missing[name] = "$.unitPrompts[\(i)]"
                }
            }
            for name in Readback.vocabulary where missing[name] == nil {
                if !FileManager.default.fileExists(atPath: "\(dir)/\(name.rawValue).wav") {
                    missing[name] = "$ (read-back vocabulary)"
                }
            }
            for (name, path) in missing.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                problems.append(DialplanProblem(path, "prompt '\(name)' has no file \(dir)/\(name.rawValue).wav"))
            }
        }
        return problems
    }
}
