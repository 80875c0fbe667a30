import Foundation
import XCTest

@testable import Gateway

/// The helper that puts the SIP workers and the owner under real-time scheduling (issue 17).
final class ThreadPriorityTests: XCTestCase {
    /// The calling thread's scheduling policy (without the reset-on-fork flag) and priority, as glibc reports them.
    private static func current() -> (policy: Int32, priority: Int32, resetsOnFork: Bool) {
        var policy: Int32 = 0
        var parameters = sched_param()
        _ = pthread_getschedparam(pthread_self(), &policy, &parameters)
        let flag = ThreadPriority.resetOnFork
        return (policy & ~flag, parameters.sched_priority, policy & flag != 0)
    }

    /// Runs `body` on a fresh thread (so the test runner's own thread keeps its scheduling) and returns its result.
    private func onFreshThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        let thread = Thread {
            result = body()
            done.signal()
        }
        thread.start()
        done.wait()
        return result!
    }

    func testRaisesTheThreadToRoundRobinOrSaysWhyNot() {
        let (refusal, after) = onFreshThread { (ThreadPriority.raiseCurrentThread(to: 10), Self.current()) }
        if let refusal {
            // Not root, no CAP_SYS_NICE, no RLIMIT_RTPRIO: the thread is left as it was, and the reason is readable.
            XCTAssertFalse(refusal.isEmpty)
            XCTAssertEqual(after.policy, SCHED_OTHER)
        } else {
            XCTAssertEqual(after.policy, SCHED_RR)
            XCTAssertEqual(after.priority, 10)
            XCTAssertTrue(after.resetsOnFork)
        }
    }

    /// A thread started by a raised one (a dispatch queue's worker, started by the owner's `async`) runs under
    /// normal scheduling: the real-time policy is the signalling threads' alone.
    func testThreadsStartedByARaisedThreadRunNormally() throws {
        let (refusal, child) = onFreshThread { () -> (String?, (policy: Int32, priority: Int32, resetsOnFork: Bool)) in
            let refusal = ThreadPriority.raiseCurrentThread(to: 10)
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var child = (policy: Int32(-1), priority: Int32(-1), resetsOnFork: true)
            let thread = Thread {
                child = Self.current()
                done.signal()
            }
            thread.start()
            done.wait()
            return (refusal, child)
        }
        if let refusal { throw XCTSkip("real-time scheduling is not allowed here: \(refusal)") }
        XCTAssertEqual(child.policy, SCHED_OTHER)
        XCTAssertEqual(child.priority, 0)
        XCTAssertFalse(child.resetsOnFork)
    }

    func testZeroLeavesTheThreadAlone() {
        let (refusal, after) = onFreshThread { (ThreadPriority.raiseCurrentThread(to: 0), Self.current()) }
        XCTAssertNil(refusal)
        XCTAssertEqual(after.policy, SCHED_OTHER)
        XCTAssertEqual(after.priority, 0)
    }

    func testAPriorityOutOfRangeIsRefusedWithItsReason() {
        let (refusal, after) = onFreshThread { (ThreadPriority.raiseCurrentThread(to: 100), Self.current()) }
        XCTAssertNotNil(refusal, "SCHED_RR priorities run 1-99")
        XCTAssertEqual(after.policy, SCHED_OTHER)
    }
}
