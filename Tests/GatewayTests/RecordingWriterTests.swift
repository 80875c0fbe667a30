import Foundation
import IVR
import XCTest

@testable import Gateway

/// The writer's sidecars: a retired one is emptied and kept as a spare, the next recording's sidecar is that
/// same file (no inode created or deleted per call), and recovery never mistakes a spare for a report.
final class RecordingWriterSidecarTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    private func inode(_ path: String) -> UInt64? {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }

    private func settle(_ writer: RecordingWriter) {
        let done = DispatchSemaphore(value: 0)
        writer.afterPendingWrites { done.signal() }
        done.wait()
    }

    private func record(_ writer: RecordingWriter, _ name: String, caller: String, serial: UInt64) -> String {
        let path = dir.appendingPathComponent("2026/12/02/\(name).wav").path
        let channel = MediaChannel(serial: serial) { _ in }
        channel.startRecording(RecordingID(1), RecordingLimits(maxSeconds: 60, silenceSeconds: 0))
        writer.begin(serial: serial, id: RecordingID(1), path: path, channel: channel, sidecar: .init(
            callID: "\(name)@test", callerNumber: caller, startedAt: Date(), dialplanVersion: "v1"))
        let voice = [Int16](repeating: 3000, count: 160)
        for _ in 0..<50 { voice.withUnsafeBufferPointer { channel.take($0) } }
        let stopped = channel.stopRecording()!
        writer.finish(serial: serial, id: RecordingID(1), remaining: stopped.remaining)
        settle(writer)
        return path
    }

    func testARetiredSidecarBecomesTheNextOneAndRecoveryIgnoresSpares() throws {
        let spares = dir.appendingPathComponent(".sidecar-spares").path
        let writer = RecordingWriter(sparesDirectory: spares) { _, _, reason in XCTFail(reason) }
        defer { writer.shutdown() }

        let first = record(writer, "first", caller: "0911111111", serial: 1)
        let firstSidecar = RecordingWriter.sidecarPath(first)
        let firstInode = try XCTUnwrap(inode(firstSidecar))
        writer.forgetSidecar(of: first)
        settle(writer)
        XCTAssertFalse(FileManager.default.fileExists(atPath: firstSidecar))
        let kept = try FileManager.default.contentsOfDirectory(atPath: spares)
        XCTAssertEqual(kept.count, 1)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: "\(spares)/\(kept[0])")[.size] as? Int, 0,
                       "a spare names no call")

        let second = record(writer, "second", caller: "0922222222", serial: 2)
        let secondSidecar = RecordingWriter.sidecarPath(second)
        XCTAssertEqual(inode(secondSidecar), firstInode, "the spare was reused, not a new file")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: spares), [])

        // A crash now: recovery finds the second call only (the first one's draft was stored), spares or not.
        writer.forgetSidecar(of: second)
        let third = record(writer, "third", caller: "0933333333", serial: 3)
        var problems: [String] = []
        let found = RecordingRecovery.scan(directory: dir.path) { problems.append($0) }
        XCTAssertEqual(problems, [])
        XCTAssertEqual(found.map(\.callerNumber), ["0933333333"])
        XCTAssertEqual(found.first?.durationMs, 1000)
        XCTAssertEqual(found.first?.wavPath, third)
    }

    func testTheNextRunReusesTheSparesTheLastOneLeft() throws {
        let spares = dir.appendingPathComponent(".sidecar-spares").path
        let before = RecordingWriter(sparesDirectory: spares) { _, _, reason in XCTFail(reason) }
        let old = record(before, "old", caller: "0911111111", serial: 1)
        let oldInode = try XCTUnwrap(inode(RecordingWriter.sidecarPath(old)))
        before.forgetSidecar(of: old)
        settle(before)
        before.shutdown()

        let after = RecordingWriter(sparesDirectory: spares) { _, _, reason in XCTFail(reason) }
        defer { after.shutdown() }
        let new = record(after, "new", caller: "0922222222", serial: 1)
        XCTAssertEqual(inode(RecordingWriter.sidecarPath(new)), oldInode)
        let data = try XCTUnwrap(FileManager.default.contents(atPath: RecordingWriter.sidecarPath(new)))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        XCTAssertEqual(try decoder.decode(RecordingWriter.Sidecar.self, from: data).callerNumber, "0922222222")
    }

    func testWithoutASparesFolderSidecarsAreDeleted() throws {
        let writer = RecordingWriter { _, _, reason in XCTFail(reason) }
        defer { writer.shutdown() }
        let path = record(writer, "plain", caller: "0911111111", serial: 1)
        writer.forgetSidecar(of: path)
        settle(writer)
        XCTAssertFalse(FileManager.default.fileExists(atPath: RecordingWriter.sidecarPath(path)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("2026/12/02").path),
                       ["plain.wav"])
    }
}
