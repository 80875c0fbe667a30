import Foundation
import HotlineCore

/// An IVR menu tree as administrators write it (`Dialplans/*.json`), checked when loaded, never during a call.
public struct Dialplan: Sendable, Equatable {
    /// Recorded on every ticket that came through this plan.
    public let version: String
    /// The first node of every call.
    public let start: NodeID
    /// Where `@top` goes (the main menu).
    public let top: NodeID
    public let nodes: [NodeID: Node]
    /// The unit names a status read-back may speak (`unit-<code>`, see `SpokenStatus.forwarded`). A unit
    /// prompt not listed here is left out of the read-back, so a call never asks for audio that was not preloaded.
    public let unitPrompts: [PromptName]

    public init(version: String, start: NodeID, top: NodeID, nodes: [NodeID: Node], unitPrompts: [PromptName] = []) {
        (self.version, self.start, self.top, self.nodes, self.unitPrompts) = (version, start, top, nodes, unitPrompts)
    }

    /// Every prompt a call on this plan may ask for: the nodes' prompts, the unit names and the read-back
    /// vocabulary (digits, numbers, date and status words). The gateway preloads exactly these.
    public var allPromptNames: Set<PromptName> {
        var names = Set(Readback.vocabulary).union(unitPrompts)
        for node in nodes.values { names.formUnion(node.prompts) }
        return names
    }
}

public typealias NodeID = String

/// Where a node leads: another node, or one of the navigation words.
public enum Target: Sendable, Equatable, Hashable, CustomStringConvertible {
    case node(NodeID)
    /// Back to where the last `submenu` was entered from (or the top if none).
    case back
    /// The main menu, forgetting the sub-menu stack.
    case top
    /// The menu this option belongs to, from its long greeting (menus only).
    case `repeat`

    init(_ text: String) {
        switch text {
        case "@back": self = .back
        case "@top": self = .top
        case "@repeat": self = .repeat
        default: self = .node(text)
        }
    }

    public var description: String {
        switch self {
        case .node(let id): id
        case .back: "@back"
        case .top: "@top"
        case .repeat: "@repeat"
        }
    }
}

/// A ticket field the caller sets by phone.
public enum FieldValue: Sendable, Equatable {
    case category(HotlineCore.Category)
    case confidential(Bool)
}

public enum StatusMode: String, Sendable, Equatable {
    /// The code the caller typed in the last `collect` node.
    case typed
    /// The newest ticket filed from the caller's number.
    case latest
}

/// One node of a dialplan. The vocabulary is closed: a type not listed here is a load error.
public struct Node: Sendable, Equatable {
    public let id: NodeID
    public let kind: Kind

    public enum Kind: Sendable, Equatable {
        /// Plays prompts, then goes on.
        case play(prompts: [PromptName], bargeIn: Bool, next: Target)
        /// Offers options by key; invalid keys and silence are counted, and too many lead to `fallback`.
        case menu(Menu)
        /// Collects up to `maxDigits` keys ended by `terminator` (a tracking code for a status lookup).
        case collect(Collect)
        /// Instructions, a beep, then the caller's voice until the terminator, silence or the length limit.
        case record(Record)
        /// Listen (1), record again (2) or send (3).
        case review(Review)
        case set(FieldValue, next: Target)
        /// Files the draft ticket; `next` once stored, `failed` if the store refused it.
        case submit(next: Target, failed: Target)
        /// Reads the tracking code of the submitted draft back digit by digit.
        case sayCode(before: [PromptName], after: [PromptName], next: Target)
        /// Reads back, digit by digit, the keys the caller typed in the last `collect` node.
        case sayDigits(before: [PromptName], after: [PromptName], next: Target)
        /// Looks a ticket up and speaks its status (no personal data).
        case status(mode: StatusMode, next: Target)
        /// After a status lookup that found a completed ticket: offers a rating, keys 1–5 (Art. 8.5b), stores it
        /// and thanks the caller. Any other lookup (or none) goes straight on to `next`.
        case rate(Rate)
        case officeHours(open: Target, closed: Target)
        case transfer(uri: String, prompts: [PromptName], failed: Target)
        /// Waits in the hotline's live queue for an agent (issue 23): position, hold audio, key 1 to record a
        /// voice report, key 2 for a callback; `overflow` when nobody answers in time or nobody is logged in.
        case queue(Queue)
        case goto(Target)
        /// Enters `target`; a later `@back` returns to `returnTo`.
        case submenu(target: Target, returnTo: Target)
        case hangup(prompts: [PromptName])
    }

