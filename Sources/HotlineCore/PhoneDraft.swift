import Foundation

/// What the telephony gateway hands to the core when a caller has left a voice report.
public struct PhoneDraft: Sendable, Equatable {
    /// The SIP Call-ID, for correlating logs.
    public var callID: String
    /// The caller's number from the From header ("" when withheld).
    public var callerNumber: String
    /// nil when the caller never chose a category (the IVR's fallback): an agent classifies it.
    public var category: Category?
    public var confidential: Bool?
    public var receivedAt: Date
    /// The WAV file of the voice report, nil if the caller left none.
    public var recordingPath: String?
    public var recordingDurationMs: Int
    /// Lower-case hex SHA-256 of the WAV file.
    public var recordingSHA256: String?
    /// The version of the dialplan the call went through.
    public var dialplanVersion: String
    /// True when the call ended abnormally (hang-up mid-report, gateway crash recovered on restart).
    public var interrupted: Bool
    /// The share of the recording's RTP packets lost or discarded as late, rounded up (any loss is at least
    /// 1), 0–100; nil when not measured (a recording recovered after a crash).
    public var audioLossPercent: Int?

    public init(callID: String, callerNumber: String, category: Category?, confidential: Bool?,
                receivedAt: Date, recordingPath: String?, recordingDurationMs: Int,
                recordingSHA256: String?, dialplanVersion: String, interrupted: Bool, audioLossPercent: Int? = nil) {
        (self.callID, self.callerNumber, self.category) = (callID, callerNumber, category)
        (self.confidential, self.receivedAt, self.recordingPath) = (confidential, receivedAt, recordingPath)
        (self.recordingDurationMs, self.recordingSHA256) = (recordingDurationMs, recordingSHA256)
        (self.dialplanVersion, self.interrupted, self.audioLossPercent) = (dialplanVersion, interrupted, audioLossPercent)
    }
}

/// A draft waiting for an agent, as the agent queue lists it.
public struct QueuedDraft: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var callerNumber: String
    public var category: Category?
    public var confidential: Bool
    public var receivedAt: Date
    public var recordingPath: String?
    public var recordingDurationMs: Int
    public var recordingSHA256: String?
    public var interrupted: Bool
    /// See `PhoneDraft.audioLossPercent`.
    public var audioLossPercent: Int?
    /// `draft`, or `returned` when a unit sent it back to the hotline.
    public var status: TicketStatus
    /// The hotline's deadline (Art. 7.3: 60 minutes; a suggestion 1 working day).
    public var dueAt: Date?
    /// The agent holding a live claim on it, and until when.
    public var claimedBy: String?
    public var claimedUntil: Date?
    public init(trackingCode: String, callerNumber: String, category: Category?, confidential: Bool,
                receivedAt: Date, recordingPath: String?, recordingDurationMs: Int, recordingSHA256: String?,
                interrupted: Bool, status: TicketStatus = .draft, dueAt: Date? = nil, claimedBy: String? = nil,
                claimedUntil: Date? = nil, audioLossPercent: Int? = nil) {
        (self.status, self.dueAt, self.claimedBy, self.claimedUntil) = (status, dueAt, claimedBy, claimedUntil)
        (self.trackingCode, self.callerNumber, self.category) = (trackingCode, callerNumber, category)
        (self.confidential, self.receivedAt, self.recordingPath) = (confidential, receivedAt, recordingPath)
        (self.recordingDurationMs, self.recordingSHA256, self.audioLossPercent) = (recordingDurationMs, recordingSHA256, audioLossPercent)
        self.interrupted = interrupted
    }
}
