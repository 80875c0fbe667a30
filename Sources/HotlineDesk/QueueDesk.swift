import Foundation
import HotlineCore
import HotlineStore

/// The live queue's figures (issue 23 §7): `queue stats`, the wallboard and `/metrics` read the same.
public struct QueueStats: Sendable, Equatable, Codable {
    public struct Agents: Sendable, Equatable, Codable {
        public var ready = 0, `break` = 0, wrapUp = 0, ringing = 0, onCall = 0, offline = 0
    }
    public var waiting: Int
    public var longestWaitSeconds: Int
    public var agents: Agents
    public var offered: Int
    public var answered: Int
    public var abandoned: Int
    /// Answered within 20 s ÷ answered (nil before the first answer).
    public var serviceLevel: Double?
    /// The same with abandoned calls (after 5 s) counted.
    public var serviceLevelWithAbandoned: Double?
    public var asaSeconds: Double?
    public var abandonmentRate: Double?
    public var callbacksDue: Int
    /// Each agent's state now, from the gateways' live state.
    public var agentStates: [QueueSnapshot.Agent]
    /// The gateway hosts whose live state is fresh.
    public var hosts: [String]
}

/// One line of `queue log`.
public struct QueueLogLine: Sendable, Equatable, Codable {
    public var at: Date
    public var record: QueueRecord
}

extension Desk {
    /// A host's live state older than this is a host that stopped: its callers and agents are not counted.
    static let queueStateFreshSeconds: TimeInterval = 10

    /// The queue log from `since` on, oldest first: for the hotline and administrators.
    public func queueLog(since: Date, as user: User) throws -> [QueueLogLine] {
        try check(user, .oversee)
        return try store.queueRecords(since: since).map { QueueLogLine(at: $0.at, record: $0.record) }
    }

    /// Today's figures (Vietnam's day) from the log, with who waits and each agent's state now.
    public func queueStats(as user: User) throws -> QueueStats {
        try check(user, .oversee)
        let now = self.now()
        let today = VietnamTime(now)
        let midnight = Day(today.year, today.month, today.day).at(minutes: 0)
        let records = try store.queueRecords(since: midnight)
        let figures = QueueFigures(records: records.map(\.record))
        let fresh = try store.queueSnapshots().filter { now.timeIntervalSince($0.at) <= Desk.queueStateFreshSeconds }
        var agents = QueueStats.Agents()
        var states: [QueueSnapshot.Agent] = []
        for snapshot in fresh {
            for agent in snapshot.agents where !states.contains(where: { $0.name == agent.name }) {
                states.append(agent)
                switch agent.state {
                case "ready": agents.ready += 1
                case "break": agents.break += 1
                case "wrapUp": agents.wrapUp += 1
                case "ringing": agents.ringing += 1
                case "onCall": agents.onCall += 1
                default: agents.offline += 1
                }
            }
        }
        let callbacks = QueueCallback.items(records).filter { !$0.isDone }
        return QueueStats(waiting: fresh.reduce(0) { $0 + $1.waiting },
                          longestWaitSeconds: fresh.map(\.longestWaitSeconds).max() ?? 0, agents: agents,
                          offered: figures.offered, answered: figures.answered, abandoned: figures.abandoned,
                          serviceLevel: figures.serviceLevel, serviceLevelWithAbandoned: figures.serviceLevelWithAbandoned,
                          asaSeconds: figures.asaSeconds, abandonmentRate: figures.abandonmentRate,
                          callbacksDue: callbacks.count, agentStates: states, hosts: fresh.map(\.host))
    }
}
