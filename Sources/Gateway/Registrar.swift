import CPJSIP
import Foundation
import HotlineCore

// The gateway as the registrar of its agents' phones (issue 23 §1): REGISTER with digest authentication
// (RFC 3261 §10, §22), only from `--agent-network`, apart from the trunks' allow-list. It runs in the edge module
// on PJSIP's receive threads: all it touches is in memory behind one lock (the credentials are refreshed from
// the store by the owner, off these threads), and what changed goes to the owner as events.

/// The agents' credentials and their phones' bindings. Thread-safe.
final class Registrar: @unchecked Sendable {
    struct Binding: Equatable {
        var uri: String
        var expires: ContinuousClock.Instant
    }

    /// A registration longer than this is shortened to it; shorter than `minExpires` gets 423 (RFC 3261 §10.3.7).
    static let maxExpires = 3600
    static let minExpires = 60
    /// Wrong answers to the challenge from one source before it is refused for `lockSeconds` (403, logged).
    static let maxFailures = 5
    static let lockSeconds = 60
    /// A nonce is good for this long; an older one gets a new challenge marked stale.
    static let nonceSeconds = 300

    let networks: [SourcePolicy.Network]
    private let lock = NSLock()
    private var credentials: [String: String] = [:]
    private var bindings: [String: [Binding]] = [:]
    private var nonces: [String: ContinuousClock.Instant] = [:]
    private var failures: [String: (count: Int, since: ContinuousClock.Instant)] = [:]
    private let auth: UnsafeMutablePointer<pjsip_auth_srv>

    init(networks: [SourcePolicy.Network]) {
        self.networks = networks
        auth = .allocate(capacity: 1)  // lives as long as the process, like the edge module
        auth.initialize(to: pjsip_auth_srv())
    }

    /// Sets up PJSIP's digest verifier; after pjsua_init.
    func start() {
        guard let pool = pjsua_pool_create("registrar", 512, 512) else { return }  // kept: the realm lives in it
        var realm = pj_str_t()
        pj_strdup2(pool, &realm, AgentPhone.realm)
        pjsip_auth_srv_init(pool, auth, &realm, registrarLookup, 0)
    }

    func accepts(source: String) -> Bool {
        guard let bytes = SourcePolicy.parseAddress(source) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The agents with a registrar account and their HA1s (from the store). Returns the names whose account
    /// went away while registered: their bindings are dropped.
    func setCredentials(_ new: [String: String]) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        credentials = new
        let gone = bindings.keys.filter { new[$0] == nil }
        for name in gone { bindings[name] = nil }
        return gone
    }

    func ha1(of name: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return credentials[name]
    }

