import HotlineCore
import Foundation
import XCTest

@testable import IVR

/// Performs a session's actions on virtual time: remembers what plays, which timers run and which
/// recording is open, so a test can say "the prompt ended", "the timer fired", "the caller pressed 1".
struct Driver {
    var session: CallSession
    private(set) var playing: (id: PlaybackID, prompts: [PromptName], bargeIn: Bool)?
    private(set) var timers: [TimerID: Duration] = [:]
    private(set) var recording: (id: RecordingID, limits: RecordingLimits)?
    private(set) var log: [CallAction] = []

    init(_ plan: Dialplan) { session = CallSession(plan: plan) }

    @discardableResult
    mutating func send(_ event: CallEvent) -> [CallAction] {
        let actions = session.handle(event)
        for action in actions {
            log.append(action)
            switch action {
            case .play(let id, let prompts, let bargeIn): playing = (id, prompts, bargeIn)
            case .playRecording(let id, _, let bargeIn): playing = (id, ["<recording>"], bargeIn)
            case .stopPlayback: playing = nil
            case .startTimer(let id, let after): timers[id] = after
            case .cancelTimer(let id): timers.removeValue(forKey: id)
            case .startRecording(let id, let limits): recording = (id, limits)
            case .stopRecording: break
            default: break
            }
        }
        return actions
    }

    @discardableResult
    mutating func start(officeHours: Bool = true, caller: String = "0912345678") -> [CallAction] {
        send(.started(CallContext(callerNumber: caller, isOfficeHours: officeHours)))
    }

    /// The current playback runs to its end.
    @discardableResult
    mutating func finishPlayback(file: StaticString = #filePath, line: UInt = #line) -> [CallAction] {
        guard let p = playing else {
            XCTFail("nothing is playing", file: file, line: line)
            return []
        }
        playing = nil
        return send(.playbackFinished(p.id))
    }

    /// The one running timer fires.
    @discardableResult
    mutating func fireTimer(file: StaticString = #filePath, line: UInt = #line) -> [CallAction] {
        guard timers.count == 1, let id = timers.keys.first else {
            XCTFail("expected one running timer, have \(timers)", file: file, line: line)
            return []
        }
        timers.removeAll()
        return send(.timerFired(id))
    }

    @discardableResult
    mutating func press(_ keys: String) -> [CallAction] {
        var all: [CallAction] = []
        for k in keys { all += send(.digit(k)) }
        return all
    }

    /// Calls in, presses a category key and a confidentiality key, and lets the instructions and beep play:
    /// the recording is running.
    mutating func reachRecording(category: String = "1", confidential: String = "2") {
        start()
        press(category)
        press(confidential)
        finishPlayback()
    }

    /// The recording ends (the performer answers `stopRecording` or hits a limit).
    @discardableResult
    mutating func finishRecording(_ end: RecordingEnd, ms: Int = 8000) -> [CallAction] {
        guard let r = recording else { return [] }
        recording = nil
        return send(.recordingFinished(RecordingResult(id: r.id, end: end, durationMs: ms)))
    }

    var submitted: DraftRequest? {
        log.compactMap { if case .submitDraft(let d) = $0 { return d } else { return nil } }.last
    }
}

enum Plans {
    static let repo: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The shipped main menu: one prompt per option, played as one playback.
    static let mainMenu: [PromptName] = ["main-menu-1", "main-menu-2", "main-menu-3", "main-menu-4", "main-menu-5", "main-menu-0"]
    static let confidentialQuestion: [PromptName] = ["confidential-question", "confidential-no"]

    static let shipped: Dialplan = {
        try! DialplanLoader.load(path: repo + "/Dialplans/hotline-1022.json", promptDirectory: nil,
                                 variables: ["agentsURI": "sip:agents@10.0.0.5"])
    }()
}

