import Foundation
import HotlineCore
import Gateway
import HotlineServices
import Operations
import WebServer

/// The production side of `serve` (issue 16), kept apart from the call path: personal data at rest.
extension Server {
    /// Everything serve creates from here on is 0640 / 0750 (the store also narrows its own files explicitly).
    static func restrictNewFiles() { umask(DataModes.umask) }

    /// One warning per path of personal data that others may read (or the group may write): the data folder,
    /// the database with its WAL and SHM, evidence, recordings, backups and the messages log.
    func warnAboutWideModes() {
        let paths = DataModes.personalDataPaths(database: settings.database, recordings: settings.recordings,
                                                messagesLog: settings.delivery.effectiveSenders.contains("log") ? settings.delivery.messagesLog : nil)
        let findings = DataModes.audit(paths, depth: 2)
        for finding in findings.prefix(50) {
            logger.log(.warning, "data-mode-too-wide", [
                ("path", finding.path), ("mode", DataModes.octal(finding.mode)),
                ("allowed", DataModes.octal(finding.allowed)), ("fix", finding.fix),
            ])
        }
        if findings.count > 50 {
            logger.log(.warning, "data-mode-too-wide-more", [("paths", "\(findings.count - 50)")])
        }
    }
}

/// Metrics and health for `serve`: the gateway's metrics fed from its log events and the report desk, the
/// store's queues read at scrape time, SIP retransmissions counted by a PJSIP module, and a loopback-only
/// listener for `/metrics` and `/healthz` on `--metrics-port` (until the console's HTTP server carries them:
/// then call `OperationsRoutes.register(on:metrics:health:)` on its router instead).
final class ServeMonitoring: @unchecked Sendable {
    let metrics = GatewayMetrics()
    let health = Health()
    private let probe: StoreProbe
    private let draining = NSLock()
    private var isDraining = false
    private var listener: WebServer?

    init(database: String) {
        probe = StoreProbe(path: database)
        metrics.collect(from: probe) { SIPRetransmissions.count }
        health.add("store") { [probe] in probe.problem() }
        health.add("gateway") { [self] in
            draining.lock()
            defer { draining.unlock() }
            return isDraining ? "draining: not taking new calls" : nil
        }
    }

    /// The logger the gateway and the desk use: every event counted, then written by `inner`.
    func logger(wrapping inner: EventLogger) -> EventLogger { MeteredLogger(inner: inner, metrics: metrics) }

    /// After the gateway has started (on the same thread): the retransmission counter and the listener.
    func start(port: Int, logger: EventLogger) {
        do {
            try SIPRetransmissions.install()
        } catch {
            logger.log(.warning, "metrics-retransmissions-off", [("error", "\(error)")])
        }
        guard port > 0 else { return }
        do {
            listener = try OperationsRoutes.startListener(port: UInt16(port), metrics: metrics.registry, health: health,
                                                          logger: logger)
            logger.log(.info, "metrics-listening", [("url", "http://127.0.0.1:\(port)/metrics")])
        } catch {
            logger.log(.error, "metrics-off", [("port", "\(port)"), ("error", "\(error)"),
                                               ("effect", "calls are taken as usual; no /metrics or /healthz")])
        }
    }

    /// SIGTERM/SIGINT: `/healthz` answers 503 from now on.
    func markDraining() {
        draining.lock()
        isDraining = true
        draining.unlock()
    }

    func stop() {
        listener?.stop()
        listener = nil
        probe.close()
    }
}

/// Counts each gateway event in the metrics, then logs it (below the log level too: counting never depends on it).
struct MeteredLogger: EventLogger {
    let inner: EventLogger
    let metrics: GatewayMetrics

    func log(_ level: LogLevel, _ event: String, _ metadata: [(String, String)]) {
        metrics.observe(event: event, metadata: metadata)
        inner.log(level, event, metadata)
    }
}

// MARK: Several gateways on one host

extension Server {
    /// Makes sure no other live gateway uses this gateway's recordings folder: its start-up recovery would take
    /// that gateway's calls in progress for interrupted ones. A gateway without --instance holds the folder's
    /// lock exclusively; one with --instance shares the top folder's lock and holds `recordings/<instance>`'s
    /// alone. The kernel drops the locks when the process ends, however it ends (kill -9 included).
    func claimRecordingsFolder() throws {
        let root = settings.recordings
        if settings.instance.isEmpty {
            guard FileLock.acquire(in: root, exclusive: true) else {
                throw CommandFailure("another gateway is running on the recordings folder \(root); when several "
                                     + "gateways share it, start each with its own --instance NAME")
            }
        } else {
            guard FileLock.acquire(in: root, exclusive: false) else {
                throw CommandFailure("a gateway without --instance is running on \(root): give every gateway on "
                                     + "that folder an --instance NAME")
            }
            guard FileLock.acquire(in: settings.instanceRecordings, exclusive: true) else {
                throw CommandFailure("another gateway already runs as --instance \(settings.instance) on \(root)")
            }
        }
    }
}

