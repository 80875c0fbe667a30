import Foundation

/// A single byte range of a representation (RFC 9110 §14.1.2), resolved against its length.
public struct ByteRange: Equatable, Sendable {
    public var first: UInt64
    public var last: UInt64   // inclusive
    public var length: UInt64 { last - first + 1 }

    public init(first: UInt64, last: UInt64) {
        (self.first, self.last) = (first, last)
    }

    /// The `Content-Range` value for this range of a representation of `size` bytes.
    public func contentRange(size: UInt64) -> String { "bytes \(first)-\(last)/\(size)" }

    public enum Resolution: Equatable, Sendable {
        /// No usable Range header: send the whole representation with 200 (RFC 9110 §14.2: a server may ignore
        /// a Range it does not support, such as several ranges).
        case whole
        case partial(ByteRange)
        /// 416, with `Content-Range: bytes */size`.
        case unsatisfiable
    }

    /// Resolves `Range: bytes=a-b`, `bytes=a-` and `bytes=-n` against `size`.
    public static func resolve(header: String?, size: UInt64) -> Resolution {
        guard let header = header?.trimmingCharacters(in: .whitespaces), header.lowercased().hasPrefix("bytes=") else {
            return .whole
        }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(",") else { return .whole }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .whole }
        let startText = parts[0].trimmingCharacters(in: .whitespaces)
        let endText = parts[1].trimmingCharacters(in: .whitespaces)
        if startText.isEmpty {
            // Suffix range: the last n bytes.
            guard let suffix = UInt64(endText) else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .partial(ByteRange(first: size - min(suffix, size), last: size - 1))
        }
        guard let start = UInt64(startText) else { return .whole }
        guard start < size else { return .unsatisfiable }
        if endText.isEmpty { return .partial(ByteRange(first: start, last: size - 1)) }
        guard let end = UInt64(endText), end >= start else { return .whole }
        return .partial(ByteRange(first: start, last: min(end, size - 1)))
    }
}