    public struct Menu: Sendable, Equatable {
        public let greetLong: [PromptName]
        public let greetShort: [PromptName]
        public let options: [Character: Target]
        public let invalid: [PromptName]
        public let timeoutPrompt: [PromptName]
        public let timeoutSeconds: Int
        public let maxFailures: Int
        public let maxTimeouts: Int
        public let fallback: Target
    }

    public struct Collect: Sendable, Equatable {
        public let prompts: [PromptName]
        public let maxDigits: Int
        public let terminator: Character
        public let timeoutSeconds: Int
        public let interDigitSeconds: Int
        public let next: Target
        public let timeout: Target
    }

    public struct Record: Sendable, Equatable {
        public let prompts: [PromptName]
        public let beep: Bool
        public let maxSeconds: Int
        public let silenceSeconds: Int
        public let minSeconds: Int
        public let terminator: Character
        public let next: Target
        /// Where a recording shorter than `minSeconds` leads (it is discarded); nil keeps it.
        public let tooShort: Target?
    }

    public struct Rate: Sendable, Equatable {
        /// The offer ("bấm từ một đến năm").
        public let prompts: [PromptName]
        public let invalid: [PromptName]
        /// Said after a rating, stored or refused as a second one.
        public let thanks: [PromptName]
        /// Silence this long after the offer goes on without a rating.
        public let timeoutSeconds: Int
        /// Wrong keys (not 1–5) before going on without a rating.
        public let maxFailures: Int
        public let next: Target
    }

    public struct Queue: Sendable, Equatable {
        /// Said on entry, before the position (e.g. which keys do what).
        public let prompts: [PromptName]
        /// Played in a loop between announcements (hold music, a replaceable WAV).
        public let hold: [PromptName]
        public let settings: QueueSettings
        /// Key 1: leave the queue to record a voice report.
        public let record: Target
        /// Key 2, confirmed: a callback is asked for, then this node (thanks, hang-up); nil offers no callback.
        public let callback: Target?
        /// Nobody answered within the maximum wait, or nobody is logged in.
        public let overflow: Target
    }

    public struct Review: Sendable, Equatable {
        public let prompts: [PromptName]
        public let invalid: [PromptName]
        public let timeoutSeconds: Int
        public let maxTimeouts: Int
        /// The record node a re-record goes back to.
        public let record: NodeID
        public let next: Target
    }

    /// Every prompt this node can play.
    public var prompts: [PromptName] {
        switch kind {
        case .play(let p, _, _): p
        case .menu(let m): m.greetLong + m.greetShort + m.invalid + m.timeoutPrompt
        case .collect(let c): c.prompts
        case .record(let r): r.prompts + (r.beep ? [Readback.beep] : [])
        case .review(let r): r.prompts + r.invalid
        case .rate(let r): r.prompts + r.invalid + r.thanks
        case .sayCode(let b, let a, _), .sayDigits(let b, let a, _): b + a
        case .transfer(_, let p, _): p
        case .queue(let q): q.prompts + q.hold + QueueSpeech.vocabulary
        case .hangup(let p): p
        case .set, .submit, .status, .officeHours, .goto, .submenu: []
        }
    }

    /// Every target this node can lead to.
    public var targets: [Target] {
        switch kind {
        case .play(_, _, let next): [next]
        case .menu(let m): Array(m.options.values) + [m.fallback]
        case .collect(let c): [c.next, c.timeout]
        case .record(let r): [r.next] + (r.tooShort.map { [$0] } ?? [])
        case .review(let r): [.node(r.record), r.next]
        case .set(_, let next): [next]
        case .submit(let next, let failed): [next, failed]
        case .sayCode(_, _, let next), .sayDigits(_, _, let next): [next]
        case .status(_, let next): [next]
        case .rate(let r): [r.next]
        case .officeHours(let open, let closed): [open, closed]
        case .transfer(_, _, let failed): [failed]
        case .queue(let q): [q.record, q.overflow] + (q.callback.map { [$0] } ?? [])
        case .goto(let t): [t]
        case .submenu(let t, let r): [t, r]
        case .hangup: []
        }
    }

