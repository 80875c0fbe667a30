import XCTest

@testable import Gateway

/// Issue 17 §6: the share of a recording's RTP packets lost or late, from the stream's counters at its start
/// and stop.
final class AudioIntegrityTests: XCTestCase {
    private func c(_ received: UInt32, _ lost: UInt32, _ late: UInt32, buffer: UInt32 = 0) -> AudioCounters {
        AudioCounters(received: received, sequenceLoss: lost, bufferLost: buffer, late: late)
    }

    func testAWholeRecordingLosesNothing() {
        // 10 s of audio, 500 packets, none missing; counters that were already high at the start.
        XCTAssertEqual(AudioLossMeter.lossPercent(from: c(300, 2, 1), to: c(800, 2, 1), recordedMs: 10_000), 0)
    }

    func testGapsAndLatePacketsCountAgainstWhatWasExpected() {
        // 400 received + 100 missing from the sequence = 500 expected; 100 lost and 25 late = 25%.
        XCTAssertEqual(AudioLossMeter.lossPercent(from: c(0, 0, 0), to: c(400, 100, 25), recordedMs: 10_000), 25)
        // Only the window counts: losses before the recording started are not the recording's.
        XCTAssertEqual(AudioLossMeter.lossPercent(from: c(100, 50, 10), to: c(500, 150, 35), recordedMs: 10_000), 25)
    }

    func testAnyLossShowsAsAtLeastOnePercent() {
        XCTAssertEqual(AudioLossMeter.lossPercent(from: .zero, to: c(999, 1, 0), recordedMs: 20_000), 1)
        XCTAssertEqual(AudioLossMeter.lossPercent(from: .zero, to: c(497, 3, 0), recordedMs: 10_000), 1)
        XCTAssertEqual(AudioLossMeter.lossPercent(from: .zero, to: c(494, 6, 0), recordedMs: 10_000), 2)
    }

    func testNoRTPAtAllIsAWholeLossAndLossIsCapped() {
        XCTAssertEqual(AudioLossMeter.lossPercent(from: c(50, 0, 0), to: c(50, 0, 0), recordedMs: 5_000), 100)
        XCTAssertEqual(AudioLossMeter.lossPercent(from: .zero, to: .zero, recordedMs: 0), 0)
        // Late discards beyond what was expected (a burst the buffer dropped twice) stay at 100.
        XCTAssertEqual(AudioLossMeter.lossPercent(from: .zero, to: c(10, 0, 40), recordedMs: 200), 100)
    }

    func testLossIsSummedAcrossSequenceRestarts() {
        // 46 lost before the recording (another generator's numbering), then the speech restarts the sequence:
        // RTCP's count starts again from 0 and climbs to 40, the sender restarts once more (a DTMF burst) and
        // it climbs to 10. 350 received + 50 lost = 400 expected: 13%.
        var meter = AudioLossMeter(start: c(20, 46, 0))
        meter.sample(c(170, 20, 0))
        meter.sample(c(320, 40, 0))
        meter.sample(c(340, 2, 0))
        meter.sample(c(370, 10, 0))
        XCTAssertEqual(meter.lossPercent(recordedMs: 8_000), 13)
    }

    func testTheJitterBuffersCountStandsInWhenItSawMore() {
        // Gaps the sequence count missed (a restart between readings) but the buffer found.
        XCTAssertEqual(AudioLossMeter.lossPercent(from: c(0, 0, 0), to: c(450, 0, 0, buffer: 50), recordedMs: 10_000), 10)
    }

    func testCountersThatWrapStillSubtract() {
        XCTAssertEqual(AudioLossMeter.lossPercent(from: c(UInt32.max - 99, 0, 0), to: c(300, 100, 0), recordedMs: 10_000), 20)
    }
}
