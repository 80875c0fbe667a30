import Foundation

/// The facts of a WAV file's header that the gateway relies on: it plays prompts as they are, with no
/// resampling on the media path, so anything but 8000 Hz mono 16-bit PCM is refused at start-up.
public struct WAVHeader: Equatable, Sendable {
    public let formatTag: Int
    public let channels: Int
    public let sampleRate: Int
    public let bitsPerSample: Int
    /// Where the samples start: 44 for the plain header the tool writes; more when a studio file carries extra chunks.
    public let dataOffset: Int
    public let dataBytes: Int

    public var isGatewayFormat: Bool { formatTag == 1 && channels == 1 && sampleRate == 8000 && bitsPerSample == 16 }
    public var durationMs: Int { sampleRate > 0 && channels > 0 ? dataBytes * 1000 / (sampleRate * channels * 2) : 0 }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notWAV
        case noFormatChunk
        case noDataChunk

        public var description: String {
            switch self {
            case .notWAV: return "not a RIFF/WAVE file"
            case .noFormatChunk: return "no fmt chunk before the samples"
            case .noDataChunk: return "no data chunk (no samples)"
            }
        }
    }

    /// Reads the RIFF chunks up to the samples; `bytes` needs only the file's first few hundred bytes.
    public init(_ bytes: [UInt8]) throws {
        func u32(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x41, 0x56, 0x45]
        else { throw Problem.notWAV }
        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt ", body + 16 <= bytes.count {
                format = (u16(body), u16(body + 2), u32(body + 4), u16(body + 14))
            } else if id == "data" {
                guard let f = format else { throw Problem.noFormatChunk }
                (formatTag, channels, sampleRate, bitsPerSample) = f
                dataOffset = body
                dataBytes = size
                return
            }
            offset = body + size + (size & 1)  // RIFF chunks are padded to an even length
        }
        throw format == nil ? Problem.noFormatChunk : Problem.noDataChunk
    }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem.notWAV }
        try self.init([UInt8](data))
    }

    /// What an administrator reads when a file is not usable; nil when the gateway can play it.
    public var problem: String? {
        if isGatewayFormat { return dataBytes > 0 ? nil : "holds no samples" }
        return "must be 8000 Hz mono 16-bit PCM, is \(sampleRate) Hz, \(channels) channel(s), \(bitsPerSample)-bit, "
            + (formatTag == 1 ? "PCM" : "format tag \(formatTag)")
            + " (convert it: sox IN.wav -r 8000 -c 1 -b 16 -e signed-integer OUT.wav)"
    }
}
