import Foundation

/// 8 kHz mono 16-bit PCM audio in memory, shared read-only between the owner and the media clock.
public final class PCM: Sendable {
    public let samples: [Int16]
    public init(samples: [Int16]) { self.samples = samples }
    public var durationMs: Int { samples.count / 8 }
}

public enum WAVError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case unsupportedFormat(path: String, found: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read WAV: \(reason)"
        case .unsupportedFormat(let path, let found):
            return "\(path): must be 8000 Hz mono 16-bit PCM WAV, found \(found)"
        }
    }
}

/// The WAV files of the gateway: prompts in, recordings out. Always 8 kHz, mono, 16-bit little-endian PCM.
public enum WAV {
    public static let sampleRate = 8000
    public static let headerSize = 44

    /// Loads a prompt; anything but 8 kHz mono 16-bit PCM is refused (no resampling on the media path).
    public static func load(path: String) throws -> PCM {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WAVError.unreadable(path: path, reason: "no such file or not readable")
        }
        return try parse(data, path: path)
    }

    static func parse(_ data: Data, path: String) throws -> PCM {
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x41, 0x56, 0x45]
        else { throw WAVError.unreadable(path: path, reason: "not a RIFF/WAVE file") }
        var offset = 12
        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt " {
                guard body + 16 <= bytes.count else { break }
                format = (u16(body), u16(body + 2), u32(body + 4), u16(body + 14))
            } else if id == "data" {
                guard let f = format else {
                    throw WAVError.unreadable(path: path, reason: "data chunk before fmt chunk")
                }
                guard f.tag == 1, f.channels == 1, f.rate == sampleRate, f.bits == 16 else {
                    throw WAVError.unsupportedFormat(
                        path: path, found: "format \(f.tag), \(f.rate) Hz, \(f.channels) channel(s), \(f.bits)-bit")
                }
                // A recording cut short by a crash may claim more data than it holds: read what is there.
                let end = min(bytes.count, body + size)
                let count = (end - body) / 2
                var samples = [Int16](repeating: 0, count: count)
                for i in 0..<count {
                    samples[i] = Int16(bitPattern: UInt16(bytes[body + 2 * i]) | UInt16(bytes[body + 2 * i + 1]) << 8)
                }
                return PCM(samples: samples)
            }
            offset = body + size + (size & 1)
        }
        throw WAVError.unreadable(path: path, reason: "no data chunk")
    }

    /// A 44-byte header for `dataBytes` bytes of 8 kHz mono 16-bit PCM.
    public static func header(dataBytes: Int) -> [UInt8] {
        var h = [UInt8]()
        h.reserveCapacity(headerSize)
        func put32(_ v: Int) { for i in 0..<4 { h.append(UInt8((v >> (8 * i)) & 0xff)) } }
        func put16(_ v: Int) { for i in 0..<2 { h.append(UInt8((v >> (8 * i)) & 0xff)) } }
        h += Array("RIFF".utf8); put32(36 + dataBytes); h += Array("WAVE".utf8)
        h += Array("fmt ".utf8); put32(16); put16(1); put16(1); put32(sampleRate); put32(sampleRate * 2)
        put16(2); put16(16)
        h += Array("data".utf8); put32(dataBytes)
        return h
    }
}
