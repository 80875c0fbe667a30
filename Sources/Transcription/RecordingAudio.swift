import Foundation

/// The gateway's recordings as the recognizer reads them: RIFF/WAVE, 8000 Hz, mono, 16-bit little-endian PCM
/// (what Gateway/WAV.swift writes; recovery repairs the header of a recording cut off by a crash before its
/// draft is filed). Unlike the gateway's prompt loader this reader is strict: a header claiming more audio
/// than the file holds is a truncated file, and an error, not a shorter transcript.
public enum RecordingAudio {
    public static let sampleRate = 8000

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
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x41, 0x56, 0x45] else {
            throw TranscriptionFailure("tệp hỏng: không phải tệp WAV (thiếu tiêu đề RIFF/WAVE)")
        }
        var offset = 12
        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt " {
                guard size >= 16, body + 16 <= bytes.count else {
                    throw TranscriptionFailure("tệp hỏng: khối fmt bị cắt")
                }
                format = (u16(body), u16(body + 2), u32(body + 4), u16(body + 14))
            } else if id == "data" {
                guard let f = format else { throw TranscriptionFailure("tệp hỏng: khối data nằm trước khối fmt") }
                guard f.tag == 1, f.channels == 1, f.rate == sampleRate, f.bits == 16 else {
                    throw TranscriptionFailure("định dạng không hỗ trợ: cần PCM 8000 Hz, 1 kênh, 16 bit; tệp là định dạng "
                                               + "\(f.tag), \(f.rate) Hz, \(f.channels) kênh, \(f.bits) bit")
                }
                guard body + size <= bytes.count else {
                    throw TranscriptionFailure("tệp bị cắt cụt: tiêu đề ghi \(size) byte âm thanh, tệp chỉ có "
                                               + "\(bytes.count - body) byte")
                }
                guard size % 2 == 0 else { throw TranscriptionFailure("tệp hỏng: số byte âm thanh lẻ (\(size))") }
                let count = size / 2
                var samples = [Int16](repeating: 0, count: count)
                for i in 0..<count {
                    samples[i] = Int16(bitPattern: UInt16(bytes[body + 2 * i]) | UInt16(bytes[body + 2 * i + 1]) << 8)
                }
                return samples
            }
            offset = body + size + (size & 1)
        }
        throw TranscriptionFailure(format == nil ? "tệp hỏng: thiếu khối fmt" : "tệp hỏng: thiếu khối data")
    }
}
