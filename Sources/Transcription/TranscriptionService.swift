import Foundation
import HotlineCore
import HotlineStore
#if canImport(Glibc)
import Glibc
#endif

/// What one job came to.
public enum TranscriptionOutcome: Sendable, Equatable {
    case done(code: String, audioMs: Int, processingMs: Int, characters: Int)
    /// `retryAt` nil: that was the last attempt.
    case failed(code: String, reason: String, retryAt: Date?)
}

/// One worker's loop body: claims a due job from its own store, reads the WAV, runs the recognizer, stores
/// the transcript or the failure with its back-off. Synchronous, so tests and `transcribe run --once` drive it
/// directly. Never touches the ticket itself, nor PJSIP.
public final class TranscriptionWorker {
    let store: TicketStore
    let recognizer: SpeechRecognizer
    let name: String

    public init(store: TicketStore, recognizer: SpeechRecognizer, name: String = "worker-1") {
        (self.store, self.recognizer, self.name) = (store, recognizer, name)
    }

    /// Processes the next due job; nil when none is due.
    public func runOnce(now: @autoclosure () -> Date = Date()) throws -> TranscriptionOutcome? {
        guard let job = try store.claimTranscriptionJob(worker: name, now: now()) else { return nil }
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let samples = try RecordingAudio.load(path: job.recordingPath)
            let text = try recognizer.transcribe(samples: samples, sampleRate: RecordingAudio.sampleRate)
            let processingMs = Int((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)
            let audioMs = samples.count * 1000 / RecordingAudio.sampleRate
            try store.completeTranscription(job, text: text, engineVersion: recognizer.engineVersion, audioMs: audioMs,
                                            processingMs: processingMs, at: now())
            return .done(code: job.trackingCode, audioMs: audioMs, processingMs: processingMs, characters: text.count)
        } catch let error as TranscriptionFailure {
            let retry = try store.failTranscription(job, reason: error.reason, at: now())
            return .failed(code: job.trackingCode, reason: error.reason, retryAt: retry)
        } catch let error as TranscriptionUnavailable {
            let retry = try store.failTranscription(job, reason: error.reason, at: now())
            return .failed(code: job.trackingCode, reason: error.reason, retryAt: retry)
        }
    }
}

/// The transcription workers of `serve` and `transcribe run`: `workers` threads (default 1), each with its own
/// database connection and recognizer, at the lowest CPU priority (nice 19, which the engine's own threads
/// inherit), polling the queue. Calls never wait for them: the gateway shares nothing with them but the
/// database file (WAL: readers and the gateway's short writes are not blocked by a worker's transaction).
public final class TranscriptionService: @unchecked Sendable {
    public struct Settings: Sendable {
        public var libraryPath = VietASRLibrary.defaultPath
        public var workers = 1
        /// How often an idle worker looks at the queue.
        public var pollSeconds: Double = 2
        public init(libraryPath: String = VietASRLibrary.defaultPath, workers: Int = 1, pollSeconds: Double = 2) {
            (self.libraryPath, self.workers, self.pollSeconds) = (libraryPath, workers, pollSeconds)
        }
    }

    let database: String
    let settings: Settings
    /// The workers' lines: an event name and identifiers (tracking codes, counts), never personal data.
    let logger: EventLogger
    private let lock = NSLock()
    private var stopping = false
    private var wakeups: [DispatchSemaphore] = []
    private var names: [String] = []
    private let finished = DispatchGroup()

    public init(database: String, settings: Settings, logger: EventLogger) {
        (self.database, self.settings, self.logger) = (database, settings, logger)
    }

