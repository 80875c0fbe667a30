import Foundation
import HotlineCore
import HotlineStore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Which approved ZNS template each kind of message uses, and its parameters made from the message's values
/// (`Config/zns-templates.json`, beside `Config/templates.vi.json`):
/// `{"acknowledgement": {"template_id": "250001", "params": {"ticket_id": "{code}", "unit": "{unit}"}}}`.
/// A kind without a template is refused by the ZNS sender, so the next sender (SMS) takes it.
public struct ZNSTemplates: Sendable, Equatable {
    public struct Template: Codable, Sendable, Equatable {
        public var templateID: String
        public var params: [String: String]
        enum CodingKeys: String, CodingKey { case templateID = "template_id", params }
        public init(templateID: String, params: [String: String]) { (self.templateID, self.params) = (templateID, params) }
    }

    public var templates: [NotificationKind: Template]

    public init(templates: [NotificationKind: Template]) { self.templates = templates }

    public static func load(path: String) throws -> ZNSTemplates {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SendError("\(path): cannot read the ZNS templates")
        }
        let raw: [String: Template]
        do { raw = try JSONDecoder().decode([String: Template].self, from: data) } catch {
            throw SendError("\(path): not a ZNS template file (\(error))")
        }
        var out: [NotificationKind: Template] = [:]
        for (key, t) in raw {
            guard let kind = NotificationKind(rawValue: key) else {
                throw SendError("\(path): unknown message \"\(key)\"; known: \(NotificationKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard !t.templateID.isEmpty, !t.params.isEmpty else { throw SendError("\(path): \"\(key)\" needs a template_id and params") }
            for value in t.params.values {
                for name in NotificationTemplates.placeholderNames(in: value) where !NotificationTemplates.placeholders.contains(name) {
                    throw SendError("\(path): \"\(key)\" uses {\(name)}; known: \(NotificationTemplates.placeholders.sorted().map { "{\($0)}" }.joined(separator: ", "))")
                }
            }
            out[kind] = t
        }
        return ZNSTemplates(templates: out)
    }

    /// The `template_data` for a message: each parameter's pattern with the message's values filled in.
    public func data(for message: OutboxMessage) -> (id: String, data: [String: String])? {
        guard let t = templates[message.kind] else { return nil }
        var data: [String: String] = [:]
        for (name, pattern) in t.params {
            var text = pattern
            for (k, v) in message.values { text = text.replacingOccurrences(of: "{\(k)}", with: v) }
            data[name] = text
        }
        return (t.templateID, data)
    }
}

/// The OA's tokens, kept in the data folder (mode 0600, never logged). The refresh token is single-use: each
/// refresh returns a new one, written (atomically) before the new access token is used.
public final class ZNSTokenFile: @unchecked Sendable {
    public struct Tokens: Codable, Sendable, Equatable {
        public var accessToken: String
        public var refreshToken: String
        public var expiresAt: Date
        enum CodingKeys: String, CodingKey { case accessToken = "access_token", refreshToken = "refresh_token", expiresAt = "expires_at" }
        public init(accessToken: String, refreshToken: String, expiresAt: Date) {
            (self.accessToken, self.refreshToken, self.expiresAt) = (accessToken, refreshToken, expiresAt)
        }
    }

    public let path: String
    public init(path: String) { self.path = path }

    public func read() throws -> Tokens {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SendError("no Zalo OA token at \(path): run `hotline1022 outbox zns-token` with the OA's refresh token")
        }
        do { return try JSONDecoder().decode(Tokens.self, from: data) } catch {
            throw SendError("\(path): unreadable Zalo OA token file (\(error))")
        }
    }

    /// Writes the tokens to a 0600 temporary file beside the old one, then renames it over.
    public func write(_ tokens: Tokens) throws {
        let data = try JSONEncoder().encode(tokens)
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let temporary = path + ".tmp"
        unlink(temporary)
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw SendError("cannot write the Zalo OA token file \(temporary)")
        }
        chmod(temporary, 0o600)
        guard rename(temporary, path) == 0 else { throw SendError("cannot replace the Zalo OA token file \(path)") }
    }
}

/// Zalo ZNS template messages: `POST {api}/message/template` with the OA's `access_token` header, the phone as
/// `84…`, the template's parameters and our outbox id as `tracking_id`. Zalo answers HTTP 200 with `error` 0,
/// or a negative code: see `outcome(error:)`. The access token is refreshed before it expires (at 80 % of its
/// life) and once more when Zalo says it is invalid.
public final class ZNSSender: MessageSender, @unchecked Sendable {
    public struct Settings: Sendable {
        public var apiBase: URL
        public var oauthBase: URL
        public var appID: String
        /// The app's secret key (the `secret_key` header of a token refresh).
        public var secretKey: String
        public var templates: ZNSTemplates
        public var tokenFile: String
        /// Zalo's `mode: development`: only the app's admins receive it, free (for a pilot).
        public var development: Bool
        public var timeout: TimeInterval

        public init(apiBase: URL = URL(string: "https://business.openapi.zalo.me")!,
                    oauthBase: URL = URL(string: "https://oauth.zaloapp.com")!, appID: String, secretKey: String,
                    templates: ZNSTemplates, tokenFile: String, development: Bool = false, timeout: TimeInterval = 10) {
            (self.apiBase, self.oauthBase, self.appID, self.secretKey) = (apiBase, oauthBase, appID, secretKey)
            (self.templates, self.tokenFile, self.development, self.timeout) = (templates, tokenFile, development, timeout)
        }
    }

    public let settings: Settings
    public var channel: String { "zns" }
    private let tokens: ZNSTokenFile
    /// One refresh at a time: the refresh token works once.
    private let lock = NSLock()

