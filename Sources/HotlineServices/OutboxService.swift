import Foundation
import HotlineCore
import Gateway
import HotlineStore

/// Runs the outbox worker on its own queue and database connection, every `intervalSeconds`; used by `serve`
/// and by `outbox run`. Delivery never runs on the gateway's or PJSIP's threads.
public final class OutboxService: @unchecked Sendable {
    private let queue = DispatchQueue(label: "hotline1022.outbox")
    private var timer: DispatchSourceTimer?
    private let store: TicketStore
    private let worker: OutboxWorker
    private let logger: EventLogger
    private let interval: Int
    /// Where the delivery lock lives: beside the database, so one process at a time delivers (several
    /// gateways share a database; when the one delivering dies, the next round of another takes over).
    private let lockFolder: String

    public init(database: String, senders: [MessageSender], intervalSeconds: Int, reportWait: TimeInterval = 600,
                logger: EventLogger) throws {
        store = try TicketStore(path: database)
        let folder = TicketStore.defaultDataDirectory(for: database)
        lockFolder = folder.isEmpty ? "." : folder
        worker = OutboxWorker(store: store, senders: senders, reportWait: reportWait)
        self.logger = logger
        interval = intervalSeconds
    }

    /// Starts the timer (made here: a dispatch source released while never resumed traps).
    public func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + 1, repeating: .seconds(interval))
        timer.setEventHandler { [weak self] in self?.round() }
        timer.resume()
        self.timer = timer
    }

    /// True when this process is (or has just become) the one that delivers; false while another one is.
    /// On PostgreSQL the lock is the database's (an advisory lock), so it holds across hosts.
    public func mayDeliver() -> Bool {
        if store.isPostgres { return (try? store.holdLock(TicketStore.outboxLockKey)) == true }
        return FileLock.acquire(in: lockFolder, name: ".hotline1022-outbox.lock", exclusive: true)
    }

    /// One delivery round, logged when it did anything (counts only: recipients are personal data); nil when
    /// the round failed, or when another process delivers (`mayDeliver()` tells which).
    @discardableResult
    public func round() -> OutboxWorker.Round? {
        guard mayDeliver() else { return nil }
        do {
            let r = try worker.runOnce(now: Date())
            if !r.isEmpty {
                logger.log(r.failed > 0 ? .warning : .info, "outbox-round",
                           [("sent", "\(r.sent)"), ("retrying", "\(r.retrying)"), ("failed", "\(r.failed)"),
                            ("rerouted", "\(r.rerouted)"), ("unknown", "\(r.unknown)")])
            }
            return r
        } catch {
            logger.log(.error, "outbox-round-failed", [("error", "\(error)")])
            return nil
        }
    }

    public func stop() {
        timer?.cancel()
        queue.sync { try? store.close() }
    }
}

