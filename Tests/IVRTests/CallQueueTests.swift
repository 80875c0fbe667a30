import HotlineCore
import XCTest

@testable import IVR

/// Drives a `CallQueue` on virtual time: `advance` sends a `tick` at every deadline the machine asks for on the
/// way, as the gateway's owner loop does.
private struct QueueDriver {
    var queue: CallQueue
    var now: Duration = .zero
    private(set) var log: [QueueAction] = []

    init(_ settings: QueueSettings = QueueSettings()) { queue = CallQueue(settings: settings) }

    @discardableResult
    mutating func send(_ event: QueueEvent) -> [QueueAction] {
        let actions = queue.handle(event, at: now)
        log += actions
        return actions
    }

    @discardableResult
    mutating func advance(_ by: Duration) -> [QueueAction] {
        let end = now + by
        var actions: [QueueAction] = []
        while let next = queue.nextDeadline, next <= end {
            now = max(now, next)
            actions += send(.tick)
        }
        now = end
        actions += send(.tick)
        return actions
    }

    mutating func agent(_ name: String, ready: Bool = true) {
        send(.agentPhone(name, registered: true))
        send(.agentSet(name, ready ? .ready : .onBreak(reason: "")))
    }

    var records: [QueueRecord] { log.compactMap { if case .log(let r) = $0 { r } else { nil } } }
    func offers(in actions: [QueueAction]) -> [[String]] {
        actions.compactMap { if case .offer(_, let agents) = $0 { agents } else { nil } }
    }
    func announcements(of caller: UInt64) -> [Int] {
        log.compactMap {
            if case .announce(let id, let position, _) = $0, id.rawValue == caller { position } else { nil }
        }
    }
}

private func id(_ n: UInt64) -> QueueCallerID { QueueCallerID(n) }

final class CallQueueTests: XCTestCase {
    func testJoiningWithNoAgentLoggedInGoesStraightToTheOverflow() {
        var q = QueueDriver()
        let actions = q.send(.callerJoined(id(1), number: "0912000001"))
        XCTAssertEqual(actions.last, .overflow(id(1), .noAgents))
        XCTAssertEqual(q.records.map(\.kind), [.enter, .exitEmpty])
        XCTAssertEqual(q.queue.waitingCount, 0)
    }

    func testAnAgentWithoutARegisteredPhoneIsNotLoggedIn() {
        var q = QueueDriver()
        q.send(.agentSet("lan", .ready))
        XCTAssertEqual(q.send(.callerJoined(id(1), number: "0912000001")).last, .overflow(id(1), .noAgents))
    }

    /// The reconciler: presence is checked against the legs the gateway holds, and never stays stuck.
    func testAReconcileWithoutTheAgentsLegPutsTheirPresenceRight() {
        var q = QueueDriver()
        q.agent("an")
        q.agent("binh", ready: false)
        q.send(.callerJoined(id(1), number: "0912000001"))
        XCTAssertEqual(q.queue.presence(of: "an"), .ringing)
        // The leg exists: nothing changes.
        XCTAssertFalse(q.send(.reconcile(legs: ["an": [id(1)]])).contains { if case .presence = $0 { true } else { false } })
        XCTAssertEqual(q.queue.presence(of: "an"), .ringing)
        // Shown ringing with no leg: the offer ended, the caller still waits, the console says why.
        let fixed = q.send(.reconcile(legs: [:]))
        XCTAssertNotEqual(q.queue.presence(of: "an"), .ringing)
        XCTAssertTrue(fixed.contains { if case .presence("an", _, CallQueue.reconciledReason) = $0 { true } else { false } }, "\(fixed)")
        XCTAssertEqual(q.queue.position(of: id(1)), 1)
        // On a call with no leg: as a lost leg, the caller back at the front, the agent in wrap-up.
        q.send(.agentSet("binh", .ready))
        q.advance(.seconds(20))
        let ringing = ["an", "binh"].filter { q.queue.presence(of: $0) == .ringing }
        XCTAssertEqual(ringing.count, 1, "someone rings for caller 1")
        q.send(.answered(ringing[0], id(1)))
        XCTAssertEqual(q.queue.presence(of: ringing[0]), .onCall)
        q.send(.reconcile(legs: [:]))
        XCTAssertNotEqual(q.queue.presence(of: ringing[0]), .onCall)
        XCTAssertEqual(q.records.filter { $0.kind == .requeued }.count, 1)
    }

