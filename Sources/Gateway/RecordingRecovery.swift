import Foundation

/// A voice report whose call never reached the ticket store (the gateway was killed or lost power): found at
/// start-up by its sidecar, its WAV header repaired to match the audio on disk.
public struct RecoveredRecording: Sendable {
    public let wavPath: String
    public let sidecarPath: String
    public let sipCallID: String
    public let callerNumber: String
    public let startedAt: Date
    public let dialplanVersion: String
    public let durationMs: Int
}

public enum RecordingRecovery {
    /// Every recording under `directory` with a sidecar, header repaired. Unreadable sidecars are reported
    /// through `problem` and left in place for a person to look at.
    public static func scan(directory: String, problem: (String) -> Void) -> [RecoveredRecording] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [RecoveredRecording] = []
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".wav.call.json") else { continue }
            let sidecarPath = (directory as NSString).appendingPathComponent(relative)
            let wavPath = String(sidecarPath.dropLast(".call.json".count))
            guard let data = FileManager.default.contents(atPath: sidecarPath),
                  let sidecar = try? decoder.decode(RecordingWriter.Sidecar.self, from: data)
            else {
                problem("\(sidecarPath): unreadable call sidecar, left in place")
                continue
            }
            let duration: Int
            do {
                duration = try repairHeader(wavPath)
            } catch {
                problem("\(wavPath): \(error)")
                duration = 0
            }
            found.append(RecoveredRecording(
                wavPath: wavPath, sidecarPath: sidecarPath, sipCallID: sidecar.callID,
                callerNumber: sidecar.callerNumber, startedAt: sidecar.startedAt,
                dialplanVersion: sidecar.dialplanVersion, durationMs: duration))
        }
        return found.sorted { $0.startedAt < $1.startedAt }
    }

    /// Rewrites the 44-byte header so it claims exactly the whole samples on disk; returns the duration in ms.
    /// A file that never got its header (crash right after creation) gets one.
    @discardableResult
    public static func repairHeader(_ path: String) throws -> Int {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        var dataBytes = max(0, size - WAV.headerSize)
        dataBytes -= dataBytes % 2
        if size > WAV.headerSize + dataBytes { try handle.truncate(atOffset: UInt64(WAV.headerSize + dataBytes)) }
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: Data(WAV.header(dataBytes: dataBytes)))
        try handle.synchronize()
        return dataBytes / 2 / (WAV.sampleRate / 1000)
    }

    /// The draft for this recording is stored: it needs no recovery any more.
    public static func markRecovered(_ recording: RecoveredRecording) throws {
        try FileManager.default.removeItem(atPath: recording.sidecarPath)
    }
}
