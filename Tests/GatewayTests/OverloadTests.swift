import XCTest

@testable import Gateway

/// Issue 17 §4: the overload decision from the bridge clock's lateness and the CPU.
final class OverloadTests: XCTestCase {
    func testP95() {
        XCTAssertNil(OverloadDetector.p95([]))
        XCTAssertEqual(OverloadDetector.p95(Array(1...100).map(UInt32.init)), 96)
        XCTAssertEqual(OverloadDetector.p95([7]), 7)
    }

    func testALateClockTripsWhenSustainedAndRecovers() {
        var d = OverloadDetector(policy: OverloadPolicy(tickLatenessMs: 10, cpuPercent: 0, windowSeconds: 3))
        let onTime = [UInt32](repeating: 300, count: 50)  // 0.3 ms late: a healthy clock
        XCTAssertFalse(d.update(lateness: onTime, cpuShare: 0.5).changed)
        XCTAssertFalse(d.overloaded)
        // Seconds where a tenth of the ticks run 30 ms late: each second's p95 exceeds 10 ms.
        let late = [UInt32](repeating: 300, count: 40) + [UInt32](repeating: 30_000, count: 10)
        XCTAssertFalse(d.update(lateness: late, cpuShare: 0.5).changed, "one late second is a stall, not an overload")
        XCTAssertFalse(d.update(lateness: late, cpuShare: 0.5).changed)
        let r = d.update(lateness: late, cpuShare: 0.5)
        XCTAssertTrue(r.changed, "three late seconds in a row")
        XCTAssertTrue(d.overloaded)
        XCTAssertGreaterThan(r.p95Ms, 10)
        // Back on time only once no second of the window was late.
        _ = d.update(lateness: onTime, cpuShare: 0.5)
        _ = d.update(lateness: onTime, cpuShare: 0.5)
        XCTAssertTrue(d.overloaded, "a late second is still within the window")
        XCTAssertTrue(d.update(lateness: onTime, cpuShare: 0.5).changed)
        XCTAssertFalse(d.overloaded)
    }

    func testAStallOfTheMachineDoesNotTrip() {
        var d = OverloadDetector(policy: OverloadPolicy(tickLatenessMs: 10, cpuPercent: 0, windowSeconds: 3))
        let onTime = [UInt32](repeating: 300, count: 50)
        // A 150 ms stall: the ticks caught up after it run 130, 110, … ms late, all in one second.
        let stall = [UInt32](repeating: 300, count: 43) + (0..<7).map { UInt32(130_000 - $0 * 20_000) }
        for second in [onTime, stall, onTime, onTime, stall, onTime, stall] {
            XCTAssertFalse(d.update(lateness: second, cpuShare: 0.15).changed)
            XCTAssertFalse(d.overloaded)
        }
    }

    func testExhaustedCPUTripsOnlyWhenSustained() {
        var d = OverloadDetector(policy: OverloadPolicy(tickLatenessMs: 0, cpuPercent: 90, windowSeconds: 3))
        _ = d.update(lateness: [50_000], cpuShare: 0.99)  // the clock is not watched (0)
        _ = d.update(lateness: [], cpuShare: 0.99)
        XCTAssertFalse(d.overloaded, "two seconds are not yet the window")
        XCTAssertTrue(d.update(lateness: [], cpuShare: 0.97).changed)
        XCTAssertTrue(d.overloaded)
        _ = d.update(lateness: [], cpuShare: 0.2)
        XCTAssertFalse(d.overloaded, "the mean over 3 s fell under 90%")
    }

    func testTheClockMonitorMeasuresThePacersTicks() {
        let monitor = MediaClockMonitor()
        monitor.tick(serial: 1)  // becomes the pacer
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 0.03)  // 30 ms: at least 10 ms late
            monitor.tick(serial: 2)  // another port in the same tick: not measured
            monitor.tick(serial: 1)
        }
        let late = monitor.drain()
        XCTAssertEqual(late.count, 3)
        XCTAssertTrue(late.allSatisfy { $0 >= 9_000 }, "\(late)")
        XCTAssertTrue(monitor.drain().isEmpty)
    }
}
