import CCrypto

/// Why a cryptographic primitive failed. These are faults of the machine, not of the user.
public enum DeskSecurityError: Error, Equatable, Sendable, CustomStringConvertible {
    case randomUnavailable
    case keyDerivationFailed

    public var description: String {
        switch self {
        case .randomUnavailable: return "Không lấy được số ngẫu nhiên an toàn từ OpenSSL (RAND_bytes)."
        case .keyDerivationFailed: return "Không băm được mật khẩu (EVP_PBE_scrypt thất bại)."
        }
    }
}

/// Cryptographically secure random bytes from OpenSSL's CSPRNG.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws(DeskSecurityError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        // RAND_bytes: "returns 1 on success, -1 if not supported by the current RAND method, or 0 on other failure".
        let status = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        guard status == 1 else { throw .randomUnavailable }
        return bytes
    }

    /// A random token of `byteCount` bytes as lowercase hex (256 bits -> 64 characters).
    public static func hexToken(byteCount: Int = 32) throws(DeskSecurityError) -> String {
        Hex.encode(try bytes(byteCount))
    }
}

/// Comparison whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// CRYPTO_memcmp: "the time taken is a function of len, but independent of the contents".
    /// Lengths are compared first; a length is not a secret here (hashes and tokens have fixed sizes).
    @Sendable public static func equals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0 }
        }
    }

    public static func equals(_ lhs: String, _ rhs: String) -> Bool {
        equals(Array(lhs.utf8), Array(rhs.utf8))
    }
}

enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Scrypt through OpenSSL (RFC 7914).
enum Scrypt {
    static func derive(password: [UInt8], salt: [UInt8], logN: Int, r: Int, p: Int,
                       keyLength: Int) throws(DeskSecurityError) -> [UInt8] {
        let n = UInt64(1) << UInt64(logN)
        // OpenSSL needs 128*r*(N+2) bytes for V and 128*r*p for B, and refuses above maxmem.
        let maxMemory = 128 * UInt64(r) * (n + 2 + UInt64(p)) + (1 << 20)
        var key = [UInt8](repeating: 0, count: keyLength)
        // A trailing NUL keeps the pointer valid for an empty password; the length passed excludes it.
        let passwordStorage = password.map { CChar(bitPattern: $0) } + [0]
        let status = passwordStorage.withUnsafeBufferPointer { pass in
            salt.withUnsafeBufferPointer { saltBuffer in
                key.withUnsafeMutableBufferPointer { out in
                    EVP_PBE_scrypt(pass.baseAddress, password.count, saltBuffer.baseAddress, saltBuffer.count,
                                   n, UInt64(r), UInt64(p), maxMemory, out.baseAddress, out.count)
                }
            }
        }
        guard status == 1 else { throw .keyDerivationFailed }
        return key
    }
}
