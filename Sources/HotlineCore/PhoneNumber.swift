import Foundation

/// A Vietnamese telephone number, normalised: `0912 345 678`, `+84 912 345 678` and `84912345678` are one number.
/// Carriers want E.164 without the plus (`84912345678`); people read the national form (`0912345678`).
public struct VietnamPhone: Sendable, Equatable, Hashable {
    public enum Kind: String, Sendable, Equatable {
        /// A mobile subscriber (10 digits, 03x, 05x, 07x, 08x, 09x): it can receive SMS and Zalo.
        case mobile
        /// A fixed line (02xx + 7 or 8 digits): it cannot receive SMS.
        case landline
    }

    /// The digits after the country code or the trunk `0`.
    public let significant: String
    public let kind: Kind

    /// `84912345678`.
    public var e164: String { "84" + significant }
    /// `0912345678`.
    public var national: String { "0" + significant }

    /// Mobile network prefixes after the trunk 0 (numbering plan since the 2018 change from 11 digits).
    static let mobilePrefixes: Set<String> = Set(
        (2...9).map { "3\($0)" } + ["52", "55", "56", "58", "59"] + ["70", "76", "77", "78", "79"]
            + (1...9).map { "8\($0)" } + (0...9).map { "9\($0)" })

    /// Nil when the text is not a Vietnamese number (foreign, a short service number, a typo).
    public init?(_ typed: String) {
        let raw = typed.trimmingCharacters(in: .whitespaces)
        var digits = ""
        for (i, ch) in raw.enumerated() {
            if ch.isASCII, ch.isNumber { digits.append(ch) }
            else if ch == "+", i == 0 { continue }
            else if " .-()".contains(ch) { continue }
            else { return nil }
        }
        let rest: Substring
        if raw.hasPrefix("+") {
            guard digits.hasPrefix("84") else { return nil }
            rest = digits.dropFirst(2)
        } else if digits.hasPrefix("0084") {
            rest = digits.dropFirst(4)
        } else if digits.hasPrefix("0") {
            rest = digits.dropFirst()
        } else if digits.hasPrefix("84"), digits.count >= 11 {
            rest = digits.dropFirst(2)
        } else {
            return nil
        }
        if rest.count == 9, Self.mobilePrefixes.contains(String(rest.prefix(2))) {
            kind = .mobile
        } else if rest.first == "2", (9...10).contains(rest.count) {
            kind = .landline
        } else {
            return nil
        }
        significant = String(rest)
    }

    /// Why a number cannot be texted (SMS or Zalo): a landline, a foreign or malformed number. The reason is
    /// Vietnamese, for the desk, and never repeats the number (it is stored with the message's error); the code
    /// is stable, for logs and `outbox list`.
    public struct NotTextable: Error, Sendable, Equatable, CustomStringConvertible {
        public let code: String
        public let reason: String
        public var description: String { reason }
    }

    /// The mobile number a message can go to, or why there is none.
    public static func textable(_ raw: String) -> Result<VietnamPhone, NotTextable> {
        guard let phone = VietnamPhone(raw) else {
            return .failure(NotTextable(code: "not-vietnamese-mobile",
                                        reason: "số này không phải số di động Việt Nam; không gửi được tin nhắn"))
        }
        guard phone.kind == .mobile else {
            return .failure(NotTextable(code: "landline",
                                        reason: "số này là số cố định, không nhận được tin nhắn; cần gọi điện báo cho người dân"))
        }
        return .success(phone)
    }
}
