import Foundation

/// Checks a raw SIP request for what PJSIP's lenient parser lets through but RFC 3261 and RFC 4475 say must be
/// refused: a malformed request line, several values in a single-value header, a Content-Length longer than the
/// datagram, badly formed From/To name-addrs, an unsupported Require, an INVITE whose Accept excludes SDP.
/// Pure: it reads bytes and returns the answer to give; the edge module sends it.
public struct RequestScreen: Sendable {
    /// The option tags this endpoint supports (PJSIP's Supported capability).
    public let supportedExtensions: Set<String>

    public init(supportedExtensions: Set<String>) {
        self.supportedExtensions = Set(supportedExtensions.map { $0.lowercased() })
    }

    /// A refusal: a status code, a short reason for the logs and the refusal counts, extra response headers.
    public struct Refusal: Equatable, Sendable {
        public let code: Int
        public let reason: String
        public let headers: [Header]
        public init(_ code: Int, _ reason: String, headers: [Header] = []) {
            self.code = code
            self.reason = reason
            self.headers = headers
        }
    }

    public struct Header: Equatable, Sendable {
        public let name: String
        public let value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Headers that may appear once (RFC 3261 §7.3.1, §20), by their long lower-case names.
    static let singleValued: Set<String> = ["call-id", "cseq", "from", "to", "max-forwards", "content-length",
                                            "content-type"]
    static let compactForms: [String: String] = [
        "i": "call-id", "f": "from", "t": "to", "l": "content-length", "c": "content-type", "m": "contact",
        "v": "via", "k": "supported", "s": "subject", "e": "content-encoding", "o": "event", "r": "refer-to",
        "u": "allow-events", "b": "referred-by", "x": "session-expires",
    ]

    /// The refusal due for `raw` (one whole message), or nil when it may go on. `datagram`: it came over UDP,
    /// so the datagram's end is the message's end.
    public func check(_ raw: [UInt8], datagram: Bool, extensions: Bool = true) -> Refusal? {
        guard let split = RequestScreen.headerEnd(raw) else { return Refusal(400, "no-header-end") }
        let head = String(decoding: raw[..<split.headerEnd], as: UTF8.self)
        let bodyLength = raw.count - split.bodyStart
        var lines = RequestScreen.logicalLines(head)
        guard !lines.isEmpty else { return Refusal(400, "empty") }
        let requestLine = lines.removeFirst()
        if let refusal = RequestScreen.checkRequestLine(requestLine) { return refusal }
        let method = String(requestLine.prefix { $0 != " " })

        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return Refusal(400, "header-without-colon") }
            var name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            name = RequestScreen.compactForms[name] ?? name
            headers.append((name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var counts: [String: Int] = [:]
        for h in headers { counts[h.name, default: 0] += 1 }
        for name in RequestScreen.singleValued.sorted() where (counts[name] ?? 0) > 1 {
            return Refusal(400, "duplicate-\(name)")
        }
        // CSeq: a 32-bit number and the request's own method (RFC 3261 §8.1.1.5, RFC 4475 §3.1.2.17).
        if let cseq = headers.first(where: { $0.name == "cseq" })?.value {
            let parts = cseq.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 2, parts[0].count <= 10, let n = UInt64(parts[0]), n < (1 << 31) else {
                return Refusal(400, "bad-cseq")
            }
            if parts[1] != method { return Refusal(400, "cseq-method-mismatch") }
        }
        if let mf = headers.first(where: { $0.name == "max-forwards" })?.value {
            guard mf.count <= 10, mf.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(mf), n <= 255 else {
                return Refusal(400, "bad-max-forwards")
            }
        }
        if let cl = headers.first(where: { $0.name == "content-length" })?.value {
            guard !cl.isEmpty, cl.allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(cl.prefix(9)) else {
                return Refusal(400, "bad-content-length")
            }
            if datagram, length > bodyLength { return Refusal(400, "content-length-beyond-datagram") }
        }
        for h in headers where h.name == "from" || h.name == "to" {
            if !RequestScreen.isWellFormedNameAddr(h.value) { return Refusal(400, "malformed-\(h.name)") }
        }
        if extensions, method != "ACK", method != "CANCEL" {
            var unsupported: [String] = []
            for h in headers where h.name == "require" {
                for tag in h.value.split(separator: ",") {
                    let t = tag.trimmingCharacters(in: .whitespaces)
                    if !t.isEmpty, !supportedExtensions.contains(t.lowercased()) { unsupported.append(t) }
                }
            }
            if !unsupported.isEmpty {
                return Refusal(420, "unsupported-extension", headers: [Header("Unsupported", unsupported.joined(separator: ", "))])
            }
        }
        if method == "INVITE" {
            let accepts = headers.filter { $0.name == "accept" }.map(\.value)
            let ranges = accepts.flatMap { $0.split(separator: ",") }
                .map { $0.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "" }
                .filter { !$0.isEmpty }
            if !ranges.isEmpty, !ranges.contains(where: { ["application/sdp", "application/*", "*/*"].contains($0) }) {
                return Refusal(406, "accept-without-sdp", headers: [Header("Accept", "application/sdp")])
            }
        }
        return nil
    }

    /// `Method SP Request-URI SP SIP-Version`, single spaces, nothing around (RFC 3261 §25.1).
    static func checkRequestLine(_ line: String) -> Refusal? {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }),
              !line.contains("\t") else { return Refusal(400, "malformed-request-line") }
        let uri = parts[1], version = parts[2]
        guard version.uppercased().hasPrefix("SIP/") else { return Refusal(400, "malformed-request-line") }
        guard version.uppercased() == "SIP/2.0" else { return Refusal(505, "version-not-supported") }
        if uri.contains("<") || uri.contains(">") { return Refusal(400, "malformed-request-uri") }
        // Escaped headers (`?`) are not allowed in a SIP Request-URI (RFC 3261 §19.1.5).
        let lower = uri.lowercased()
        // `?` may appear in the user part (RFC 3261 §25.1 user-unreserved): look after the host's `@`.
        let afterUser = uri.lastIndex(of: "@").map { uri[$0...] } ?? uri[...]
        if (lower.hasPrefix("sip:") || lower.hasPrefix("sips:")), afterUser.contains("?") {
            return Refusal(400, "headers-in-request-uri")
        }
        // Only SIP and tel URIs are served here (RFC 3261 §8.2.2.1: 416).
        if !(lower.hasPrefix("sip:") || lower.hasPrefix("sips:") || lower.hasPrefix("tel:")) {
            return Refusal(416, "unsupported-uri-scheme")
        }
        return nil
    }

