import Foundation
import HotlineCore
import HotlineStore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// SMS through Kannel: each message goes to smsbox's `sendsms` (HTTP), bearerbox speaks SMPP to the operator's
/// SMSC. Vietnamese goes as UCS-2 (`coding=2`), "không dấu" as GSM 7-bit; every message asks for delivery
/// reports (`dlr-mask=31`) at the gateway's report endpoint, authenticated by the message's own token.
public final class KannelSender: MessageSender, @unchecked Sendable {
    public struct Settings: Sendable, Equatable {
        /// `http://127.0.0.1:13013/cgi-bin/sendsms`.
        public var sendsmsURL: URL
        public var username: String
        public var password: String
        /// The brandname (sender ID) registered with the operator, e.g. `HAIPHONG1022`.
        public var from: String
        /// Where Kannel reaches the gateway's report endpoint, e.g. `http://127.0.0.1:8091`.
        public var reportBase: String
        /// bearerbox's admin `status.xml` (with the status password): no SMSC online means Kannel would only
        /// spool the message, so the outbox keeps it and retries instead. Nil skips the check.
        public var statusURL: URL?
        public var smscID: String?
        public var diacritics: DiacriticsPolicy
        public var timeout: TimeInterval

        public init(sendsmsURL: URL, username: String, password: String, from: String, reportBase: String,
                    statusURL: URL? = nil, smscID: String? = nil, diacritics: DiacriticsPolicy = .keep, timeout: TimeInterval = 10) {
            (self.sendsmsURL, self.username, self.password, self.from, self.reportBase) = (sendsmsURL, username, password, from, reportBase)
            (self.statusURL, self.smscID, self.diacritics, self.timeout) = (statusURL, smscID, diacritics, timeout)
        }
    }

    public let settings: Settings
    public var channel: String { "kannel" }
    private let lock = NSLock()
    private var lastOnline: Date?

    public init(settings: Settings) { self.settings = settings }

    /// The report URL Kannel calls back, its escapes (`%d` type, `%A` SMSC answer, `%F` SMSC message id) filled in by Kannel.
    public func reportURL(for message: OutboxMessage) -> String {
        "\(settings.reportBase)/dlr/kannel?m=\(message.id)&t=\(message.reportToken)&type=%d&status=%A&ref=%F"
    }

    public func send(_ message: OutboxMessage) throws -> SendOutcome {
        let phone: VietnamPhone
        switch VietnamPhone.textable(message.recipient) {
        case .success(let p): phone = p
        case .failure(let why): return .refused(code: why.code, reason: why.reason)
        }
        try requireSMSCOnline()
        let text = SMSText.prepare(message.body, policy: settings.diacritics)
        let encoding = SMSText.encoding(of: text)
        var fields: [(String, String)] = [
            ("username", settings.username), ("password", settings.password), ("from", settings.from),
            ("to", phone.e164), ("text", text), ("charset", "UTF-8"), ("coding", encoding == .ucs2 ? "2" : "0"),
            ("dlr-mask", "31"), ("dlr-url", reportURL(for: message)),
        ]
        if let smsc = settings.smscID { fields.append(("smsc", smsc)) }
        var components = URLComponents(url: settings.sendsmsURL, resolvingAgainstBaseURL: false)!
        components.percentEncodedQuery = HTTPExchange.form(fields)
        let request = URLRequest(url: components.url!, timeoutInterval: settings.timeout)
        let (status, body) = try HTTPExchange.perform(request)
        let answer = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // smsbox answers 202 "0: Accepted for delivery" or "3: Queued for later delivery" (bearerbox spools it
        // and reports when the SMSC takes it); 4xx for what it will never send; 5xx and 503 when bearerbox is gone.
        switch status {
        case 200..<300:
            return .accepted(reference: nil, awaitsReport: true)
        case 400..<500 where status != 408 && status != 429:
            return .refused(code: "kannel-\(status)", reason: "Kannel từ chối tin (HTTP \(status)): \(answer.prefix(200))")
        default:
            throw SendError("Kannel sendsms answered HTTP \(status): \(answer.prefix(200))")
        }
    }

    /// Throws while bearerbox has no SMSC online (cached 2 s, so a round of a hundred messages asks once).
    func requireSMSCOnline() throws {
        guard let statusURL = settings.statusURL else { return }
        lock.lock()
        let recent = lastOnline.map { Date().timeIntervalSince($0) < 2 } ?? false
        lock.unlock()
        if recent { return }
        let (status, body) = try HTTPExchange.perform(URLRequest(url: statusURL, timeoutInterval: settings.timeout))
        guard status == 200 else { throw SendError("Kannel status answered HTTP \(status)") }
        let xml = String(decoding: body, as: UTF8.self)
        let online = xml.components(separatedBy: "<status>").dropFirst().contains { $0.hasPrefix("online") }
        guard online else {
            throw SendError("Kannel has no SMSC online (the operator's link is down); the message waits in the outbox")
        }
        lock.lock()
        lastOnline = Date()
        lock.unlock()
    }
}

/// Kannel's delivery report types (`%d`).
public enum KannelReport {
    public enum Meaning: Equatable, Sendable {
        case delivered(code: String)
        case failed(code: String)
        case expired(code: String)
        /// The SMSC took it (8) or it is buffered (4): the final report comes later.
        case intermediate
    }

    /// Reads a report: `type` 1 delivered, 2 failed (or expired, by the receipt's `stat:`), 4 buffered,
    /// 8 SMSC accepted, 16 SMSC rejected. `status` is Kannel's `%A`: the receipt text (`id:… stat:DELIVRD err:000`)
    /// or the SMSC's answer (`NACK/0x00000045/…`).
    public static func meaning(type: Int, status: String) -> Meaning? {
        let stat = field("stat", in: status)
        let err = field("err", in: status)
        let code = [stat.map { "stat:\($0)" }, err.map { "err:\($0)" }].compactMap { $0 }.joined(separator: " ")
        switch type {
        case 1: return .delivered(code: code.isEmpty ? "DELIVRD" : code)
        case 2:
            if stat == "EXPIRED" { return .expired(code: code) }
            return .failed(code: code.isEmpty ? String(status.prefix(80)) : code)
        case 16: return .failed(code: String(status.prefix(80)))
        case 4, 8: return .intermediate
        default: return nil
        }
    }

    static func field(_ name: String, in text: String) -> String? {
        guard let r = text.range(of: "\(name):") else { return nil }
        let value = text[r.upperBound...].prefix { !$0.isWhitespace }
        return value.isEmpty ? nil : String(value)
    }
}
