import XCTest

@testable import Gateway

/// Issue 11 §4: a call leg's state and the registry of calls, without PJSIP.
final class CallLegStateTests: XCTestCase {
    func testACallGoesFromAnsweringThroughTheIVRToAnAgentAndBack() {
        var state = CallLeg.State.answering
        XCTAssertTrue(state.mediaUp(callSlot: 5))
        XCTAssertEqual(state, .inIVR(callSlot: 5))
        state.agentAnswered()  // nobody is ringing: ignored
        XCTAssertEqual(state, .inIVR(callSlot: 5))
        state.agentRinging(9)
        XCTAssertEqual(state, .transferring(callSlot: 5, agent: 9))
        // A re-INVITE moves the caller's media to another slot; the agent's leg is kept.
        XCTAssertTrue(state.mediaUp(callSlot: 7))
        XCTAssertEqual(state, .transferring(callSlot: 7, agent: 9))
        state.agentAnswered()
        XCTAssertEqual(state, .withAgent(callSlot: 7, agent: 9))
        state.agentRinging(11)  // one agent at a time: ignored
        XCTAssertEqual(state, .withAgent(callSlot: 7, agent: 9))
        state.agentGone()
        XCTAssertEqual(state, .inIVR(callSlot: 7))
    }

    func testNothingMovesAnEndedCall() {
        var state = CallLeg.State.ended
        XCTAssertFalse(state.mediaUp(callSlot: 3))
        state.agentRinging(4)
        state.agentAnswered()
        state.agentGone()
        XCTAssertEqual(state, .ended)
    }

    func testAnUnansweredTransferGoesBackToTheIVR() {
        var state = CallLeg.State.inIVR(callSlot: 2)
        state.agentRinging(8)
        state.agentGone()
        XCTAssertEqual(state, .inIVR(callSlot: 2))
    }
}

final class CallRegistryTests: XCTestCase {
    final class Call: RegisteredCall {
        let pjCall: Int32
        let serial: UInt64
        let callerNumber: String
        var isEnded = false
        init(_ pjCall: Int32, _ serial: UInt64, _ callerNumber: String = "0912000001") {
            self.pjCall = pjCall
            self.serial = serial
            self.callerNumber = callerNumber
        }
    }

    func testAnEndedCallIsFoundBySerialUntilRetiredAndItsPJSUAIdGoesToTheNextCall() {
        var registry = CallRegistry<Call>()
        let first = Call(1, 10)
        registry.add(first)
        XCTAssertTrue(registry.call(1) === first)
        guard case .caller(let ended)? = registry.disconnected(1) else { return XCTFail("the caller's call ended") }
        XCTAssertTrue(ended === first)
        first.isEnded = true
        XCTAssertNil(registry.call(1))
        XCTAssertTrue(registry.call(serial: 10) === first, "its draft is still being stored")
        XCTAssertFalse(registry.isEmpty)

        // pjsua gives id 1 to the next call while the first one's draft is stored.
        let second = Call(1, 11)
        registry.add(second)
        XCTAssertTrue(registry.call(1) === second)
        XCTAssertTrue(registry.call(serial: 10) === first)
        registry.retire(first)
        XCTAssertNil(registry.call(serial: 10))
        XCTAssertEqual(registry.liveCount, 1)
        XCTAssertNil(registry.disconnected(42), "an id nobody holds")
    }

    func testAnAgentLegIsFoundByItsOwnIdAndEndsApartFromTheCaller() {
        var registry = CallRegistry<Call>()
        let caller = Call(3, 20)
        registry.add(caller)
        registry.addAgentLeg(7, of: caller)
        XCTAssertTrue(registry.callOfAgentLeg(7) === caller)
        XCTAssertNil(registry.call(7), "an agent's leg is not a caller's call")
        guard case .agentLeg(of: let owner)? = registry.disconnected(7) else { return XCTFail("the agent's leg ended") }
        XCTAssertTrue(owner === caller)
        XCTAssertTrue(registry.call(3) === caller, "the caller's call goes on")
        _ = registry.disconnected(3)
        registry.retire(caller)
        XCTAssertTrue(registry.isEmpty)
    }

    func testLiveCallsAreCountedPerCallerNumber() {
        var registry = CallRegistry<Call>()
        registry.add(Call(1, 1, "0912000001"))
        registry.add(Call(2, 2, "0912000001"))
        registry.add(Call(3, 3, "0912000002"))
        XCTAssertEqual(registry.liveCount(callerNumber: "0912000001"), 2)
        _ = registry.disconnected(2)
        XCTAssertEqual(registry.liveCount(callerNumber: "0912000001"), 1)
        XCTAssertEqual(registry.liveCount, 2)
    }
}
