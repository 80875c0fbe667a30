import Foundation
import HotlineCore
import HotlineStore

/// A report a citizen sends without calling: the web page "Trang tin 1022" or the city's app (Open311).
public struct CitizenReport: Sendable {
    public var channel: Channel
    public var category: HotlineCore.Category?
    public var topic: Topic?
    public var description: String
    /// The ward (phường, xã) as typed or chosen; the directory's spelling is stored.
    public var ward: String
    /// Where it happens (street, landmark), optional.
    public var place: String
    public var name: String
    public var phone: String
    public var email: String
    public var confidential: Bool
    public var photo: Upload?
    /// The API client that sent it (the app), for the audit log.
    public var client: String?

    public init(channel: Channel, category: HotlineCore.Category? = nil, topic: Topic? = nil, description: String, ward: String,
                place: String = "", name: String = "", phone: String = "", email: String = "", confidential: Bool = false,
                photo: Upload? = nil, client: String? = nil) {
        (self.channel, self.category, self.topic, self.description) = (channel, category, topic, description)
        (self.ward, self.place, self.name, self.phone, self.email) = (ward, place, name, phone, email)
        (self.confidential, self.photo, self.client) = (confidential, photo, client)
    }
}

/// What the public report form offers: the wards of the directory, the categories.
public struct CitizenFormChoices: Sendable {
    public let wards: [String]
}

/// A service of the Open311 API: one per topic of the city's reports, in its legal category.
public struct CitizenService: Sendable {
    public let code: String
    public let name: String
    public let group: String
    public let topic: Topic

    public static var all: [CitizenService] {
        Topic.allCases.map { CitizenService(code: $0.rawValue, name: $0.label, group: $0.category.label, topic: $0) }
    }
}

extension Desk {
    /// The wards a citizen chooses from.
    public func citizenFormChoices() throws -> CitizenFormChoices {
        CitizenFormChoices(wards: try store.unitDirectory().wardNames.sorted { $0.compare($1, locale: Locale(identifier: "vi")) == .orderedAscending })
    }

    /// Files a citizen's report as a draft in the hotline's queue, with its channel; the photo (if any) is checked,
    /// staged and copied into the store with its SHA-256. No user: the audit log names the citizen and the
    /// channel (and the app's client). Returns the tracking code the citizen looks it up by.
    public func fileReport(_ r: CitizenReport) throws -> String {
        guard r.channel != .phone else { throw DeskError.failed("phản ánh qua điện thoại do tổng đài ghi nhận") }
        let description = r.description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard description.count >= 10 else {
            throw DeskError.invalidField(.content, reason: "cần mô tả sự việc (ít nhất 10 ký tự): ở đâu, việc gì, từ khi nào")
        }
        guard description.count <= 4000 else { throw DeskError.invalidField(.content, reason: "tối đa 4000 ký tự") }
        let topic = r.topic
        let category = r.category ?? topic?.category
        if r.channel == .portal, category == nil {
            throw DeskError.invalidField(.category, reason: "chọn lĩnh vực của phản ánh")
        }
        let directory = try store.unitDirectory()
        let typedWard = r.ward.trimmingCharacters(in: .whitespaces)
        var ward = ""
        if !typedWard.isEmpty {
            guard let known = directory.canonicalWard(typedWard) else {
                throw DeskError.invalidField(.ward, reason: "không có phường, xã «\(typedWard)» trong danh mục của thành phố")
            }
            ward = known
        } else if r.channel == .portal {
            throw DeskError.invalidField(.ward, reason: "chọn phường, xã nơi xảy ra sự việc")
        } else {
            // The app may send only an address: a ward named in it is taken.
            ward = directory.wardNames.first { r.place.range(of: $0, options: [.caseInsensitive, .diacriticInsensitive]) != nil } ?? ""
        }
        let name = String(r.name.trimmingCharacters(in: .whitespacesAndNewlines).prefix(100))
        let email = r.email.trimmingCharacters(in: .whitespaces)
        if !email.isEmpty {
            guard email.count <= 200, email.contains("@"), email.split(separator: "@").count == 2,
                  email.split(separator: "@").last?.contains(".") == true, !email.contains(where: \.isWhitespace) else {
                throw DeskError.invalidField(.email, reason: "«\(email)» không phải địa chỉ thư điện tử")
            }
        }
        let phone = try Self.citizenPhone(r.phone)
        let place = String(r.place.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))
        var staged: String?
        if let photo = r.photo, !photo.bytes.isEmpty { staged = try stage(photo, policy: .citizenPhoto, field: .evidence) }
        defer { if let staged { unstage(staged) } }
        let content = place.isEmpty ? description : "\(description)\n\nĐịa điểm: \(place)"
        let actor = Actor(.citizen, r.client.map { "\(r.channel.rawValue):\($0)" } ?? r.channel.rawValue)
        let code = try store.createTicket(
            NewTicket(channel: r.channel, receivedAt: now(), category: category, topic: topic,
                      reporter: Reporter(name: name, phone: phone, address: place, email: email), confidential: r.confidential,
                      content: content, summary: "", ward: ward),
            by: actor, context: try context())
        if let staged {
            let copy = try store.importEvidence(staged, for: code)
            try store.addAttachment(code, kind: .photo, path: copy.path, by: actor, at: now())
        }
        return code
    }

    /// A phone number as stored: digits, a leading 84 turned into 0; empty stays empty.
    static func citizenPhone(_ typed: String) throws -> String {
        let t = typed.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return "" }
        guard t.allSatisfy({ $0.isNumber || " .-+()".contains($0) }) else {
            throw DeskError.invalidField(.name, reason: "số điện thoại chỉ gồm chữ số")
        }
        var digits = t.filter(\.isNumber)
        if digits.hasPrefix("84"), digits.count == 11 { digits = "0" + digits.dropFirst(2) }
        guard digits.allSatisfy(\.isASCII), digits.hasPrefix("0"), (10...11).contains(digits.count) else {
            throw DeskError.invalidField(.name, reason: "số điện thoại «\(t)» không hợp lệ (10 chữ số, bắt đầu bằng 0)")
        }
        return digits
    }

    /// The citizen's rating of a completed result (Art. 8.5b), from the public lookup. When the report left a
    /// phone number, its last 4 digits must be given: the tracking code alone is not proof of being the
    /// reporter. One rating per result (the store refuses a second).
    public func rateAsCitizen(_ code: String, score: Int, comment: String, phoneDigits: String) throws {
        let t = try ticket(code)
        if !t.reporter.phone.isEmpty {
            let digits = phoneDigits.filter(\.isNumber)
            guard digits.count == 4, t.reporter.phone.hasSuffix(digits) else {
                throw DeskError.invalidField(.score, reason: "4 số cuối số điện thoại không khớp số đã dùng khi phản ánh")
            }
        }
        try store.rate(code, score: score, comment: String(comment.trimmingCharacters(in: .whitespacesAndNewlines).prefix(1000)),
                       at: now())
    }

    /// Whether the public lookup asks for the phone's last digits before a rating.
    public func ratingNeedsPhone(_ code: String) throws -> Bool { !(try ticket(code).reporter.phone.isEmpty) }
}
