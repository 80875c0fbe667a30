import Foundation
import HotlineCore
import IVR

/// What reaches the owner thread: from PJSIP's callbacks (keyed by pjsua call id), from the media clock,
/// the recording writer and the report desk (keyed by the channel serial), and from the process.
enum GatewayEvent: Sendable {
    case incoming(pjCall: Int32, IncomingCall)
    case disconnected(pjCall: Int32, statusCode: Int)
    case confirmed(pjCall: Int32)
    case mediaActive(pjCall: Int32)
    /// PJSIP created the call's audio stream; the event carries a reference on its port (released by the owner
    /// if no IVR takes it).
    case streamCreated(pjCall: Int32, StreamPortReference)
    case digit(pjCall: Int32, Character, viaInfo: Bool)
    case playbackFinished(serial: UInt64, PlaybackID)
    case recordingLimit(serial: UInt64, RecordingID, RecordingEnd)
    case recordingFailed(serial: UInt64, RecordingID, reason: String)
    case recordingLoaded(serial: UInt64, PlaybackID, PCM?)
    case draftStored(serial: UInt64, Result<String, ReportDeskError>)
    /// A draft still waits on the desk `Gateway.holdPromptDelay` after it was handed over (issue 17 §5).
    case draftSlow(serial: UInt64)
    case statusFound(serial: UInt64, SpokenStatus)
    case ratingStored(serial: UInt64, accepted: Bool)
    case replacePlan(CallPlan)
    /// The trunk registration answered (or failed: code 0 or ≥ 300).
    case registration(code: Int, expires: Int, reason: String)
    case shutdown(drainSeconds: Int)
    /// The edge refused a message (code 0: dropped without an answer).
    case refused(reason: String, code: Int, source: String, sipCallID: String, bytes: Int)
    /// An agent's phones registered or went away: the contacts held now (empty: none).
    case agentContacts(agent: String, contacts: [String], source: String)
    /// The registrar refused an agent's REGISTER (wrong password, unknown user, throttled).
    case agentRegisterRefused(agent: String, source: String, reason: String)
    /// The agents' phones and the states they asked for, as the store has them now (nil: the read failed).
    case agentPhones([AgentPhone]?)
    /// Supervisors' listen-in requests not taken up yet (issue 23 §6).
    case listenRequests([ListenRequest])
    /// This host took a request up (false: another host had): ring the supervisor for the caller `serial`.
    case listenRequestTaken(ListenRequest, serial: UInt64, taken: Bool)
    /// Agents' "Gọi lại" requests not taken up yet (issue 23 §5).
    case callbackRequests([CallbackRequest])
    /// This host took the request up (false: another host had): ring the agent, then the citizen.
    case callbackRequestTaken(CallbackRequest, taken: Bool)
}

/// What the INVITE callback copies out of PJSIP before handing the call to the owner.
struct IncomingCall: Sendable {
    let sipCallID: String
    /// The caller's From tag: with the Call-ID it names the dialog (two INVITEs may share a Call-ID).
    let fromTag: String
    let callerNumber: String
    let source: String
}

/// The owner thread's time (issue 23 §9): a monotonic clock, so an NTP step of the wall clock neither fires nor
/// stalls a timer, a ring, a drain or a call's limits. Wall-clock `Date`s remain for what people read and what is
/// stored (a call's start, a snapshot's time).
typealias OwnerInstant = ContinuousClock.Instant

extension ContinuousClock.Instant {
    /// `seconds` from now.
    static func after(_ seconds: TimeInterval) -> Self { .now + .seconds(seconds) }
    /// Seconds from `earlier` to this instant.
    func seconds(since earlier: Self) -> TimeInterval { (self - earlier).timeInterval }
}

/// A FIFO of events with one consumer (the owner thread) and many producers. Producers never block for
/// longer than an append. The consumer's wait is timed on the monotonic clock (a semaphore's `DispatchTime`):
/// a condition's `wait(until: Date)` would sleep on through a wall clock set back.
final class EventQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let wakeUp = DispatchSemaphore(value: 0)
    private var items: [GatewayEvent] = []

    func post(_ event: GatewayEvent) {
        lock.lock()
        items.append(event)
        lock.unlock()
        wakeUp.signal()
    }

    /// Everything queued, waiting until `deadline` if nothing is.
    func take(waitingUntil deadline: OwnerInstant) -> [GatewayEvent] {
        while true {
            lock.lock()
            if !items.isEmpty {
                let taken = items
                items.removeAll(keepingCapacity: true)
                lock.unlock()
                // Wake-ups counted for events just taken would only spin the loop once each: let them go.
                while wakeUp.wait(timeout: .now()) == .success {}
                return taken
            }
            lock.unlock()
            let left = deadline.seconds(since: .now)
            guard left > 0 else { return [] }
            _ = wakeUp.wait(timeout: .now() + left)
        }
    }
}

/// The owner's timers, ordered by deadline. Owner-thread only.
struct TimerTable {
    private struct Entry {
        let deadline: OwnerInstant
        let serial: UInt64
        let id: TimerID
    }
    private var entries: [Entry] = []

    var nextDeadline: OwnerInstant? { entries.first?.deadline }

    mutating func add(serial: UInt64, _ id: TimerID, at deadline: OwnerInstant) {
        let entry = Entry(deadline: deadline, serial: serial, id: id)
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].deadline <= deadline { low = mid + 1 } else { high = mid }
        }
        entries.insert(entry, at: low)
    }

    mutating func cancel(serial: UInt64, _ id: TimerID) {
        entries.removeAll { $0.serial == serial && $0.id == id }
    }

    mutating func cancelAll(serial: UInt64) {
        entries.removeAll { $0.serial == serial }
    }

    /// Removes and returns the timers due at `now`, earliest first.
    mutating func due(at now: OwnerInstant) -> [(serial: UInt64, id: TimerID)] {
        var fired: [(UInt64, TimerID)] = []
        while let first = entries.first, first.deadline <= now {
            fired.append((first.serial, first.id))
            entries.removeFirst()
        }
        return fired
    }
}
