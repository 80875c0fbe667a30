import Foundation

/// How an SMS carries its text: GSM 03.38 7-bit (160 septets, 153 per part when concatenated) or UCS-2
/// (70 UTF-16 units, 67 per part). Vietnamese with diacritics needs UCS-2; "không dấu" fits 7-bit.
public enum SMSEncoding: String, Sendable, Equatable, Codable {
    case gsm7
    case ucs2

    /// Units in a single message.
    public var single: Int { self == .gsm7 ? 160 : 70 }
    /// Units in each part of a concatenated message (the rest of the 140 octets carry the 6-octet UDH).
    public var perPart: Int { self == .gsm7 ? 153 : 67 }
}

/// What a text costs as an SMS.
public struct SMSMeasure: Sendable, Equatable {
    public var encoding: SMSEncoding
    /// Characters as a reader counts them.
    public var characters: Int
    /// Septets (7-bit, extension characters count two) or UTF-16 units (UCS-2).
    public var units: Int
    public var parts: Int
}

/// When to send a message without diacritics (đ→d, ặ→a): cheaper, and what many brandname SMS do.
public enum DiacriticsPolicy: String, Sendable, Equatable, CaseIterable {
    /// Always as written (UCS-2 for Vietnamese).
    case keep
    /// Without diacritics when the accented text would take more parts.
    case stripWhenShorter = "strip-when-shorter"
    /// Always without diacritics.
    case strip
}

public enum SMSText {
    /// GSM 03.38 basic character set (one septet each).
    static let basic: Set<Character> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
    /// GSM 03.38 extension table (escape + character: two septets each).
    static let extended: Set<Character> = Set("^{}\\[~]|€\u{0C}")

    public static func encoding(of text: String) -> SMSEncoding {
        text.allSatisfy { basic.contains($0) || extended.contains($0) } ? .gsm7 : .ucs2
    }

    /// The units one character takes in an encoding.
    static func width(_ ch: Character, _ encoding: SMSEncoding) -> Int {
        switch encoding {
        case .gsm7: extended.contains(ch) ? 2 : 1
        case .ucs2: ch.utf16.count
        }
    }

    public static func measure(_ raw: String) -> SMSMeasure {
        let text = raw.precomposedStringWithCanonicalMapping
        let encoding = encoding(of: text)
        let units = text.reduce(0) { $0 + width($1, encoding) }
        let parts = units == 0 ? 1 : units <= encoding.single ? 1 : (units + encoding.perPart - 1) / encoding.perPart
        return SMSMeasure(encoding: encoding, characters: text.count, units: units, parts: parts)
    }

    /// `Đường Lạch Tray` → `Duong Lach Tray`.
    public static func withoutDiacritics(_ text: String) -> String {
        let plain = text.replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "D")
        var scalars = String.UnicodeScalarView()
        for s in plain.decomposedStringWithCanonicalMapping.unicodeScalars where !(0x0300...0x036F).contains(s.value) {
            scalars.append(s)
        }
        return String(scalars).precomposedStringWithCanonicalMapping
    }

    /// A token a reader must see whole: a tracking code or phone number (4 digits or more), a link or a domain.
    static func isProtected(_ token: Substring) -> Bool {
        if token.contains("/") || token.lowercased().hasPrefix("www") { return true }
        if token.filter({ $0.isASCII && $0.isNumber }).count >= 4 { return true }
        let chars = Array(token)
        for i in chars.indices.dropLast() where chars[i] == "." && i > 0 && chars[i + 1].isLetter && chars[i - 1].isLetter {
            return true
        }
        return false
    }

    /// The text padded with spaces so that, cut into parts at the carrier's fixed sizes, no tracking code, number
    /// or link straddles two parts (a phone shows each part as it arrives, and some show them apart) and no
    /// character is split. Unchanged when it fits one message.
    public static func laidOut(_ raw: String) -> String {
        let text = raw.precomposedStringWithCanonicalMapping
        let m = measure(text)
        guard m.parts > 1 else { return text }
        let cap = m.encoding.perPart
        var out = ""
        var pos = 0
        func place(_ ch: Character) {
            let w = width(ch, m.encoding)
            let end = (pos / cap + 1) * cap
            if pos + w > end { out += String(repeating: " ", count: end - pos); pos = end }
            out.append(ch)
            pos += w
        }
        var rest = Substring(text)
        while !rest.isEmpty {
            let isSpace = rest.first!.isWhitespace
            let run = rest.prefix { $0.isWhitespace == isSpace }
            rest = rest.dropFirst(run.count)
            let w = run.reduce(0) { $0 + width($1, m.encoding) }
            let end = (pos / cap + 1) * cap
            if !isSpace, isProtected(run), w <= cap, pos + w > end {
                out += String(repeating: " ", count: end - pos)
                pos = end
            }
            run.forEach(place)
        }
        return out
    }

    /// The text as a carrier cuts it: one part when it fits, else fixed-size parts.
    public static func parts(_ raw: String) -> [String] {
        let text = raw.precomposedStringWithCanonicalMapping
        let m = measure(text)
        guard m.parts > 1 else { return [text] }
        var parts: [String] = [""]
        var used = 0
        for ch in text {
            let w = width(ch, m.encoding)
            if used + w > m.encoding.perPart { parts.append(""); used = 0 }
            parts[parts.count - 1].append(ch)
            used += w
        }
        return parts
    }

    /// The text to send under a policy, laid out for its parts.
    public static func prepare(_ text: String, policy: DiacriticsPolicy) -> String {
        let accented = text.precomposedStringWithCanonicalMapping
        let plain = withoutDiacritics(accented)
        let chosen: String
        switch policy {
        case .keep: chosen = accented
        case .strip: chosen = plain
        case .stripWhenShorter: chosen = measure(laidOut(plain)).parts < measure(laidOut(accented)).parts ? plain : accented
        }
        return laidOut(chosen)
    }
}

extension NotificationTemplates {
    /// Typical values, to show what each template costs as an SMS (a real unit name, the longest reasons are
    /// the agent's own words and vary).
    public static let sampleValues: [String: String] = [
        "code": "20261205-0134036", "original": "20261128-0131210",
        "unit": "UBND phường Lê Chân", "lookup": "1022.haiphong.gov.vn",
        "reason": "Nội dung không thuộc phạm vi tiếp nhận của Tổng đài.",
        "result": "Đơn vị đã thu gom rác tại điểm phản ánh.",
    ]
}
