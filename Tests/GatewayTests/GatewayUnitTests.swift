import Foundation
import IVR
import XCTest

@testable import Gateway

final class CallerNumberTests: XCTestCase {
    func testTakesTheUserPartOfTheFromURI() {
        XCTAssertEqual(CallerNumber.parse("\"Cong dan\" <sip:0912345678@127.0.0.1:5061>"), "0912345678")
        XCTAssertEqual(CallerNumber.parse("<sip:+84912345678@trunk.example;user=phone>"), "+84912345678")
        XCTAssertEqual(CallerNumber.parse("sip:0225.1022@host"), "02251022")
        XCTAssertEqual(CallerNumber.parse("<tel:0912-345-678>"), "0912345678")
    }

    func testWithheldOrNonNumericCallersAreEmpty() {
        XCTAssertEqual(CallerNumber.parse("\"Anonymous\" <sip:anonymous@anonymous.invalid>"), "")
        XCTAssertEqual(CallerNumber.parse("<sip:@host>"), "")
        XCTAssertEqual(CallerNumber.parse(""), "")
        XCTAssertEqual(CallerNumber.parse("<sip:" + String(repeating: "9", count: 40) + "@h>"), "")
    }
}

final class WAVTests: XCTestCase {
    func testHeaderAndParseRoundTrip() throws {
        let samples: [Int16] = [0, 1, -1, 32767, -32768, 1234]
        var data = Data(WAV.header(dataBytes: samples.count * 2))
        samples.withUnsafeBytes { data.append(contentsOf: $0) }
        XCTAssertEqual(data.count, 44 + 12)
        let pcm = try WAV.parse(data, path: "x.wav")
        XCTAssertEqual(pcm.samples, samples)
    }

    func testRefusesOtherFormats() {
        var header = WAV.header(dataBytes: 4)
        header[24] = 0x80; header[25] = 0x3e  // 16000 Hz
        XCTAssertThrowsError(try WAV.parse(Data(header + [0, 0, 0, 0]), path: "x.wav")) { error in
            XCTAssertTrue("\(error)".contains("16000 Hz"), "\(error)")
        }
        XCTAssertThrowsError(try WAV.parse(Data("not a wav file at all".utf8), path: "y.wav"))
    }

    func testTruncatedDataIsReadAsFarAsItGoes() throws {
        let header = WAV.header(dataBytes: 1000)  // claims 500 samples
        let pcm = try WAV.parse(Data(header + [1, 0, 2, 0]), path: "cut.wav")
        XCTAssertEqual(pcm.samples, [1, 2])
    }
}

final class RecoveryTests: XCTestCase {
    func testRepairsTheHeaderOfACutOffRecordingAndFindsItsSidecar() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("2026/11/22"),
                                                withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = dir.appendingPathComponent("2026/11/22/101500-c1-x-r1.wav")
        // A header that says 0 bytes (as if killed before the first header update), then 1 s of audio
        // and one stray byte.
        var data = Data(WAV.header(dataBytes: 0))
        data.append(Data(repeating: 0x11, count: 16000 + 1))
        try data.write(to: wav)
        let sidecar = RecordingWriter.Sidecar(callID: "abc@h", callerNumber: "0912345678",
                                              startedAt: Date(timeIntervalSince1970: 1_800_000_000),
                                              dialplanVersion: "v1")
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(sidecar).write(to: URL(fileURLWithPath: RecordingWriter.sidecarPath(wav.path)))

        var problems: [String] = []
        let found = RecordingRecovery.scan(directory: dir.path) { problems.append($0) }
        XCTAssertEqual(problems, [])
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.callerNumber, "0912345678")
        XCTAssertEqual(found.first?.durationMs, 1000)
        let pcm = try WAV.load(path: wav.path)
        XCTAssertEqual(pcm.samples.count, 8000)
        try RecordingRecovery.markRecovered(found[0])
        XCTAssertTrue(RecordingRecovery.scan(directory: dir.path) { problems.append($0) }.isEmpty)
    }
}

