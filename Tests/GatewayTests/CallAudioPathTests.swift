import CPJSIP
import Foundation
import IVR
import XCTest

@testable import Gateway

/// The IVR's direct path to a call's stream (issue 17 §2), against a stand-in stream port built on pjlib: what
/// it pulls and pushes on each tick, when it lets go of a stream, and what it does once PJSIP destroyed one.
final class CallAudioPathTests: XCTestCase {
    /// A stand-in for pjmedia's stream port: counts its frame calls, serves a fixed frame, keeps what it got.
    final class FakeStream {
        let port: UnsafeMutablePointer<pjmedia_port>
        var gets = 0
        var puts: [[Int16]] = []
        var served: Int16 = 0

        init(pool: UnsafeMutablePointer<pj_pool_t>) throws {
            port = pj_pool_zalloc(pool, MemoryLayout<pjmedia_port>.size)!.bindMemory(to: pjmedia_port.self, capacity: 1)
            var name = pj_str_t(ptr: fakeName, slen: 4)
            pjmedia_port_info_init(&port.pointee.info, &name, 0x4641_4B45, 8000, 1, 16, 160)
            port.pointee.get_frame = { port, frame in
                let stream = Unmanaged<FakeStream>.fromOpaque(port!.pointee.port_data.pdata!).takeUnretainedValue()
                stream.gets += 1
                let samples = frame!.pointee.buf!.assumingMemoryBound(to: Int16.self)
                samples.update(repeating: stream.served, count: 160)
                frame!.pointee.type = PJMEDIA_FRAME_TYPE_AUDIO
                frame!.pointee.size = 320
                return 0
            }
            port.pointee.put_frame = { port, frame in
                let stream = Unmanaged<FakeStream>.fromOpaque(port!.pointee.port_data.pdata!).takeUnretainedValue()
                let f = frame!.pointee
                let samples = f.type == PJMEDIA_FRAME_TYPE_AUDIO
                    ? Array(UnsafeBufferPointer(start: f.buf!.assumingMemoryBound(to: Int16.self), count: Int(f.size) / 2)) : []
                stream.puts.append(samples)
                return 0
            }
            try XCTUnwrap(pjmedia_port_init_grp_lock(port, pool, nil) == 0 ? () : nil, "group lock")
            port.pointee.port_data.pdata = Unmanaged.passUnretained(self).toOpaque()
        }

        var references: Int32 { pj_grp_lock_get_ref(port.pointee.grp_lock) }

        /// What `pjmedia_stream_destroy` does first: the frame callbacks go.
        func destroyedByPJSIP() {
            port.pointee.get_frame = nil
            port.pointee.put_frame = nil
        }
    }

    final class Sink: @unchecked Sendable {
        var events: [GatewayEvent] = []
        func post(_ e: GatewayEvent) { events.append(e) }
    }

    private var cachingPool = pj_caching_pool()
    private var pool: UnsafeMutablePointer<pj_pool_t>!

    override func setUpWithError() throws {
        XCTAssertEqual(pj_init(), 0)
        registerThreadWithPJSIP("xctest")
        pj_caching_pool_init(&cachingPool, nil, 0)
        pool = try XCTUnwrap(pj_pool_create(&cachingPool.factory, "test", 4000, 4000, nil))
    }

    override func tearDown() {
        pj_pool_release(pool)
        pj_caching_pool_destroy(&cachingPool)
        pj_shutdown()
    }

    private func tick(_ path: CallAudioPath) { path.tick(nil) }

    /// A path that ticked once on a first stream, then had a second one attached (not yet seen by the clock).
    private func secondStreamAttachedAfterATick() throws -> (FakeStream, FakeStream, CallAudioPath) {
        let first = try FakeStream(pool: pool)
        let second = try FakeStream(pool: pool)
        let path = CallAudioPath(channel: MediaChannel(serial: 1) { _ in })
        path.attach(try XCTUnwrap(StreamPortReference(retaining: first.port)))
        tick(path)
        path.attach(try XCTUnwrap(StreamPortReference(retaining: second.port)))
        return (first, second, path)
    }

    func testEachTickRecordsTheCallersFrameAndSendsTheIVRsFrame() throws {
        let stream = try FakeStream(pool: pool)
        stream.served = 700
        let sink = Sink()
        let channel = MediaChannel(serial: 9) { sink.post($0) }
        let path = CallAudioPath(channel: channel)
        channel.startRecording(RecordingID(1), RecordingLimits(maxSeconds: 60, silenceSeconds: 0))
        channel.play(PlaybackID(4), [PCM(samples: Array(repeating: 42, count: 200))])

        tick(path)  // no stream yet: the recording counts silence, nothing is sent
        XCTAssertEqual(stream.gets, 0)
        XCTAssertTrue(stream.puts.isEmpty)

        path.attach(try XCTUnwrap(StreamPortReference(retaining: stream.port)))
        XCTAssertEqual(stream.references, 2)
        tick(path)
        tick(path)
        tick(path)
        XCTAssertEqual(stream.gets, 3)
        XCTAssertEqual(stream.puts.count, 3)
        XCTAssertEqual(stream.puts[0], Array(repeating: 42, count: 160))
        XCTAssertEqual(stream.puts[1], Array(repeating: 42, count: 40) + Array(repeating: 0, count: 120))
        XCTAssertEqual(stream.puts[2], Array(repeating: 0, count: 160), "silence, not a pause, once nothing plays")
        guard case .playbackFinished(9, PlaybackID(4)) = sink.events.first else {
            return XCTFail("expected the end of the prompt, got \(sink.events)")
        }
        let recorded = channel.drainRecorded(RecordingID(1))
        XCTAssertEqual(recorded, Array(repeating: 0, count: 160) + Array(repeating: 700, count: 480))
    }

