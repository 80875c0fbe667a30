import HotlineCore
import Foundation
import XCTest

@testable import IVR

extension Plans {
    /// A plan written in the test; it must load without a single problem.
    static func inline(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> Dialplan {
        let (plan, problems) = DialplanLoader.check(Data(json.utf8), promptDirectory: nil,
                                                    variables: ["agentsURI": "sip:agents@10.0.0.5"])
        XCTAssertEqual(problems, [], file: file, line: line)
        return plan!
    }

    /// Every node type the shipped plan does not use, on a small plan.
    static let navigation = inline("""
        {"version": "nav-1", "start": "main", "nodes": {
          "main": {"type": "menu", "greetLong": ["main"], "options": {"1": "sub", "2": "code", "3": "rec", "9": "bye"},
                   "fallback": "bye"},
          "sub": {"type": "submenu", "target": "info", "return": "main"},
          "info": {"type": "menu", "greetLong": ["info"], "options": {"1": "deeper", "*": "@back", "0": "@top"},
                   "fallback": "@back"},
          "deeper": {"type": "submenu", "target": "leaf", "return": "info"},
          "leaf": {"type": "menu", "greetLong": ["leaf"], "options": {"*": "@back", "0": "@top", "5": "jump"},
                   "fallback": "@top"},
          "jump": {"type": "goto", "target": "bye"},
          "code": {"type": "collect", "prompts": ["enter"], "maxDigits": 4, "terminator": "#", "timeoutSeconds": 7,
                   "interDigitSeconds": 3, "next": "echo", "timeout": "bye"},
          "echo": {"type": "sayDigits", "before": ["you-typed"], "after": ["end"], "next": "main"},
          "rec": {"type": "record", "prompts": ["speak"], "beep": false, "maxSeconds": 60, "silenceSeconds": 0,
                  "minSeconds": 3, "terminator": "*", "next": "send", "tooShort": "again"},
          "again": {"type": "play", "prompts": ["too-short"], "bargeIn": false, "next": "rec"},
          "send": {"type": "submit", "next": "bye", "failed": "bye"},
          "bye": {"type": "hangup", "prompts": ["bye"]}
        }}
        """)
}

/// Each node type on virtual time, with a plan written for it.
final class NodeTests: XCTestCase {
    func testSubmenuBackAndTopUseAnExplicitStack() {
        var d = Driver(Plans.navigation)
        d.start()
        XCTAssertEqual(d.playing?.prompts, ["main"])
        d.press("1")
        XCTAssertEqual(d.playing?.prompts, ["info"])
        d.press("1")
        XCTAssertEqual(d.playing?.prompts, ["leaf"])
        d.press("*")
        XCTAssertEqual(d.playing?.prompts, ["info"], "@back from the inner sub-menu")
        d.press("*")
        XCTAssertEqual(d.playing?.prompts, ["main"], "@back from the outer sub-menu")
        d.press("1")
        d.press("1")
        d.press("0")
        XCTAssertEqual(d.playing?.prompts, ["main"], "@top from two levels down")
        d.press("1")
        d.press("*")
        XCTAssertEqual(d.playing?.prompts, ["main"], "the stack was emptied by @top: one @back returns to main")
    }

    func testAMenuFallbackMayBeBack() {
        var d = Driver(Plans.navigation)
        d.start()
        d.press("1")
        d.finishPlayback()
        d.fireTimer()  // default maxTimeouts 3
        d.finishPlayback()
        d.fireTimer()
        d.finishPlayback()
        d.fireTimer()
        XCTAssertEqual(d.playing?.prompts, ["main"], "three silences in the sub-menu lead back")
    }

    func testGotoLeadsOnWithoutWaiting() {
        var d = Driver(Plans.navigation)
        d.start()
        d.press("11")
        d.press("5")
        XCTAssertEqual(d.playing?.prompts, ["bye"])
        XCTAssertEqual(d.finishPlayback(), [.hangup])
    }

    func testCollectWithBargeInInterDigitTimeoutAndSayDigits() {
        var d = Driver(Plans.navigation)
        d.start()
        d.press("2")
        XCTAssertEqual(d.playing?.prompts, ["enter"])
        let first = d.press("1")
        XCTAssertEqual(first.first, .stopPlayback, "typing during the prompt stops it")
        XCTAssertEqual(d.timers.values.first, .seconds(3), "the inter-digit timeout runs after a key")
        d.press("2")
        d.fireTimer()
        XCTAssertEqual(d.playing?.prompts, ["you-typed", "digit-1", "digit-2", "end"])
        XCTAssertEqual(d.playing?.bargeIn, false)
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, ["main"])
    }

