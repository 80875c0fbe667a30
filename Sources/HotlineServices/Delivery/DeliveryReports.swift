import DeskSecurity
import Foundation
import Gateway
import HotlineCore
import HotlineStore
import WebServer

/// The carriers' delivery reports, on their own listener (`serve --reports-listen`, loopback by default):
/// Kannel calls `GET /dlr/kannel?m=ID&t=TOKEN&type=%d&status=%A&ref=%F` for each message (the token was made for
/// that message alone and is checked in constant time); Zalo posts `user_received_message` events to
/// `POST /dlr/zns`, signed `X-ZEvent-Signature: sha256(app id + body + timestamp + OA secret)`.
/// Reports are stored on one serial queue with its own connection; every answer is quick (Zalo wants 2 s).
public final class DeliveryReports: @unchecked Sendable {
    public struct ZaloWebhook: Sendable {
        public var appID: String
        /// The OA secret key (not the app's secret key) that signs webhook events.
        public var oaSecret: String
        public init(appID: String, oaSecret: String) { (self.appID, self.oaSecret) = (appID, oaSecret) }
    }

    private let store: TicketStore
    private let queue = DispatchQueue(label: "hotline1022.delivery-reports")
    private let logger: EventLogger
    private let zalo: ZaloWebhook?
    private var server: WebServer?

    public init(database: String, zalo: ZaloWebhook?, logger: EventLogger) throws {
        store = try TicketStore(path: database)
        (self.zalo, self.logger) = (zalo, logger)
    }

    /// Starts the listener; port 0 picks a free one (`port` tells which).
    public func start(address: String, port: UInt16) throws {
        var router = Router()
        router.get("/dlr/kannel") { [self] request in
            let (status, text) = kannel(query: Dictionary(request.queryItems.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
            return .text(text + "\n", status: status)
        }
        router.post("/dlr/zns") { [self] request in
            let (status, text) = zns(body: request.body, signature: request.headers["X-ZEvent-Signature"] ?? "")
            return .text(text + "\n", status: status)
        }
        let server = WebServer(configuration: WebServerConfiguration(address: address, port: port, connectionLimit: 64,
                                                                     connectionTimeout: 10),
                               router: router, logger: logger)
        try server.start()
        self.server = server
    }

    public var port: UInt16 { server?.port ?? 0 }

    public func stop() {
        server?.stop()
        queue.sync { try? store.close() }
    }

    /// One Kannel report: (HTTP status, short answer).
    public func kannel(query: [String: String], now: Date = Date()) -> (Int, String) {
        guard let id = query["m"].flatMap(Int64.init), let token = query["t"], let type = query["type"].flatMap(Int.init) else {
            return (400, "m, t and type are required")
        }
        return queue.sync {
            do {
                guard let message = try store.outboxMessage(id: id), !message.reportToken.isEmpty,
                      ConstantTime.equals(message.reportToken, token) else {
                    logger.log(.warning, "report-refused", [("carrier", "kannel"), ("message", "\(id)")])
                    return (403, "unknown message or token")
                }
                guard let meaning = KannelReport.meaning(type: type, status: query["status"] ?? "") else { return (200, "ignored") }
                let ref = query["ref"].flatMap { $0.isEmpty || $0.hasPrefix("%") ? nil : $0 }
                try apply(meaning, to: message, carrier: "kannel", ref: ref, at: now)
                return (200, "ok")
            } catch {
                logger.log(.error, "report-failed", [("carrier", "kannel"), ("error", "\(error)")])
                return (503, "not stored, send again")
            }
        }
    }

    func apply(_ meaning: KannelReport.Meaning, to message: OutboxMessage, carrier: String, ref: String?, at now: Date) throws {
        // A failure of an earlier attempt says nothing of the one now pending through another sender.
        let current = message.channel == carrier && (message.delivery == .sent || message.delivery == .unknown)
        switch meaning {
        case .intermediate:
            if let ref { try store.noteCarrierReference(message.id, carrierRef: ref) }
        case .delivered(let code):
            guard message.delivery != .delivered else { return }
            try store.markDelivered(message.id, code: code, carrierRef: ref, at: now)
            logger.log(.info, "message-delivered", [("message", "\(message.id)"), ("carrier", carrier)])
        case .failed(let code):
            guard current else { return }
            try store.markUndelivered(message.id, state: .failed, channel: carrier, code: code,
                                      error: "\(carrier): nhà mạng báo không gửi được (\(code))", at: now)
            logger.log(.warning, "message-undelivered", [("message", "\(message.id)"), ("carrier", carrier), ("code", code)])
        case .expired(let code):
            guard current else { return }
            try store.markUndelivered(message.id, state: .expired, channel: carrier, code: code,
                                      error: "\(carrier): tin hết hạn trước khi đến máy (\(code))", at: now)
            logger.log(.warning, "message-expired", [("message", "\(message.id)"), ("carrier", carrier)])
        }
    }

    /// One Zalo webhook event.
    public func zns(body: [UInt8], signature: String, now: Date = Date()) -> (Int, String) {
        guard let zalo else { return (404, "no Zalo OA configured") }
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return (400, "not JSON") }
        let timestamp = json["timestamp"].map { "\($0)" } ?? ""
        var hash = SHA256()
        hash.update(Array(zalo.appID.utf8))
        hash.update(body)
        hash.update(Array(timestamp.utf8))
        hash.update(Array(zalo.oaSecret.utf8))
        let expected = hash.finalize().map { String(format: "%02x", $0) }.joined()
        var given = signature.trimmingCharacters(in: .whitespaces).lowercased()
        if given.hasPrefix("mac=") { given.removeFirst(4) }
        guard ConstantTime.equals(given, expected) else {
            logger.log(.warning, "report-refused", [("carrier", "zns"), ("reason", "signature")])
            return (403, "bad signature")
        }
        guard json["event_name"] as? String == "user_received_message",
              let msgID = (json["message"] as? [String: Any])?["msg_id"].map({ "\($0)" }) else { return (200, "ignored") }
        return queue.sync {
            do {
                guard let message = try store.outboxMessage(channel: "zns", carrierRef: msgID) else { return (200, "unknown message") }
                try apply(.delivered(code: "user_received_message"), to: message, carrier: "zns", ref: nil, at: now)
                return (200, "ok")
            } catch {
                logger.log(.error, "report-failed", [("carrier", "zns"), ("error", "\(error)")])
                return (503, "not stored")
            }
        }
    }
}
