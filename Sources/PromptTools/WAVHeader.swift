import Foundation
import HotlineCore

/// The facts of a WAV file's header that the gateway relies on: it plays prompts as they are, with no
/// resampling on the media path, so anything but 8000 Hz mono 16-bit PCM is refused at start-up. The chunk
/// reader is the core's (`WAVLayout`); this adds what the prompt tools say about a file.
public typealias WAVHeader = WAVLayout

extension WAVLayout {
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
