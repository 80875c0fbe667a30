import Foundation

// The desk's vocabulary, defined once: the IVR, the gateway's draft, the store, the CLI and the console all
// use these types and these Vietnamese labels.

/// The four legal categories of a report (Regulation Art. 5).
public enum Category: String, CaseIterable, Codable, Sendable {
    case infrastructure, socioeconomic, suggestion, directive
}

/// The channel a ticket came through (Art. 3).
public enum Channel: String, CaseIterable, Codable, Sendable {
    case phone, portal, app
}

/// The finer topics the city's reports count by (seed 000, table 2). Each belongs to one legal category.
public enum Topic: String, CaseIterable, Codable, Sendable {
    case economySocietyDefence = "economy_society_defence"
    case administrativeProcedure = "administrative_procedure"
    case fieldReport = "field_report"
    case publicOrder = "public_order"
    case infrastructureIncident = "infrastructure_incident"
    case citySuggestion = "city_suggestion"

    /// The label the weekly report prints.
    public var label: String {
        switch self {
        case .economySocietyDefence: "Kinh tế văn hóa xã hội - quốc phòng an ninh"
        case .administrativeProcedure: "Thủ tục hành chính"
        case .fieldReport: "Phản ánh hiện trường"
        case .publicOrder: "An ninh trật tự xã hội"
        case .infrastructureIncident: "Sự cố hạ tầng kỹ thuật"
        case .citySuggestion: "Hiến kế xây dựng thành phố"
        }
    }
}

extension Topic {
    /// The legal category (Art. 5) a report of this topic usually falls under: what a report from the city's
    /// app, which names only a topic, is filed under until an agent classifies it.
    public var category: Category {
        switch self {
        case .infrastructureIncident: .infrastructure
        case .citySuggestion: .suggestion
        case .economySocietyDefence, .administrativeProcedure, .fieldReport, .publicOrder: .socioeconomic
        }
    }
}

extension Category {
    /// The Vietnamese name of the category (Art. 5).
    public var label: String {
        switch self {
        case .infrastructure: "Sự cố hạ tầng kỹ thuật"
        case .socioeconomic: "Kinh tế - văn hóa - xã hội, quốc phòng - an ninh trật tự"
        case .suggestion: "Góp ý, hiến kế xây dựng thành phố"
        case .directive: "Nội dung đã có chỉ đạo của Lãnh đạo thành phố nhưng chậm thực hiện"
        }
    }
}

extension Channel {
    /// The channel's name as seed 000, table 3 prints it.
    public var label: String {
        switch self {
        case .phone: "Tổng đài thoại 1022"
        case .portal: "Trang tin 1022"
        case .app: "Smart Hải Phòng"
        }
    }
}

/// A closed word list with Vietnamese labels: read back from what a person typed, the code (`field_report`)
/// or the label in any letter case, with or without diacritics ("phan anh hien truong").
public protocol VocabularyTerm: CaseIterable, RawRepresentable, Sendable where RawValue == String {
    var label: String { get }
}

extension VocabularyTerm {
    public static func named(_ typed: String) -> Self? {
        let key = VocabularyKey.of(typed)
        guard !key.isEmpty else { return nil }
        return allCases.first { VocabularyKey.of($0.rawValue) == key || VocabularyKey.of($0.label) == key }
    }

    /// "field_report (Phản ánh hiện trường)", for help texts and error messages.
    public static var choices: String {
        allCases.map { "\($0.rawValue) (\($0.label))" }.joined(separator: ", ")
    }
}

enum VocabularyKey {
    static func of(_ s: String) -> String {
        s.precomposedStringWithCanonicalMapping
            .folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "vi"))
            .replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "_", with: " ")
            .split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "," }).joined(separator: " ")
    }
}

extension Category: VocabularyTerm {}
extension Topic: VocabularyTerm {}
extension Channel: VocabularyTerm {}