    func testLongestIdleOffersTheAgentReadyLongest() {
        var q = QueueDriver()
        q.agent("an")
        q.advance(.seconds(10))
        q.agent("binh")
        q.advance(.seconds(10))
        let actions = q.send(.callerJoined(id(1), number: "0912000001"))
        XCTAssertEqual(actions.first { if case .announce = $0 { true } else { false } },
                       .announce(id(1), position: 1, estimatedWait: nil))
        XCTAssertEqual(q.offers(in: actions), [["an"]])
        XCTAssertEqual(q.queue.presence(of: "an"), .ringing)
        // After a call and its wrap-up, "an" is the most recently idle: the next caller goes to "binh".
        q.send(.answered("an", id(1)))
        q.advance(.seconds(20))
        q.send(.conversationEnded("an", id(1), byAgent: true))
        XCTAssertEqual(q.queue.presence(of: "an"), .wrapUp)
        q.advance(.seconds(30))
        XCTAssertEqual(q.queue.presence(of: "an"), .ready)
        XCTAssertEqual(q.offers(in: q.send(.callerJoined(id(2), number: "0912000002"))), [["binh"]])
    }

    func testRingAllRingsEveryReadyAgentAndTheFirstAnswerWins() {
        var settings = QueueSettings()
        settings.strategy = .ringAll
        var q = QueueDriver(settings)
        q.agent("an")
        q.agent("binh")
        q.agent("chi", ready: false)
        XCTAssertEqual(q.offers(in: q.send(.callerJoined(id(1), number: "0912000001"))), [["an", "binh"]])
        let answer = q.send(.answered("binh", id(1)))
        XCTAssertTrue(answer.contains(.cancelOffer(id(1), agent: "an")))
        XCTAssertTrue(answer.contains(.connect(id(1), agent: "binh")))
        XCTAssertEqual(q.queue.presence(of: "an"), .ready)
        // A late answer from the other phone is hung up, not connected.
        XCTAssertEqual(q.send(.answered("an", id(1))), [.cancelOffer(id(1), agent: "an")])
    }

    func testRoundRobinOffersAgentsInTurn() {
        var settings = QueueSettings()
        settings.strategy = .roundRobin
        settings.wrapUp = .seconds(1)
        var q = QueueDriver(settings)
        for name in ["an", "binh", "chi"] { q.agent(name) }
        var offered: [String] = []
        for n in UInt64(1)...4 {
            let actions = q.send(.callerJoined(id(n), number: "09120000\(n)"))
            let agent = q.offers(in: actions).first?.first ?? "-"
            offered.append(agent)
            q.send(.answered(agent, id(n)))
            q.send(.conversationEnded(agent, id(n), byAgent: false))
            q.advance(.seconds(2))
        }
        XCTAssertEqual(offered, ["an", "binh", "chi", "an"])
    }

