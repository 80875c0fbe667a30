import CCrypto
import Foundation

/// HMAC-SHA256 through OpenSSL.
public enum HMACSHA256 {
    public static func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        _ = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        return out
    }
}

/// Why a public form's token was not accepted.
public enum FormTokenProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// Missing, malformed, or not signed with this server's key.
    case invalid
    /// Sent sooner after the form was shown than a person types (a robot).
    case tooFresh
    /// The form was shown too long ago.
    case expired
    /// Already used once.
    case reused

    public var description: String {
        switch self {
        case .invalid: "Biểu mẫu không hợp lệ. Hãy tải lại trang và gửi lại."
        case .tooFresh: "Biểu mẫu được gửi quá nhanh. Hãy kiểm tra nội dung rồi gửi lại sau vài giây."
        case .expired: "Biểu mẫu đã mở quá lâu. Hãy tải lại trang và gửi lại."
        case .reused: "Biểu mẫu này đã được gửi. Hãy tải lại trang nếu bạn muốn gửi phản ánh khác."
        }
    }
}

/// The citizens' forms' anti-spam without a third-party captcha: each form carries a token signed with a key
/// kept in the data folder (made at first start), stamped with when the form was shown. A token is accepted at
/// least `minimumAge` and at most `maximumAge` after that, and once only.
public final class FormTokenSigner: @unchecked Sendable {
    private let key: [UInt8]
    public let minimumAge: TimeInterval
    public let maximumAge: TimeInterval
    private let lock = NSLock()
    /// Nonces used, with when they stop mattering (their token's expiry).
    private var used: [String: Date] = [:]

    public init(key: [UInt8], minimumAge: TimeInterval = 3, maximumAge: TimeInterval = 4 * 3600) {
        (self.key, self.minimumAge, self.maximumAge) = (key, minimumAge, maximumAge)
    }

    /// The key in `path` (32 random bytes, hex), made with mode 0600 when the file does not exist yet.
    public static func loadOrCreateKey(at path: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            let hex = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if hex.count == 64, let bytes = Self.bytes(hex: hex) { return bytes }
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        let bytes = try SecureRandom.bytes(32)
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            // Another process made it first: read theirs.
            if errno == EEXIST { return try loadOrCreateKey(at: path) }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        let text = Array((Hex.encode(bytes) + "\n").utf8)
        let written = text.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == text.count else { throw POSIXError(.EIO) }
        return bytes
    }

    static func bytes(hex: String) -> [UInt8]? {
        var out: [UInt8] = []
        var chars = Array(hex.utf8)[...]
        while chars.count >= 2 {
            guard let b = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
            chars = chars.dropFirst(2)
        }
        return chars.isEmpty ? out : nil
    }

    /// A token for a form shown now: `<unix milliseconds>.<nonce>.<HMAC>`; `purpose` binds it to one form.
    public func issue(purpose: String, now: Date = Date()) throws -> String {
        let payload = "\(Int64((now.timeIntervalSince1970 * 1000).rounded(.down))).\(try SecureRandom.hexToken(byteCount: 12))"
        return payload + "." + sign(purpose: purpose, payload)
    }

    private func sign(purpose: String, _ payload: String) -> String {
        Hex.encode(HMACSHA256.mac(key: key, message: Array("\(purpose)|\(payload)".utf8)))
    }

    /// Checks a token sent back with a form and, when it is good, marks it used.
    public func verify(_ token: String?, purpose: String, now: Date = Date()) throws(FormTokenProblem) {
        guard let token else { throw .invalid }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let issued = Int64(parts[0]), parts[1].count == 24 else { throw .invalid }
        guard ConstantTime.equals(sign(purpose: purpose, parts[0] + "." + parts[1]), parts[2]) else { throw .invalid }
        let age = now.timeIntervalSince1970 - Double(issued) / 1000
        guard age >= minimumAge else { throw .tooFresh }
        guard age <= maximumAge else { throw .expired }
        lock.lock()
        defer { lock.unlock() }
        if used.count > 10_000 { used = used.filter { $0.value > now } }
        guard used[parts[1]] == nil else { throw .reused }
        used[parts[1]] = Date(timeIntervalSince1970: Double(issued) / 1000 + maximumAge)
    }
}

/// At most `limit` events per `window` seconds for each key (an address, an API client), counted in memory.
/// IPv6 addresses count per /64, like sign-in failures.
public final class RateLimiter: @unchecked Sendable {
    public let limit: Int
    public let window: TimeInterval
    private let lock = NSLock()
    private var events: [String: [Date]] = [:]
    private var lastSweep = Date.distantPast

    public init(limit: Int, window: TimeInterval) {
        (self.limit, self.window) = (limit, window)
    }

    /// Counts an event for `key` now; false (and not counted) when the key has had `limit` in the window.
    public func allow(_ key: String, now: Date = Date()) -> Bool {
        let k = key.contains(":") ? SignInThrottle.addressKey(key) : key
        lock.lock()
        defer { lock.unlock() }
        if now.timeIntervalSince(lastSweep) > window {
            events = events.compactMapValues { list in
                let recent = list.filter { now.timeIntervalSince($0) < window }
                return recent.isEmpty ? nil : recent
            }
            lastSweep = now
        }
        var list = (events[k] ?? []).filter { now.timeIntervalSince($0) < window }
        guard list.count < limit else {
            events[k] = list
            return false
        }
        list.append(now)
        events[k] = list
        return true
    }

    /// Seconds until `key` may have another event (0 when it may now).
    public func retryAfter(_ key: String, now: Date = Date()) -> Int {
        let k = key.contains(":") ? SignInThrottle.addressKey(key) : key
        lock.lock()
        defer { lock.unlock() }
        let list = (events[k] ?? []).filter { now.timeIntervalSince($0) < window }
        guard list.count >= limit, let oldest = list.min() else { return 0 }
        return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
    }
}