final class TimerTableTests: XCTestCase {
    func testFiresInDeadlineOrderAndHonoursCancel() {
        var table = TimerTable()
        let t0 = OwnerInstant.now
        table.add(serial: 1, TimerID(1), at: t0 + .seconds(3))
        table.add(serial: 2, TimerID(1), at: t0 + .seconds(1))
        table.add(serial: 1, TimerID(2), at: t0 + .seconds(2))
        table.cancel(serial: 1, TimerID(2))
        XCTAssertEqual(table.nextDeadline, t0 + .seconds(1))
        let due = table.due(at: t0 + .seconds(5))
        XCTAssertEqual(due.map(\.serial), [2, 1])
        XCTAssertNil(table.nextDeadline)
    }

    /// The owner's wait (issue 23 §9): on the monotonic clock, ended by the deadline when nothing comes, at once
    /// by an event from another thread, and wake-ups of events already taken do not end the next wait early.
    func testTheOwnersWaitEndsAtItsDeadlineOrAtTheFirstEvent() {
        let queue = EventQueue()
        var started = OwnerInstant.now
        XCTAssertTrue(queue.take(waitingUntil: started + .milliseconds(150)).isEmpty)
        XCTAssertGreaterThanOrEqual(OwnerInstant.now.seconds(since: started), 0.15)

        for _ in 0..<5 { queue.post(.draftSlow(serial: 1)) }
        XCTAssertEqual(queue.take(waitingUntil: .after(5)).count, 5, "everything queued, at once")
        started = .now
        XCTAssertTrue(queue.take(waitingUntil: started + .milliseconds(100)).isEmpty, "no stale wake-up")
        XCTAssertGreaterThanOrEqual(OwnerInstant.now.seconds(since: started), 0.1)

        started = .now
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { queue.post(.draftSlow(serial: 2)) }
        XCTAssertEqual(queue.take(waitingUntil: .after(10)).count, 1)
        XCTAssertLessThan(OwnerInstant.now.seconds(since: started), 5, "woken by the event, not the deadline")
    }
}

final class MediaChannelTests: XCTestCase {
    final class Sink: @unchecked Sendable {
        var events: [GatewayEvent] = []
        let lock = NSLock()
        func post(_ e: GatewayEvent) { lock.lock(); events.append(e); lock.unlock() }
    }

    func testPlaysSegmentsBackToBackThenReportsTheEnd() {
        let sink = Sink()
        let channel = MediaChannel(serial: 7) { sink.post($0) }
        channel.play(PlaybackID(3), [PCM(samples: Array(repeating: 5, count: 100)),
                                     PCM(samples: Array(repeating: 6, count: 100))])
        var frame = [Int16](repeating: -1, count: 160)
        XCTAssertTrue(frame.withUnsafeMutableBufferPointer { channel.fill($0.baseAddress!, count: 160) })
        XCTAssertEqual(Array(frame[0..<100]), Array(repeating: 5, count: 100))
        XCTAssertEqual(Array(frame[100..<160]), Array(repeating: 6, count: 60))
        XCTAssertTrue(sink.events.isEmpty)
        XCTAssertTrue(frame.withUnsafeMutableBufferPointer { channel.fill($0.baseAddress!, count: 160) })
        XCTAssertEqual(Array(frame[0..<40]), Array(repeating: 6, count: 40))
        XCTAssertEqual(Array(frame[40..<160]), Array(repeating: 0, count: 120))
        guard case .playbackFinished(7, PlaybackID(3)) = sink.events.first else {
            return XCTFail("expected playbackFinished, got \(sink.events)")
        }
        XCTAssertFalse(frame.withUnsafeMutableBufferPointer { channel.fill($0.baseAddress!, count: 160) })
    }

