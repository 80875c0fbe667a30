import Foundation
import HotlineCore

/// The gateway's recordings as the recognizer reads them: RIFF/WAVE, 8000 Hz, mono, 16-bit little-endian PCM
/// (what Gateway/WAV.swift writes; recovery repairs the header of a recording cut off by a crash before its
/// draft is filed). Unlike the gateway's prompt loader this reader is strict: a header claiming more audio
/// than the file holds is a truncated file, and an error, not a shorter transcript.
public enum RecordingAudio {
    public static let sampleRate = WAVLayout.gatewaySampleRate

    /// The samples of the WAV file at `path`; the error says what is wrong with it, in Vietnamese.
    public static func load(path: String) throws -> [Int16] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TranscriptionFailure("\(path): không có tệp ghi âm hoặc không đọc được")
        }
        do {
            return try parse(data)
        } catch let failure as TranscriptionFailure {
            throw TranscriptionFailure("\(path): \(failure.reason)")
        }
    }

    static func parse(_ data: Data) throws -> [Int16] {
        let bytes = [UInt8](data)
        let layout: WAVLayout
        do {
            layout = try WAVLayout(bytes)
        } catch {
            switch error {
            case .notWAV: throw TranscriptionFailure("tệp hỏng: không phải tệp WAV (thiếu tiêu đề RIFF/WAVE)")
            case .truncatedFormat: throw TranscriptionFailure("tệp hỏng: khối fmt bị cắt")
            case .noFormatChunk: throw TranscriptionFailure("tệp hỏng: thiếu khối fmt trước khối data")
            case .noDataChunk: throw TranscriptionFailure("tệp hỏng: thiếu khối data")
            }
        }
        guard layout.isGatewayFormat else {
            throw TranscriptionFailure("định dạng không hỗ trợ: cần PCM 8000 Hz, 1 kênh, 16 bit; tệp là định dạng "
                                       + "\(layout.formatTag), \(layout.sampleRate) Hz, \(layout.channels) kênh, \(layout.bitsPerSample) bit")
        }
        let (body, size) = (layout.dataOffset, layout.dataBytes)
        guard body + size <= bytes.count else {
            throw TranscriptionFailure("tệp bị cắt cụt: tiêu đề ghi \(size) byte âm thanh, tệp chỉ có "
                                       + "\(bytes.count - body) byte")
        }
        guard size % 2 == 0 else { throw TranscriptionFailure("tệp hỏng: số byte âm thanh lẻ (\(size))") }
        return WAVLayout.samples(bytes, from: body, to: body + size)
    }
}
