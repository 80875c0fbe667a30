import CPJSIP
import Foundation
import IVR

#if canImport(Glibc)
import Glibc
#endif

/// Writes every call's recording to disk from one serial queue, never from PJSIP's threads.
///
/// Crash safety: samples reach the file every `flushInterval`; every `syncEvery` flushes the WAV headers are
/// rewritten to the data written so far and the file system is synced once for all open recordings, and each
/// file is synced at close. A file cut off by `kill -9` or a power cut is therefore a valid WAV of at least what
/// was synced, and `RecordingRecovery` repairs its header at start-up to all the audio that reached the disk
/// (at most `flushInterval` lost to `kill -9`). Beside each WAV, a sidecar `<file>.call.json`
/// names the call; it is retired once the draft is stored, so a sidecar found at start-up is a voice report
/// whose draft was never written (see `RecordingRecovery`).
///
/// A retired sidecar is emptied and moved to `sparesDirectory`, and the next recording's sidecar is a spare moved
/// back, so a surge does not create and delete an inode per call: on ext4, every inode deleted in the last
/// half-minute is skipped, one inode-table read at a time, by the next file creation (`recently_deleted`), which
/// at 600 calls was 4% of the gateway's CPU. A spare is never named `*.wav.call.json`: recovery ignores it.
final class RecordingWriter: @unchecked Sendable {
    static let flushInterval: DispatchTimeInterval = .milliseconds(200)
    static let syncEvery = 10  // flushes, i.e. about 2 s

    private let queue = DispatchQueue(label: "hotline1022.recordings", qos: .userInitiated)
    private var timer: DispatchSourceTimer?
    /// Touched only on `queue`.
    private var open: [Key: OpenFile] = [:]
    private var flushRounds = 0
    private let onFailure: @Sendable (_ serial: UInt64, _ id: RecordingID, _ reason: String) -> Void
    /// Where retired sidecars wait to be reused (nil: deleted as before), and the spares there, read from the
    /// folder on first use (the last run's are emptied, so reusable as they are).
    private let sparesDirectory: String?
    private lazy var spares: [String] = loadSpares()
    private var nextSpare = 0
    static let maxSpares = 4096

    struct Key: Hashable {
        let serial: UInt64
        let id: RecordingID
    }

    private struct OpenFile {
        let fd: Int32
        let path: String
        let channel: MediaChannel
        var dataBytes = 0
        var failed = false
    }

    /// What the sidecar says about the call a recording belongs to.
    struct Sidecar: Codable {
        var callID: String
        var callerNumber: String
        var startedAt: Date
        var dialplanVersion: String
    }

