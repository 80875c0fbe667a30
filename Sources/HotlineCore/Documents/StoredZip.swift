import Foundation

/// CRC-32 (IEEE 802.3, polynomial 0xEDB88320), as ZIP records it for every entry.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<D: Sequence>(_ bytes: D) -> UInt32 where D.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// A ZIP archive whose entries are STORED (method 0, no compression): what OOXML needs and nothing more.
/// Names are UTF-8 (general purpose bit 11). No ZIP64: an entry or the archive over 4 GiB is refused.
public struct StoredZip: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var data: [UInt8]
    }

    public enum ZipError: Error, Equatable {
        case tooLarge(String)
        case duplicateName(String)
    }

    public private(set) var entries: [Entry] = []
    /// The modification time written on every entry (DOS time, Vietnam local time): fixed by the caller so
    /// the same document gives the same bytes.
    public var modified: Date

    public init(modified: Date = Date(timeIntervalSince1970: 315_532_800)) {
        self.modified = modified
    }

    public mutating func add(_ name: String, _ data: [UInt8]) throws {
        guard !entries.contains(where: { $0.name == name }) else { throw ZipError.duplicateName(name) }
        guard data.count < Int(UInt32.max) else { throw ZipError.tooLarge(name) }
        entries.append(Entry(name: name, data: data))
    }

    public mutating func add(_ name: String, text: String) throws { try add(name, Array(text.utf8)) }

    /// (time, date) in MS-DOS format; 1980-01-01 00:00 at the earliest.
    var dosTimeDate: (UInt16, UInt16) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TrackingCode.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: modified)
        let year = max(1980, min(2107, c.year ?? 1980))
        let time = UInt16((c.hour ?? 0) << 11 | (c.minute ?? 0) << 5 | (c.second ?? 0) / 2)
        let date = UInt16((year - 1980) << 9 | (c.month ?? 1) << 5 | (c.day ?? 1))
        return year == c.year ? (time, date) : (0, UInt16(1 << 5 | 1))
    }

    /// The archive's bytes: local headers and data, the central directory, its end record.
    public func bytes() throws -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        let (time, date) = dosTimeDate
        for e in entries {
            let name = Array(e.name.utf8)
            let crc = CRC32.checksum(e.data)
            let offset = out.count
            guard offset < Int(UInt32.max) else { throw ZipError.tooLarge(e.name) }
            out.le32(0x0403_4B50)
            out.le16(20)  // version needed: 2.0
            out.le16(0x0800)  // UTF-8 names
            out.le16(0)  // stored
            out.le16(time); out.le16(date)
            out.le32(crc)
            out.le32(UInt32(e.data.count)); out.le32(UInt32(e.data.count))
            out.le16(UInt16(name.count)); out.le16(0)
            out += name
            out += e.data

            central.le32(0x0201_4B50)
            central.le16(0x031E)  // made by: Unix, 3.0
            central.le16(20)
            central.le16(0x0800)
            central.le16(0)
            central.le16(time); central.le16(date)
            central.le32(crc)
            central.le32(UInt32(e.data.count)); central.le32(UInt32(e.data.count))
            central.le16(UInt16(name.count))
            central.le16(0); central.le16(0)  // extra, comment
            central.le16(0); central.le16(0)  // disk, internal attributes
            central.le32(0o100644 << 16)  // external attributes: a regular file, rw-r--r--
            central.le32(UInt32(offset))
            central += name
        }
        guard entries.count < 0xFFFF, out.count + central.count < Int(UInt32.max) else { throw ZipError.tooLarge("archive") }
        let centralOffset = out.count
        out += central
        out.le32(0x0605_4B50)
        out.le16(0); out.le16(0)
        out.le16(UInt16(entries.count)); out.le16(UInt16(entries.count))
        out.le32(UInt32(central.count))
        out.le32(UInt32(centralOffset))
        out.le16(0)
        return out
    }
}

extension [UInt8] {
    mutating func le16(_ v: UInt16) { append(UInt8(v & 0xFF)); append(UInt8(v >> 8)) }
    mutating func le32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { append(UInt8((v >> UInt32(s)) & 0xFF)) } }
}
