import DeskSecurity
import Foundation
import HotlineCore
import Synchronization
import HotlineDesk
import WebServer

/// How the console runs: where it listens, how sessions last, how passwords are hashed and sign-ins throttled.
public struct ConsoleConfiguration: Sendable {
    public var web: WebServerConfiguration
    public var sessionPolicy: SessionPolicy
    public var hasher: PasswordHasher
    public var throttle: SignInThrottle
    /// How often the store is asked for new cases and changes (an event reaches the browsers within this).
    public var pollInterval: TimeInterval
    /// At most this many desks (SQLite connections) serve requests at once; others wait for one.
    public var maxDesks: Int
    /// The live dialplan and its prompts, for the menu editor; nil: the editor says it is not configured.
    public var dialplan: DialplanSettings?
    /// The citizens' forms: a form is accepted this long after it was shown at the soonest (a person reads and
    /// types; a robot posts at once) and at the latest.
    public var publicFormMinimumAge: TimeInterval
    public var publicFormMaximumAge: TimeInterval
    /// Reports one address may file through the public form in an hour; lookups and ratings in a minute.
    public var citizenReportsPerHour: Int
    public var citizenLookupsPerMinute: Int
    /// Requests one Open311 client (or address, without a key) may make in a minute.
    public var apiRequestsPerMinute: Int

    public init(web: WebServerConfiguration = WebServerConfiguration(), sessionPolicy: SessionPolicy = SessionPolicy(),
                hasher: PasswordHasher = PasswordHasher(), throttle: SignInThrottle = SignInThrottle(),
                pollInterval: TimeInterval = 0.3, maxDesks: Int = 12, dialplan: DialplanSettings? = nil,
                publicFormMinimumAge: TimeInterval = 3, publicFormMaximumAge: TimeInterval = 4 * 3600,
                citizenReportsPerHour: Int = 10, citizenLookupsPerMinute: Int = 30, apiRequestsPerMinute: Int = 120) {
        (self.web, self.sessionPolicy, self.hasher, self.throttle) = (web, sessionPolicy, hasher, throttle)
        (self.pollInterval, self.maxDesks, self.dialplan) = (pollInterval, maxDesks, dialplan)
        (self.publicFormMinimumAge, self.publicFormMaximumAge) = (publicFormMinimumAge, publicFormMaximumAge)
        (self.citizenReportsPerHour, self.citizenLookupsPerMinute) = (citizenReportsPerHour, citizenLookupsPerMinute)
        self.apiRequestsPerMinute = apiRequestsPerMinute
    }
}

/// The agents' browser console: the web server, the sessions, the sign-in gate, the live-queue watcher.
/// Every page parses its request, calls the desk (`HotlineDesk`, which checks permissions) and renders the
/// result; no SQL and no permission decision here.
public final class Console: @unchecked Sendable {
    public let configuration: ConsoleConfiguration
    public let sessions: SessionTable
    public let events: EventBroadcaster
    /// The wallboard's streams, and who watches them.
    let wallboard = WallboardViewers()
    let gate: SignInGate
    let pool: DeskPool
    let guardian: SessionGuard
    let logger: EventLogger
    private var server: WebServer?
    private let watcherStop = NSCondition()
    private var watcherStopping = false
    private var watcherThread: Thread?
    private var watcherDone = DispatchSemaphore(value: 0)
    private let makeDesk: @Sendable () throws -> Desk
    /// The citizens' forms' signed tokens (the key lives in the data folder; set by `start`).
    var formSigner: FormTokenSigner!
    let citizenReports: RateLimiter
    let citizenLookups: RateLimiter
    let apiRequests: RateLimiter

    /// - Parameter makeDesk: opens a desk on the database (each has its own connection; the console keeps a few).
    public init(configuration: ConsoleConfiguration, makeDesk: @escaping @Sendable () throws -> Desk,
                logger: EventLogger = SilentLogger()) throws {
        self.configuration = configuration
        self.makeDesk = makeDesk
        self.logger = logger
        sessions = SessionTable(policy: configuration.sessionPolicy)
        events = EventBroadcaster(heartbeat: 15)
        gate = try SignInGate(throttle: configuration.throttle, hasher: configuration.hasher)
        let gate = gate
        pool = DeskPool(max: configuration.maxDesks) {
            let desk = try makeDesk()
            desk.signInGate = gate
            return desk
        }
        guardian = SessionGuard(sessions: sessions, signInPath: "/dang-nhap")
        citizenReports = RateLimiter(limit: configuration.citizenReportsPerHour, window: 3600)
        citizenLookups = RateLimiter(limit: configuration.citizenLookupsPerMinute, window: 60)
        apiRequests = RateLimiter(limit: configuration.apiRequestsPerMinute, window: 60)
    }

    /// The bound port (the chosen one when the configuration asked for port 0).
    public var port: UInt16 { server?.port ?? 0 }
    public var isSecure: Bool { configuration.web.tls != nil }

