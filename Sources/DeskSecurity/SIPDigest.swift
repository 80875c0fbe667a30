import CCrypto
import Foundation

/// SIP digest credentials (RFC 3261 §22.4, RFC 2617 §3.2.2.2): the registrar keeps HA1 =
/// MD5(user:realm:password), never the password. MD5 is what every SIP phone answers a challenge with; HA1 is
/// as good as the password to that registrar only, so it is stored like a secret and never shown.
public enum SIPDigest {
    /// Lower-case hex HA1 of `user:realm:password`.
    public static func ha1(user: String, realm: String, password: String) -> String {
        md5Hex(Array("\(user):\(realm):\(password)".utf8))
    }

    static func md5Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_md5(), nil) }
        precondition(ok == 1 && length == 16, "OpenSSL's MD5 failed")
        return Hex.encode(Array(digest.prefix(16)))
    }
}