    func testCollectEndsAtTheTerminatorOrAtMaxDigitsAndTimesOutWhenSilent() {
        var terminated = Driver(Plans.navigation)
        terminated.start()
        terminated.press("29#")
        XCTAssertEqual(terminated.playing?.prompts, ["you-typed", "digit-9", "end"])

        var full = Driver(Plans.navigation)
        full.start()
        full.press("2")
        full.finishPlayback()
        XCTAssertEqual(full.timers.values.first, .seconds(7), "the first key may take the full timeout")
        full.press("4321")
        XCTAssertEqual(full.playing?.prompts, ["you-typed", "digit-4", "digit-3", "digit-2", "digit-1", "end"])
        XCTAssertTrue(full.timers.isEmpty)

        var silent = Driver(Plans.navigation)
        silent.start()
        silent.press("2")
        silent.finishPlayback()
        silent.fireTimer()
        XCTAssertEqual(silent.playing?.prompts, ["bye"], "no key at all: the timeout target")
    }

    func testRecordWithoutBeepHonoursItsTerminatorLimitsAndMinimumLength() {
        var d = Driver(Plans.navigation)
        d.start()
        d.press("3")
        XCTAssertEqual(d.playing?.prompts, ["speak"], "no beep prompt when beep is false")
        d.finishPlayback()
        XCTAssertEqual(d.recording?.limits, RecordingLimits(maxSeconds: 60, silenceSeconds: 0))
        XCTAssertTrue(d.press("#").isEmpty, "# is not this node's terminator")
        XCTAssertEqual(d.press("*"), [.stopRecording])
        let short = d.recording!.id
        let tooShort = d.finishRecording(.stopped, ms: 2000)
        XCTAssertEqual(tooShort.first, .discardRecording(short), "shorter than minSeconds: discarded")
        XCTAssertEqual(d.playing?.prompts, ["too-short"])
        d.finishPlayback()
        d.finishPlayback()
        let good = d.recording!.id
        d.finishRecording(.silence, ms: 3000)
        XCTAssertEqual(d.submitted, DraftRequest(category: nil, confidential: nil, recording: good, callerHungUp: false))
        XCTAssertFalse(d.log.contains(.discardRecording(good)))
    }

    func testDigitsByEitherTransportAreOneEventAndUnknownKeysCountAsFailures() {
        var d = Driver(Plans.navigation)
        d.start()
        d.finishPlayback()
        d.press("7")
        d.press("8")
        XCTAssertEqual(d.playing?.prompts, ["main"], "no invalid prompt configured: the short greeting is the long one")
        d.press("#")
        XCTAssertEqual(d.playing?.prompts, ["bye"], "the third wrong key takes the fallback")
    }
}

/// The ways a caller can leave mid-report: the recording is never lost.
final class HangUpTests: XCTestCase {
    func testHangUpDuringTheReRecordInstructionsFilesTheFirstTake() {
        var d = Driver(Plans.shipped)
        d.reachRecording()
        let first = d.recording!.id
        d.press("#")
        d.finishRecording(.stopped)
        d.press("2")
        XCTAssertEqual(d.playing?.prompts, ["record-instructions", "beep"])
        d.send(.hangup)
        XCTAssertEqual(d.submitted, DraftRequest(category: .infrastructure, confidential: false, recording: first,
                                                 callerHungUp: true))
        XCTAssertFalse(d.log.contains(.discardRecording(first)))
    }

    func testANearEmptyReRecordingCutByHangUpKeepsTheFirstTake() {
        var d = Driver(Plans.shipped)
        d.reachRecording()
        let first = d.recording!.id
        d.press("#")
        d.finishRecording(.stopped)
        d.press("2")
        d.finishPlayback()
        let second = d.recording!.id
        XCTAssertEqual(d.finishRecording(.hangup, ms: 300), [.discardRecording(second)])
        d.send(.hangup)
        XCTAssertEqual(d.submitted?.recording, first)
    }

    func testAReRecordingCutByHangUpReplacesTheFirstTake() {
        var d = Driver(Plans.shipped)
        d.reachRecording()
        let first = d.recording!.id
        d.press("#")
        d.finishRecording(.stopped)
        d.press("2")
        d.finishPlayback()
        let second = d.recording!.id
        XCTAssertEqual(d.finishRecording(.hangup, ms: 6000), [.discardRecording(first)])
        XCTAssertEqual(d.send(.hangup).count, 1)
        XCTAssertEqual(d.submitted?.recording, second)
    }

    func testHangUpWhileRecordingWithoutItsFinishedEventStillFiles() {
        var d = Driver(Plans.shipped)
        d.reachRecording()
        let running = d.recording!.id
        let actions = d.send(.hangup)
        XCTAssertEqual(actions, [.submitDraft(DraftRequest(category: .infrastructure, confidential: false,
                                                           recording: running, callerHungUp: true))])
        XCTAssertTrue(d.finishRecording(.hangup).isEmpty, "a late recordingFinished changes nothing")
    }