    /// The contacts an agent's phones registered, to ring together.
    func contacts(of name: String) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return bindings[name]?.map(\.uri) ?? []
    }

    /// Drops expired bindings; returns the agents whose last phone went away.
    func expire(now: ContinuousClock.Instant = .now) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        var gone: [String] = []
        for (name, list) in bindings {
            let kept = list.filter { $0.expires > now }
            if kept.isEmpty { gone.append(name); bindings[name] = nil } else if kept.count != list.count { bindings[name] = kept }
        }
        nonces = nonces.filter { now - $0.value < .seconds(Registrar.nonceSeconds) }
        failures = failures.filter { now - $0.value.since < .seconds(Registrar.lockSeconds) }
        return gone
    }

    // MARK: REGISTER, on PJSIP's receive thread

    /// Answers a REGISTER from the agents' network: a challenge, a refusal, or the bindings now held.
    func handle(_ rdata: UnsafeMutablePointer<pjsip_rx_data>, _ msg: UnsafeMutablePointer<pjsip_msg>, events: EventQueue) {
        let source = edgeSource(rdata)
        let now = ContinuousClock.now
        guard let to = rdata.pointee.msg_info.to, let name = aorUser(to.pointee.uri) else {
            respond(rdata, 400)
            return
        }
        if isLocked(source, now: now) {
            respond(rdata, 403)
            events.post(.agentRegisterRefused(agent: name, source: source, reason: "throttled"))
            return
        }
        guard let header = pjsip_msg_find_hdr(msg, PJSIP_H_AUTHORIZATION, nil)?
            .assumingMemoryBound(to: pjsip_authorization_hdr.self)
        else {
            challenge(rdata, stale: false, now: now)
            return
        }
        let nonce = String(pjString: header.pointee.credential.digest.nonce)
        guard isFresh(nonce, now: now) else {
            challenge(rdata, stale: true, now: now)
            return
        }
        let user = String(pjString: header.pointee.credential.digest.username)
        var code: Int32 = 0
        let verified = pjsip_auth_srv_verify(auth, rdata, &code) == pjSuccess
        guard verified, user == name else {
            let locked = fail(source, now: now)
            events.post(.agentRegisterRefused(agent: name, source: source,
                                              reason: verified ? "not-own-address" : (ha1(of: user) == nil ? "unknown-user" : "wrong-password")))
            if locked { respond(rdata, 403) } else { challenge(rdata, stale: false, now: now) }
            return
        }
        succeed(source)

        // The bindings asked for (RFC 3261 §10.3): each Contact with its expires, or `*` with Expires 0.
        let expiresHeader = pjsip_msg_find_hdr(msg, PJSIP_H_EXPIRES, nil)?
            .assumingMemoryBound(to: pjsip_expires_hdr.self).pointee.ivalue
        let requestedDefault = expiresHeader.map { Int($0) } ?? Registrar.maxExpires
        var changes: [(uri: String, seconds: Int)] = []
        var removeAll = false
        var cursor: UnsafeRawPointer? = nil
        while let found = pjsip_msg_find_hdr(msg, PJSIP_H_CONTACT, cursor) {
            let contact = found.assumingMemoryBound(to: pjsip_contact_hdr.self)
            cursor = UnsafeRawPointer(contact.pointee.next)
            if contact.pointee.star != 0 {
                guard requestedDefault == 0 else {
                    respond(rdata, 400)
                    return
                }
                removeAll = true
                continue
            }
            guard let uri = printURI(contact.pointee.uri) else { continue }
            let own = contact.pointee.expires
            let seconds = own == PJSIP_EXPIRES_NOT_SPECIFIED ? requestedDefault : Int(own)
            if seconds > 0 && seconds < Registrar.minExpires {
                respond(rdata, 423, headers: [.init("Min-Expires", "\(Registrar.minExpires)")])
                return
            }
            changes.append((uri, min(seconds, Registrar.maxExpires)))
        }

        lock.lock()
        var list = removeAll ? [] : (bindings[name] ?? [])
        let before = list.map(\.uri)
        for change in changes {
            list.removeAll { $0.uri == change.uri }
            if change.seconds > 0 { list.append(Binding(uri: change.uri, expires: now + .seconds(change.seconds))) }
        }
        list = Array(list.suffix(10))  // an agent's desk phone, softphone and mobile; not a hundred
        bindings[name] = list.isEmpty ? nil : list
        lock.unlock()

        respond(rdata, 200, headers: list.map { binding in
            let left = max(0, Int((binding.expires - now).components.seconds))
            return .init("Contact", "<\(binding.uri)>;expires=\(left)")
        })
        let after = list.map(\.uri)
        if after != before { events.post(.agentContacts(agent: name, contacts: after, source: source)) }
    }

    private func challenge(_ rdata: UnsafeMutablePointer<pjsip_rx_data>, stale: Bool, now: ContinuousClock.Instant) {
        let nonce = (try? secureToken()) ?? UUID().uuidString.replacingOccurrences(of: "-", with: "")
        lock.lock()
        if nonces.count < 50_000 { nonces[nonce] = now }
        lock.unlock()
        let value = "Digest realm=\"\(AgentPhone.realm)\", nonce=\"\(nonce)\", qop=\"auth\", algorithm=MD5"
            + (stale ? ", stale=true" : "")
        respond(rdata, 401, headers: [.init("WWW-Authenticate", value)])
    }

    private func isFresh(_ nonce: String, now: ContinuousClock.Instant) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let issued = nonces[nonce] else { return false }
        return now - issued < .seconds(Registrar.nonceSeconds)
    }

    private func isLocked(_ source: String, now: ContinuousClock.Instant) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = failures[source] else { return false }
        return entry.count >= Registrar.maxFailures && now - entry.since < .seconds(Registrar.lockSeconds)
    }

    /// Counts a wrong answer; true once the source is locked out.
    private func fail(_ source: String, now: ContinuousClock.Instant) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        var entry = failures[source] ?? (0, now)
        if now - entry.since >= .seconds(Registrar.lockSeconds) { entry = (0, now) }
        entry.count += 1
        failures[source] = entry
        return entry.count >= Registrar.maxFailures
    }

    private func succeed(_ source: String) {
        lock.lock()
        failures[source] = nil
        lock.unlock()
    }

    private func secureToken() throws -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard getentropy(&bytes, bytes.count) == 0 else { throw POSIXError(.EIO) }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// The registrar the digest lookup reads (one per process, like the edge module's state).
nonisolated(unsafe) var activeRegistrar: Registrar?

/// PJSIP's credential lookup for the registrar: the agent's HA1 from memory, never the store.
private let registrarLookup: @convention(c) (
    UnsafeMutablePointer<pj_pool_t>?, UnsafePointer<pj_str_t>?, UnsafePointer<pj_str_t>?, UnsafeMutablePointer<pjsip_cred_info>?
) -> pj_status_t = { pool, realm, name, info in
    guard let pool, let realm, let name, let info, let registrar = activeRegistrar,
          let ha1 = registrar.ha1(of: String(pjString: name.pointee))
    else { return pj_status_t(PJ_ENOTFOUND_VALUE) }
    pj_strdup(pool, &info.pointee.realm, realm)
    pj_strdup(pool, &info.pointee.username, name)
    info.pointee.data_type = Int32(PJSIP_CRED_DATA_DIGEST.rawValue)
    pj_strdup2(pool, &info.pointee.data, ha1)
    return pjSuccess
}

/// PJ_ENOTFOUND (PJ_ERRNO_START_STATUS + 6): the macro is not imported.
private let PJ_ENOTFOUND_VALUE = 70006

/// The user part of a REGISTER's To URI (the address of record), nil when it has none.
private func aorUser(_ uri: UnsafeMutablePointer<pjsip_uri>?) -> String? {
    guard let text = printURI(uri), text.lowercased().hasPrefix("sip:") || text.lowercased().hasPrefix("sips:"),
          text.contains("@") else { return nil }
    let user = QueueMember.name(ofURI: text)
    return user.isEmpty ? nil : user
}

/// A URI as text without its display name or angle brackets.
private func printURI(_ uri: UnsafeMutablePointer<pjsip_uri>?) -> String? {
    guard let uri, let inner = pjsip_uri_get_uri(uri) else { return nil }
    var buffer = [CChar](repeating: 0, count: 512)
    let length = pjsip_uri_print(PJSIP_URI_IN_REQ_URI, inner, &buffer, buffer.count)
    guard length > 0 else { return nil }
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
