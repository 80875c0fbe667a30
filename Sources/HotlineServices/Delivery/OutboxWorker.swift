import Foundation
import HotlineCore
import HotlineStore

/// Delivers due messages through the configured senders, in order, with retries and back-off. One worker per
/// database; `runOnce` is one round, so a service calls it on a timer and a test calls it with the clock it wants.
///
/// - A sender that takes a message marks it sent; if its carrier reports, the report is awaited `reportWait`
///   (10 minutes): without one, the message is "unknown" and goes out once more through the next sender.
/// - A sender that refuses it (a landline, no Zalo account, quota) hands it to the next sender at once; the
///   last refusal fails it.
/// - A transient error retries the same sender after the policy's back-off; after the last, it fails.
public final class OutboxWorker: @unchecked Sendable {
    public struct Round: Equatable, Sendable {
        public var sent = 0
        public var retrying = 0
        public var failed = 0
        /// Handed to the next sender after a refusal.
        public var rerouted = 0
        /// Reports overdue: retried through the next sender, or left unknown.
        public var unknown = 0
        public init(sent: Int = 0, retrying: Int = 0, failed: Int = 0, rerouted: Int = 0, unknown: Int = 0) {
            (self.sent, self.retrying, self.failed, self.rerouted, self.unknown) = (sent, retrying, failed, rerouted, unknown)
        }
        public var isEmpty: Bool { self == Round() }
    }

    private let store: TicketStore
    public let senders: [MessageSender]
    public let policy: RetryPolicy
    public let reportWait: TimeInterval

    public init(store: TicketStore, senders: [MessageSender], policy: RetryPolicy = RetryPolicy(), reportWait: TimeInterval = 600) {
        precondition(!senders.isEmpty, "at least one sender")
        (self.store, self.senders, self.policy, self.reportWait) = (store, senders, policy, reportWait)
    }

    public convenience init(store: TicketStore, sender: MessageSender, policy: RetryPolicy = RetryPolicy()) {
        self.init(store: store, senders: [sender], policy: policy)
    }

    @discardableResult
    public func runOnce(now: Date = Date()) throws -> Round {
        var round = Round()
        for message in try store.overdueReports(now: now) {
            // Retried once, by the next sender in the list (the same one when it is alone).
            let retry = message.unknownRetried ? nil : (message.route + 1) % senders.count
            try store.markUnknown(message.id, retryRoute: retry, at: now)
            round.unknown += 1
        }
        for message in try store.dueMessages(now: now) {
            var route = min(max(message.route, 0), senders.count - 1)
            while true {
                let sender = senders[route]
                let outcome: SendOutcome
                do {
                    outcome = try sender.send(message)
                } catch {
                    try store.markAttemptFailed(message.id, error: "\(sender.channel): \(error)", at: now, policy: policy,
                                                channel: sender.channel)
                    if message.attempts + 1 >= policy.maxAttempts { round.failed += 1 } else { round.retrying += 1 }
                    break
                }
                switch outcome {
                case .accepted(let reference, let awaitsReport):
                    try store.markSent(message.id, at: now, channel: sender.channel, carrierRef: reference,
                                       reportDueAt: awaitsReport ? now.addingTimeInterval(reportWait) : nil)
                    round.sent += 1
                case .refused(let code, let reason):
                    if route + 1 < senders.count {
                        route += 1
                        try store.markRerouted(message.id, route: route, channel: sender.channel,
                                               error: "\(sender.channel) [\(code)]: \(reason)", at: now)
                        round.rerouted += 1
                        continue
                    }
                    try store.markUndelivered(message.id, channel: sender.channel, code: code,
                                              error: "\(sender.channel) [\(code)]: \(reason)", at: now)
                    round.failed += 1
                }
                break
            }
        }
        return round
    }
}