    func testARingThatTimesOutGoesToTheNextAgentAndTwoMissesInARowMeanABreak() {
        var q = QueueDriver()
        q.agent("an")
        q.advance(.seconds(1))
        q.agent("binh")
        XCTAssertEqual(q.offers(in: q.send(.callerJoined(id(1), number: "0912000001"))), [["an"]])
        let timedOut = q.advance(.seconds(15))
        XCTAssertTrue(timedOut.contains(.cancelOffer(id(1), agent: "an")))
        XCTAssertEqual(q.offers(in: timedOut), [["binh"]])
        XCTAssertEqual(q.records.filter { $0.kind == .offerNoAnswer }.map(\.agent), ["an"])
        // binh lets it ring out too; an is tried again (nobody else is free) and misses a second time.
        q.advance(.seconds(15))
        XCTAssertEqual(q.queue.presence(of: "an"), .ringing)
        let second = q.advance(.seconds(15))
        XCTAssertEqual(q.queue.presence(of: "an"), .onBreak(reason: "Không trả lời 2 cuộc gọi liên tiếp"))
        XCTAssertTrue(second.contains(.presence("an", .onBreak(reason: "Không trả lời 2 cuộc gọi liên tiếp"),
                                                reason: "Không trả lời 2 cuộc gọi liên tiếp")))
        XCTAssertEqual(q.queue.waitingCount, 1, "the caller still waits")
    }

    func testADeclinedOfferIsNotAMiss() {
        var q = QueueDriver()
        q.agent("an")
        q.send(.callerJoined(id(1), number: "0912000001"))
        q.send(.declined("an", id(1)))
        q.send(.declined("an", id(1)))
        XCTAssertNotEqual(q.queue.presence(of: "an"), .onBreak(reason: "Không trả lời 2 cuộc gọi liên tiếp"))
    }

    /// Issue 23 §5: an agent calling a citizen back is offered no caller; afterwards comes wrap-up, or the break
    /// they called from; a callback whose legs are gone ends at the next reconcile.
    func testAnAgentCallingBackIsOfferedNoCallerAndReturnsToWrapUpOrTheirBreak() {
        var q = QueueDriver()
        q.agent("an")
        q.agent("binh")
        q.send(.outboundStarted("an"))
        XCTAssertEqual(q.queue.presence(of: "an"), .onCall)
        XCTAssertEqual(q.offers(in: q.send(.callerJoined(id(1), number: "0912000001"))), [["binh"]], "not an: calling back")
        XCTAssertTrue(q.send(.outboundStarted("binh")).isEmpty, "binh's phone rings for the queue: no callback now")
        q.send(.agentSet("binh", .onBreak(reason: "Họp")))
        q.send(.outboundEnded("an"))
        XCTAssertEqual(q.queue.presence(of: "an"), .wrapUp)
        XCTAssertEqual(q.offers(in: q.advance(.seconds(31))), [["an"]], "ready again after the wrap-up")

        var b = QueueDriver()
        b.agent("chi", ready: false)
        b.send(.outboundStarted("chi"))
        b.send(.reconcile(legs: ["chi": []]))
        XCTAssertEqual(b.queue.presence(of: "chi"), .onCall, "its leg still rings")
        b.send(.reconcile(legs: [:]))
        XCTAssertEqual(b.queue.presence(of: "chi"), .onBreak(reason: ""), "back on the break, never stuck on a call")
        XCTAssertTrue(b.send(.outboundEnded("chi")).isEmpty, "ended once")
    }

    /// A break asked for during a call is not lost (the gateway passes each request on once): the call goes on,
    /// wrap-up follows, then the break instead of ready. Ready asked again before then cancels it; on a callback
    /// from a break, going offline asked meanwhile is where the agent ends up.
    func testABreakAskedDuringACallBeginsAfterItsWrapUp() {
        var q = QueueDriver()
        q.agent("an")
        q.send(.callerJoined(id(1), number: "0912000001"))
        q.send(.answered("an", id(1)))
        XCTAssertTrue(q.send(.agentSet("an", .onBreak(reason: "Ăn trưa"))).isEmpty, "the call goes on")
        XCTAssertEqual(q.queue.presence(of: "an"), .onCall)
        XCTAssertEqual(q.queue.requestAfterCall(of: "an"), .onBreak(reason: "Ăn trưa"))
        q.send(.conversationEnded("an", id(1), byAgent: false))
        XCTAssertEqual(q.queue.presence(of: "an"), .wrapUp, "the wrap-up first: the case is still to be made")
        q.advance(.seconds(31))
        XCTAssertEqual(q.queue.presence(of: "an"), .onBreak(reason: "Ăn trưa"), "then the break, not ready")
        XCTAssertEqual(q.offers(in: q.send(.callerJoined(id(2), number: "0912000002"))), [], "not offered on break")

        var r = QueueDriver()
        r.agent("binh")
        r.send(.callerJoined(id(3), number: "0912000003"))
        r.send(.answered("binh", id(3)))
        r.send(.agentSet("binh", .offline))
        r.send(.agentSet("binh", .ready))
        XCTAssertNil(r.queue.requestAfterCall(of: "binh"), "ready again: nothing follows the call")
        r.send(.conversationEnded("binh", id(3), byAgent: true))
        r.advance(.seconds(31))
        XCTAssertEqual(r.queue.presence(of: "binh"), .ready)

        var c = QueueDriver()
        c.agent("chi", ready: false)
        c.send(.outboundStarted("chi"))
        c.send(.agentSet("chi", .offline))
        c.send(.outboundEnded("chi"))
        XCTAssertEqual(c.queue.presence(of: "chi"), .offline)
    }