    public init(settings: Settings) {
        self.settings = settings
        tokens = ZNSTokenFile(path: settings.tokenFile)
    }

    public func send(_ message: OutboxMessage) throws -> SendOutcome {
        let phone: VietnamPhone
        switch VietnamPhone.textable(message.recipient) {
        case .success(let p): phone = p
        case .failure(let why): return .refused(code: why.code, reason: why.reason)
        }
        guard let (templateID, data) = settings.templates.data(for: message) else {
            return .refused(code: "zns-no-template", reason: "chưa có mẫu ZNS cho loại tin \(message.kind.rawValue)")
        }
        var token = try accessToken(now: Date())
        var answer = try post(phone: phone, templateID: templateID, data: data, trackingID: String(message.id), token: token)
        if answer.error == -124 || answer.error == -220 {
            token = try accessToken(now: Date(), forceRefreshOf: token)
            answer = try post(phone: phone, templateID: templateID, data: data, trackingID: String(message.id), token: token)
        }
        return try Self.outcome(error: answer.error, message: answer.message, msgID: answer.msgID)
    }

    /// What Zalo's code means for the message (Tests/zns/API.md): 0 taken (a `user_received_message` event follows);
    /// -100 try again later; -124/-220 still invalid after a refresh, configuration problems (-101…-106, -109,
    /// -111, -112) and codes for this phone (-108, -110, -118 no Zalo account, -144 quota) are refusals, so SMS
    /// takes the message; an unknown code too: a message is never dropped on a code we do not know.
    public static func outcome(error: Int, message: String, msgID: String?) throws -> SendOutcome {
        switch error {
        case 0: return .accepted(reference: msgID, awaitsReport: true)
        case -100: throw SendError("Zalo ZNS: \(error) \(message) (thử lại sau)")
        case -118: return .refused(code: "zns\(error)", reason: "số này không dùng Zalo (\(message))")
        case -144: return .refused(code: "zns\(error)", reason: "Zalo OA đã hết hạn mức tin trong ngày (\(message))")
        case -124, -220: return .refused(code: "zns\(error)", reason: "token Zalo OA không hợp lệ cả sau khi làm mới (\(message))")
        case -109: return .refused(code: "zns\(error)", reason: "mẫu ZNS không hợp lệ hoặc chưa được duyệt — kiểm tra Config/zns-templates.json (\(message))")
        default: return .refused(code: "zns\(error)", reason: "Zalo ZNS từ chối: \(error) \(message)")
        }
    }

    struct Answer { var error: Int; var message: String; var msgID: String? }

    func post(phone: VietnamPhone, templateID: String, data: [String: String], trackingID: String, token: String) throws -> Answer {
        var request = URLRequest(url: settings.apiBase.appendingPathComponent("message/template"), timeoutInterval: settings.timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(token, forHTTPHeaderField: "access_token")
        var body: [String: Any] = ["phone": phone.e164, "template_id": templateID, "template_data": data, "tracking_id": trackingID]
        if settings.development { body["mode"] = "development" }
        request.httpBody = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let (status, raw) = try HTTPExchange.perform(request)
        guard status == 200 else { throw SendError("Zalo ZNS answered HTTP \(status)") }
        guard let json = try? JSONSerialization.jsonObject(with: raw) as? [String: Any], let code = Self.int(json["error"]) else {
            throw SendError("Zalo ZNS answered something that is not its JSON")
        }
        let msgID = (json["data"] as? [String: Any])?["msg_id"].flatMap { "\($0)" }
        return Answer(error: code, message: json["message"] as? String ?? "", msgID: msgID)
    }

    /// The access token to use: the stored one while it has more than 20 % of its life left, else a new one.
    /// `forceRefreshOf` refreshes when the stored token is still the one Zalo refused (another round may have
    /// refreshed it meanwhile).
    func accessToken(now: Date, forceRefreshOf refused: String? = nil) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let current = try tokens.read()
        let stale = refused.map { $0 == current.accessToken } ?? false
        if !stale, current.expiresAt > now, !current.accessToken.isEmpty { return current.accessToken }
        return try refresh(current, now: now).accessToken
    }

    private func refresh(_ current: ZNSTokenFile.Tokens, now: Date) throws -> ZNSTokenFile.Tokens {
        var request = URLRequest(url: settings.oauthBase.appendingPathComponent("v4/oa/access_token"), timeoutInterval: settings.timeout)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue(settings.secretKey, forHTTPHeaderField: "secret_key")
        request.httpBody = Data(HTTPExchange.form([("app_id", settings.appID), ("refresh_token", current.refreshToken),
                                                   ("grant_type", "refresh_token")]).utf8)
        let (status, raw) = try HTTPExchange.perform(request)
        guard status == 200, let json = try? JSONSerialization.jsonObject(with: raw) as? [String: Any] else {
            throw SendError("Zalo OA token refresh answered HTTP \(status)")
        }
        guard let access = json["access_token"] as? String, let refresh = json["refresh_token"] as? String,
              let lifetime = Self.int(json["expires_in"]), lifetime > 0 else {
            let reason = json["error_reason"] as? String ?? json["message"] as? String ?? "no access_token"
            throw SendError("Zalo OA token refresh refused (\(Self.int(json["error"]) ?? 0) \(reason)); the OA must be authorised again")
        }
        // Refresh at 80 % of the lifetime: never send with a token about to expire.
        let tokens = ZNSTokenFile.Tokens(accessToken: access, refreshToken: refresh,
                                         expiresAt: now.addingTimeInterval(Double(lifetime) * 0.8))
        try self.tokens.write(tokens)
        return tokens
    }

    static func int(_ value: Any?) -> Int? {
        if let n = value as? Int { return n }
        if let n = value as? NSNumber { return n.intValue }
        if let s = value as? String { return Int(s) }
        return nil
    }
}
