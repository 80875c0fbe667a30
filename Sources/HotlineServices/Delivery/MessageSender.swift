import Foundation
import HotlineCore
import HotlineStore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a sender did with a message.
public enum SendOutcome: Sendable, Equatable {
    /// Taken. `reference` is the carrier's id for it; `awaitsReport` when a delivery report will follow.
    case accepted(reference: String?, awaitsReport: Bool)
    /// Refused for good by this sender (a landline, no Zalo account, no template, quota used up): the next
    /// sender in the list tries it; with none left, the message has failed with this code and reason.
    case refused(code: String, reason: String)
}

/// One way a message leaves: Kannel (SMS over SMPP), Zalo ZNS, a city's own webhook, or the log. A thrown error
/// is transient (the carrier unreachable, answering 5xx): the worker retries with back-off.
public protocol MessageSender: Sendable {
    /// A short name stored with the message: `kannel`, `zns`, `webhook`, `log`.
    var channel: String { get }
    func send(_ message: OutboxMessage) throws -> SendOutcome
}

/// A transient failure, with what the desk reads in `outbox list`.
public struct SendError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Blocking HTTP for senders (they run on the outbox queue, never on PJSIP's threads).
enum HTTPExchange {
    static func perform(_ request: URLRequest) throws -> (status: Int, body: Data) {
        final class Outcome: @unchecked Sendable { var status = 0; var data = Data(); var error: Error? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request) { data, response, error in
            outcome.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            outcome.data = data ?? Data()
            outcome.error = error
            done.signal()
        }.resume()
        done.wait()
        if let error = outcome.error {
            throw SendError("\(request.url?.host ?? "?"): \(error.localizedDescription)")
        }
        return (outcome.status, outcome.data)
    }

    /// `a=1&b=x%20y`, every reserved character escaped (a `&` or `%` in a text must reach the carrier as such).
    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { k, v in
            "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }
}

/// The default sender: appends each message to a log file, one JSON line, the number masked (personal data never
/// goes to logs). A stand-in until a carrier is configured.
public struct LogFileSender: MessageSender {
    public let path: String
    public var channel: String { "log" }
    public init(path: String) { self.path = path }

    public func send(_ message: OutboxMessage) throws -> SendOutcome {
        struct Line: Encodable { let id: Int64; let code: String; let kind: String; let to: String; let text: String }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(Line(id: message.id, code: message.trackingCode, kind: message.kind.rawValue,
                                           to: Self.mask(message.recipient), text: message.body))
        data.append(0x0A)
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw SendError("cannot write the message log \(path)")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
        return .accepted(reference: nil, awaitsReport: false)
    }

    /// `0912345678` → `*******678`.
    public static func mask(_ phone: String) -> String {
        String(repeating: "*", count: max(0, phone.count - 3)) + phone.suffix(3)
    }
}

/// POSTs each message as JSON to a city's own SMS/Zalo gateway:
/// `{"id": 12, "to": "0912345678", "text": "…", "kind": "acknowledgement", "code": "20260610-0134036"}`.
/// `id` lets the gateway drop a repeat after a retry. Any status outside 200–299 is a failure, retried.
public struct WebhookSender: MessageSender {
    public let url: URL
    public let timeout: TimeInterval
    public let token: String?
    public var channel: String { "webhook" }
    public init(url: URL, timeout: TimeInterval = 10, token: String? = nil) {
        (self.url, self.timeout, self.token) = (url, timeout, token)
    }

    public func send(_ message: OutboxMessage) throws -> SendOutcome {
        struct Body: Encodable { let id: Int64; let to: String; let text: String; let kind: String; let code: String }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONEncoder().encode(Body(id: message.id, to: message.recipient, text: message.body,
                                                         kind: message.kind.rawValue, code: message.trackingCode))
        let (status, _) = try HTTPExchange.perform(request)
        guard (200..<300).contains(status) else { throw SendError("webhook \(url.host ?? "") answered HTTP \(status)") }
        return .accepted(reference: nil, awaitsReport: false)
    }
}
