import CPJSIP

/// A failed PJSIP call: the operation, PJSIP's status code and its message.
public struct PJError: Error, CustomStringConvertible {
    public let operation: String
    public let status: Int32
    public let message: String

    init(_ operation: String, status: pj_status_t) {
        self.operation = operation
        self.status = status
        var buffer = [CChar](repeating: 0, count: 160)
        let text = buffer.withUnsafeMutableBufferPointer { buf in
            let str = pj_strerror(status, buf.baseAddress, pj_size_t(buf.count))
            return String(pjString: str)
        }
        self.message = text
    }

    public var description: String { "\(operation) failed: \(message) (PJSIP status \(status))" }
}

/// `PJ_SUCCESS` as a `pj_status_t`.
let pjSuccess: pj_status_t = 0

/// The one check helper for PJSIP status codes.
@inline(__always)
func check(_ status: pj_status_t, _ operation: @autoclosure () -> String) throws {
    if status != pjSuccess { throw PJError(operation(), status: status) }
}

extension String {
    /// Reads a `pj_str_t` by its length, never as a NUL-terminated string.
    init(pjString s: pj_str_t) {
        guard let ptr = s.ptr, s.slen > 0 else {
            self = ""
            return
        }
        self = String(decoding: UnsafeRawBufferPointer(start: ptr, count: Int(s.slen)), as: UTF8.self)
    }
}

/// Lends `s` to PJSIP as a `pj_str_t` for the duration of `body` only.
func withPJString<R>(_ s: String, _ body: (UnsafeMutablePointer<pj_str_t>) throws -> R) rethrows -> R {
    var copy = s
    return try copy.withUTF8 { utf8 in
        guard utf8.count > 0 else {
            var empty = pj_str_t(ptr: nil, slen: 0)
            return try body(&empty)
        }
        let raw = UnsafeMutablePointer<CChar>(mutating: UnsafeRawPointer(utf8.baseAddress!)
            .assumingMemoryBound(to: CChar.self))
        var str = pj_str_t(ptr: raw, slen: pj_ssize_t(utf8.count))
        return try body(&str)
    }
}
