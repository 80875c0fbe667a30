import Foundation
import XCTest

/// The facts of a recording the tests check: its format, its length, and where in it there is sound.
struct WAVInfo {
    let sampleRate: Int
    let channels: Int
    let bits: Int
    let durationMs: Int
    let rms: Double
    let samples: [Int16]

    init(path: String) throws {
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard d.count >= 44, d[0..<4] == [0x52, 0x49, 0x46, 0x46], d[8..<12] == [0x57, 0x41, 0x56, 0x45] else {
            throw E2E.CommandFailed(description: "\(path) is not a RIFF/WAVE file")
        }
        func u32(_ i: Int) -> Int { Int(d[i]) | Int(d[i + 1]) << 8 | Int(d[i + 2]) << 16 | Int(d[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(d[i]) | Int(d[i + 1]) << 8 }
        // The gateway writes the plain 44-byte header: fmt at 12, data at 36.
        guard String(decoding: d[12..<16], as: UTF8.self) == "fmt ", String(decoding: d[36..<40], as: UTF8.self) == "data"
        else { throw E2E.CommandFailed(description: "\(path) has not the plain 44-byte header the gateway writes") }
        channels = u16(22)
        sampleRate = u32(24)
        bits = u16(34)
        let count = min(u32(40), d.count - 44) / 2
        samples = (0..<count).map { Int16(bitPattern: UInt16(d[44 + 2 * $0]) | UInt16(d[45 + 2 * $0]) << 8) }
        durationMs = count * 1000 / max(1, sampleRate)
        let sum = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        rms = count > 0 ? (sum / Double(count)).squareRoot() : 0
    }

    /// The RMS of the samples from `fromMs` to `toMs` (0 for an empty span).
    func rms(fromMs: Int, toMs: Int) -> Double {
        let a = max(0, min(samples.count, fromMs * sampleRate / 1000)), b = max(a, min(samples.count, toMs * sampleRate / 1000))
        guard b > a else { return 0 }
        return (samples[a..<b].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(b - a)).squareRoot()
    }

    /// From the first to the last 20 ms frame louder than `threshold` RMS, in milliseconds from the start;
    /// nil when nothing is that loud. Pauses between words fall inside the span.
    func soundSpan(threshold: Double = 300) -> (startMs: Int, endMs: Int)? {
        let frame = max(1, sampleRate / 50)
        var loud: [Int] = []
        for (i, start) in stride(from: 0, to: samples.count, by: frame).enumerated() {
            let chunk = samples[start..<min(samples.count, start + frame)]
            let power = chunk.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(chunk.count)
            if power.squareRoot() > threshold { loud.append(i) }
        }
        guard let first = loud.first, let last = loud.last else { return nil }
        return (first * 20, (last + 1) * 20)
    }
}

/// The part of the caller's speech that fell inside the recording window, in seconds (0 when none did).
func overlap(speech: (start: Date, duration: TimeInterval), window: (start: Date, end: Date)) -> TimeInterval {
    let start = max(speech.start, window.start)
    let end = min(speech.start.addingTimeInterval(speech.duration), window.end)
    return max(0, end.timeIntervalSince(start))
}

extension XCTestCase {
    /// The WAV of take `take` (0 = the first recording of the call) covers the window from the end of the beep
    /// (the gateway's `event=recording-started`) to the scenario's `endedBy` line (its `#` or BYE) within 1 s,
    /// holds speech (RMS well above zero), and its sound lies where the caller's speech (the scenario's
    /// `speech-start` line, for the length of the test speech) met that window, within 1 s.
    func assertRecording(_ wav: WAVInfo, gateway: GatewayProcess, sipp: SIPpRun, endedBy: String, take: Int = 0,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let starts = gateway.times(of: "recording-started")
        XCTAssertGreaterThan(starts.count, take, "no event=recording-started for take \(take + 1)\n\(gateway.log)",
                             file: file, line: line)
        let started = starts[take]
        let endings = sipp.times(of: endedBy), speeches = sipp.times(of: "speech-start")
        XCTAssertGreaterThan(min(endings.count, speeches.count), take,
                             "the scenario logged no '\(endedBy)' or 'speech-start' for take \(take + 1)\n\(sipp.report)",
                             file: file, line: line)
        let ended = endings[take], speechStart = speeches[take]
        let window = ended.timeIntervalSince(started)
        let timeline = String(format: "take %d: window %.2f s (recording-started → %@), speech from %+.2f s for %.2f s, WAV %d ms",
                              take + 1, window, endedBy, speechStart.timeIntervalSince(started), try SIPp.speechDuration(),
                              wav.durationMs)
        XCTAssertGreaterThan(window, 4, "the caller talks for several seconds: \(timeline)", file: file, line: line)
        XCTAssertEqual(Double(wav.durationMs) / 1000, window, accuracy: 1, "WAV length vs the recording window: \(timeline)",
                       file: file, line: line)
        XCTAssertGreaterThan(wav.rms, 500, "the recording holds the caller's speech, not silence", file: file, line: line)

        let heard = overlap(speech: (speechStart, try SIPp.speechDuration()), window: (started, ended))
        XCTAssertGreaterThan(heard, 4, "several seconds of speech fell in the window: \(timeline)", file: file, line: line)
        let span = try XCTUnwrap(wav.soundSpan(), "no sound in the recording: \(timeline)", file: file, line: line)
        print("\(name): \(timeline); sound \(span.startMs)–\(span.endMs) ms, speech in the window \(String(format: "%.2f", heard)) s")
        XCTAssertEqual(Double(span.endMs - span.startMs) / 1000, heard, accuracy: 1,
                       "sound in the WAV (\(span.startMs)–\(span.endMs) ms) vs speech inside the window: \(timeline)",
                       file: file, line: line)
        XCTAssertEqual(Double(span.startMs) / 1000, max(0, speechStart.timeIntervalSince(started)), accuracy: 1,
                       "the speech starts in the WAV where it started on the call: \(timeline)", file: file, line: line)
    }
}