    /// A From/To value: `"quoted" <uri>`, `token token <uri>`, `<uri>`, or an addr-spec without `<`.
    static func isWellFormedNameAddr(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars)
        guard let lt = scalars.firstIndex(of: "<") else {
            // addr-spec: no display name, no quotes, no spaces before the parameters.
            let spec = value.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            return !spec.contains("\"") && !spec.trimmingCharacters(in: .whitespaces).contains(" ")
        }
        guard let gt = scalars[lt...].firstIndex(of: ">") else { return false }
        let inside = scalars[(lt + 1)..<gt]
        if inside.isEmpty || inside.first == " " || inside.first == "\t" || inside.last == " " || inside.last == "\t" {
            return false
        }
        let display = String(String.UnicodeScalarView(scalars[..<lt])).trimmingCharacters(in: .whitespaces)
        if display.isEmpty { return true }
        if display.hasPrefix("\"") {
            // One quoted string with its escapes, closed at the end.
            var escaped = false
            var closedAt: Int?
            let d = Array(display.unicodeScalars)
            for i in 1..<d.count {
                if escaped { escaped = false; continue }
                if d[i] == "\\" { escaped = true; continue }
                if d[i] == "\"" { closedAt = i; break }
            }
            return closedAt == d.count - 1
        }
        let tokenExtra = Set("-.!%*_+`'~".unicodeScalars)
        return display.unicodeScalars.allSatisfy { s in
            s == " " || s == "\t" || (s.isASCII && (CharacterSet.alphanumerics.contains(s) || tokenExtra.contains(s)))
                || !s.isASCII  // UTF-8 display names are common in practice
        }
    }

    /// Where the header section ends (at the empty line) and the body starts.
    static func headerEnd(_ raw: [UInt8]) -> (headerEnd: Int, bodyStart: Int)? {
        var i = 0
        while i + 1 < raw.count {
            if raw[i] == 0x0A {
                if raw[i + 1] == 0x0A { return (i, i + 2) }
                if raw[i + 1] == 0x0D, i + 2 < raw.count, raw[i + 2] == 0x0A { return (i, i + 3) }
            }
            i += 1
        }
        // A message that ends right after its last header line has an empty body.
        if raw.last == 0x0A { return (raw.count, raw.count) }
        return nil
    }

    /// Header lines with folded continuations joined (RFC 3261 §7.3.1).
    static func logicalLines(_ head: String) -> [String] {
        var result: [String] = []
        for rawLine in head.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            if line.isEmpty { continue }
            if let first = line.first, first == " " || first == "\t", !result.isEmpty {
                result[result.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
            } else {
                result.append(line)
            }
        }
        return result
    }
}