    func testANewStreamReplacesTheOldOneAtTheNextTickAndTheOldOneIsLetGo() throws {
        let (first, second, path) = try secondStreamAttachedAfterATick()
        XCTAssertEqual(first.references, 2, "the clock may be using it until its next tick")
        tick(path)
        XCTAssertEqual(first.references, 1)
        XCTAssertEqual(second.references, 2)
        XCTAssertEqual([first.gets, second.gets], [1, 1])

        // Two attached between ticks: the one the clock never saw goes at once.
        let third = try FakeStream(pool: pool)
        path.attach(try XCTUnwrap(StreamPortReference(retaining: first.port)))
        path.attach(try XCTUnwrap(StreamPortReference(retaining: third.port)))
        XCTAssertEqual(first.references, 1)
        tick(path)
        XCTAssertEqual([first.gets, second.gets, third.gets], [1, 1, 1])
    }

    func testWhileAnAgentHasTheCallTheStreamIsLeftToTheBridge() throws {
        let stream = try FakeStream(pool: pool)
        let path = CallAudioPath(channel: MediaChannel(serial: 1) { _ in })
        path.attach(try XCTUnwrap(StreamPortReference(retaining: stream.port)))
        path.drive(false)
        tick(path)
        XCTAssertEqual(stream.gets, 0)
        XCTAssertTrue(stream.puts.isEmpty)
        path.drive(true)
        tick(path)
        XCTAssertEqual(stream.gets, 1)
    }

    /// Issue 23 §4: while the caller talks to an agent, the bridge puts the two parties' mix to the IVR port, and a
    /// running recording keeps that mix, never the stream's frames (the bridge has them).
    func testWhileAnAgentHasTheCallTheBridgesMixIsRecorded() throws {
        let stream = try FakeStream(pool: pool)
        stream.served = 7
        let channel = MediaChannel(serial: 1) { _ in }
        let path = CallAudioPath(channel: channel)
        path.attach(try XCTUnwrap(StreamPortReference(retaining: stream.port)))
        path.drive(false)
        channel.startRecording(RecordingID(3), RecordingLimits(maxSeconds: 60, silenceSeconds: 0))
        var mix = [Int16](repeating: 1234, count: 160)
        mix.withUnsafeMutableBytes { bytes in
            var frame = pjmedia_frame()
            frame.type = PJMEDIA_FRAME_TYPE_AUDIO
            frame.buf = bytes.baseAddress
            frame.size = 320
            path.tick(&frame)
            frame.type = PJMEDIA_FRAME_TYPE_NONE  // a tick nobody transmitted on: silence
            path.tick(&frame)
        }
        XCTAssertEqual(channel.drainRecorded(RecordingID(3)), mix + Array(repeating: 0, count: 160))
        XCTAssertEqual(stream.gets, 0, "the stream is the bridge's")
        XCTAssertTrue(stream.puts.isEmpty)
    }

    func testAStreamPJSIPDestroyedIsSkippedAndReleasedWithThePath() throws {
        let stream = try FakeStream(pool: pool)
        let channel = MediaChannel(serial: 1) { _ in }
        var path: CallAudioPath? = CallAudioPath(channel: channel)
        path!.attach(try XCTUnwrap(StreamPortReference(retaining: stream.port)))
        channel.startRecording(RecordingID(2), RecordingLimits(maxSeconds: 60, silenceSeconds: 0))
        stream.destroyedByPJSIP()
        tick(path!)
        XCTAssertEqual(channel.drainRecorded(RecordingID(2)), Array(repeating: 0, count: 160), "counted as silence")
        XCTAssertEqual(stream.references, 2)
        path = nil
        XCTAssertEqual(stream.references, 1, "the path's reference goes with it")
    }

    func testLettingGoReleasesTheStreamsAtOnceAndOnlyOnce() throws {
        let (first, second, path) = try secondStreamAttachedAfterATick()
        path.letGo()  // what the IVR port's destroy does, while the call's leg may live on
        XCTAssertEqual([first.references, second.references], [1, 1])
        path.letGo()
        XCTAssertEqual([first.references, second.references], [1, 1])
    }

    func testAPortWithoutAGroupLockIsNotTaken() throws {
        let bare = pj_pool_zalloc(pool, MemoryLayout<pjmedia_port>.size)!.bindMemory(to: pjmedia_port.self, capacity: 1)
        XCTAssertNil(StreamPortReference(retaining: bare))
    }
}

nonisolated(unsafe) private let fakeName: UnsafeMutablePointer<CChar> = strdup("fake")!