    func testSilenceLimitEndsTheRecordingOnceAndKeepsTheAudio() {
        let sink = Sink()
        let channel = MediaChannel(serial: 1) { sink.post($0) }
        channel.startRecording(RecordingID(1), RecordingLimits(maxSeconds: 180, silenceSeconds: 1))
        let loud = [Int16](repeating: 8000, count: 160)
        for _ in 0..<10 { loud.withUnsafeBufferPointer { channel.take($0) } }  // 200 ms of voice
        for _ in 0..<60 { channel.take(nil) }  // 1.2 s of nothing
        let limits = sink.events.compactMap { e -> RecordingEnd? in
            if case .recordingLimit(_, _, let end) = e { return end } else { return nil }
        }
        XCTAssertEqual(limits, [.silence])
        let drained = channel.drainRecorded(RecordingID(1))
        XCTAssertEqual(drained.count, 160 * 60)  // 10 voice + 50 silent frames, then it stopped taking
        let stopped = channel.stopRecording()
        XCTAssertEqual(stopped?.durationMs, 1200)
    }

    func testMaxDurationEndsTheRecording() {
        let sink = Sink()
        let channel = MediaChannel(serial: 1) { sink.post($0) }
        channel.startRecording(RecordingID(2), RecordingLimits(maxSeconds: 1, silenceSeconds: 0))
        let loud = [Int16](repeating: 8000, count: 160)
        for _ in 0..<80 { loud.withUnsafeBufferPointer { channel.take($0) } }
        guard case .recordingLimit(_, RecordingID(2), .maxDuration) = sink.events.first else {
            return XCTFail("\(sink.events)")
        }
        XCTAssertEqual(channel.stopRecording()?.totalSamples, 8000)
    }
}

final class SourcePolicyTests: XCTestCase {
    func testAllowsOnlyTheConfiguredNetworks() throws {
        let policy = SourcePolicy(networks: [try .init("10.20.0.0/16"), try .init("192.0.2.7"), try .init("2001:db8::/32")])
        XCTAssertEqual(policy.verdict(source: "10.20.3.4", now: 0), .allow)
        XCTAssertEqual(policy.verdict(source: "192.0.2.7", now: 0), .allow)
        XCTAssertEqual(policy.verdict(source: "2001:db8:1::5", now: 0), .allow)
        XCTAssertEqual(policy.verdict(source: "10.21.0.1", now: 0), .forbid)
        XCTAssertEqual(policy.verdict(source: "192.0.2.8", now: 0), .forbid)
        XCTAssertEqual(policy.verdict(source: "not-an-address", now: 0), .forbid)
    }

    func testAStrangerWhoInsistsIsDroppedThenForgivenNextSecond() throws {
        let policy = SourcePolicy(networks: [try .init("127.0.0.2/32")], rejectsPerSecond: 3)
        let verdicts = (0..<5).map { _ in policy.verdict(source: "127.0.0.1", now: 100.2) }
        XCTAssertEqual(verdicts, [.forbid, .forbid, .forbid, .drop, .drop])
        XCTAssertEqual(policy.verdict(source: "127.0.0.9", now: 100.5), .forbid, "other sources are counted apart")
        XCTAssertEqual(policy.verdict(source: "127.0.0.1", now: 101.0), .forbid)
    }

    func testRejectsMalformedNetworks() {
        XCTAssertThrowsError(try SourcePolicy.Network("10.0.0.0/33"))
        XCTAssertThrowsError(try SourcePolicy.Network("example.org/8"))
        XCTAssertThrowsError(try SourcePolicy.Network("::1/129"))
        XCTAssertNoThrow(try SourcePolicy.Network("0.0.0.0/0"))
    }
}

final class RecordingPathStampTests: XCTestCase {
    /// The recording's folder and time are Vietnam's calendar, as a `DateFormatter` in Asia/Ho_Chi_Minh says.
    func testSameStampAsAFormatterInVietnamTime() {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        f.dateFormat = "yyyy/MM/dd/HHmmss"
        // Around midnight in Vietnam (17:00 UTC), a year's end, a leap day, and now.
        let dates = [1_796_144_399.9, 1_796_144_400.0, 1_798_736_399.5, 1_709_164_800.0, Date().timeIntervalSince1970]
        for seconds in dates {
            let date = Date(timeIntervalSince1970: seconds)
            XCTAssertEqual(Gateway.vietnamStamp(date), f.string(from: date), "\(seconds)")
        }
    }
}