    init(sparesDirectory: String? = nil,
         onFailure: @escaping @Sendable (_ serial: UInt64, _ id: RecordingID, _ reason: String) -> Void) {
        self.sparesDirectory = sparesDirectory
        self.onFailure = onFailure
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + Self.flushInterval, repeating: Self.flushInterval)
        timer.setEventHandler { [unowned self] in self.flushAll() }
        timer.resume()
        self.timer = timer
    }

    func shutdown() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
    }

    static func sidecarPath(_ wavPath: String) -> String { wavPath + ".call.json" }

    /// Opens the file for a recording the channel has just started.
    func begin(serial: UInt64, id: RecordingID, path: String, channel: MediaChannel, sidecar: Sidecar) {
        queue.async { [self] in
            let dir = (path as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                let encoder = JSONEncoder()
                encoder.dateEncodingStrategy = .iso8601
                try writeSidecar(encoder.encode(sidecar), to: Self.sidecarPath(path))
            } catch {
                onFailure(serial, id, "cannot create \(path): \(error.localizedDescription)")
                return
            }
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
            guard fd >= 0 else {
                onFailure(serial, id, "cannot create \(path): \(String(cString: strerror(errno)))")
                return
            }
            var file = OpenFile(fd: fd, path: path, channel: channel)
            if !writeHeader(&file) {
                file.failed = true
                onFailure(serial, id, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            open[Key(serial: serial, id: id)] = file
        }
    }

    /// Writes the last samples, fixes the header, syncs and closes; then runs `then` on the writer's queue.
    func finish(serial: UInt64, id: RecordingID, remaining: [Int16], then: (@Sendable () -> Void)? = nil) {
        queue.async { [self] in
            let key = Key(serial: serial, id: id)
            if var file = open.removeValue(forKey: key) {
                append(&file, file.channel.drainRecorded(id) + remaining, key: key)
                _ = writeHeader(&file)
                fdatasync(file.fd)
                Glibc.close(file.fd)
            }
            then?()
        }
    }

    /// Deletes a recording the caller chose to record again.
    func discard(path: String) {
        queue.async { [self] in
            try? FileManager.default.removeItem(atPath: path)
            retireSidecar(Self.sidecarPath(path))
        }
    }

    /// Runs `body` on the writer's queue after everything asked before it (e.g. after a `finish`).
    func afterPendingWrites(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }

    /// Reads a finished recording for playback to the caller (review → listen).
    func load(path: String, then: @escaping @Sendable (PCM?) -> Void) {
        queue.async { then(try? WAV.load(path: path)) }
    }

    /// The draft is stored: the recording no longer needs recovering.
    func forgetSidecar(of path: String) {
        queue.async { [self] in retireSidecar(Self.sidecarPath(path)) }
    }

    // MARK: Sidecars (on the queue)

    /// Writes a sidecar into a spare file moved into place when there is one, else into a new file.
    private func writeSidecar(_ data: Data, to path: String) throws {
        if let spare = spares.popLast(), rename(spare, path) != 0 { unlink(spare) }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { Glibc.close(fd) }
        let ok = data.withUnsafeBytes { writeAll(fd, $0.baseAddress!, $0.count, at: 0) }
        if !ok { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Empties a sidecar (so it no longer names a call) and keeps it as a spare, or deletes it.
    private func retireSidecar(_ path: String) {
        guard let sparesDirectory, spares.count < Self.maxSpares, truncate(path, 0) == 0 else {
            unlink(path)
            return
        }
        nextSpare += 1
        let spare = "\(sparesDirectory)/\(nextSpare)"
        if rename(path, spare) == 0 { spares.append(spare) } else { unlink(path) }
    }

    /// The spares folder's files (created if missing; none without a folder), numbering new spares after them.
    private func loadSpares() -> [String] {
        guard let sparesDirectory,
              (try? FileManager.default.createDirectory(atPath: sparesDirectory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])) != nil,
              let names = try? FileManager.default.contentsOfDirectory(atPath: sparesDirectory) else { return [] }
        var found: [String] = []
        for name in names {
            guard let n = Int(name) else { continue }
            nextSpare = max(nextSpare, n)
            found.append("\(sparesDirectory)/\(name)")
        }
        return found
    }

    // MARK: On the queue

    private func flushAll() {
        flushRounds += 1
        let syncRound = flushRounds % Self.syncEvery == 0
        for key in Array(open.keys) {
            guard var file = open[key] else { continue }
            let samples = file.channel.drainRecorded(key.id)
            if !samples.isEmpty { append(&file, samples, key: key) }
            if syncRound, !file.failed, !writeHeader(&file) { fail(&file, key: key) }
            open[key] = file
        }
        // One sync of the recordings' file system for all open files, instead of one `fdatasync` per file:
        // at 600 calls that was 150 syncs a second, 4% of the gateway's CPU in the block layer.
        if syncRound, let any = open.values.first(where: { !$0.failed }) { syncfs(any.fd) }
    }

    private func append(_ file: inout OpenFile, _ samples: [Int16], key: Key) {
        guard !file.failed, !samples.isEmpty else { return }
        let ok = samples.withUnsafeBytes { raw in
            writeAll(file.fd, raw.baseAddress!, raw.count, at: WAV.headerSize + file.dataBytes)
        }
        if ok {
            file.dataBytes += samples.count * 2
        } else {
            fail(&file, key: key)
        }
    }

    private func fail(_ file: inout OpenFile, key: Key) {
        file.failed = true
        let reason = String(cString: strerror(errno))
        // Keep what was written readable: the header matches the data that made it to disk.
        _ = writeHeader(&file)
        onFailure(key.serial, key.id, "cannot write \(file.path): \(reason)")
    }

    private func writeHeader(_ file: inout OpenFile) -> Bool {
        WAV.header(dataBytes: file.dataBytes).withUnsafeBytes { raw in
            writeAll(file.fd, raw.baseAddress!, raw.count, at: 0)
        }
    }

    private func writeAll(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int, at offset: Int) -> Bool {
        var done = 0
        while done < count {
            let n = pwrite(fd, base + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            if n == 0 { return false }
            done += n
        }
        return true
    }
}