    func testWrapUpFollowsEveryCallAndReadyEndsItEarly() {
        var q = QueueDriver()
        q.agent("an")
        q.send(.callerJoined(id(1), number: "0912000001"))
        q.send(.answered("an", id(1)))
        q.send(.callerJoined(id(2), number: "0912000002"))
        q.advance(.seconds(40))
        q.send(.conversationEnded("an", id(1), byAgent: false))
        XCTAssertEqual(q.queue.presence(of: "an"), .wrapUp)
        XCTAssertTrue(q.offers(in: q.advance(.seconds(10))).isEmpty, "no offer during wrap-up")
        XCTAssertEqual(q.offers(in: q.send(.agentSet("an", .ready))), [["an"]])
        let talk = q.records.first { $0.kind == .completeByCaller }
        XCTAssertEqual(talk?.talkSeconds, 40)
        XCTAssertEqual(talk?.callerNumber, "0912000001")
    }

    func testPositionsMoveForwardAndNeverUpEvenWhenACallerIsPutBackAtTheFront() {
        var settings = QueueSettings()
        settings.announceEvery = .seconds(30)
        var q = QueueDriver(settings)
        q.agent("an")
        for n in UInt64(1)...4 { q.send(.callerJoined(id(n), number: "091200000\(n)")) }
        XCTAssertEqual(q.announcements(of: 4), [4])
        q.send(.answered("an", id(1)))
        q.advance(.seconds(30))
        XCTAssertEqual(q.announcements(of: 4), [4, 3])
        // The agent's leg dies: caller 1 goes back to the front; the others keep the places they were told.
        q.send(.agentLegLost("an", id(1)))
        XCTAssertEqual(q.queue.position(of: id(1)), 1)
        q.advance(.seconds(30))
        XCTAssertEqual(q.announcements(of: 4), [4, 3, 3])
        XCTAssertEqual(q.records.filter { $0.kind == .requeued }.count, 1)
        for n in UInt64(2)...4 {
            let told = q.announcements(of: n)
            XCTAssertEqual(told, told.sorted(by: >), "caller \(n) was told \(told)")
        }
    }

    func testASecondLostAgentLegSendsTheCallerToTheOverflow() {
        var q = QueueDriver()
        q.agent("an")
        q.send(.callerJoined(id(1), number: "0912000001"))
        q.send(.answered("an", id(1)))
        q.send(.agentLegLost("an", id(1)))
        q.send(.agentSet("an", .ready))
        q.send(.answered("an", id(1)))
        XCTAssertEqual(q.send(.agentLegLost("an", id(1))).last, .overflow(id(1), .agentLost))
    }

