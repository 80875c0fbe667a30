import HotlineCore
import XCTest

@testable import IVR

/// The dialplan's `queue` node as the engine runs it: what the caller hears while waiting, keys 1 and 2, the
/// answer and the overflow. The queue itself (who is offered the call) is `CallQueueTests`.
final class QueueNodeTests: XCTestCase {
    static let plan = Plans.inline("""
        {"version": "q", "start": "q", "nodes": {
          "q": {"type": "queue", "prompts": ["queue-welcome"], "hold": ["queue-hold"], "strategy": "ring-all",
                "ringTimeoutSeconds": 20, "maxWaitSeconds": 600, "announceSeconds": 30, "wrapUpSeconds": 10,
                "record": "report", "callback": "thanks", "overflow": "report"},
          "report": {"type": "record", "prompts": ["record-instructions"], "next": "send"},
          "send": {"type": "submit", "next": "bye", "failed": "bye"},
          "thanks": {"type": "hangup", "prompts": ["callback-thanks"]},
          "bye": {"type": "hangup"}
        }}
        """)

    func testTheNodeCarriesItsSettingsIntoTheQueue() {
        var d = Driver(Self.plan)
        let actions = d.start()
        var expected = QueueSettings()
        expected.strategy = .ringAll
        expected.ringTimeout = .seconds(20)
        expected.maxWait = .seconds(600)
        expected.announceEvery = .seconds(30)
        expected.wrapUp = .seconds(10)
        XCTAssertEqual(actions.first, .joinQueue(expected))
        XCTAssertEqual(d.playing?.prompts, ["queue-welcome"])
    }

    func testThePositionIsSaidAfterTheWelcomeThenHoldMusicLoops() {
        var d = Driver(Self.plan)
        d.start()
        XCTAssertTrue(d.send(.queuePosition(3, estimatedWait: .seconds(170))).isEmpty, "the welcome is not cut off")
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, ["queue-position", "number-3", "queue-estimate", "number-3", "word-minute"])
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, ["queue-hold"])
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, ["queue-hold"], "the hold music loops")
        // A new position cuts the hold music at once; a long wait is "more than 30 minutes"; 45 is said digit by digit.
        d.send(.queuePosition(45, estimatedWait: .seconds(3600)))
        XCTAssertEqual(d.playing?.prompts, ["queue-position", "digit-4", "digit-5", "queue-estimate-long"])
    }

    func testKeyOneLeavesTheQueueToRecordAVoiceReport() {
        var d = Driver(Self.plan)
        d.start()
        let actions = d.press("1")
        XCTAssertEqual(Array(actions.prefix(2)), [.stopPlayback, .leaveQueue(.key("1"))])
        XCTAssertEqual(d.playing?.prompts, ["record-instructions", "beep"])
    }

    func testKeyTwoReadsTheNumberBackAndOneConfirmsTheCallback() {
        var d = Driver(Self.plan)
        d.start(caller: "0912345678")
        d.press("2")
        XCTAssertEqual(d.playing?.prompts, ["callback-number"] + "0912345678".map { PromptName("digit-\($0)") } + ["callback-confirm"])
        XCTAssertFalse(d.log.contains(.leaveQueue(.callback)), "not before it is confirmed")
        let confirmed = d.press("1")
        XCTAssertTrue(confirmed.contains(.leaveQueue(.callback)))
        XCTAssertEqual(d.playing?.prompts, ["callback-thanks"])
    }

    func testAnyOtherKeyOrSilenceAfterTheReadBackGoesOnWaiting() {
        var d = Driver(Self.plan)
        d.start(caller: "0912345678")
        d.press("2")
        d.press("9")
        XCTAssertEqual(d.playing?.prompts, ["queue-hold"])
        d.press("2")
        d.fireTimer()
        XCTAssertEqual(d.playing?.prompts, ["queue-hold"])
        XCTAssertFalse(d.log.contains { if case .leaveQueue = $0 { true } else { false } })
    }

    func testAWithheldNumberCannotAskForACallback() {
        var d = Driver(Self.plan)
        d.start(caller: "")
        d.press("2")
        XCTAssertEqual(d.playing?.prompts, ["callback-no-number"])
        XCTAssertTrue(d.timers.isEmpty)
    }

    func testAnAnswerBridgesTheCallerAndKeysNoLongerReachTheMenu() {
        var d = Driver(Self.plan)
        d.start()
        d.send(.queuePosition(1, estimatedWait: nil))
        XCTAssertEqual(d.send(.queueConnected), [.stopPlayback])
        XCTAssertTrue(d.press("1").isEmpty)
        // The agent's leg dies: the caller is back in the queue, at the front.
        d.send(.queuePosition(1, estimatedWait: nil))
        XCTAssertEqual(d.playing?.prompts, ["queue-position", "number-1"])
    }

    func testOverflowSaysWhyAndGoesToTheVoiceReport() {
        var d = Driver(Self.plan)
        d.start()
        d.send(.queueOverflow(.noAgents))
        XCTAssertEqual(d.playing?.prompts, ["queue-no-agents"])
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, ["record-instructions", "beep"])
        var e = Driver(Self.plan)
        e.start()
        e.send(.queueOverflow(.timeout))
        XCTAssertEqual(e.playing?.prompts, ["queue-overflow"])
    }

    func testABadQueueNodeIsRefusedWithItsPath() {
        let (_, problems) = DialplanLoader.check(Data("""
            {"version": "q", "start": "q", "nodes": {
              "q": {"type": "queue", "hold": [], "strategy": "random", "ringTimeoutSeconds": 1,
                    "record": "nowhere", "overflow": "bye"},
              "bye": {"type": "hangup"}
            }}
            """.utf8), promptDirectory: nil)
        let text = problems.map(\.description).joined(separator: "\n")
        XCTAssertTrue(text.contains("$.nodes.q.strategy: must be one of longest-idle, ring-all, round-robin"), text)
        XCTAssertTrue(text.contains("$.nodes.q.ringTimeoutSeconds: 1 is out of range 5–120"), text)
        XCTAssertTrue(text.contains("$.nodes.q.hold: needs at least one prompt"), text)
    }
}
