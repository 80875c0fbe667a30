import Foundation
import IVR

/// The audio of one call as the conference bridge's clock sees it: what the caller hears (a queue of prompt
/// PCM) and what the caller says (a recording buffer). The clock thread calls `fill`/`take` every 20 ms; the
/// owner thread starts and stops things. Both sides hold `lock` for a few microseconds, never across I/O.
/// Recorded samples are handed to the `RecordingWriter`, which drains them from its own thread.
final class MediaChannel: @unchecked Sendable {
    /// Unique for the life of the process; events from the clock thread carry it, so a late event of a
    /// finished call is told apart from a new call that reuses the pjsua call id.
    let serial: UInt64
    private let lock = NSLock()
    private let post: @Sendable (GatewayEvent) -> Void

    // Playback (caller hears).
    private var playbackID: PlaybackID?
    private var segments: [PCM] = []
    private var segmentIndex = 0
    private var sampleIndex = 0

    // Recording (caller speaks).
    private var recording: RecordingState?

    struct RecordingState {
        let id: RecordingID
        let maxSamples: Int
        let silenceLimitSamples: Int
        var pending: [Int16] = []
        var totalSamples = 0
        var silentRun = 0
        var limitReached = false
    }

    /// The outcome of stopping a recording: the samples not yet drained and the total length.
    struct StoppedRecording {
        let id: RecordingID
        let remaining: [Int16]
        let totalSamples: Int
        var durationMs: Int { totalSamples / 8 }
    }

    /// Mean absolute amplitude under which a 20 ms frame counts as silence (about -44 dBFS).
    static let silenceLevel = 200
    static let samplesPerFrame = 160

    init(serial: UInt64, post: @escaping @Sendable (GatewayEvent) -> Void) {
        self.serial = serial
        self.post = post
    }

    // MARK: Owner side

    func play(_ id: PlaybackID, _ pcm: [PCM]) {
        lock.lock()
        playbackID = id
        segments = pcm
        segmentIndex = 0
        sampleIndex = 0
        lock.unlock()
    }

    func stopPlayback() {
        lock.lock()
        playbackID = nil
        segments = []
        lock.unlock()
    }

    func startRecording(_ id: RecordingID, _ limits: RecordingLimits) {
        lock.lock()
        var state = RecordingState(
            id: id, maxSamples: max(1, limits.maxSeconds) * WAV.sampleRate,
            silenceLimitSamples: limits.silenceSeconds * WAV.sampleRate)
        state.pending.reserveCapacity(WAV.sampleRate)
        recording = state
        lock.unlock()
    }

    /// Ends the running recording, if any, returning what the writer has not drained yet.
    func stopRecording() -> StoppedRecording? {
        lock.lock()
        defer { lock.unlock() }
        guard let state = recording else { return nil }
        recording = nil
        return StoppedRecording(id: state.id, remaining: state.pending, totalSamples: state.totalSamples)
    }

    /// Called by the writer: the samples recorded since the last call.
    func drainRecorded(_ id: RecordingID) -> [Int16] {
        lock.lock()
        defer { lock.unlock() }
        guard recording?.id == id else { return [] }
        var taken: [Int16] = []
        taken.reserveCapacity(WAV.sampleRate)
        swap(&taken, &recording!.pending)
        return taken
    }

    // MARK: Clock side (the conference bridge's thread): short, no allocation in the steady state, no I/O.

    /// Fills one frame of what the caller hears. Returns false when nothing plays (a NONE frame).
    func fill(_ out: UnsafeMutablePointer<Int16>, count: Int) -> Bool {
        lock.lock()
        guard let id = playbackID else {
            lock.unlock()
            return false
        }
        var written = 0
        while written < count, segmentIndex < segments.count {
            // Borrowed in place: no copy of the segment's array (and no retain) per frame.
            let available = segments[segmentIndex].samples.count
            let n = min(count - written, available - sampleIndex)
            if n > 0 {
                let from = sampleIndex
                segments[segmentIndex].samples.withUnsafeBufferPointer { src in
                    (out + written).update(from: src.baseAddress! + from, count: n)
                }
            }
            written += max(n, 0)
            sampleIndex += max(n, 0)
            if sampleIndex >= available {
                segmentIndex += 1
                sampleIndex = 0
            }
        }
        let finished = segmentIndex >= segments.count
        if finished {
            playbackID = nil
            segments = []
        }
        lock.unlock()
        if written < count { (out + written).update(repeating: 0, count: count - written) }
        if finished { post(.playbackFinished(serial: serial, id)) }
        return true
    }

    /// Takes one frame of what the caller says (nil = no audio this tick, counted as silence).
    func take(_ samples: UnsafeBufferPointer<Int16>?) {
        lock.lock()
        guard recording != nil, !recording!.limitReached else {
            lock.unlock()
            return
        }
        let count = samples?.count ?? MediaChannel.samplesPerFrame
        var level = 0
        if let samples {
            recording!.pending.append(contentsOf: samples)
            var sum = 0
            for s in samples { sum += abs(Int(s)) }
            level = count > 0 ? sum / count : 0
        } else {
            recording!.pending.append(contentsOf: repeatElement(0, count: count))
        }
        recording!.totalSamples += count
        recording!.silentRun = level < MediaChannel.silenceLevel ? recording!.silentRun + count : 0
        var reached: RecordingEnd?
        if recording!.totalSamples >= recording!.maxSamples {
            reached = .maxDuration
        } else if recording!.silenceLimitSamples > 0, recording!.silentRun >= recording!.silenceLimitSamples {
            reached = .silence
        }
        if reached != nil { recording!.limitReached = true }
        let id = recording!.id
        lock.unlock()
        if let reached { post(.recordingLimit(serial: serial, id, reached)) }
    }
}
