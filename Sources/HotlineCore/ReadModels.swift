import Foundation

// The desk's read models: what the store's queries return and the application layer and the console show.
// Plain values, defined in the core so that the console and the services read them without the store.

/// Where a message stands with the carrier.
public enum DeliveryState: String, Codable, Sendable, Equatable, CaseIterable {
    /// Not yet taken by any sender (waiting, or retrying after an error).
    case pending
    /// Taken by a sender; a delivery report is awaited if the sender gives one.
    case sent
    /// The carrier reports it reached the phone.
    case delivered
    /// The carrier reported a failure, or every sender refused it, or every retry failed.
    case failed
    /// The carrier gave up before it reached the phone (switched off too long).
    case expired
    /// No report came in time, even after the retry through the next sender.
    case unknown

    /// What the desk reads.
    public var label: String {
        switch self {
        case .pending: "chờ gửi"
        case .sent: "đã gửi, chờ báo cáo"
        case .delivered: "đã đến máy"
        case .failed: "THẤT BẠI"
        case .expired: "HẾT HẠN, không đến máy"
        case .unknown: "không rõ (không có báo cáo)"
        }
    }

    /// Whether the citizen may not have been told: the desk has to act.
    public var notTold: Bool { self == .failed || self == .expired || self == .unknown }
}

/// A message waiting in, or delivered from, the outbox.
public struct OutboxMessage: Codable, Sendable, Equatable {
    public var id: Int64
    public var trackingCode: String
    public var kind: NotificationKind
    public var recipient: String
    public var body: String
    public var createdAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var sentAt: Date?
    public var failedAt: Date?
    public var lastError: String?
    /// The values the text was made from (`code`, `unit`…): a ZNS template takes them as parameters.
    public var values: [String: String] = [:]
    /// The sender that took it last (`kannel`, `zns`, `webhook`, `log`).
    public var channel: String?
    /// The carrier's id for it (SMSC message id, ZNS msg_id).
    public var carrierRef: String?
    public var delivery: DeliveryState = .pending
    /// The carrier's status or error code, as it gave it.
    public var deliveryCode: String?
    public var reportedAt: Date?
    /// Index, in the configured list of senders, of the one to try next.
    public var route: Int = 0
    /// When a missing report makes the message "unknown".
    public var reportDueAt: Date?
    /// Whether it was already retried once after a missing report.
    public var unknownRetried = false
    /// When and by whom the citizen was told by other means (a call back) after a failed message.
    public var informedAt: Date?
    public var informedBy: String?
    /// Authenticates the carrier's report for this message; never listed or logged.
    public var reportToken = ""

    enum CodingKeys: String, CodingKey {
        case id, trackingCode, kind, recipient, body, createdAt, attempts, nextAttemptAt, sentAt, failedAt, lastError
        case values, channel, carrierRef, delivery, deliveryCode, reportedAt, route, reportDueAt, unknownRetried
        case informedAt, informedBy
    }

    public init(id: Int64, trackingCode: String, kind: NotificationKind, recipient: String, body: String,
                createdAt: Date, attempts: Int, nextAttemptAt: Date? = nil, sentAt: Date? = nil, failedAt: Date? = nil,
                lastError: String? = nil, values: [String: String] = [:], channel: String? = nil,
                carrierRef: String? = nil, delivery: DeliveryState = .pending, deliveryCode: String? = nil,
                reportedAt: Date? = nil, route: Int = 0, reportDueAt: Date? = nil, unknownRetried: Bool = false,
                informedAt: Date? = nil, informedBy: String? = nil, reportToken: String = "") {
        (self.id, self.trackingCode, self.kind) = (id, trackingCode, kind)
        (self.recipient, self.body, self.createdAt) = (recipient, body, createdAt)
        (self.attempts, self.nextAttemptAt, self.sentAt) = (attempts, nextAttemptAt, sentAt)
        (self.failedAt, self.lastError, self.values) = (failedAt, lastError, values)
        (self.channel, self.carrierRef, self.delivery) = (channel, carrierRef, delivery)
        (self.deliveryCode, self.reportedAt, self.route) = (deliveryCode, reportedAt, route)
        (self.reportDueAt, self.unknownRetried, self.informedAt) = (reportDueAt, unknownRetried, informedAt)
        (self.informedBy, self.reportToken) = (informedBy, reportToken)
    }
}

/// Which clock a case in the hotline's live queue runs against.
public enum QueueClock: String, Codable, Sendable, Equatable {
    /// A new report: 60 minutes to classify and forward (Art. 7.3).
    case classify
    /// A suggestion: 1 working day (Art. 8.3a).
    case suggestion
    /// A unit sent it back: the hotline's 60 minutes start again from the return (Art. 7.3).
    case returned
    /// Waiting for the City Office's guidance: 2 h in office hours, 4 h otherwise (Art. 7.4).
    case guidance
    /// The acknowledgement never reached the citizen (failed, expired, unknown, a landline): someone must call
    /// them back with the tracking code (Art. 7.1b).
    case citizenNotTold

    public var article: String {
        switch self {
        case .classify, .returned: "Art. 7.3"
        case .suggestion: "Art. 8.3a"
        case .guidance: "Art. 7.4"
        case .citizenNotTold: "Art. 7.1b"
        }
    }
}

