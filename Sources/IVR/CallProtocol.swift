import HotlineCore
// The contract between the pure IVR engine and whoever performs its actions (the PJSIP gateway, the
// terminal simulator, the tests). The engine never sleeps, never touches SIP, files or SQLite:
// events go in through `CallSession.handle(_:)`, actions come out, and the performer reports back.

/// The name of a prompt in the prompt library: `Prompts/vi/<name>.wav` with its text in `<name>.txt`.
public struct PromptName: Hashable, Sendable, Codable, RawRepresentable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}

/// Identifies one playback, so a late "finished" of an earlier playback is told apart.
public struct PlaybackID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "playback#\(rawValue)" }
}

/// Identifies one timer the engine asked for. The performer fires it once unless it was cancelled.
public struct TimerID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "timer#\(rawValue)" }
}

/// Identifies one recording of the call (a re-record makes a new one).
public struct RecordingID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "recording#\(rawValue)" }
}

/// What the performer knows when the call is answered.
public struct CallContext: Sendable, Equatable {
    /// The caller's number from the From header (digits and '+'), or "" if withheld.
    public var callerNumber: String
    /// True inside the hotline's office hours on a working day (from the domain core's calendar).
    public var isOfficeHours: Bool
    public init(callerNumber: String, isOfficeHours: Bool) {
        (self.callerNumber, self.isOfficeHours) = (callerNumber, isOfficeHours)
    }
}

/// Limits of one recording; the performer enforces them because they need the audio itself.
public struct RecordingLimits: Sendable, Equatable {
    /// Stop after this many seconds of audio.
    public var maxSeconds: Int
    /// Stop after this many seconds of continuous silence (0 = never).
    public var silenceSeconds: Int
    public init(maxSeconds: Int, silenceSeconds: Int) {
        (self.maxSeconds, self.silenceSeconds) = (maxSeconds, silenceSeconds)
    }
}

/// Why a recording ended.
public enum RecordingEnd: String, Sendable, Equatable {
    /// The engine asked (`stopRecording`), e.g. after the terminator key.
    case stopped
    /// The performer heard `silenceSeconds` of silence.
    case silence
    /// `maxSeconds` of audio were recorded.
    case maxDuration
    /// The caller hung up while recording: the recording is kept.
    case hangup
    /// The performer could not write the audio (disk full, I/O error); what was written is kept.
    case failed
}

public struct RecordingResult: Sendable, Equatable {
    public var id: RecordingID
    public var end: RecordingEnd
    /// Milliseconds of audio in the file.
    public var durationMs: Int
    public init(id: RecordingID, end: RecordingEnd, durationMs: Int) {
        (self.id, self.end, self.durationMs) = (id, end, durationMs)
    }
}

/// A ticket's status as it may be spoken to a caller: no personal data.
public enum SpokenStatus: Sendable, Equatable {
    case notFound
    /// Recorded, waiting for an agent.
    case waiting
    /// Received and forwarded to a unit; `unitPrompt` names the unit if a prompt for it exists.
    case forwarded(unitPrompt: PromptName?)
    case inProgress(unitPrompt: PromptName?)
    /// Completed on (year, month, day).
    case completed(year: Int, month: Int, day: Int)
    case refused
    case withdrawn
    /// Open and past its deadline.
    case overdue(unitPrompt: PromptName?)
}

public enum StatusQuery: Sendable, Equatable {
    /// A tracking code typed by the caller: `YYYYMMDD-NNNNNNN` (15 digits with the dash).
    case code(String)
    /// The newest ticket filed from the caller's own number.
    case latestForCaller
}

