import Foundation
import protocol HotlineCore.EventLogger
import WebServer

/// Whether the process can do its job, for a load balancer or a supervisor: each check returns nil when it
/// is fine, or what is wrong (a short English phrase, logged and shown to the administrator).
public final class Health: @unchecked Sendable {
    private let lock = NSLock()
    private var checks: [(name: String, check: @Sendable () -> String?)] = []

    public init() {}

    public func add(_ name: String, _ check: @escaping @Sendable () -> String?) {
        lock.lock()
        checks.append((name, check))
        lock.unlock()
    }

    /// Every failing check as `name: problem`; empty when healthy.
    public func problems() -> [String] {
        lock.lock()
        let current = checks
        lock.unlock()
        return current.compactMap { entry in entry.check().map { "\(entry.name): \($0)" } }
    }
}

/// `/metrics` (Prometheus text format) and `/healthz` (200 `ok`, or 503 with one failing check a line).
/// Registered on whichever `Router` serves them: the console's, or the loopback-only listener `serve` starts
/// on `--metrics-port` when there is no console. Neither route needs a session: put them on a listener that
/// only the monitoring host can reach (loopback, or a management network).
public enum OperationsRoutes {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func register(on router: inout Router, metrics: Metrics, health: Health) {
        router.get("/metrics") { _ in
            .bytes(Array(metrics.render().utf8), contentType: contentType)
        }
        router.get("/healthz") { _ in
            let problems = health.problems()
            return problems.isEmpty ? .text("ok\n") : .text(problems.joined(separator: "\n") + "\n", status: 503)
        }
    }

    /// A loopback-only HTTP listener serving just these two routes. `port` 0 picks a free port (read it from
    /// the returned server's `port`).
    public static func startListener(port: UInt16, metrics: Metrics, health: Health,
                                     logger: EventLogger) throws -> WebServer {
        var router = Router()
        register(on: &router, metrics: metrics, health: health)
        let server = WebServer(configuration: WebServerConfiguration(address: "127.0.0.1", port: port, connectionLimit: 16,
                                                                     connectionTimeout: 30),
                               router: router, logger: logger)
        try server.start()
        return server
    }
}