    /// Starts listening and watching the store. Throws `WebServerError` (Vietnamese) or the desk's error.
    public func start() throws {
        let watcherDesk = try makeDesk()
        do {
            // The key of the citizens' forms: made at first start, kept in the data folder (mode 0600).
            let key = try FormTokenSigner.loadOrCreateKey(at: (watcherDesk.dataDirectory as NSString).appendingPathComponent("web-form.key"))
            formSigner = FormTokenSigner(key: key, minimumAge: configuration.publicFormMinimumAge,
                                         maximumAge: configuration.publicFormMaximumAge)
        } catch {
            try? watcherDesk.store.close()
            throw error
        }
        let server = WebServer(configuration: configuration.web, router: routes(), logger: logger)
        do {
            try server.start()
        } catch {
            try? watcherDesk.store.close()
            throw error
        }
        self.server = server
        let thread = Thread { [weak self] in self?.watch(watcherDesk) }
        thread.name = "console-watcher"
        watcherThread = thread
        thread.start()
    }

    /// Stops the watcher, closes every event stream and connection, and the desks' databases.
    public func stop() {
        watcherStop.lock()
        let running = watcherThread != nil && !watcherStopping
        watcherStopping = true
        watcherStop.broadcast()
        watcherStop.unlock()
        if running { watcherDone.wait() }
        watcherThread = nil
        events.closeAll()
        wallboard.events.closeAll()
        server?.stop()
        server = nil
        pool.closeAll()
    }

    /// Polls the store's newest ticket and audit line; a new ticket is announced as `draft` (with its codes),
    /// any other change (a claim, a release, a step) as `queue`. Browsers then fetch the list again.
    private func watch(_ desk: Desk) {
        defer {
            try? desk.store.close()
            watcherDone.signal()
        }
        var last = (try? desk.changeStamp())
        var purge = Date()
        var wallboardSent = 0.0  // uptime, so a clock step neither floods nor stalls the board
        while true {
            watcherStop.lock()
            if !watcherStopping { _ = watcherStop.wait(until: Date(timeIntervalSinceNow: configuration.pollInterval)) }
            let stopping = watcherStopping
            watcherStop.unlock()
            if stopping { return }
            do {
                let stamp = try desk.changeStamp()
                defer { last = stamp }
                guard let before = last else { continue }
                if stamp.newestTicketID > before.newestTicketID {
                    let codes = try desk.newTrackingCodes(after: before.newestTicketID)
                    let json = "{\"codes\":[" + codes.map { "\"\(Self.jsonEscape($0))\"" }.joined(separator: ",") + "]}"
                    events.broadcast(ServerSentEvent(event: "draft", data: json, id: "\(stamp.newestTicketID).\(stamp.newestAuditID)"))
                } else if stamp.newestAuditID != before.newestAuditID {
                    events.broadcast(ServerSentEvent(event: "queue", data: "{}", id: "\(stamp.newestTicketID).\(stamp.newestAuditID)"))
                }
                if stamp.newestQueueLogID != before.newestQueueLogID {
                    // The callback list is derived from the queue log: its page fetches its rows again.
                    events.broadcast(ServerSentEvent(event: "callbacks", data: "{}", id: "\(stamp.newestTicketID).\(stamp.newestAuditID)"))
                }
            } catch {
                logger.log(.warning, "console-watcher-failed", [("error", "\(error)")])
            }
            let uptime = ProcessInfo.processInfo.systemUptime
            if uptime - wallboardSent >= Self.wallboardInterval {
                wallboardSent = uptime
                pushWallboard(desk)
            }
            if Date().timeIntervalSince(purge) > 60 {
                sessions.purgeExpired()
                purge = Date()
            }
        }
    }

    static func jsonEscape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "<": out += "\\u003c"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }
}

/// A few desks (one SQLite connection each) shared by the connection threads: a request borrows one for its
/// duration. The store is not thread-safe; a desk is used by one thread at a time.
final class DeskPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var idle: [Desk] = []
    private var created = 0
    private var all: [Desk] = []
    private let max: Int
    private let make: () throws -> Desk

    init(max: Int, make: @escaping () throws -> Desk) {
        self.max = Swift.max(1, max)
        self.make = make
    }

    func with<T>(_ body: (Desk) throws -> T) throws -> T {
        let desk = try borrow()
        defer { giveBack(desk) }
        desk.now = Date.init
        return try body(desk)
    }

    /// After an administrator changed the calendar or templates: every desk reads them again before its next step.
    func reloadContexts() {
        condition.lock()
        let desks = all
        condition.unlock()
        // A desk in use finishes its request with what it read; the flag is read when it is next borrowed.
        stale.withLock { $0 = Set(desks.map(ObjectIdentifier.init)) }
    }

    private let stale = Mutex<Set<ObjectIdentifier>>([])

    private func borrow() throws -> Desk {
        condition.lock()
        while idle.isEmpty && created >= max { condition.wait() }
        if let desk = idle.popLast() {
            condition.unlock()
            if stale.withLock({ $0.remove(ObjectIdentifier(desk)) != nil }) { desk.reloadContext() }
            return desk
        }
        created += 1
        condition.unlock()
        do {
            let desk = try make()
            condition.lock()
            all.append(desk)
            condition.unlock()
            return desk
        } catch {
            condition.lock()
            created -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func giveBack(_ desk: Desk) {
        condition.lock()
        idle.append(desk)
        condition.signal()
        condition.unlock()
    }

    func closeAll() {
        condition.lock()
        let desks = all
        all = []
        idle = []
        created = 0
        condition.unlock()
        for desk in desks { try? desk.store.close() }
    }
}
