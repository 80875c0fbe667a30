import Foundation

/// Where a RIFF/WAVE file keeps its format and its samples: the one reader of the chunk layout for every WAV
/// the product touches (the gateway's prompts, the recognizer's recordings, the administrators' prompt check).
/// Each of them decides what it accepts; this only says what the file is. Pure: bytes in.
public struct WAVLayout: Equatable, Sendable {
    public let formatTag: Int
    public let channels: Int
    public let sampleRate: Int
    public let bitsPerSample: Int
    /// Where the samples start: 44 for the plain header the gateway writes; more when a studio file carries
    /// extra chunks.
    public let dataOffset: Int
    /// The size of the samples as the header claims it; a file cut short by a crash holds fewer.
    public let dataBytes: Int

    public static let gatewaySampleRate = 8000

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notWAV
        /// A fmt chunk shorter than its 16 bytes, or cut off by the end of the file.
        case truncatedFormat
        case noFormatChunk
        case noDataChunk

        public var description: String {
            switch self {
            case .notWAV: return "not a RIFF/WAVE file"
            case .truncatedFormat: return "the fmt chunk is cut short"
            case .noFormatChunk: return "no fmt chunk before the samples"
            case .noDataChunk: return "no data chunk (no samples)"
            }
        }
    }

    /// Reads the RIFF chunks up to the samples; `bytes` needs only the file's first few hundred bytes.
    public init(_ bytes: [UInt8]) throws(Problem) {
        func u32(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x41, 0x56, 0x45]
        else { throw .notWAV }
        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt " {
                guard size >= 16, body + 16 <= bytes.count else { throw .truncatedFormat }
                format = (u16(body), u16(body + 2), u32(body + 4), u16(body + 14))
            } else if id == "data" {
                guard let f = format else { throw .noFormatChunk }
                (formatTag, channels, sampleRate, bitsPerSample) = f
                dataOffset = body
                dataBytes = size
                return
            }
            offset = body + size + (size & 1)  // RIFF chunks are padded to an even length
        }
        throw format == nil ? .noFormatChunk : .noDataChunk
    }

    /// 8000 Hz mono 16-bit PCM: what the gateway plays and records, with no resampling on the media path.
    public var isGatewayFormat: Bool {
        formatTag == 1 && channels == 1 && sampleRate == Self.gatewaySampleRate && bitsPerSample == 16
    }

    public var durationMs: Int { sampleRate > 0 && channels > 0 ? dataBytes * 1000 / (sampleRate * channels * 2) : 0 }

    /// The bytes that hold samples: what the header claims, or less when the file ends first.
    public func dataEnd(fileSize: Int) -> Int { min(fileSize, dataOffset + dataBytes) }

    /// 16-bit little-endian samples from `bytes[from..<to]` (a trailing odd byte is left out).
    public static func samples(_ bytes: [UInt8], from start: Int, to end: Int) -> [Int16] {
        let count = max(0, end - start) / 2
        var samples = [Int16](repeating: 0, count: count)
        for i in 0..<count {
            samples[i] = Int16(bitPattern: UInt16(bytes[start + 2 * i]) | UInt16(bytes[start + 2 * i + 1]) << 8)
        }
        return samples
    }
}