    /// True for nodes that wait for the caller (a loop through one of them is the caller's choice). A rate node
    /// waits only after a completed lookup, so it counts as automatic.
    var waitsForCaller: Bool {
        switch kind {
        case .menu, .collect, .record, .review, .queue: true
        default: false
        }
    }
}

/// The fixed words of the live queue: the position, the estimated wait, why the caller leaves it, the callback's
/// read-back of the calling number.
public enum QueueSpeech {
    public static let position: PromptName = "queue-position"
    public static let estimate: PromptName = "queue-estimate"
    public static let estimateLong: PromptName = "queue-estimate-long"
    public static let minute: PromptName = "word-minute"
    public static let noAgents: PromptName = "queue-no-agents"
    public static let overflow: PromptName = "queue-overflow"
    public static let callbackNumber: PromptName = "callback-number"
    public static let callbackConfirm: PromptName = "callback-confirm"
    public static let callbackNoNumber: PromptName = "callback-no-number"
    public static let vocabulary: [PromptName] = [
        position, estimate, estimateLong, minute, noAgents, overflow, callbackNumber, callbackConfirm, callbackNoNumber,
    ]
    /// Estimates longer than this are said as "more than 30 minutes".
    public static let longestSpokenMinutes = 30

    /// "Quý vị đang ở vị trí số N", and "thời gian chờ dự kiến khoảng M phút" when the queue has a sound figure.
    public static func announcement(position: Int, estimatedWait: Duration?) -> [PromptName] {
        var words = [QueueSpeech.position] + number(position)
        if let wait = estimatedWait {
            let minutes = Int((wait.components.seconds + 59) / 60)
            words += minutes > longestSpokenMinutes ? [estimateLong] : [estimate] + number(max(1, minutes)) + [minute]
        }
        return words
    }

    /// 1–31 as words (the read-back vocabulary has them); larger numbers digit by digit.
    static func number(_ n: Int) -> [PromptName] {
        (1...31).contains(n) ? [Readback.number(n)] : Readback.code(String(n))
    }
}

/// The fixed words the engine uses to read codes, dates and statuses back.
public enum Readback {
    public static let beep: PromptName = "beep"
    public static func digit(_ d: Character) -> PromptName { PromptName("digit-\(d)") }
    public static func number(_ n: Int) -> PromptName { PromptName("number-\(n)") }
    public static let statusPrompts: [PromptName] = [
        "status-not-found", "status-waiting", "status-forwarded", "status-in-progress", "status-completed",
        "status-refused", "status-withdrawn", "status-overdue", "word-day", "word-month", "word-year",
        "code-invalid",
    ]
    /// Said when the gateway could not write the recording (a full disk): what was saved goes on.
    public static let recordingFailed: PromptName = "recording-failed"
    /// Played by the gateway while a draft waits on a slow store (issue 17 §5): the caller is not left in silence.
    public static let stillStoring: PromptName = "still-storing"
    /// What a citizen hears first when the hotline calls them back (issue 23 §5): who calls, that the call is recorded.
    public static let callbackGreeting: PromptName = "callback-greeting"
    public static let vocabulary: [PromptName] =
        [beep, recordingFailed, stillStoring, callbackGreeting] + (0...9).map { digit(Character(String($0))) } + (1...31).map(number) + statusPrompts

    /// A tracking code (or any typed keys) as prompts: each digit 0–9; the dash, `*` and `#` skipped.
    public static func code(_ code: String) -> [PromptName] {
        code.filter { $0.isASCII && $0.isNumber }.map(digit)
    }

    public static func status(_ status: SpokenStatus) -> [PromptName] {
        func unit(_ p: PromptName?) -> [PromptName] { p.map { [$0] } ?? [] }
        switch status {
        case .notFound: return ["status-not-found"]
        case .waiting: return ["status-waiting"]
        case .forwarded(let u): return ["status-forwarded"] + unit(u)
        case .inProgress(let u): return ["status-in-progress"] + unit(u)
        case .completed(let y, let m, let d):
            return ["status-completed", "word-day", number(d), "word-month", number(m), "word-year"]
                + String(y).map(digit)
        case .refused: return ["status-refused"]
        case .withdrawn: return ["status-withdrawn"]
        case .overdue(let u): return ["status-overdue"] + unit(u)
        }
    }
}