    func testTheEstimatedWaitIsSpokenOnlyWhenRecentWaitsBackIt() {
        var settings = QueueSettings()
        settings.maxWait = .seconds(3600)
        var q = QueueDriver(settings)
        q.agent("an", ready: false)
        // Five callers, each answered after 60 s at position 1 (the agent comes back from a break to take it).
        for n in UInt64(1)...5 {
            let joined = q.send(.callerJoined(id(n), number: "091200000\(n)"))
            XCTAssertTrue(joined.contains(.announce(id(n), position: 1, estimatedWait: nil)))
            q.advance(.seconds(60))
            q.send(.agentSet("an", .ready))
            q.send(.answered("an", id(n)))
            q.send(.conversationEnded("an", id(n), byAgent: true))
            q.send(.agentSet("an", .onBreak(reason: "")))
        }
        XCTAssertEqual(q.queue.estimate(position: 1, at: q.now), .seconds(60))
        XCTAssertEqual(q.queue.estimate(position: 3, at: q.now), .seconds(180))
        // Figures scattered widely are no estimate.
        for n in UInt64(6)...10 {
            q.send(.callerJoined(id(n), number: "09120000\(n)"))
            q.advance(.seconds(n.isMultiple(of: 2) ? 1 : 900))
            q.send(.agentSet("an", .ready))
            q.send(.answered("an", id(n)))
            q.send(.conversationEnded("an", id(n), byAgent: true))
            q.send(.agentSet("an", .onBreak(reason: "")))
        }
        XCTAssertNil(q.queue.estimate(position: 1, at: q.now))
        // And old figures age out.
        XCTAssertNil(q.queue.estimate(position: 1, at: q.now + .seconds(7200)))
    }

    func testTheMaximumWaitSendsTheCallerToTheOverflow() {
        var settings = QueueSettings()
        settings.maxWait = .seconds(120)
        var q = QueueDriver(settings)
        q.agent("an", ready: false)
        q.send(.callerJoined(id(1), number: "0912000001"))
        XCTAssertTrue(q.advance(.seconds(119)).filter { if case .overflow = $0 { true } else { false } }.isEmpty)
        XCTAssertEqual(q.advance(.seconds(1)).last, .overflow(id(1), .timeout))
        XCTAssertEqual(q.records.last?.kind, .exitByTimeout)
        XCTAssertEqual(q.records.last?.waitSeconds, 120)
    }

    func testTheLastAgentLeavingSendsEveryoneWaitingToTheOverflow() {
        var q = QueueDriver()
        q.agent("an", ready: false)
        q.send(.callerJoined(id(1), number: "0912000001"))
        q.send(.callerJoined(id(2), number: "0912000002"))
        let actions = q.send(.agentSet("an", .offline))
        XCTAssertTrue(actions.contains(.overflow(id(1), .noAgents)))
        XCTAssertTrue(actions.contains(.overflow(id(2), .noAgents)))
    }

    func testCallbacksComeFromARequestOrAnAbandonAfterFiveSeconds() {
        var q = QueueDriver()
        q.agent("an", ready: false)
        q.send(.callerJoined(id(1), number: "0912000001"))
        q.send(.callerJoined(id(2), number: "0912000002"))
        q.send(.callerJoined(id(3), number: "0912000003"))
        q.send(.callerJoined(id(4), number: ""))
        q.advance(.seconds(4))
        XCTAssertEqual(q.send(.callerLeft(id(1), .hungUp)).filter { if case .callbackItem = $0 { true } else { false } },
                       [], "an abandon under 5 s is not a callback")
        q.advance(.seconds(1))
        XCTAssertTrue(q.send(.callerLeft(id(2), .hungUp)).contains(.callbackItem(number: "0912000002", requested: false)))
        XCTAssertTrue(q.send(.callerLeft(id(3), .callback)).contains(.callbackItem(number: "0912000003", requested: true)))
        XCTAssertFalse(q.send(.callerLeft(id(4), .hungUp)).contains { if case .callbackItem = $0 { true } else { false } },
                       "a withheld number cannot be called back")
        let abandon = q.records.filter { $0.kind == .abandon }
        XCTAssertEqual(abandon.map(\.position), [1, 1, 1])
        XCTAssertEqual(abandon.map(\.waitSeconds), [4, 5, 5])
        XCTAssertEqual(q.records.filter { $0.kind == .callbackRequested }.count, 1)
    }