    /// Loads the engine's library; throws `TranscriptionUnavailable` (absent, broken) so the caller logs it once
    /// and runs without transcripts. Starts nothing when `workers` is 0.
    @discardableResult
    public func start() throws -> VietASRLibrary? {
        guard settings.workers > 0 else { return nil }
        let library = try VietASRLibrary.load(path: settings.libraryPath)
        for n in 1...settings.workers {
            let wake = DispatchSemaphore(value: 0)
            // The process id in the name: another process's workers (`transcribe run`) are told apart.
            let name = "transcriber-\(getpid())-\(n)"
            lock.lock()
            wakeups.append(wake)
            names.append(name)
            lock.unlock()
            finished.enter()
            let thread = Thread { [self] in
                defer { finished.leave() }
                runWorker(name: name, library: library, wake: wake)
            }
            thread.name = "hotline1022.transcriber-\(n)"
            thread.qualityOfService = .background
            thread.stackSize = 8 << 20
            thread.start()
        }
        return library
    }

    /// Asks the workers to stop and waits up to `waitSeconds` for a job in progress to end; a job still running
    /// then is given back to the queue (the next start takes it at once, not after its lease). Returns whether
    /// every worker stopped in time.
    @discardableResult
    public func stop(waitSeconds: Double = 10) -> Bool {
        lock.lock()
        stopping = true
        let all = wakeups
        let workers = names
        lock.unlock()
        all.forEach { $0.signal() }
        if finished.wait(timeout: .now() + waitSeconds) == .success { return true }
        do {
            let store = try TicketStore(path: database)
            defer { try? store.close() }
            let released = try store.releaseTranscriptionJobs(claimedBy: workers, at: Date())
            logger.log(.warning, "transcription-cut-off", [("jobs_requeued", "\(released)")])
        } catch {
            logger.log(.error, "transcription-release-failed", [("error", "\(error)")])
        }
        return false
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    /// Lowers the calling thread's CPU priority to nice 19. On Linux the nice value is per thread and
    /// `who` 0 names the calling thread (setpriority(2), NOTES); threads it creates later inherit it.
    static func lowerPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        #endif
    }

    /// The calling thread's nice value.
    static func currentNice() -> Int32 {
        #if os(Linux)
        errno = 0
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        #else
        return 0
        #endif
    }

    private func runWorker(name: String, library: VietASRLibrary, wake: DispatchSemaphore) {
        Self.lowerPriority()
        let store: TicketStore
        let recognizer: VietASRRecognizer
        do {
            store = try TicketStore(path: database)
        } catch {
            logger.log(.error, "transcriber-store-failed", [("worker", name), ("error", "\(error)")])
            return
        }
        defer { try? store.close() }
        // The model (about 150 MB, a second of CPU) is loaded when the first job is due, not before: a gateway
        // that takes no voice reports never pays for it.
        while !isStopping, (try? store.transcriptionJobDue(now: Date())) != true {
            _ = wake.wait(timeout: .now() + settings.pollSeconds)
        }
        if isStopping { return }
        do {
            recognizer = try library.makeRecognizer()
        } catch {
            logger.log(.error, "transcription-off", [("worker", name), ("reason", "\(error)")])
            return
        }
        logger.log(.info, "transcriber-started", [("worker", name), ("engine", recognizer.engineVersion)])
        let worker = TranscriptionWorker(store: store, recognizer: recognizer, name: name)
        while !isStopping {
            var outcome: TranscriptionOutcome?
            do {
                outcome = try worker.runOnce()
            } catch {
                logger.log(.error, "transcription-store-error", [("worker", name), ("error", "\(error)")])
            }
            switch outcome {
            case .done(let code, let audioMs, let processingMs, let characters):
                logger.log(.info, "transcribed", [("code", code), ("audio_ms", "\(audioMs)"), ("processing_ms", "\(processingMs)"),
                                           ("chars", "\(characters)"), ("worker", name)])
            case .failed(let code, let reason, let retryAt):
                logger.log(retryAt == nil ? .error : .warning, "transcription-failed",
                    [("code", code), ("reason", reason), ("retry_in_s", retryAt.map { "\(Int($0.timeIntervalSinceNow))" } ?? "never")])
            case nil:
                _ = wake.wait(timeout: .now() + settings.pollSeconds)
            }
        }
        logger.log(.info, "transcriber-stopped", [("worker", name)])
    }
}