/// A case in the hotline's live queue: what the console lists, with every clock it runs against and who holds it.
public struct HotlineQueueItem: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var status: TicketStatus
    public var clock: QueueClock
    public var channel: Channel
    public var category: Category?
    public var topic: Topic?
    public var confidential: Bool
    public var summary: String
    public var callerNumber: String
    public var ward: String
    public var unitCode: String?
    public var receivedAt: Date
    /// The deadline of the clock above.
    public var dueAt: Date?
    /// The unit's deadline to answer, once a unit has had the case (returned cases).
    public var responseDueAt: Date?
    public var recordingDurationMs: Int?
    public var interrupted: Bool
    public var claimedBy: String?
    public var claimedUntil: Date?
    /// The first 200 characters of the content: what a report typed by a citizen (web page, app) says before
    /// an agent writes its summary.
    public var contentStart: String = ""

    public init(trackingCode: String, status: TicketStatus, clock: QueueClock, channel: Channel,
                category: Category? = nil, topic: Topic? = nil, confidential: Bool, summary: String,
                callerNumber: String, ward: String, unitCode: String? = nil, receivedAt: Date, dueAt: Date? = nil,
                responseDueAt: Date? = nil, recordingDurationMs: Int? = nil, interrupted: Bool,
                claimedBy: String? = nil, claimedUntil: Date? = nil, contentStart: String = "") {
        (self.trackingCode, self.status, self.clock) = (trackingCode, status, clock)
        (self.channel, self.category, self.topic) = (channel, category, topic)
        (self.confidential, self.summary, self.callerNumber) = (confidential, summary, callerNumber)
        (self.ward, self.unitCode, self.receivedAt) = (ward, unitCode, receivedAt)
        (self.dueAt, self.responseDueAt, self.recordingDurationMs) = (dueAt, responseDueAt, recordingDurationMs)
        (self.interrupted, self.claimedBy, self.claimedUntil) = (interrupted, claimedBy, claimedUntil)
        self.contentStart = contentStart
    }
}

/// What changed in the store since a poll: the newest ticket and the newest audit line (every step, claim and
/// release writes one), so a watcher can tell "a new case" from "something in the queue moved"; and the newest
/// line of the live queue's log (an abandoned caller, a callback asked for or tried: the callback list moved).
public struct StoreChangeStamp: Sendable, Equatable {
    public var newestTicketID: Int64
    public var newestAuditID: Int64
    public var newestQueueLogID: Int64
    public init(newestTicketID: Int64, newestAuditID: Int64, newestQueueLogID: Int64 = 0) {
        (self.newestTicketID, self.newestAuditID, self.newestQueueLogID) = (newestTicketID, newestAuditID, newestQueueLogID)
    }
}

/// An earlier ticket from the same phone number, as the agent sees it.
public struct CallerTicket: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var status: TicketStatus
    public var category: Category?
    public var summary: String
    public var receivedAt: Date
    /// The reporter asked for confidentiality (Art. 10): the screen pop marks it as the lists do.
    public var confidential: Bool
    /// Its response deadline, while open.
    public var responseDueAt: Date?

    public init(trackingCode: String, status: TicketStatus, category: Category? = nil, summary: String,
                receivedAt: Date, confidential: Bool = false, responseDueAt: Date? = nil) {
        (self.trackingCode, self.status, self.category) = (trackingCode, status, category)
        (self.summary, self.receivedAt) = (summary, receivedAt)
        (self.confidential, self.responseDueAt) = (confidential, responseDueAt)
    }
}

/// A ticket in a unit's inbox, or in the hotline's review or watch lists.
public struct WorkItem: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var status: TicketStatus
    public var category: Category?
    public var summary: String
    public var ward: String
    public var unitCode: String?
    public var receivedAt: Date
    /// The deadline of the current step.
    public var dueAt: Date?
    /// The unit's deadline to answer (or the committed date of an extension).
    public var responseDueAt: Date?
    public var resolvedAt: Date?
    public var evidenceCount: Int
    public var awaitingGuidance: Bool
    public var confidential: Bool

    public init(trackingCode: String, status: TicketStatus, category: Category? = nil, summary: String, ward: String,
                unitCode: String? = nil, receivedAt: Date, dueAt: Date? = nil, responseDueAt: Date? = nil,
                resolvedAt: Date? = nil, evidenceCount: Int, awaitingGuidance: Bool, confidential: Bool) {
        (self.trackingCode, self.status, self.category) = (trackingCode, status, category)
        (self.summary, self.ward, self.unitCode) = (summary, ward, unitCode)
        (self.receivedAt, self.dueAt, self.responseDueAt) = (receivedAt, dueAt, responseDueAt)
        (self.resolvedAt, self.evidenceCount, self.awaitingGuidance) = (resolvedAt, evidenceCount, awaitingGuidance)
        self.confidential = confidential
    }
}

/// A client of the Open311 API (the city's app): its name and when it was last used; never its key.
public struct APIClient: Codable, Sendable, Equatable {
    public var name: String
    public var active: Bool
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(name: String, active: Bool, createdAt: Date, lastUsedAt: Date? = nil) {
        (self.name, self.active, self.createdAt) = (name, active, createdAt)
        self.lastUsedAt = lastUsedAt
    }
}
