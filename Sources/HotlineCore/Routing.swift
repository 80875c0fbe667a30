import Foundation

/// A handling unit of the directory (Art. 2): a department, a ward or commune, the City Office, the hotline.
public struct Unit: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case hotline, cityOffice = "city_office", department, police, ward, commune, specialZone = "special_zone", other
    }
    public var code: String
    public var name: String
    public var kind: Kind
    /// The wards or communes the unit answers for by default (a ward's People's Committee: its own name).
    public var wards: [String]
    public init(code: String, name: String, kind: Kind, wards: [String] = []) {
        (self.code, self.name, self.kind, self.wards) = (code, name, kind, wards)
    }
}

/// One routing rule: every field given must match; the first rule that matches wins. `units` names one unit,
/// or several when the matter involves several units (which sends it to the City Office, Art. 7.4).
public struct RoutingRule: Codable, Sendable, Equatable {
    public var category: Category?
    public var topic: Topic?
    public var ward: String?
    public var units: [String]
    public init(category: Category? = nil, topic: Topic? = nil, ward: String? = nil, units: [String]) {
        (self.category, self.topic, self.ward, self.units) = (category, topic, ward, units)
    }

    func matches(category: Category?, topic: Topic?, ward: String) -> Bool {
        (self.category == nil || self.category == category) && (self.topic == nil || self.topic == topic)
            && (self.ward.map { WardName.same($0, ward) } ?? true)
    }
}

/// The unit directory administrators edit (`Config/units.json`): units and routing rules.
public struct UnitDirectory: Codable, Sendable, Equatable {
    public var units: [Unit]
    public var rules: [RoutingRule]

    public init(units: [Unit], rules: [RoutingRule] = []) {
        (self.units, self.rules) = (units, rules)
    }

    public struct InvalidDirectory: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads and checks the directory file; errors name the file and the entry.
    public static func load(path: String) throws -> UnitDirectory {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InvalidDirectory(description: "\(path): cannot read the unit directory")
        }
        let directory: UnitDirectory
        do {
            directory = try JSONDecoder().decode(UnitDirectory.self, from: data)
        } catch {
            throw InvalidDirectory(description: "\(path): \(error)")
        }
        try directory.validate(source: path)
        return directory
    }

    /// Codes unique, exactly one City Office (directives always go there, Art. 7.2), every rule names known units.
    public func validate(source: String = "unit directory") throws {
        var seen: Set<String> = []
        for (i, u) in units.enumerated() {
            guard !u.code.isEmpty, !u.name.isEmpty else {
                throw InvalidDirectory(description: "\(source): units[\(i)] needs a code and a name")
            }
            guard seen.insert(u.code).inserted else {
                throw InvalidDirectory(description: "\(source): units[\(i)]: the code \(u.code) is used twice")
            }
        }
        guard units.filter({ $0.kind == .cityOffice }).count == 1 else {
            throw InvalidDirectory(description: "\(source): exactly one unit must have kind \"city_office\" (Art. 7.2, 7.4)")
        }
        for (i, r) in rules.enumerated() {
            guard !r.units.isEmpty else { throw InvalidDirectory(description: "\(source): rules[\(i)] names no unit") }
            for code in r.units where !seen.contains(code) {
                throw InvalidDirectory(description: "\(source): rules[\(i)] names the unknown unit \(code)")
            }
        }
    }

    public var cityOffice: Unit? { units.first { $0.kind == .cityOffice } }
    /// A unit by its code, whatever the letter case it was typed in (`p-lechan` is `P-LECHAN`).
    public func unit(_ code: String) -> Unit? {
        let c = code.trimmingCharacters(in: .whitespaces)
        return units.first { $0.code.caseInsensitiveCompare(c) == .orderedSame }
    }

    /// Every ward or commune the directory names, in its own spelling.
    public var wardNames: [String] {
        var seen: Set<String> = []
        return (units.flatMap(\.wards) + rules.compactMap(\.ward)).filter { seen.insert(WardName.key($0)).inserted }
    }

    /// The directory's spelling of a ward typed without diacritics, in other letter case or decomposed Unicode
    /// ("le chan" is "Lê Chân"); nil when the directory names no such ward.
    public func canonicalWard(_ typed: String) -> String? {
        let key = WardName.key(typed.precomposedStringWithCanonicalMapping)
        guard !key.isEmpty else { return nil }
        return wardNames.first { WardName.key($0) == key }
    }
}

/// Ward names compared as people type them: case, diacritics and the "Phường"/"Xã" prefix do not matter.
public enum WardName {
    public static func key(_ s: String) -> String {
        var t = s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "vi"))
            .replacingOccurrences(of: "đ", with: "d")
        for prefix in ["phuong ", "xa ", "dac khu "] where t.hasPrefix(prefix) { t.removeFirst(prefix.count) }
        return t.split(whereSeparator: { $0 == " " }).joined(separator: " ")
    }

    public static func same(_ a: String, _ b: String) -> Bool { key(a) == key(b) }
}

/// What the router suggests to the agent.
public enum RoutingDecision: Equatable, Sendable {
    /// Forward to this unit; `why` names the rule.
    case unit(String, why: String)
    /// No single unit: the City Office gives guidance within 2 h / 4 h (Art. 7.4).
    case guidance(cityOffice: String, reason: String)
}

public enum Router {
    public static func route(category: Category?, topic: Topic?, ward: String, in directory: UnitDirectory)
        -> RoutingDecision
    {
        let office = directory.cityOffice?.code ?? "VPUBND"
        if category == .directive { return .unit(office, why: "nội dung đã có chỉ đạo chuyển Văn phòng UBND TP (Art. 7.2)") }
        if let (i, rule) = directory.rules.enumerated().first(where: {
            $0.element.matches(category: category, topic: topic, ward: ward)
        }) {
            if rule.units.count == 1 { return .unit(rule.units[0], why: "quy tắc phân luồng số \(i + 1)") }
            return .guidance(cityOffice: office, reason: "nhiều đơn vị liên quan: \(rule.units.joined(separator: ", "))")
        }
        let local = ward.isEmpty ? [] : directory.units.filter { $0.wards.contains { WardName.same($0, ward) } }
        if local.count == 1 { return .unit(local[0].code, why: "đơn vị quản lý địa bàn \(ward)") }
        if local.count > 1 {
            return .guidance(cityOffice: office, reason: "nhiều đơn vị quản lý \(ward): \(local.map(\.code).joined(separator: ", "))")
        }
        return .guidance(cityOffice: office, reason: ward.isEmpty ? "chưa có địa bàn và không quy tắc nào nêu đơn vị" : "chưa có đơn vị nào quản lý \(ward)")
    }
}