    func testKeyOneLeavesTheQueueAndCancelsTheRing() {
        var q = QueueDriver()
        q.agent("an")
        q.send(.callerJoined(id(1), number: "0912000001"))
        let actions = q.send(.callerLeft(id(1), .key("1")))
        XCTAssertTrue(actions.contains(.cancelOffer(id(1), agent: "an")))
        XCTAssertEqual(q.records.last?.kind, .exitByKey)
        XCTAssertEqual(q.records.last?.key, "1")
        XCTAssertEqual(q.queue.presence(of: "an"), .ready)
    }

    func testCallersAreAnsweredInArrivalOrder() {
        var settings = QueueSettings()
        settings.wrapUp = .seconds(5)
        var q = QueueDriver(settings)
        for name in ["an", "binh"] { q.agent(name) }
        for n in UInt64(1)...8 { q.send(.callerJoined(id(n), number: "091200000\(n)")) }
        var answered: [UInt64] = []
        func latestOffer(to name: String, in log: [QueueAction]) -> QueueCallerID? {
            log.reversed().compactMap { if case .offer(let c, let a) = $0, a.contains(name) { c } else { nil } }.first
        }
        for _ in 0..<20 where answered.count < 8 {
            for name in ["an", "binh"] where q.queue.presence(of: name) == .ringing {
                let caller = latestOffer(to: name, in: q.log)!
                q.send(.answered(name, caller))
                answered.append(caller.rawValue)
            }
            q.advance(.seconds(3))
            for name in ["an", "binh"] where q.queue.presence(of: name) == .onCall {
                q.send(.conversationEnded(name, latestOffer(to: name, in: q.log)!, byAgent: true))
            }
            q.advance(.seconds(5))
        }
        XCTAssertEqual(answered, Array(1...8))
    }

    func testTheFiguresComeFromTheLog() {
        var q = QueueDriver()
        q.agent("an")
        q.send(.callerJoined(id(1), number: "0912000001"))
        q.advance(.seconds(10))
        q.send(.answered("an", id(1)))
        q.send(.callerJoined(id(2), number: "0912000002"))
        q.advance(.seconds(30))
        q.send(.callerLeft(id(2), .hungUp))
        q.send(.callerJoined(id(3), number: "0912000003"))
        q.send(.conversationEnded("an", id(1), byAgent: true))
        q.advance(.seconds(25))
        q.send(.agentSet("an", .ready))
        q.send(.answered("an", id(3)))
        let figures = QueueFigures(records: q.records)
        XCTAssertEqual(figures.offered, 3)
        XCTAssertEqual(figures.answered, 2)
        XCTAssertEqual(figures.abandoned, 1)
        XCTAssertEqual(figures.serviceLevel, 0.5)
        XCTAssertEqual(figures.serviceLevelWithAbandoned ?? 0, 1.0 / 3.0, accuracy: 1e-9)
        XCTAssertEqual(figures.asaSeconds, 17.5)
        XCTAssertEqual(figures.abandonmentRate ?? 0, 1.0 / 3.0, accuracy: 1e-9)
    }
}

final class CallQueueRetryTests: XCTestCase {
    func testAPhoneThatRefusesAtOnceIsNotRungInALoop() {
        var q = QueueDriver()
        q.agent("an")
        q.send(.callerJoined(QueueCallerID(1), number: "0912000001"))
        let refused = q.send(.declined("an", QueueCallerID(1)))
        XCTAssertTrue(q.offers(in: refused).isEmpty, "not again at once")
        XCTAssertEqual(q.queue.nextDeadline, .seconds(15))
        XCTAssertEqual(q.offers(in: q.advance(.seconds(15))), [["an"]], "again after a ring timeout")
        // A deadline is never in the past: the owner loop does not spin.
        XCTAssertGreaterThan(q.queue.nextDeadline ?? .seconds(1_000_000), q.now)
    }
}
