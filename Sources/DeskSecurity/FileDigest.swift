import CCrypto
import Foundation

/// SHA-256 of a file by OpenSSL (its SHA extensions where the CPU has them): the same digest as
/// `HotlineCore.SHA256.hexOfFile`, for the paths that hash every recording while calls run (the phone desk
/// hashes each one before storing its draft; at 600 calls the pure-Swift digest was 5% of the gateway's CPU).
public enum FileDigest {
    /// Lower-case hex SHA-256 of the file at `path`, read in 64 KiB pieces.
    public static func sha256Hex(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(fd) }
        guard let context = EVP_MD_CTX_new() else { throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path]) }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path,
                                                              NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
            if n == 0 { break }
            guard buffer.withUnsafeBytes({ EVP_DigestUpdate(context, $0.baseAddress, n) }) == 1 else {
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1, length == 32 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return Hex.encode(Array(digest.prefix(Int(length))))
    }
}
