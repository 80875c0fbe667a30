import Foundation
import HotlineCore
import HotlineStore

/// A file a person sent through a form (a photo from a phone's camera, a scanned report).
public struct Upload: Sendable {
    public var filename: String
    public var bytes: [UInt8]
    public init(filename: String, bytes: [UInt8]) {
        (self.filename, self.bytes) = (filename, bytes)
    }
}

/// What an uploaded file really is, read from its first bytes (never from its name or the browser's type).
public enum UploadType: String, Sendable, CaseIterable {
    case jpeg, png, gif, webp, heic, pdf, docx, wav

    /// The extension a stored copy gets (the store tells photos from documents by it).
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .heic: "heic"
        default: rawValue
        }
    }

    public var contentType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .gif: "image/gif"
        case .webp: "image/webp"
        case .heic: "image/heic"
        case .pdf: "application/pdf"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case .wav: "audio/wav"
        }
    }

    /// A picture a browser shows inline (HEIC is stored, but linked rather than shown).
    public var isInlineImage: Bool { [.jpeg, .png, .gif, .webp].contains(self) }

    public var label: String {
        switch self {
        case .jpeg, .png, .gif, .webp, .heic: "ảnh \(rawValue.uppercased())"
        case .pdf: "tài liệu PDF"
        case .docx: "tài liệu Word"
        case .wav: "âm thanh WAV"
        }
    }

    /// The type from the file's signature; nil for anything else (an SVG, a script, an executable, a zip).
    public static func detect(_ b: [UInt8]) -> UploadType? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + prefix.count && Array(b[offset..<offset + prefix.count]) == prefix
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("RIFF".utf8)), starts(Array("WAVE".utf8), at: 8) { return .wav }
        if starts(Array("ftyp".utf8), at: 4), b.count >= 12,
           ["heic", "heix", "hevc", "heim", "heis", "mif1", "msf1"].contains(String(decoding: b[8..<12], as: UTF8.self)) {
            return .heic
        }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        // A Word file is a zip whose parts include word/document.xml; a bare zip is refused.
        if starts([0x50, 0x4B, 0x03, 0x04]), b.count < 64 * 1024 * 1024,
           b.withUnsafeBufferPointer({ Data(buffer: $0) }).range(of: Data("word/document.xml".utf8)) != nil {
            return .docx
        }
        return nil
    }
}

/// Which uploads a form takes: types and the largest size of one file.
public struct UploadPolicy: Sendable {
    public var types: Set<UploadType>
    public var maxBytes: Int
    public var maxFiles: Int
    public init(types: Set<UploadType>, maxBytes: Int, maxFiles: Int) {
        (self.types, self.maxBytes, self.maxFiles) = (types, maxBytes, maxFiles)
    }

    /// A unit's evidence: photos from the site, a scanned or typed report.
    public static let evidence = UploadPolicy(types: [.jpeg, .png, .gif, .webp, .heic, .pdf, .docx], maxBytes: 10 * 1024 * 1024,
                                              maxFiles: 6)
    /// A citizen's photo of the site.
    public static let citizenPhoto = UploadPolicy(types: [.jpeg, .png, .webp, .heic], maxBytes: 8 * 1024 * 1024, maxFiles: 1)
    /// A studio recording of a prompt.
    public static let studioRecording = UploadPolicy(types: [.wav], maxBytes: 20 * 1024 * 1024, maxFiles: 1)

    public var typesText: String {
        types.map(\.label).sorted().joined(separator: ", ")
    }
}

/// An evidence file of a ticket, checked against its SHA-256, for a reader of the ticket.
public struct EvidenceFile: Sendable {
    public var path: String
    public var type: UploadType?
    public var kind: AttachmentKind
    public var sha256: String
    /// The name the file was sent with, without the store's SHA-256 prefix.
    public var filename: String
    public var contentType: String { type?.contentType ?? "application/octet-stream" }
}

extension Desk {
    /// The folder beside the database: recordings, evidence, uploads staged on their way in, the form key.
    public var dataDirectory: String { store.dataDirectory }

