import Foundation
import HotlineCore

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
        let layout: WAVLayout
        do { layout = try WAVLayout(bytes) } catch { throw WAVError.unreadable(path: path, reason: error.description) }
        guard layout.isGatewayFormat else {
            throw WAVError.unsupportedFormat(
                path: path, found: "format \(layout.formatTag), \(layout.sampleRate) Hz, \(layout.channels) channel(s), \(layout.bitsPerSample)-bit")
        }
        // A recording cut short by a crash may claim more data than it holds: read what is there.
        return PCM(samples: WAVLayout.samples(bytes, from: layout.dataOffset, to: layout.dataEnd(fileSize: bytes.count)))
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
