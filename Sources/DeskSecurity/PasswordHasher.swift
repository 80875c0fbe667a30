import Foundation

/// Scrypt cost parameters. N = 2^logN; memory is about 128 * r * N bytes (32 MiB for the standard set).
public struct ScryptParameters: Sendable, Equatable {
    public var logN: Int
    public var r: Int
    public var p: Int
    public var saltLength: Int
    public var keyLength: Int

    public init(logN: Int = 15, r: Int = 8, p: Int = 1, saltLength: Int = 16, keyLength: Int = 32) {
        (self.logN, self.r, self.p, self.saltLength, self.keyLength) = (logN, r, p, saltLength, keyLength)
    }

    /// N = 2^15, r = 8, p = 1: OWASP's scrypt minimum (Password Storage Cheat Sheet).
    public static let standard = ScryptParameters()

    /// Bounds accepted when reading a stored hash, so a tampered row cannot ask for gigabytes.
    static let acceptedLogN = 10...20
    static let acceptedR = 1...32
    static let acceptedP = 1...16
}

/// Hashes and verifies passwords with scrypt. The stored form carries its parameters and salt:
/// `$scrypt$ln=15,r=8,p=1$<salt, base64>$<hash, base64>`.
public struct PasswordHasher: Sendable {
    public var parameters: ScryptParameters
    private let compare: @Sendable ([UInt8], [UInt8]) -> Bool

    /// - Parameter compare: how derived keys are compared; constant time unless a test injects a probe.
    public init(parameters: ScryptParameters = .standard,
                compare: @escaping @Sendable ([UInt8], [UInt8]) -> Bool = ConstantTime.equals) {
        (self.parameters, self.compare) = (parameters, compare)
    }

    /// A new salted hash of `password`, ready to store.
    public func hash(_ password: String) throws(DeskSecurityError) -> String {
        let salt = try SecureRandom.bytes(parameters.saltLength)
        let key = try Scrypt.derive(password: Self.normalized(password), salt: salt, logN: parameters.logN,
                                    r: parameters.r, p: parameters.p, keyLength: parameters.keyLength)
        return "$scrypt$ln=\(parameters.logN),r=\(parameters.r),p=\(parameters.p)$"
            + Data(salt).base64EncodedString() + "$" + Data(key).base64EncodedString()
    }

    /// True if `password` matches `encoded`. A malformed or out-of-bounds stored hash never matches.
    public func verify(_ password: String, against encoded: String) -> Bool {
        guard let stored = Self.parse(encoded),
              let key = try? Scrypt.derive(password: Self.normalized(password), salt: stored.salt,
                                           logN: stored.parameters.logN, r: stored.parameters.r,
                                           p: stored.parameters.p, keyLength: stored.hash.count) else {
            return false
        }
        return compare(key, stored.hash)
    }

    /// True when `encoded` was made with weaker or different parameters than the current ones: hash the
    /// password again after a successful sign-in.
    public func needsRehash(_ encoded: String) -> Bool {
        guard let stored = Self.parse(encoded) else { return true }
        return stored.parameters.logN != parameters.logN || stored.parameters.r != parameters.r
            || stored.parameters.p != parameters.p || stored.hash.count != parameters.keyLength
    }

    /// Vietnamese letters can be typed precomposed ("ệ") or decomposed ("ê" + dot below); NFC makes both
    /// the same bytes, so a password works from any keyboard.
    static func normalized(_ password: String) -> [UInt8] {
        Array(password.precomposedStringWithCanonicalMapping.utf8)
    }

    struct Stored {
        var parameters: ScryptParameters
        var salt: [UInt8]
        var hash: [UInt8]
    }

    static func parse(_ encoded: String) -> Stored? {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
        var values: [String: Int] = [:]
        for item in parts[2].split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let value = Int(pair[1]) else { return nil }
            values[String(pair[0])] = value
        }
        guard let logN = values["ln"], let r = values["r"], let p = values["p"],
              ScryptParameters.acceptedLogN.contains(logN), ScryptParameters.acceptedR.contains(r),
              ScryptParameters.acceptedP.contains(p),
              let salt = Data(base64Encoded: String(parts[3])), salt.count >= 8,
              let hash = Data(base64Encoded: String(parts[4])), (16...64).contains(hash.count) else { return nil }
        return Stored(parameters: ScryptParameters(logN: logN, r: r, p: p, saltLength: salt.count, keyLength: hash.count),
                      salt: Array(salt), hash: Array(hash))
    }
}