/// The draft ticket the engine asks the performer to submit to the domain core.
public struct DraftRequest: Sendable, Equatable {
    /// The category the caller chose (Art. 5), or nil when the caller never chose.
    public var category: HotlineCore.Category?
    /// The caller asked to keep their identity confidential; nil if never asked.
    public var confidential: Bool?
    /// The recording to attach (the last one kept), nil if there is none.
    public var recording: RecordingID?
    /// The caller hung up before the engine finished (the report is kept all the same).
    public var callerHungUp: Bool
    public init(category: HotlineCore.Category?, confidential: Bool?, recording: RecordingID?, callerHungUp: Bool) {
        (self.category, self.confidential, self.recording) = (category, confidential, recording)
        self.callerHungUp = callerHungUp
    }
}

/// Something that happened to the call, delivered to the engine in order, on one thread.
public enum CallEvent: Sendable, Equatable {
    /// The call is answered and media flows. Always the first event.
    case started(CallContext)
    /// A DTMF key: `0`–`9`, `*`, `#` (RFC 4733 or SIP INFO; the engine does not care which).
    case digit(Character)
    /// A playback ran to its end (not delivered for a playback that was stopped or replaced).
    case playbackFinished(PlaybackID)
    case timerFired(TimerID)
    /// A recording ended, by `stopRecording`, by its limits, by hang-up or by a write failure.
    case recordingFinished(RecordingResult)
    /// The draft was stored; `trackingCode` is `YYYYMMDD-NNNNNNN`.
    case draftSubmitted(trackingCode: String)
    /// The draft could not be stored (the performer keeps the recording and logs why).
    case draftFailed
    case statusFound(SpokenStatus)
    /// The performer tried to store the caller's rating: `accepted` false when the store refused it (the result
    /// was rated already, or the ticket is no longer completed). The caller is thanked either way.
    case ratingStored(accepted: Bool)
    /// A transfer ended: true if the agent answered and the call was handed over.
    case transferFinished(success: Bool)
    /// The live queue told the caller's place (on entry, when it improved, and every so often).
    case queuePosition(Int, estimatedWait: Duration?)
    /// An agent answered: the caller is bridged to them.
    case queueConnected
    /// The caller leaves the queue for the node's overflow.
    case queueOverflow(QueueOverflowReason)
    /// The caller hung up. After it, the engine emits only `submitDraft` (if a report is pending).
    /// If a recording was running, `recordingFinished(.hangup)` is delivered first.
    case hangup
}

/// Something the performer must do. Performed in order.
public enum CallAction: Sendable, Equatable {
    /// Play the prompts one after another as one playback, replacing any playback in progress.
    /// `bargeIn`: a key pressed during it stops it (the engine emits `stopPlayback` itself).
    case play(PlaybackID, [PromptName], bargeIn: Bool)
    case stopPlayback
    case startTimer(TimerID, after: Duration)
    case cancelTimer(TimerID)
    /// Start recording the caller (the beep, if any, was a prompt played before).
    case startRecording(RecordingID, RecordingLimits)
    /// Stop the running recording; the performer answers with `recordingFinished(.stopped)`.
    case stopRecording
    /// Forget a recording the caller chose to re-record (the performer deletes its file).
    case discardRecording(RecordingID)
    /// Play a finished recording back to the caller (review → listen); ends with `playbackFinished`.
    case playRecording(PlaybackID, RecordingID, bargeIn: Bool)
    case submitDraft(DraftRequest)
    case lookupStatus(StatusQuery)
    /// Store the caller's satisfaction (1–5) with the completed ticket the last lookup found, by the same query
    /// (Art. 8.5b); answered with `ratingStored`.
    case rateTicket(StatusQuery, score: Int)
    /// Blind-transfer the caller to a SIP URI (an agent); answered with `transferFinished`.
    case transfer(uri: String)
    /// Put the caller in the live queue with these settings; answered with `queuePosition`, then
    /// `queueConnected` or `queueOverflow`.
    case joinQueue(QueueSettings)
    /// The caller leaves the queue by a key or a confirmed callback (a hang-up the performer sees itself).
    case leaveQueue(QueueLeaving)
    /// End the call. No event follows but a possible `hangup`.
    case hangup
}