    /// Checks an upload against a policy and writes it into the data folder's staging area (never a web root),
    /// named by what it is (`img-1.jpg` for a JPEG sent as `IMG 1.JPG`); returns the path.
    /// The caller removes it (`unstage`) once the store has copied it in.
    public func stage(_ upload: Upload, policy: UploadPolicy, field: DeskField = .evidence) throws -> String {
        guard !upload.bytes.isEmpty else { throw DeskError.invalidField(field, reason: "tệp \(upload.filename) trống") }
        guard upload.bytes.count <= policy.maxBytes else {
            throw DeskError.invalidField(field, reason: "tệp \(upload.filename) lớn \(Self.megabytes(upload.bytes.count)), "
                                         + "tối đa \(Self.megabytes(policy.maxBytes))")
        }
        guard let type = UploadType.detect(upload.bytes), policy.types.contains(type) else {
            throw DeskError.invalidField(field, reason: "tệp \(upload.filename) không phải loại được nhận (\(policy.typesText))")
        }
        // One folder per upload, so the file keeps its own name (the store names its copy by SHA-256 and name).
        let folder = (dataDirectory as NSString).appendingPathComponent("uploads/staging/\(UUID().uuidString.lowercased())")
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = (folder as NSString).appendingPathComponent("\(Self.safeName(upload.filename)).\(type.fileExtension)")
            try Data(upload.bytes).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
            return path
        } catch {
            throw DeskError.failed("không lưu được tệp tải lên (\((error as NSError).localizedDescription))")
        }
    }

    /// A unit's step with the files sent from the page: each checked and staged, then copied into the store
    /// with its SHA-256 by `unitStep`, and the staged copies removed whatever happens.
    public func unitStep(_ r: UnitStepRequest, uploads: [Upload], as user: User) throws -> Ticket {
        let policy = UploadPolicy.evidence
        guard uploads.count <= policy.maxFiles else {
            throw DeskError.invalidField(.evidence, reason: "tối đa \(policy.maxFiles) tệp mỗi lần")
        }
        // Who may act is checked before anything is written.
        try check(user, .unitWork(unit: try ticket(r.code).unitCode ?? "(chưa có đơn vị)"))
        var staged: [String] = []
        defer { staged.forEach(unstage) }
        for upload in uploads { staged.append(try stage(upload, policy: policy)) }
        var request = r
        request.evidence += staged
        return try unitStep(request, as: user)
    }

    /// Removes a staged upload and its folder.
    public func unstage(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    /// The `index`-th evidence file of a ticket (photos and documents in the order attached), for a person who
    /// may read the ticket; its SHA-256 is checked before it is handed out.
    public func evidenceFile(code: String, index: Int, as user: User) throws -> EvidenceFile {
        let t = try ticket(code)
        try check(user, .readTicket(unit: t.unitCode))
        let evidence = t.attachments.filter(\.kind.isEvidence)
        guard evidence.indices.contains(index) else { throw DeskError.notFound(.file, "\(code)/\(index + 1)") }
        let a = evidence[index]
        // Uploaded on another host of a PostgreSQL store: this host's copy of the stored bytes.
        let path = try store.localFile(for: a.path, sha256: a.sha256)
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DeskError.notFound(.file, (a.path as NSString).lastPathComponent) }
        let head = [UInt8](handle.readData(ofLength: 4096))
        try? handle.close()
        let actual = try SHA256.hexOfFile(atPath: path)
        guard actual == a.sha256 else {
            throw DeskError.failed("tệp minh chứng \((a.path as NSString).lastPathComponent) không khớp mã SHA-256 đã lưu; báo giám sát viên")
        }
        var name = (a.path as NSString).lastPathComponent
        if let dash = name.firstIndex(of: "-"), name.distance(from: name.startIndex, to: dash) == 12 {
            name = String(name[name.index(after: dash)...])
        }
        return EvidenceFile(path: path, type: UploadType.detect(head), kind: a.kind, sha256: actual, filename: name)
    }

    /// A file name reduced to ASCII letters, digits, `-` and `_` (Vietnamese letters lose their marks), without
    /// its extension, at most 40 characters; "tep" when nothing is left.
    static func safeName(_ filename: String) -> String {
        let base = ((filename as NSString).lastPathComponent as NSString).deletingPathExtension
        let folded = base.replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "D")
            .folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
        var out = ""
        for c in folded.unicodeScalars {
            if ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-" {
                out.unicodeScalars.append(c)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
        }
        let trimmed = String(out.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(40))
        return trimmed.isEmpty ? "tep" : trimmed
    }

    static func megabytes(_ n: Int) -> String {
        n >= 1024 * 1024 ? String(format: "%.1f MB", Double(n) / 1048576).replacingOccurrences(of: ".", with: ",")
            : "\(max(1, n / 1024)) KB"
    }
}
