import CPJSIP

/// How much of a recording's audio reached the bridge: the stream's counters read when the recording starts
/// and when it stops (on the owner thread), and the share of packets lost (sequence gaps, RTCP's `rx.loss`) or
/// discarded as late by the jitter buffer between the two readings.
struct AudioCounters: Equatable, Sendable {
    /// Packets received (`rtcp.rx.pkt`).
    var received: UInt32
    /// Packets missing from the sequence (`rtcp.rx.loss`).
    var lost: UInt32
    /// Frames the jitter buffer threw away, too late or overflowing (`jbuf.discard`).
    var late: UInt32

    static let zero = AudioCounters(received: 0, lost: 0, late: 0)

    /// The call's counters now, or nil when the call has no stream (yet).
    static func read(_ pjCall: pjsua_call_id) -> AudioCounters? {
        var stat = pjsua_stream_stat()
        guard pjsua_call_get_stream_stat(pjCall, 0, &stat) == pjSuccess else { return nil }
        return AudioCounters(received: stat.rtcp.rx.pkt, lost: stat.rtcp.rx.loss, late: stat.jbuf.discard)
    }

    /// The share of packets lost or late from `start` to `end`, percent, rounded up so that any loss shows
    /// as at least 1, capped at 100. Packets expected = received + lost. With nothing expected (no RTP at
    /// all while recording) the whole recording is lost when it lasted at least a frame, else 0.
    static func lossPercent(from start: AudioCounters, to end: AudioCounters, recordedMs: Int) -> Int {
        let received = Int(end.received &- start.received)
        let lost = Int(end.lost &- start.lost)
        let late = Int(end.late &- start.late)
        let expected = received + lost
        guard expected > 0 else { return recordedMs >= 20 ? 100 : 0 }
        let missing = min(expected, lost + late)
        return min(100, (missing * 100 + expected - 1) / expected)
    }
}
