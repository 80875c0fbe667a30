import Console
import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import HotlineStore
import WebServer
import XCTest

#if canImport(Glibc)
import Glibc
#endif

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A console on a free loopback port over a store at `database`, with cheap password hashing for tests.
/// With `configDirectory`, its desks read and edit the administrators' files there.
func startConsole(database: String, dataDirectory: String? = nil, pollInterval: TimeInterval = 0.3, maxDesks: Int = 12, configDirectory: String? = nil,
                  configure: (inout ConsoleConfiguration) -> Void = { _ in }) throws -> Console {
    let templates = try NotificationTemplates.load(path: repositoryRoot + "/Config/templates.vi.json")
    let context = WorkflowContext(calendar: WorkingCalendar(), templates: templates)
    var configuration = ConsoleConfiguration(web: WebServerConfiguration(address: "127.0.0.1", port: 0),
                                             hasher: PasswordHasher(parameters: ScryptParameters(logN: 10)),
                                             pollInterval: pollInterval, maxDesks: maxDesks)
    configure(&configuration)
    let console = try Console(
        configuration: configuration,
        makeDesk: {
            guard let configDirectory else { return Desk(store: try TicketStore(path: database, dataDirectory: dataDirectory), context: context) }
            let desk = Desk(store: try TicketStore(path: database, dataDirectory: dataDirectory), context: Desk.context(fromFiles: configDirectory))
            desk.configDirectory = configDirectory
            return desk
        })
    try console.start()
    return console
}

/// One HTTP/1.1 exchange over a plain socket (Connection: close): enough for the console's pages.
struct RawReply {
    let status: Int
    let headers: [String: String]
    let body: String
    var bytes: [UInt8] = []
    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

func connectLoopback(port: UInt16) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard ok == 0 else {
        close(fd)
        throw POSIXError(.ECONNREFUSED)
    }
    return fd
}

func sendAll(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        sent += n
    }
}

/// Reads an open event stream until its text contains `needle` or `deadline` passes; what was read.
func readEvents(_ fd: Int32, until needle: String, deadline: Date) -> String {
    var received = ""
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !received.contains(needle), Date() < deadline {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, 100) > 0 {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            received += String(decoding: buffer[0..<n], as: UTF8.self)
        }
    }
    return received
}

func request(port: UInt16, _ path: String, method: String = "GET", cookie: String? = nil, headers: [String: String] = [:],
             body: String = "") throws -> RawReply {
    let fd = try connectLoopback(port: port)
    defer { close(fd) }
    var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if let cookie { text += "Cookie: \(cookie)\r\n" }
    for (k, v) in headers { text += "\(k): \(v)\r\n" }
    if method == "POST" {
        text += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n"
    }
    text += "\r\n" + body
    sendAll(fd, text)
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        data += buffer[0..<n]
    }
    let whole = String(decoding: data, as: UTF8.self)
    guard let split = whole.range(of: "\r\n\r\n") else { throw POSIXError(.EBADMSG) }
    let head = whole[..<split.lowerBound].split(separator: "\r\n")
    let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers[name] = headers[name].map { $0 + "\n" + value } ?? value
    }
    return RawReply(status: status, headers: headers, body: String(whole[split.upperBound...]))
}

/// One exchange with a body of raw bytes (multipart forms, JSON) and its content type.
func request(port: UInt16, _ path: String, method: String = "POST", cookie: String? = nil, headers: [String: String] = [:],
             bytes: [UInt8], contentType: String) throws -> RawReply {
    let fd = try connectLoopback(port: port)
    defer { close(fd) }
    var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if let cookie { text += "Cookie: \(cookie)\r\n" }
    for (k, v) in headers { text += "\(k): \(v)\r\n" }
    text += "Content-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\n\r\n"
    let all = Array(text.utf8) + bytes
    var sent = 0
    while sent < all.count {
        let n = all[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        sent += n
    }
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        data += buffer[0..<n]
    }
    guard let split = findBytes(Array("\r\n\r\n".utf8), in: data) else { throw POSIXError(.EBADMSG) }
    let head = String(decoding: data[..<split], as: UTF8.self).split(separator: "\r\n")
    let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return RawReply(status: status, headers: headers, body: String(decoding: data[(split + 4)...], as: UTF8.self),
                    bytes: Array(data[(split + 4)...]))
}

func findBytes(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<i + needle.count]) == needle {
        return i
    }
    return nil
}

/// A multipart/form-data body: text fields, then files (name, filename, bytes).
func multipart(_ fields: [(String, String)], files: [(String, String, [UInt8])] = []) -> (bytes: [UInt8], contentType: String) {
    let boundary = "----hotline\(UUID().uuidString.prefix(8))"
    var out: [UInt8] = []
    for (name, value) in fields {
        out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }
    for (name, filename, bytes) in files {
        out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        out += bytes + Array("\r\n".utf8)
    }
    out += Array("--\(boundary)--\r\n".utf8)
    return (out, "multipart/form-data; boundary=\(boundary)")
}

/// "app;dur=1.23" → 1.23
func serverTiming(_ reply: RawReply) -> Double? {
    reply.header("Server-Timing").flatMap { $0.components(separatedBy: "dur=").last }.flatMap(Double.init)
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}