final class CallSessionTests: XCTestCase {
    func testSpinePathWithBargeInRecordReviewSubmitAndReadBack() {
        var d = Driver(Plans.shipped)
        d.start()
        XCTAssertEqual(d.playing?.prompts, ["welcome"])
        XCTAssertEqual(d.playing?.bargeIn, true)
        // 1 during the welcome: it stops, and the main menu takes the key (category 1).
        let afterKey = d.press("1")
        XCTAssertEqual(afterKey.first, .stopPlayback)
        XCTAssertEqual(d.playing?.prompts, Plans.confidentialQuestion)
        d.press("2")
        XCTAssertEqual(d.playing?.prompts, ["record-instructions", "beep"])
        XCTAssertEqual(d.playing?.bargeIn, false)
        XCTAssertTrue(d.press("5").isEmpty, "keys during the instructions and the beep are ignored")
        d.finishPlayback()
        XCTAssertEqual(d.recording?.limits, RecordingLimits(maxSeconds: 180, silenceSeconds: 5))
        XCTAssertTrue(d.press("7").isEmpty, "only the terminator ends the recording")
        XCTAssertEqual(d.press("#"), [.stopRecording])
        d.finishRecording(.stopped, ms: 9500)
        XCTAssertEqual(d.playing?.prompts, ["review-menu"])
        d.press("3")
        let draft = try! XCTUnwrap(d.submitted)
        XCTAssertEqual(draft.category, .infrastructure)
        XCTAssertEqual(draft.confidential, false)
        XCTAssertNotNil(draft.recording)
        XCTAssertFalse(draft.callerHungUp)
        d.send(.draftSubmitted(trackingCode: "20261122-0000042"))
        XCTAssertEqual(d.playing?.prompts, ["code-intro"] + "202611220000042".map { PromptName("digit-\($0)") } + ["code-outro"])
        XCTAssertEqual(d.session.trackingCode, "20261122-0000042")
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, ["thanks-goodbye"])
        XCTAssertEqual(d.finishPlayback(), [.hangup])
    }

    func testEachCategoryKeySetsItsCategory() {
        for (key, category) in [("1", HotlineCore.Category.infrastructure), ("2", .socioeconomic), ("3", .suggestion), ("4", .directive)] {
            var d = Driver(Plans.shipped)
            d.start()
            d.finishPlayback()  // welcome
            d.finishPlayback()  // main menu, now waiting
            d.press(key)
            XCTAssertEqual(d.session.draftFields.category, category)
        }
    }

    func testSilenceAtTheMenuThreeTimesFallsBackToAnUnclassifiedRecording() {
        var d = Driver(Plans.shipped)
        d.start()
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, Plans.mainMenu)
        d.finishPlayback()
        XCTAssertEqual(d.timers.values.first, .seconds(6))
        d.fireTimer()
        XCTAssertEqual(d.playing?.prompts, ["no-input", "main-menu-short"])
        d.finishPlayback()
        d.fireTimer()
        d.finishPlayback()
        d.fireTimer()
        XCTAssertEqual(d.playing?.prompts, ["fallback-record"], "never dropped: recorded for an agent")
        d.finishPlayback()
        d.finishPlayback()  // instructions + beep
        XCTAssertNotNil(d.recording)
        d.finishRecording(.silence)
        d.press("3")
        XCTAssertNil(d.submitted?.category)
    }

    func testThreeInvalidKeysFallBackAndStarRepeats() {
        var d = Driver(Plans.shipped)
        d.start()
        d.finishPlayback()
        d.press("*")
        XCTAssertEqual(d.playing?.prompts, Plans.mainMenu, "* repeats the long menu and is not a failure")
        d.press("9")
        XCTAssertEqual(d.playing?.prompts, ["invalid-key", "main-menu-short"])
        d.press("8")  // barges into the invalid prompt
        XCTAssertEqual(d.playing?.prompts, ["invalid-key", "main-menu-short"])
        d.press("#")
        XCTAssertEqual(d.playing?.prompts, ["fallback-record"])
    }

    func testHangUpAfterTheBeepStillSubmitsTheRecording() {
        var d = Driver(Plans.shipped)
        d.start()
        d.press("2")
        d.press("1")
        XCTAssertEqual(d.session.draftFields.confidential, true)
        d.finishPlayback()
        d.finishRecording(.hangup, ms: 4200)
        XCTAssertEqual(d.send(.hangup).count, 1)
        let draft = try! XCTUnwrap(d.submitted)
        XCTAssertTrue(draft.callerHungUp)
        XCTAssertEqual(draft.category, .socioeconomic)
        XCTAssertEqual(draft.confidential, true)
        XCTAssertNotNil(draft.recording)
        XCTAssertTrue(d.send(.digit("1")).isEmpty, "nothing happens after the hang-up")
    }

    func testHangUpDuringReviewSubmitsAndHangUpBeforeRecordingDoesNot() {
        var d = Driver(Plans.shipped)
        d.reachRecording()
        d.press("#")
        d.finishRecording(.stopped)
        d.send(.hangup)
        XCTAssertEqual(d.submitted?.callerHungUp, true, "hanging up during the review keeps the recording")

        var early = Driver(Plans.shipped)
        early.start()
        early.press("1")
        XCTAssertTrue(early.send(.hangup).isEmpty, "no recording yet: nothing to file")
    }

    func testReviewListenRerecordAndSilentReviewSends() {
        var d = Driver(Plans.shipped)
        d.reachRecording()
        let first = d.recording!.id
        d.press("#")
        d.finishRecording(.stopped)
        let listen = d.press("1")
        XCTAssertTrue(listen.contains { if case .playRecording(_, first, _) = $0 { return true } else { return false } })
        d.finishPlayback()
        XCTAssertFalse(d.timers.isEmpty, "back at the review menu, waiting")
        let rerecord = d.press("2")
        XCTAssertFalse(rerecord.contains(.discardRecording(first)), "the first take stays until the new one is written")
        d.finishPlayback()
        let second = d.recording!.id
        XCTAssertNotEqual(first, second)
        XCTAssertTrue(d.finishRecording(.maxDuration, ms: 180_000).contains(.discardRecording(first)))
        d.finishPlayback()  // review prompt
        d.fireTimer()
        d.finishPlayback()
        d.fireTimer()
        XCTAssertEqual(d.submitted?.recording, second, "silence at the review sends the report")
    }

    func testStoreFailureApologisesAndHangsUp() {
        var d = Driver(Plans.shipped)
        d.reachRecording(category: "4")
        d.press("#")
        d.finishRecording(.stopped)
        d.press("3")
        d.send(.draftFailed)
        XCTAssertEqual(d.playing?.prompts, ["sorry-error"])
        XCTAssertEqual(d.finishPlayback(), [.hangup])
    }

    func testStatusLookupByTypedCode() {
        var d = Driver(Plans.shipped)
        d.start()
        d.press("5")
        XCTAssertEqual(d.playing?.prompts, ["status-menu"])
        d.press("1")
        XCTAssertEqual(d.playing?.prompts, ["enter-code"])
        d.press("20261122")
        XCTAssertEqual(d.timers.values.first, .seconds(5), "inter-digit timeout")
        let lookup = d.press("0000042#")
        XCTAssertEqual(lookup.last, .lookupStatus(.code("20261122-0000042")))
        d.send(.statusFound(.completed(year: 2026, month: 11, day: 20)))
        XCTAssertEqual(d.playing?.prompts, ["status-completed", "word-day", "number-20", "word-month", "number-11",
                                            "word-year", "digit-2", "digit-0", "digit-2", "digit-6"])
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, ["rate-offer"], "a completed ticket: the caller may rate it (Art. 8.5b)")
        d.finishPlayback()
        d.fireTimer()
        XCTAssertEqual(d.playing?.prompts, ["after-status"], "silence: no rating, the call goes on")
        XCTAssertFalse(d.log.contains { if case .rateTicket = $0 { true } else { false } })
        d.press("#")
        XCTAssertEqual(d.playing?.prompts, ["thanks-goodbye"])
    }

    func testStatusLookupOfTheCallersLatestAndAWrongLengthCode() {
        var d = Driver(Plans.shipped)
        d.start()
        d.press("5")
        XCTAssertEqual(d.press("2").last, .lookupStatus(.latestForCaller))
        d.send(.statusFound(.inProgress(unitPrompt: "unit-nowhere")))
        XCTAssertEqual(d.playing?.prompts, ["status-in-progress"], "a unit the plan has no prompt for is left out")

        var short = Driver(Plans.shipped)
        short.start()
        short.press("51")
        short.press("1234#")
        XCTAssertEqual(short.playing?.prompts, ["code-invalid"])
        XCTAssertFalse(short.log.contains { if case .lookupStatus = $0 { return true } else { return false } })
    }

    func testKeyZeroJoinsTheQueueInOfficeHoursAndOffersRecordingOutside() {
        var d = Driver(Plans.shipped)
        d.start(officeHours: true)
        let actions = d.press("0")
        XCTAssertTrue(actions.contains { if case .joinQueue = $0 { true } else { false } })
        XCTAssertEqual(d.playing?.prompts, ["queue-welcome"])
        d.send(.queueOverflow(.timeout))
        XCTAssertEqual(d.playing?.prompts, ["queue-overflow"], "no agent answered: the caller may leave a report")
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, Plans.confidentialQuestion)

        var night = Driver(Plans.shipped)
        night.start(officeHours: false)
        night.press("0")
        XCTAssertEqual(night.playing?.prompts, ["after-hours"])
        night.press("1")
        XCTAssertEqual(night.playing?.prompts, Plans.confidentialQuestion)
        night.press("1")
        XCTAssertEqual(night.playing?.prompts, ["record-instructions", "beep"])
        XCTAssertFalse(night.log.contains { if case .joinQueue = $0 { true } else { false } }, "no queue after hours")

        var bridged = Driver(Plans.shipped)
        bridged.start()
        bridged.press("0")
        XCTAssertEqual(bridged.send(.queueConnected), [.stopPlayback])
        XCTAssertTrue(bridged.send(.digit("1")).isEmpty, "once with the agent, the IVR stays out")
    }

    func testStaleTimersAndPlaybacksChangeNothing() {
        var d = Driver(Plans.shipped)
        d.start()
        d.finishPlayback()
        d.finishPlayback()
        let timer = d.timers.keys.first!
        d.press("5")  // leaves the menu, cancelling its timer
        XCTAssertTrue(d.send(.timerFired(timer)).isEmpty)
        XCTAssertTrue(d.send(.playbackFinished(PlaybackID(9999))).isEmpty)
    }
}

final class RecordingFailureTests: XCTestCase {
    func testAFailedRecordingIsApologisedForAndStillFiled() {
        var d = Driver(Plans.shipped)
        d.reachRecording()
        d.finishRecording(.failed, ms: 3100)
        XCTAssertEqual(d.playing?.prompts, ["recording-failed"])
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, ["review-menu"])
        d.press("3")
        XCTAssertNotNil(d.submitted?.recording, "what was written goes to the agent")
    }
}
