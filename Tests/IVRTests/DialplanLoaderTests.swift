import HotlineCore
import Foundation
import XCTest

@testable import IVR

final class DialplanLoaderTests: XCTestCase {
    func problems(_ json: String, prompts: String? = nil) -> [DialplanProblem] {
        DialplanLoader.check(Data(json.utf8), promptDirectory: prompts, variables: ["agentsURI": "sip:a@h"]).1
    }

    func testTheShippedPlanHasNoProblemsWithItsPrompts() throws {
        let path = Plans.repo + "/Dialplans/hotline-1022.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let (plan, found) = DialplanLoader.check(data, promptDirectory: Plans.repo + "/Prompts/vi",
                                                 variables: ["agentsURI": "sip:agents@127.0.0.1:5070"])
        XCTAssertEqual(found, [])
        XCTAssertFalse(plan!.version.isEmpty)
        XCTAssertTrue(plan!.allPromptNames.contains("digit-7"))
        XCTAssertTrue(plan!.allPromptNames.contains("welcome"))
    }

    func testUnknownKeysAndNodeTypesAreLoadErrorsWithTheirPaths() {
        let found = problems("""
            {"version": "t", "start": "a", "colour": "red", "nodes": {
              "a": {"type": "play", "prompts": ["x"], "next": "b", "volume": 11},
              "b": {"type": "dance"}
            }}
            """)
        XCTAssertTrue(found.contains(DialplanProblem("$.colour", "unknown key (allowed: description, nodes, start, top, unitPrompts, version)")))
        XCTAssertTrue(found.contains { $0.path == "$.nodes.a.volume" && $0.message.contains("unknown key") })
        XCTAssertTrue(found.contains { $0.path == "$.nodes.b.type" && $0.message.contains("unknown node type 'dance'") })
    }

    func testUnknownTargetsUnreachableNodesAndDeadEnds() {
        let found = problems("""
            {"version": "t", "start": "a", "nodes": {
              "a": {"type": "menu", "greetLong": ["m"], "options": {"1": "nowhere", "2": "c"}, "fallback": "end"},
              "orphan": {"type": "hangup"},
              "c": {"type": "collect", "next": "c2", "timeout": "c2"},
              "c2": {"type": "status", "mode": "typed", "next": "c"},
              "end": {"type": "hangup", "prompts": ["bye"]}
            }}
            """)
        XCTAssertTrue(found.contains { $0.path == "$.nodes.a" && $0.message.contains("'nowhere'") }, "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.orphan" && $0.message.contains("unreachable") }, "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.c" && $0.message.contains("dead end") }, "\(found)")
    }

    func testLoopsWithoutCallerInputAreRefused() {
        let found = problems("""
            {"version": "t", "start": "a", "nodes": {
              "a": {"type": "play", "prompts": ["x"], "next": "b"},
              "b": {"type": "set", "category": "suggestion", "next": "a"},
              "m": {"type": "menu", "greetLong": ["m"], "options": {"1": "end"}, "fallback": "m"},
              "end": {"type": "hangup"}
            }}
            """)
        XCTAssertTrue(found.contains { $0.message.contains("loop with no caller input") }, "\(found)")
        XCTAssertFalse(found.contains { $0.path == "$.nodes.m" && $0.message.contains("loop") },
                       "a menu that falls back to itself waits for the caller each time")
    }

    func testLimitsOutOfRangeAndBadValues() {
        let found = problems("""
            {"version": "t", "start": "r", "nodes": {
              "r": {"type": "record", "maxSeconds": 9000, "silenceSeconds": -1, "terminator": "x", "next": "s"},
              "s": {"type": "set", "category": "weather", "next": "t"},
              "t": {"type": "transfer", "uri": "tel:113", "failed": "e"},
              "e": {"type": "hangup", "prompts": ["Bad Name!"]}
            }}
            """)
        XCTAssertTrue(found.contains { $0.path == "$.nodes.r.maxSeconds" && $0.message.contains("out of range 5–600") }, "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.r.silenceSeconds" }, "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.r.terminator" }, "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.s.category" }, "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.t.uri" }, "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.e.prompts[0]" }, "\(found)")
    }

    func testMissingPromptFilesAndVariables() throws {
        let dir = NSTemporaryDirectory() + "prompts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let found = problems("""
            {"version": "t", "start": "a", "nodes": {
              "a": {"type": "transfer", "uri": "${nobody}", "prompts": ["hold"], "failed": "e"},
              "e": {"type": "hangup", "prompts": ["bye"]}
            }}
            """, prompts: dir)
        XCTAssertTrue(found.contains { $0.path == "$.nodes.a.uri" && $0.message.contains("${nobody}") }, "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.e" && $0.message.contains("'bye' has no file") }, "\(found)")
        XCTAssertTrue(found.contains { $0.message.contains("'digit-0' has no file") }, "the read-back words are checked too")
    }

    func testLoadThrowsAllProblemsAtOnce() throws {
        let path = NSTemporaryDirectory() + "plan-\(UUID().uuidString).json"
        try Data(#"{"version": "", "start": "x", "nodes": {}}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try DialplanLoader.load(path: path, promptDirectory: nil)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("$.nodes: a plan needs at least one node"), text)
            XCTAssertTrue(text.contains("$.version"), text)
        }
        XCTAssertThrowsError(try DialplanLoader.load(path: "/nonexistent.json", promptDirectory: nil))
    }
}

final class DialplanValidatorTests: XCTestCase {
    func problems(_ json: String, prompts: String? = nil) -> [DialplanProblem] {
        DialplanLoader.check(Data(json.utf8), promptDirectory: prompts, variables: ["agentsURI": "sip:a@h"]).1
    }

    func testMisplacedRepeatAReviewWithoutARecordNodeAndAMissingStart() {
        let found = problems("""
            {"version": "t", "start": "nope", "top": "p", "nodes": {
              "p": {"type": "play", "prompts": ["x"], "next": "@repeat"},
              "v": {"type": "review", "prompts": ["r"], "record": "p", "next": "e"},
              "e": {"type": "hangup"}
            }}
            """)
        XCTAssertTrue(found.contains(DialplanProblem("$.start", "no node 'nope'")), "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.p" && $0.message.contains("@repeat") }, "\(found)")
        XCTAssertTrue(found.contains(DialplanProblem("$.nodes.v.record", "'p' is not a record node")), "\(found)")
    }

    func testNewNodeAndPlanKeysAreDecodedStrictly() {
        let found = problems("""
            {"version": "t", "start": "c", "unitPrompts": ["so-xay-dung", "unit-ok"], "nodes": {
              "c": {"type": "collect", "next": "s", "timeout": "s", "digitLen": 4},
              "s": {"type": "sayDigits", "before": ["x"], "next": "e", "voice": "male"},
              "e": {"type": "hangup"}
            }}
            """)
        XCTAssertTrue(found.contains { $0.path == "$.unitPrompts[0]" && $0.message.contains("unit-<code>") }, "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.c.digitLen" && $0.message.contains("maxDigits") }, "\(found)")
        XCTAssertTrue(found.contains { $0.path == "$.nodes.s.voice" && $0.message.contains("unknown key") }, "\(found)")
        XCTAssertEqual(found.count, 3, "\(found)")
    }

    func testVariablesAreSubstitutedAtLoadTime() throws {
        let (plan, found) = DialplanLoader.check(Data("""
            {"version": "t", "start": "t", "nodes": {
              "t": {"type": "transfer", "uri": "${agentsURI}", "failed": "e"},
              "e": {"type": "hangup"}
            }}
            """.utf8), promptDirectory: nil, variables: ["agentsURI": "sip:agents@10.1.2.3:5070"])
        XCTAssertEqual(found, [])
        guard case .transfer(let uri, _, _) = plan?.nodes["t"]?.kind else { return XCTFail("no transfer node") }
        XCTAssertEqual(uri, "sip:agents@10.1.2.3:5070")
    }

    func testAMissingUnitPromptFileIsReportedAtItsPath() throws {
        let dir = NSTemporaryDirectory() + "prompts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let found = problems("""
            {"version": "t", "start": "e", "unitPrompts": ["unit-snv"], "nodes": {"e": {"type": "hangup"}}}
            """, prompts: dir)
        XCTAssertTrue(found.contains { $0.path == "$.unitPrompts[0]" && $0.message.contains("'unit-snv' has no file") },
                      "\(found)")
    }

    func testTheShippedPlanHasAVersionATextForEveryPromptAndMatchesItsSchemaKeys() throws {
        let plan = Plans.shipped
        XCTAssertTrue(plan.version.hasPrefix("hotline-1022/"))
        for name in plan.allPromptNames {
            let text = Plans.repo + "/Prompts/vi/\(name.rawValue).txt"
            XCTAssertTrue(FileManager.default.fileExists(atPath: text), "\(name) has no Vietnamese text")
        }
        // The schema beside the plans names every node type the loader knows.
        let schema = try String(contentsOfFile: Plans.repo + "/Dialplans/dialplan.schema.json", encoding: .utf8)
        for type in ["play", "menu", "collect", "record", "review", "set", "submit", "sayCode", "sayDigits", "status",
                     "rate", "officeHours", "transfer", "goto", "submenu", "hangup"] {
            XCTAssertTrue(schema.contains("\"const\": \"\(type)\""), "the schema lacks \(type)")
        }
    }

    func testALoopThroughTopWithoutCallerInputIsRefused() {
        let found = problems("""
            {"version": "t", "start": "a", "top": "a", "nodes": {
              "a": {"type": "play", "prompts": ["x"], "next": "b"},
              "b": {"type": "goto", "target": "@top"},
              "m": {"type": "menu", "greetLong": ["m"], "options": {"1": "e"}, "fallback": "e"},
              "e": {"type": "hangup"}
            }}
            """)
        XCTAssertTrue(found.contains { $0.message.contains("loop with no caller input: a → b → a") }, "\(found)")
    }

    func testAJSONSyntaxErrorSaysLineAndColumn() {
        let text = "{\n  \"version\": \"x\",\n  \"nodes\": [1, 2,, 3]\n}"
        let (plan, problems) = DialplanLoader.check(Data(text.utf8), promptDirectory: nil)
        XCTAssertNil(plan)
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue("\(problems[0])".contains("line 3, column"), "\(problems[0])")
    }
}

/// The simulator is pure: a scripted run of the shipped plan says each prompt's words and files the draft.
final class DialplanSimulatorTests: XCTestCase {
    func testAScriptedRunFilesASuggestionAndSaysThePromptWords() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let plan = try DialplanLoader.load(path: repo.appendingPathComponent("Dialplans/hotline-1022.json").path,
                                           promptDirectory: nil, variables: ["agentsURI": "sip:agents@127.0.0.1:5070"])
        var lines: [String] = []
        var simulator = DialplanSimulator(plan: plan, script: ["3", "1", "", "", "#", "3", "", "", "", "", "", ""],
                                          promptText: { "«\($0.rawValue)»" }, say: { lines.append($0) })
        simulator.run(CallContext(callerNumber: "0912345678", isOfficeHours: true))
        XCTAssertEqual(simulator.drafts.map(\.category), [.suggestion])
        XCTAssertEqual(simulator.drafts.first?.confidential, true)
        XCTAssertTrue(lines.contains { $0.contains("«") }, "prompts are said by their words: \(lines)")
        XCTAssertTrue(lines.contains { $0.contains("draft filed: category suggestion") }, "\(lines)")
    }
}