    func testHangUpDuringTheBeepFilesNothingAndAfterSubmissionFilesNothingTwice() {
        var beep = Driver(Plans.shipped)
        beep.start()
        beep.press("1")
        beep.press("2")
        XCTAssertEqual(beep.playing?.prompts, ["record-instructions", "beep"])
        XCTAssertEqual(beep.send(.hangup), [], "no audio was recorded yet: there is no report to file")

        var sent = Driver(Plans.shipped)
        sent.reachRecording()
        sent.press("#")
        sent.finishRecording(.stopped)
        sent.press("3")
        XCTAssertEqual(sent.send(.hangup), [], "the draft was already handed over")
        sent.send(.draftSubmitted(trackingCode: "20261122-0000001"))
        XCTAssertEqual(sent.log.filter { if case .submitDraft = $0 { true } else { false } }.count, 1)
        XCTAssertNil(sent.playing, "nothing is played to a caller who is gone")
    }

    func testConfidentialityQuestionUnansweredMeansNotAsked() {
        var d = Driver(Plans.shipped)
        d.start()
        d.press("3")
        XCTAssertEqual(d.playing?.prompts, Plans.confidentialQuestion)
        d.finishPlayback()
        XCTAssertEqual(d.timers.values.first, .seconds(5))
        d.fireTimer()
        XCTAssertEqual(d.playing?.prompts, ["record-instructions", "beep"], "silence: the report goes on")
        d.finishPlayback()
        d.press("#")
        d.finishRecording(.stopped)
        d.press("3")
        XCTAssertEqual(d.submitted?.category, .suggestion)
        XCTAssertNil(d.submitted?.confidential, "no answer is not a confidentiality request")
    }
}

/// What a caller hears for each status: words only, no personal data.
final class StatusReadBackTests: XCTestCase {
    static let plan = Plans.inline("""
        {"version": "s", "start": "latest", "unitPrompts": ["unit-sxd"], "nodes": {
          "latest": {"type": "status", "mode": "latest", "next": "bye"},
          "bye": {"type": "hangup"}
        }}
        """)

    func spoken(_ status: SpokenStatus) -> [PromptName] {
        var d = Driver(StatusReadBackTests.plan)
        XCTAssertEqual(d.start(), [.lookupStatus(.latestForCaller)])
        d.send(.statusFound(status))
        return d.playing?.prompts ?? []
    }

    func testEveryStatusHasItsWords() {
        XCTAssertEqual(spoken(.notFound), ["status-not-found"])
        XCTAssertEqual(spoken(.waiting), ["status-waiting"])
        XCTAssertEqual(spoken(.forwarded(unitPrompt: "unit-sxd")), ["status-forwarded", "unit-sxd"])
        XCTAssertEqual(spoken(.inProgress(unitPrompt: nil)), ["status-in-progress"])
        XCTAssertEqual(spoken(.overdue(unitPrompt: "unit-sxd")), ["status-overdue", "unit-sxd"])
        XCTAssertEqual(spoken(.overdue(unitPrompt: "unit-unknown")), ["status-overdue"])
        XCTAssertEqual(spoken(.refused), ["status-refused"])
        XCTAssertEqual(spoken(.withdrawn), ["status-withdrawn"])
        XCTAssertEqual(spoken(.completed(year: 2027, month: 1, day: 31)),
                       ["status-completed", "word-day", "number-31", "word-month", "number-1", "word-year",
                        "digit-2", "digit-0", "digit-2", "digit-7"])
    }

    func testEveryWordAReadBackCanSayIsInAllPromptNames() {
        let names = StatusReadBackTests.plan.allPromptNames
        for word in spoken(.completed(year: 2026, month: 12, day: 29)) + spoken(.forwarded(unitPrompt: "unit-sxd")) {
            XCTAssertTrue(names.contains(word), "\(word)")
        }
        for n in 1...31 { XCTAssertTrue(names.contains(Readback.number(n))) }
        for d in "0123456789" { XCTAssertTrue(names.contains(Readback.digit(d))) }
        for word in ["status-not-found", "status-waiting", "status-refused", "status-withdrawn", "beep",
                     "recording-failed", "code-invalid"] as [PromptName] {
            XCTAssertTrue(names.contains(word), "\(word)")
        }
    }

    func testAStatusLookupAfterTheCallerHungUpSaysNothing() {
        var d = Driver(StatusReadBackTests.plan)
        d.start()
        d.send(.hangup)
        XCTAssertEqual(d.send(.statusFound(.waiting)), [])
    }
}
