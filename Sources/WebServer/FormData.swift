import Foundation

/// Bounds for form parsing, so one request cannot make the server allocate without limit.
/// The whole body is already bounded by `WebServerConfiguration.maxBodyBytes`.
public struct FormLimits: Sendable {
    public var maxFields: Int
    public var maxFieldBytes: Int
    public var maxFiles: Int
    public var maxFileBytes: Int

    public init(maxFields: Int = 200, maxFieldBytes: Int = 64 * 1024, maxFiles: Int = 8,
                maxFileBytes: Int = 16 * 1024 * 1024) {
        (self.maxFields, self.maxFieldBytes, self.maxFiles) = (maxFields, maxFieldBytes, maxFiles)
        self.maxFileBytes = maxFileBytes
    }

    public static let standard = FormLimits()
}

/// Why a form could not be read. Messages are in Vietnamese: they may reach the person at the desk.
public enum FormError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedContentType(String)
    case malformedEncoding
    case malformedMultipart(String)
    case tooManyFields(limit: Int)
    case fieldTooLarge(name: String, limit: Int)
    case tooManyFiles(limit: Int)
    case fileTooLarge(name: String, limit: Int)

    public var description: String {
        switch self {
        case .unsupportedContentType(let type): return "Kiểu nội dung không được hỗ trợ: \(type)"
        case .malformedEncoding: return "Biểu mẫu mã hoá sai."
        case .malformedMultipart(let why): return "Biểu mẫu nhiều phần bị lỗi: \(why)."
        case .tooManyFields(let limit): return "Biểu mẫu có quá nhiều trường (tối đa \(limit))."
        case .fieldTooLarge(let name, let limit): return "Trường «\(name)» quá dài (tối đa \(limit) byte)."
        case .tooManyFiles(let limit): return "Quá nhiều tệp đính kèm (tối đa \(limit))."
        case .fileTooLarge(let name, let limit): return "Tệp «\(name)» quá lớn (tối đa \(limit) byte)."
        }
    }

    /// 413 for size limits, 415 for the wrong media type, 400 otherwise.
    public var status: Int {
        switch self {
        case .unsupportedContentType: return 415
        case .fieldTooLarge, .fileTooLarge, .tooManyFields, .tooManyFiles: return 413
        case .malformedEncoding, .malformedMultipart: return 400
        }
    }
}

/// A file sent in a multipart form.
public struct UploadedFile: Sendable, Equatable {
    public var fieldName: String
    public var filename: String
    public var contentType: String
    public var data: [UInt8]
}

/// A parsed form: text fields in order, and files.
public struct FormData: Sendable {
    public var fields: [(name: String, value: String)] = []
    public var files: [UploadedFile] = []

    public init(fields: [(name: String, value: String)] = [], files: [UploadedFile] = []) {
        (self.fields, self.files) = (fields, files)
    }

    /// The first value of field `name`.
    public subscript(name: String) -> String? { fields.first { $0.name == name }?.value }

    /// Every value of field `name` (checkboxes, multiple selects).
    public func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    public func file(_ name: String) -> UploadedFile? { files.first { $0.fieldName == name } }

    // MARK: application/x-www-form-urlencoded

    /// WHATWG URL standard, "application/x-www-form-urlencoded parsing": split on `&`, then on the first
    /// `=`, `+` is a space, then percent-decode as UTF-8.
    public static func parseURLEncoded(_ body: [UInt8], limits: FormLimits = .standard) throws(FormError) -> FormData {
        var form = FormData()
        for piece in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard form.fields.count < limits.maxFields else { throw .tooManyFields(limit: limits.maxFields) }
            let equals = piece.firstIndex(of: UInt8(ascii: "="))
            let rawName = equals.map { piece[piece.startIndex..<$0] } ?? piece[...]
            let rawValue = equals.map { piece[piece.index(after: $0)...] } ?? []
            let name = try percentDecode(rawName)
            guard rawValue.count <= limits.maxFieldBytes * 3 else {
                throw .fieldTooLarge(name: name, limit: limits.maxFieldBytes)
            }
            let value = try percentDecode(rawValue)
            guard value.utf8.count <= limits.maxFieldBytes else {
                throw .fieldTooLarge(name: name, limit: limits.maxFieldBytes)
            }
            form.fields.append((name, value))
        }
        return form
    }

    static func percentDecode(_ bytes: ArraySlice<UInt8>) throws(FormError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                      let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    throw .malformedEncoding
                }
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw .malformedEncoding }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    // MARK: multipart/form-data

    /// RFC 7578: parts separated by `--boundary`, each with headers, a blank line and its content;
    /// `Content-Disposition: form-data; name="..."[; filename="..."]` names the part.
    public static func parseMultipart(_ body: [UInt8], boundary: String,
                                      limits: FormLimits = .standard) throws(FormError) -> FormData {
        let delimiter = Array("--\(boundary)".utf8)
        let crlf: [UInt8] = [13, 10]
        var form = FormData()
        guard var cursor = find(delimiter, in: body, from: 0) else { throw .malformedMultipart("không thấy ranh giới") }
        cursor += delimiter.count
        while true {
            // After a delimiter: "--" closes the body, CRLF starts a part.
            if body.count >= cursor + 2, body[cursor] == UInt8(ascii: "-"), body[cursor + 1] == UInt8(ascii: "-") {
                return form
            }
            guard body.count >= cursor + 2, Array(body[cursor..<cursor + 2]) == crlf else {
                throw .malformedMultipart("ranh giới không kết thúc bằng CRLF")
            }
            cursor += 2
            guard let headerEnd = find(crlf + crlf, in: body, from: cursor) else {
                throw .malformedMultipart("phần không có tiêu đề")
            }
            guard let headerText = String(validating: body[cursor..<headerEnd], as: UTF8.self) else {
                throw .malformedMultipart("tiêu đề không phải UTF-8")
            }
            let contentStart = headerEnd + 4
            guard let next = find(crlf + delimiter, in: body, from: contentStart) else {
                throw .malformedMultipart("phần không có ranh giới đóng")
            }
            let content = Array(body[contentStart..<next])
            try form.addPart(headerText: headerText, content: content, limits: limits)
            cursor = next + 2 + delimiter.count
        }
    }

    private mutating func addPart(headerText: String, content: [UInt8], limits: FormLimits) throws(FormError) {
        var headers = HTTPHeaders()
        for line in headerText.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                        String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        guard let disposition = headers["Content-Disposition"],
              disposition.lowercased().hasPrefix("form-data"),
              let name = MediaType.parameter("name", in: disposition) else {
            throw .malformedMultipart("phần thiếu Content-Disposition: form-data; name")
        }
        if let filename = MediaType.parameter("filename", in: disposition) {
            guard files.count < limits.maxFiles else { throw .tooManyFiles(limit: limits.maxFiles) }
            guard content.count <= limits.maxFileBytes else {
                throw .fileTooLarge(name: filename, limit: limits.maxFileBytes)
            }
            // Only the last path component: some browsers send a full client path.
            let baseName = filename.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
            files.append(UploadedFile(fieldName: name, filename: baseName,
                                      contentType: headers["Content-Type"] ?? "application/octet-stream",
                                      data: content))
        } else {
            guard fields.count < limits.maxFields else { throw .tooManyFields(limit: limits.maxFields) }
            guard content.count <= limits.maxFieldBytes else {
                throw .fieldTooLarge(name: name, limit: limits.maxFieldBytes)
            }
            guard let value = String(validating: content, as: UTF8.self) else {
                throw .malformedMultipart("trường «\(name)» không phải UTF-8")
            }
            fields.append((name, value))
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
