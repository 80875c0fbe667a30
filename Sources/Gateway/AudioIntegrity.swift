import CPJSIP

/// One reading of a call's receive counters (pjsua_call_get_stream_stat), taken on the owner thread.
struct AudioCounters: Equatable, Sendable {
    /// Packets received (`rtcp.rx.pkt`; only grows).
    var received: UInt32
    /// Packets missing from the sender's sequence since it last (re)started (`rtcp.rx.loss`): it starts again
    /// from 0 whenever the sequence restarts (a new SSRC, a DTMF generator with its own numbering).
    var sequenceLoss: UInt32
    /// Frames the jitter buffer found missing when the bridge asked for them (`jbuf.lost`; only grows).
    var bufferLost: UInt32
    /// Frames the jitter buffer threw away, too late or overflowing (`jbuf.discard`; only grows).
    var late: UInt32

    static let zero = AudioCounters(received: 0, sequenceLoss: 0, bufferLost: 0, late: 0)

    init(received: UInt32, sequenceLoss: UInt32, bufferLost: UInt32, late: UInt32) {
        self.received = received
        self.sequenceLoss = sequenceLoss
        self.bufferLost = bufferLost
        self.late = late
    }

    init(_ stat: pjsua_stream_stat) {
        self.init(received: stat.rtcp.rx.pkt, sequenceLoss: stat.rtcp.rx.loss, bufferLost: stat.jbuf.lost,
                  late: stat.jbuf.discard)
    }

    /// The call's counters now, or nil when the call has no stream (any more).
    static func read(_ pjCall: pjsua_call_id) -> AudioCounters? {
        var stat = pjsua_stream_stat()
        guard pjsua_call_get_stream_stat(pjCall, 0, &stat) == pjSuccess else { return nil }
        return AudioCounters(stat)
    }
}

/// How much of a recording's audio reached the bridge (issue 17 §6): the counters read when the recording
/// starts, about every second while it runs and when it stops. Lost = packets missing from the sequence (summed
/// across sequence restarts: a reading below the previous one means the count started again) or, if more, the
/// frames the jitter buffer found missing; plus the frames it discarded as late. Expected = received + lost.
struct AudioLossMeter: Equatable, Sendable {
    private let start: AudioCounters
    private var last: AudioCounters
    private var sequenceLost = 0

    init(start: AudioCounters) {
        self.start = start
        self.last = start
    }

    mutating func sample(_ now: AudioCounters) {
        sequenceLost += Int(now.sequenceLoss >= last.sequenceLoss ? now.sequenceLoss - last.sequenceLoss : now.sequenceLoss)
        last = now
    }

    /// The share lost or late, percent, rounded up so that any loss shows as at least 1, capped at 100. With
    /// no packet at all while recording the whole recording is lost (when it lasted at least a frame).
    func lossPercent(recordedMs: Int) -> Int {
        let received = Int(last.received &- start.received)
        let lost = max(sequenceLost, Int(last.bufferLost &- start.bufferLost))
        let late = Int(last.late &- start.late)
        let expected = received + lost
        guard expected > 0 else { return recordedMs >= 20 ? 100 : 0 }
        let missing = min(expected, lost + late)
        return min(100, (missing * 100 + expected - 1) / expected)
    }

    /// The same percent from two readings with no restart between them (tests, and short recordings).
    static func lossPercent(from start: AudioCounters, to end: AudioCounters, recordedMs: Int) -> Int {
        var meter = AudioLossMeter(start: start)
        meter.sample(end)
        return meter.lossPercent(recordedMs: recordedMs)
    }
}
