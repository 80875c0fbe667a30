import Foundation
import HotlineCore
import HotlineStore
import XCTest

@testable import Transcription

/// A recognizer that must not be reached (the audio is refused before it), counting calls if it is.
final class UnreachableRecognizer: SpeechRecognizer {
    var calls = 0
    var engineVersion: String { "unreachable" }
    func transcribe(samples: [Int16], sampleRate: Int) throws -> String {
        calls += 1
        return "should not be here"
    }
}

final class TranscriptionTests: XCTestCase {
    var dir: String!
    var store: TicketStore!

    /// The engine installed by scripts/bootstrap, or HOTLINE1022_VIETASR_LIBRARY.
    static var libraryPath: String {
        ProcessInfo.processInfo.environment["HOTLINE1022_VIETASR_LIBRARY"] ?? VietASRLibrary.defaultPath
    }

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "transcription-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try TicketStore(path: dir + "/h.sqlite")
    }

    override func tearDownWithError() throws {
        try store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// An 8 kHz mono 16-bit WAV as the gateway writes it; `claim` overrides the data size in the header.
    func wav(_ samples: [Int16], claim: Int? = nil, rate: Int = 8000) -> Data {
        var d = Data()
        func put32(_ v: Int) { for i in 0..<4 { d.append(UInt8((v >> (8 * i)) & 0xff)) } }
        func put16(_ v: Int) { for i in 0..<2 { d.append(UInt8((v >> (8 * i)) & 0xff)) } }
        let bytes = claim ?? samples.count * 2
        d += Data("RIFF".utf8); put32(36 + bytes); d += Data("WAVE".utf8)
        d += Data("fmt ".utf8); put32(16); put16(1); put16(1); put32(rate); put32(rate * 2); put16(2); put16(16)
        d += Data("data".utf8); put32(bytes)
        for s in samples { put16(Int(UInt16(bitPattern: s))) }
        return d
    }

    func draft(recording: String, at: Date) -> PhoneDraft {
        PhoneDraft(callID: UUID().uuidString, callerNumber: "0912345678", category: .infrastructure, confidential: nil,
                   receivedAt: at, recordingPath: recording, recordingDurationMs: 1000, recordingSHA256: nil,
                   dialplanVersion: "t1", interrupted: false)
    }

    // MARK: Reading recordings

    func testTheReaderTakesTheGatewaysFormatAndNamesWhatIsWrongWithAnythingElse() throws {
        XCTAssertEqual(try RecordingAudio.parse(wav([1, -2, 300, -32768])), [1, -2, 300, -32768])
        XCTAssertEqual(try RecordingAudio.parse(wav([])), [])
        func reason(_ data: Data) -> String {
            do {
                _ = try RecordingAudio.parse(data)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(reason(wav([1, 2, 3], claim: 4000)).contains("cắt cụt"), reason(wav([1, 2, 3], claim: 4000)))
        XCTAssertTrue(reason(Data("not a wav at all".utf8)).contains("không phải tệp WAV"))
        XCTAssertTrue(reason(wav([1, 2], rate: 16000)).contains("16000 Hz"))
        XCTAssertTrue(reason(wav([1, 2]).prefix(30)).contains("fmt"))
        XCTAssertTrue(reason(wav([1, 2]).prefix(36)).contains("thiếu khối data"))
        XCTAssertThrowsError(try RecordingAudio.load(path: dir + "/none.wav")) { error in
            XCTAssertTrue("\(error)".contains("none.wav"))
        }
    }

    // MARK: The engine absent or broken

    func testAMissingOrBrokenLibraryIsAnErrorValueAndStartsNoWorker() throws {
        XCTAssertThrowsError(try VietASRLibrary.load(path: dir + "/libvietasr.so")) { error in
            XCTAssertTrue(error is TranscriptionUnavailable)
            XCTAssertTrue("\(error)".contains("không có thư viện"), "\(error)")
        }
        let broken = dir + "/broken/libvietasr.so"
        try FileManager.default.createDirectory(atPath: dir + "/broken", withIntermediateDirectories: true)
        try Data("\u{7f}ELF but not really".utf8).write(to: URL(fileURLWithPath: broken))
        XCTAssertThrowsError(try VietASRLibrary.load(path: broken)) { error in
            XCTAssertTrue("\(error)".contains("không nạp được"), "\(error)")
        }
        // A library without the engine's functions (this process's C library stands in).
        XCTAssertThrowsError(try VietASRLibrary.load(path: "/lib/x86_64-linux-gnu/libc.so.6")) { error in
            XCTAssertTrue("\(error)".contains("thiếu hàm vietasr_"), "\(error)")
        }

        let service = TranscriptionService(database: dir + "/h.sqlite",
                                           settings: .init(libraryPath: dir + "/libvietasr.so", workers: 1),
                                           logger: SilentLogger())
        XCTAssertThrowsError(try service.start())
        XCTAssertTrue(service.stop(waitSeconds: 1), "no worker was started, so none is left running")
        // Jobs stay queued for when the engine is installed.
        _ = try store.createPhoneDraft(draft(recording: dir + "/a.wav", at: Date()))
        XCTAssertEqual(try store.transcriptionCounts().queued, 1)
        // Zero workers: transcription off, the library is not even looked at.
        let off = TranscriptionService(database: dir + "/h.sqlite", settings: .init(libraryPath: "/nonexistent", workers: 0),
                                       logger: SilentLogger())
        XCTAssertNil(try off.start())
    }

    // MARK: Priority

    func testAWorkerThreadRunsAtTheLowestPriorityAndLeavesOtherThreadsAlone() {
        let mine = TranscriptionService.currentNice()
        let seen = LogLines()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            TranscriptionService.lowerPriority()
            seen.append("\(TranscriptionService.currentNice())")
            // A thread started from there (as the engine's would be) inherits it.
            let child = Thread {
                seen.append("\(TranscriptionService.currentNice())")
                done.signal()
            }
            child.start()
        }
        thread.start()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(seen.all, ["19", "19"])
        XCTAssertEqual(TranscriptionService.currentNice(), mine, "the calling thread keeps its priority")
    }

    // MARK: A corrupt recording

    func testACorruptWAVJobFailsWithItsReasonIsRetriedWithBackOffAndTheTicketIsUntouched() throws {
        let path = dir + "/cut.wav"
        try wav([Int16](repeating: 100, count: 800), claim: 64000).write(to: URL(fileURLWithPath: path))
        let t0 = Date(timeIntervalSince1970: 1_780_000_000)
        let code = try store.createPhoneDraft(draft(recording: path, at: t0))
        let before = try store.ticket(code)
        let history = try store.history(code)

        let recognizer = UnreachableRecognizer()
        let worker = TranscriptionWorker(store: store, recognizer: recognizer)
        let outcome = try XCTUnwrap(try worker.runOnce(now: t0))
        guard case .failed(let failedCode, let reason, let retryAt) = outcome else {
            return XCTFail("a truncated WAV must fail, got \(outcome)")
        }
        XCTAssertEqual(failedCode, code)
        XCTAssertTrue(reason.contains("cắt cụt") && reason.contains("cut.wav"), reason)
        XCTAssertEqual(retryAt, t0.addingTimeInterval(TicketStore.transcriptionBackoff[0]))
        XCTAssertEqual(recognizer.calls, 0)
        XCTAssertEqual(try store.transcriptionJob(for: code)?.lastError, reason)

        // Not again before the back-off; again after it, with the same reason and a longer wait.
        XCTAssertNil(try worker.runOnce(now: t0.addingTimeInterval(TicketStore.transcriptionBackoff[0] - 1)))
        let second = try XCTUnwrap(try worker.runOnce(now: retryAt!))
        guard case .failed(_, _, let secondRetry) = second else { return XCTFail("\(second)") }
        XCTAssertEqual(secondRetry, retryAt!.addingTimeInterval(TicketStore.transcriptionBackoff[1]))

        XCTAssertEqual(try store.ticket(code), before)
        XCTAssertEqual(try store.history(code), history)
        XCTAssertNil(try store.transcript(for: code))
    }

    // MARK: End to end with the real engine

    /// espeak-ng speech at 8 kHz through the service's own thread into the store. Synthetic speech is a poor
    /// judge of recognition: the test asserts that the job completed with a transcript, not which words.
    func testTheServiceTranscribesSynthesizedVietnameseSpeech() throws {
        guard FileManager.default.fileExists(atPath: Self.libraryPath) else {
            throw XCTSkip("the transcription engine is not installed (\(Self.libraryPath)); scripts/bootstrap installs it")
        }
        let raw = dir + "/espeak.wav", path = dir + "/report.wav"
        try run("/usr/bin/espeak-ng", ["-v", "vi", "-w", raw,
                                       "Đèn đường ở phố Lạch Tray bị hỏng từ tối hôm qua, đề nghị thành phố sửa chữa"])
        try run("/usr/bin/sox", [raw, "-r", "8000", "-c", "1", "-b", "16", path])
        let samples = try RecordingAudio.load(path: path)
        XCTAssertGreaterThan(samples.count, 8000, "at least a second of speech")
        let code = try store.createPhoneDraft(draft(recording: path, at: Date()))

        let lines = LogLines()
        let service = TranscriptionService(database: dir + "/h.sqlite",
                                           settings: .init(libraryPath: Self.libraryPath, workers: 1, pollSeconds: 0.2),
                                           logger: lines)
        let library = try XCTUnwrap(try service.start())
        XCTAssertFalse(library.version.isEmpty)
        let deadline = Date().addingTimeInterval(120)
        while try store.transcriptionJob(for: code)?.status != .done, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTAssertTrue(service.stop(waitSeconds: 30))
        XCTAssertEqual(try store.transcriptionJob(for: code)?.status, .done, lines.all.joined(separator: "\n"))
        let transcript = try XCTUnwrap(try store.transcript(for: code))
        XCTAssertFalse(transcript.text.trimmingCharacters(in: .whitespaces).isEmpty, "the engine heard something")
        XCTAssertEqual(transcript.engineVersion, "vietasr \(library.version)")
        XCTAssertEqual(transcript.audioMs, samples.count / 8)
        XCTAssertGreaterThan(transcript.processingMs, 0)
        XCTAssertTrue(lines.all.contains { $0.contains("transcribed") }, lines.all.joined(separator: "\n"))
        // Its words are searchable.
        let firstWord = try XCTUnwrap(transcript.text.split(separator: " ").first.map(String.init))
        XCTAssertTrue(try store.searchTickets(firstWord).map(\.trackingCode).contains(code))
    }

    func run(_ tool: String, _ arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            return XCTFail("\(tool) is missing: scripts/bootstrap installs espeak-ng and sox")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "\(tool) \(arguments)")
    }
}

final class LogLines: EventLogger, @unchecked Sendable {
    func log(_ level: LogLevel, _ event: String, _ metadata: [(String, String)]) { append("\(level) \(event) \(metadata)") }

    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) {
        lock.lock()
        lines.append(s)
        lock.unlock()
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}
