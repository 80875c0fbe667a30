import Foundation

/// What a report carries besides its figures, as the city office's letters print it (seed 000): the issuing
/// body, the number, the addressees, the narrative sections 6 and 7, the copies and the signature. Defaults
/// are seed 000's; an office overrides any field with a JSON file (`report weekly --letter FILE`).
public struct ReportLetter: Codable, Sendable, Equatable {
    /// The body above the issuer, upper case: "UBND THÀNH PHỐ HẢI PHÒNG".
    public var parentAgency = "UBND THÀNH PHỐ HẢI PHÒNG"
    /// The issuer, upper case and bold: "VĂN PHÒNG".
    public var agency = "VĂN PHÒNG"
    /// The issuer in running text: "Văn phòng Ủy ban nhân dân thành phố".
    public var agencyName = "Văn phòng Ủy ban nhân dân thành phố"
    /// The number line; the number itself is written in at signing.
    public var number = "Số:        /BC-VP"
    public var place = "Hải Phòng"
    /// The day of issue printed in the date line; nil prints the report's last day.
    public var issued: Date?
    /// "Kính gửi:" lines.
    public var addressees = ["Chủ tịch Ủy ban nhân dân thành phố;", "Các Phó Chủ tịch Ủy ban nhân dân thành phố."]
    /// Section 6 (difficulties): paragraphs written by the office, printed before the overdue list.
    public var difficulties: [String] = []
    /// Section 7 (proposals): paragraphs written by the office, printed before the proposals drawn from the figures.
    public var proposals: [String] = []
    /// The last paragraph before the signature.
    public var closing = "Trên đây là báo cáo của Văn phòng Ủy ban nhân dân thành phố về việc giải quyết các phản ánh kiến nghị tiếp nhận qua Tổng đài 1022. Kính báo cáo đồng chí Chủ tịch, Phó Chủ tịch Ủy ban nhân dân thành phố./."
    /// "Nơi nhận:" lines.
    public var copies = ["Như trên;", "Sở, ban, ngành TP;", "UBND các xã, phường, đặc khu;", "VNPT Hải Phòng;",
                         "CVP, các PCVP UBND TP;", "Ban Tiếp Công dân TP;", "Phòng NV&KTGS;", "Trung tâm PVHCCTP;",
                         "Cổng TTĐT TP;", "Lưu: VT."]
    /// The signer's authority, one line each: "KT. CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG".
    public var signerTitle = ["KT. CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG"]
    /// The signer's name, under the space for the signature and seal; empty leaves the space for it.
    public var signerName = ""

    public init() {}

    enum CodingKeys: String, CodingKey {
        case parentAgency, agency, agencyName, number, place, issued, addressees, difficulties, proposals, closing, copies
        case signerTitle, signerName
    }

    /// Any field missing from the JSON keeps its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ReportLetter()
        parentAgency = try c.decodeIfPresent(String.self, forKey: .parentAgency) ?? d.parentAgency
        agency = try c.decodeIfPresent(String.self, forKey: .agency) ?? d.agency
        agencyName = try c.decodeIfPresent(String.self, forKey: .agencyName) ?? d.agencyName
        number = try c.decodeIfPresent(String.self, forKey: .number) ?? d.number
        place = try c.decodeIfPresent(String.self, forKey: .place) ?? d.place
        issued = try c.decodeIfPresent(Date.self, forKey: .issued)
        addressees = try c.decodeIfPresent([String].self, forKey: .addressees) ?? d.addressees
        difficulties = try c.decodeIfPresent([String].self, forKey: .difficulties) ?? d.difficulties
        proposals = try c.decodeIfPresent([String].self, forKey: .proposals) ?? d.proposals
        closing = try c.decodeIfPresent(String.self, forKey: .closing) ?? d.closing
        copies = try c.decodeIfPresent([String].self, forKey: .copies) ?? d.copies
        signerTitle = try c.decodeIfPresent([String].self, forKey: .signerTitle) ?? d.signerTitle
        signerName = try c.decodeIfPresent(String.self, forKey: .signerName) ?? d.signerName
    }

    /// Reads a letter from JSON (dates as `2026-06-11`), every field optional.
    public static func decode(_ data: Data) throws -> ReportLetter {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { d in
            let text = try d.singleValueContainer().decode(String.self)
            guard let day = Day(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: d.codingPath, debugDescription: "ngày dạng 2026-06-11, nhận được '\(text)'"))
            }
            return day.at(minutes: 0)
        }
        return try decoder.decode(ReportLetter.self, from: data)
    }
}
