import XCTest

@testable import Gateway

/// Issue 17 §4: the overload decision from the bridge clock's lateness and the CPU.
final class OverloadTests: XCTestCase {
    func testP95() {
        XCTAssertNil(OverloadDetector.p95([]))
        XCTAssertEqual(OverloadDetector.p95(Array(1...100).map(UInt32.init)), 96)
        XCTAssertEqual(OverloadDetector.p95([7]), 7)
    }

    func testALateClockTripsAndRecovers() {
        var d = OverloadDetector(policy: OverloadPolicy(tickLatenessMs: 10, cpuPercent: 0, windowSeconds: 3))
        let onTime = [UInt32](repeating: 300, count: 50)  // 0.3 ms late: a healthy clock
        XCTAssertFalse(d.update(lateness: onTime, cpuShare: 0.5).changed)
        XCTAssertFalse(d.overloaded)
        // One second where a tenth of the ticks run 30 ms late: p95 over the window exceeds 10 ms.
        let late = [UInt32](repeating: 300, count: 40) + [UInt32](repeating: 30_000, count: 10)
        let r = d.update(lateness: late, cpuShare: 0.5)
        XCTAssertTrue(r.changed)
        XCTAssertTrue(d.overloaded)
        XCTAssertGreaterThan(r.p95Ms, 10)
        // The late second leaves the 3 s window: calls are taken again.
        _ = d.update(lateness: onTime, cpuShare: 0.5)
        _ = d.update(lateness: onTime, cpuShare: 0.5)
        XCTAssertTrue(d.overloaded, "still within the window")
        XCTAssertTrue(d.update(lateness: onTime, cpuShare: 0.5).changed)
        XCTAssertFalse(d.overloaded)
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
