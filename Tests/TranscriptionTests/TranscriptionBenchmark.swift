import Foundation
import HotlineCore
import HotlineStore
import XCTest

@testable import Transcription

/// Speed and memory of the transcription engine through the worker's whole path (queue, WAV, engine, store):
/// real-time factor per core (CPU seconds per second of audio), per-clip processing p50/p99, resident memory
/// before and after the model. Skipped unless HOTLINE_BENCH_TRANSCRIBE is set; `scripts/bench-transcribe`
/// runs it. Prints figures, asserts only that every job completed.
final class TranscriptionBenchmark: XCTestCase {
    static let sentences = [
        "Đèn đường ở ngõ mười hai phố Lạch Tray bị hỏng từ tối hôm qua, đề nghị thành phố cho người sửa.",
        "Nhà bên cạnh đốt rác hằng tối, khói bay vào nhà, trẻ con bị ho, mong phường kiểm tra xử lý.",
        "Cống thoát nước trước cửa nhà tôi bị tắc, mỗi lần mưa là ngập đến đầu gối.",
        "Quán karaoke trong ngõ hát đến hai giờ sáng, cả khu dân cư không ngủ được.",
        "Tôi nộp hồ sơ cấp giấy chứng nhận quyền sử dụng đất đã ba tháng mà chưa có kết quả.",
        "Cây xà cừ trên đường Hai Bà Trưng bị nghiêng, có nguy cơ đổ vào người đi đường.",
        "Xe tải chở vật liệu xây dựng rơi vãi đất cát ra đường, bụi mù mịt cả ngày.",
        "Tôi đề nghị thành phố làm thêm vạch kẻ đường cho người đi bộ ở ngã tư gần trường học.",
    ]

    func testRealTimeFactorAndMemory() throws {
        let env = ProcessInfo.processInfo.environment
        guard let clips = env["HOTLINE_BENCH_TRANSCRIBE"].flatMap(Int.init), clips > 0 else {
            throw XCTSkip("set HOTLINE_BENCH_TRANSCRIBE=N (scripts/bench-transcribe) to run the benchmark")
        }
        let libraryPath = env["HOTLINE1022_VIETASR_LIBRARY"] ?? VietASRLibrary.defaultPath
        guard FileManager.default.fileExists(atPath: libraryPath) else {
            throw XCTSkip("the transcription engine is not installed (\(libraryPath)); scripts/bootstrap installs it")
        }
        let dir = NSTemporaryDirectory() + "bench-transcribe-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // Voice reports of 10–40 s: a few sentences each, at varied speaking rates.
        let store = try TicketStore(path: dir + "/h.sqlite")
        defer { try? store.close() }
        for i in 0..<clips {
            let text = (0..<(2 + i % 5)).map { Self.sentences[(i + $0) % Self.sentences.count] }.joined(separator: " ")
            let raw = dir + "/raw-\(i).wav", path = dir + "/clip-\(i).wav"
            try run("/usr/bin/espeak-ng", ["-v", "vi", "-s", "\(140 + (i % 4) * 15)", "-w", raw, text])
            try run("/usr/bin/sox", [raw, "-r", "8000", "-c", "1", "-b", "16", path])
            _ = try store.createPhoneDraft(PhoneDraft(
                callID: "bench-\(i)", callerNumber: "09000000\(i)", category: nil, confidential: nil, receivedAt: Date(),
                recordingPath: path, recordingDurationMs: 0, recordingSHA256: nil, dialplanVersion: "bench", interrupted: false))
        }

        let rssStart = Self.memory("VmRSS")
        let loadStarted = DispatchTime.now().uptimeNanoseconds
        let library = try VietASRLibrary.load(path: libraryPath)
        let recognizer = try library.makeRecognizer()
        let loadMs = Double(DispatchTime.now().uptimeNanoseconds - loadStarted) / 1e6
        let rssModel = Self.memory("VmRSS")
        let worker = TranscriptionWorker(store: store, recognizer: recognizer, name: "bench")

        var perClip: [Double] = []
        var audioMs = 0
        let cpuStart = Self.processCPUSeconds(), threadStart = Self.threadCPUSeconds()
        let wallStart = DispatchTime.now().uptimeNanoseconds
        while let outcome = try worker.runOnce() {
            guard case .done(_, let a, let p, _) = outcome else { return XCTFail("\(outcome)") }
            audioMs += a
            perClip.append(Double(p) / Double(max(a, 1)))
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
        let cpu = Self.processCPUSeconds() - cpuStart, threadCPU = Self.threadCPUSeconds() - threadStart
        XCTAssertEqual(perClip.count, clips, "every job completed")
        XCTAssertEqual(try store.transcriptionCounts().done, clips)

        let audio = Double(audioMs) / 1000
        perClip.sort()
        func pct(_ p: Double) -> Double { perClip[min(perClip.count - 1, Int((Double(perClip.count - 1) * p).rounded()))] }
        print(String(format: "bench: engine vietasr %@, model loaded in %.0f ms", library.version, loadMs))
        print(String(format: "bench: %d clips, %.1f s of 8 kHz audio, %.1f s wall", clips, audio, wall))
        print(String(format: "bench: real-time factor (wall) %.3f; per core (process CPU / audio) %.3f; worker thread CPU / audio %.3f",
                     wall / audio, cpu / audio, threadCPU / audio))
        print(String(format: "bench: per clip processing/audio p50 %.3f, p99 %.3f, max %.3f", pct(0.5), pct(0.99), perClip.last ?? 0))
        print(String(format: "bench: RSS %.0f MB before the engine, %.0f MB with one model loaded (+%.0f MB), peak %.0f MB",
                     rssStart / 1024, rssModel / 1024, (rssModel - rssStart) / 1024, Self.memory("VmHWM") / 1024))
        print(String(format: "bench: one worker keeps up with %.0f hours of speech per hour of one core",
                     audio / max(cpu, 0.001)))
    }

    /// A field of /proc/self/status, in kB.
    static func memory(_ field: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    static func processCPUSeconds() -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    func run(_ tool: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TranscriptionFailure("\(tool) exited \(p.terminationStatus)") }
    }
}