/// The digit of a SIP INFO `application/dtmf-relay` body: exactly one `Signal=` line whose value is one of
/// `0-9 * # A-D`; anything else (flash `16`, `11`, a string of digits, no Signal) is no digit.
public enum DTMFRelay {
    public static func digit(fromBody body: String) -> Character? {
        var found: [Substring] = []
        for line in body.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            guard let eq = line.firstIndex(of: "=") else { continue }
            if line[..<eq].trimmingCharacters(in: .whitespaces).lowercased() == "signal" {
                found.append(line[line.index(after: eq)...])
            }
        }
        guard found.count == 1 else { return nil }
        let value = found[0].trimmingCharacters(in: .whitespaces).uppercased()
        guard value.count == 1, let c = value.first, "0123456789*#ABCD".contains(c) else { return nil }
        return c
    }
}

/// The answer to a request PJSIP could not parse, built from its raw text (RFC 3261 §8.2.6.2: Via, From, To,
/// Call-ID and CSeq copied; a To tag added).
public enum UnparsableRequest {
    public struct Answer: Equatable {
        public let code: Int
        public let reason: String
        public let text: String
        /// Send to the source port (the top Via has `rport`), else to `port` (the Via's sent-by port or 5060).
        public let toSourcePort: Bool
        public let port: Int
    }

    public static func answer(_ raw: [UInt8], receivedFrom source: String) -> Answer? {
        guard let split = RequestScreen.headerEnd(raw) else { return nil }
        var lines = RequestScreen.logicalLines(String(decoding: raw[..<split.headerEnd], as: UTF8.self))
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst()
        let parts = requestLine.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count >= 2, !parts[0].uppercased().hasPrefix("SIP/") else { return nil }  // a response
        let method = String(parts[0])
        guard method != "ACK" else { return nil }
        let version = parts.count >= 3 ? parts[parts.count - 1].uppercased() : ""
        let uri = parts[1].lowercased()
        let screened = RequestScreen(supportedExtensions: []).check(raw, datagram: true, extensions: false)
        let (code, reason, phrase): (Int, String, String) =
            version.hasPrefix("SIP/") && version != "SIP/2.0" ? (505, "version-not-supported", "Version Not Supported")
            : parts.count != 3 || uri.contains("<") || uri.contains(">") ? (400, "malformed-request-line", "Bad Request")
            : screened?.code == 400 ? (400, screened!.reason, "Bad Request")
            : !(uri.hasPrefix("sip:") || uri.hasPrefix("sips:") || uri.hasPrefix("tel:"))
                ? (416, "unsupported-uri-scheme", "Unsupported URI Scheme")
            : method == "REGISTER" ? (405, "register-not-taken", "Method Not Allowed")
            : (400, "unparsable-request", "Bad Request")
        var vias: [String] = []
        var copied: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            var name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            name = RequestScreen.compactForms[name] ?? name
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "via" {
                vias += value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            } else if ["from", "to", "call-id", "cseq"].contains(name), copied[name] == nil {
                copied[name] = value
            }
        }
        guard var top = vias.first, let from = copied["from"], var to = copied["to"], let callID = copied["call-id"],
              let cseq = copied["cseq"], top.uppercased().hasPrefix("SIP") else { return nil }
        // Where the answer goes (RFC 3261 §18.2.2, RFC 3581).
        let params = top.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let rport = params.contains { $0 == "rport" || $0.hasPrefix("rport=") }
        let sentBy = top.split(separator: ";").first.map { String($0.split(whereSeparator: { $0 == " " || $0 == "\t" }).last ?? "") } ?? ""
        let portText = sentBy.split(separator: ":").count == 2 ? String(sentBy.split(separator: ":")[1]) : ""
        let port = Int(portText.prefix(6)).flatMap { (1...65535).contains($0) ? $0 : nil } ?? 5060
        top += ";received=\(source)"
        vias[0] = top
        if !to.lowercased().contains(";tag=") { to += ";tag=edge\(UInt32.random(in: 0...UInt32.max))" }
        var text = "SIP/2.0 \(code) \(phrase)\r\n"
        for via in vias { text += "Via: \(via)\r\n" }
        text += "From: \(from)\r\nTo: \(to)\r\nCall-ID: \(callID)\r\nCSeq: \(cseq)\r\n"
        if code == 405 { text += "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK\r\n" }
        text += "Content-Length: 0\r\n\r\n"
        return Answer(code: code, reason: reason, text: text, toSourcePort: rport, port: port)
    }
}
