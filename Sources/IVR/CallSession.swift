import HotlineCore
/// One call's walk through a dialplan: a value-type state machine. Events go in, actions come out; time
/// comes only as `timerFired`, audio only as `playbackFinished`/`recordingFinished`. Nothing here sleeps,
/// touches SIP, files or SQLite, so tests drive it on virtual time.
public struct CallSession: Sendable {
    private let plan: Dialplan
    private var state: State = .notStarted
    private var context = CallContext(callerNumber: "", isOfficeHours: false)
    /// Where `@back` returns to, innermost last (sub-menus are an explicit stack, never recursion).
    private var returnStack: [Target] = []
    private var category: HotlineCore.Category?
    private var confidential: Bool?
    /// The recording that will go with the draft (the last one kept); nil once it was submitted. While the caller
    /// re-records, the earlier take stays here until the new one is safely written, so no hang-up loses it.
    private var keptRecording: RecordingID?
    /// The digits of the last `collect` node.
    private var collected = ""
    public private(set) var trackingCode: String?
    /// The last status lookup's query, while what it found is a completed ticket: what a `rate` node rates.
    private var completedLookup: StatusQuery?
    /// The query of the lookup in progress.
    private var pendingLookup: StatusQuery?
    private var lastID = 0
    /// Automatic steps taken for the current event; bounded so a plan can never spin (the validator already
    /// refuses loops without input).
    private var steps = 0
    static let maxAutomaticSteps = 64
    /// A re-recording shorter than this (a hang-up right after the beep) does not replace the earlier take.
    static let usableRecordingMs = 1000

    private enum State: Sendable, Equatable {
        case notStarted
        case playing(PlaybackID, bargeIn: Bool, then: After)
        case menu(NodeID, TimerID, Counts)
        case collecting(NodeID, TimerID, digits: String)
        case recording(NodeID, RecordingID)
        case review(NodeID, TimerID, Counts)
        case submitting(NodeID)
        case lookingUp(NodeID)
        case rateInput(NodeID, TimerID, failures: Int)
        case rating(NodeID)
        case transferring(NodeID)
        case queued(NodeID, QueueWait)
        case bridged
        case ended
    }

    /// What follows the playback in progress.
    private enum After: Sendable, Equatable {
        case go(Target)
        case menuInput(NodeID, Counts)
        case collectInput(NodeID, digits: String)
        case record(NodeID)
        case reviewInput(NodeID, Counts)
        case rateInput(NodeID, failures: Int)
        case hangup
    }

    /// What a caller in the live queue hears now.
    private struct QueueWait: Sendable, Equatable {
        /// The playback in progress: hold audio, the entry prompts, an announcement or the callback read-back.
        var playback: PlaybackID?
        var holding = false
        /// An announcement that came while the entry prompts or the read-back played: said after them.
        var pending: [PromptName]?
        /// Set while the caller confirms a callback (key 1 yes, anything else back to waiting).
        var confirming: TimerID?
    }

    /// The queue node the caller last waited in (an agent's lost leg brings them back to it).
    private var queueNode: NodeID?
    static let callbackConfirmSeconds = 10

    private struct Counts: Sendable, Equatable {
        var failures = 0
        var timeouts = 0
    }

    public init(plan: Dialplan) { self.plan = plan }

    /// The fields the caller has set so far (for logs and the simulator).
    public var draftFields: (category: HotlineCore.Category?, confidential: Bool?) { (category, confidential) }

    public mutating func handle(_ event: CallEvent) -> [CallAction] {
        steps = 0
        if case .hangup = event { return hangUp() }
        switch (state, event) {
        case (.notStarted, .started(let ctx)):
            context = ctx
            return enter(.node(plan.start))

        case (.playing(let id, _, let then), .playbackFinished(let finished)) where id == finished:
            return after(then)

        case (.playing(_, true, let then), .digit(let d)):
            return [.stopPlayback] + input(d, during: then)

        case (.menu(let node, let timer, let counts), .digit(let d)):
            return [.cancelTimer(timer)] + menuKey(node, counts, d)
        case (.menu(let node, let timer, var counts), .timerFired(let fired)) where fired == timer:
            counts.timeouts += 1
            guard let m = menu(node), counts.timeouts < m.maxTimeouts else { return enter(fallback(node)) }
            return play(m.timeoutPrompt + shortGreeting(m), bargeIn: true, then: .menuInput(node, counts))

        case (.collecting(let node, let timer, let digits), .digit(let d)):
            return [.cancelTimer(timer)] + collectKey(node, digits, d)
        case (.collecting(let node, let timer, let digits), .timerFired(let fired)) where fired == timer:
            guard case .collect(let c) = plan.nodes[node]?.kind else { return hangupNow() }
            if digits.isEmpty { return enter(c.timeout) }
            collected = digits
            return enter(c.next)

        case (.recording(let node, _), .digit(let d)):
            guard case .record(let r) = plan.nodes[node]?.kind, d == r.terminator else { return [] }
            return [.stopRecording]
        case (.recording(let node, let id), .recordingFinished(let result)) where result.id == id:
            return recorded(node, result)

        case (.review(let node, let timer, let counts), .digit(let d)):
            return [.cancelTimer(timer)] + reviewKey(node, counts, d)
        case (.review(let node, let timer, var counts), .timerFired(let fired)) where fired == timer:
            counts.timeouts += 1
            guard case .review(let r) = plan.nodes[node]?.kind else { return hangupNow() }
            // Silence never loses the report: after the last try it is sent as it is.
            if counts.timeouts >= r.maxTimeouts { return enter(r.next) }
            return play(r.prompts, bargeIn: true, then: .reviewInput(node, counts))

        case (.submitting(let node), .draftSubmitted(let code)):
            trackingCode = code
            guard case .submit(let next, _) = plan.nodes[node]?.kind else { return hangupNow() }
            return enter(next)
        case (.submitting(let node), .draftFailed):
            guard case .submit(_, let failed) = plan.nodes[node]?.kind else { return hangupNow() }
            return enter(failed)

        case (.lookingUp(let node), .statusFound(let status)):
            guard case .status(_, let next) = plan.nodes[node]?.kind else { return hangupNow() }
            if case .completed = status { completedLookup = pendingLookup } else { completedLookup = nil }
            pendingLookup = nil
            return play(Readback.status(speakable(status)), bargeIn: false, then: .go(next))

        case (.rateInput(let node, let timer, let failures), .digit(let d)):
            return [.cancelTimer(timer)] + rateKey(node, failures, d)
        case (.rateInput(let node, let timer, _), .timerFired(let fired)) where fired == timer:
            // A rating is the caller's choice: silence goes on without one.
            guard case .rate(let r) = plan.nodes[node]?.kind else { return hangupNow() }
            return enter(r.next)
        case (.rating(let node), .ratingStored):
            // Thanks either way: a second rating of the same result is refused by the store, not by the caller's ear.
            guard case .rate(let r) = plan.nodes[node]?.kind else { return hangupNow() }
            return play(r.thanks, bargeIn: true, then: .go(r.next))

        case (.transferring(let node), .transferFinished(let success)):
            if success {
                state = .bridged
                return [.stopPlayback]
            }
            guard case .transfer(_, _, let failed) = plan.nodes[node]?.kind else { return hangupNow() }
            return [.stopPlayback] + enter(failed)
        case (.transferring, .playbackFinished):
            return []

        case (.queued(let node, let wait), _):
            return queueEvent(node, wait, event)
        case (.bridged, .queuePosition(let position, let estimate)):
            // The agent's leg died: the caller is back at the front of the queue.
            guard let node = queueNode else { return [] }
            return queueEvent(node, QueueWait(), .queuePosition(position, estimatedWait: estimate))

        default:
            // Late or stale events (a timer already cancelled, a playback replaced) change nothing.
            return []
        }
    }

    // MARK: Moving between nodes

    private mutating func enter(_ target: Target) -> [CallAction] {
        steps += 1
        guard steps <= CallSession.maxAutomaticSteps else { return hangupNow() }
        let id: NodeID
        switch target {
        case .node(let n): id = n
        case .top:
            returnStack.removeAll()
            id = plan.top
        case .back:
            guard let back = returnStack.popLast() else { return enter(.top) }
            return enter(back)
        case .repeat:
            return enter(.top)
        }
        guard let node = plan.nodes[id] else { return hangupNow() }
        switch node.kind {
        case .play(let prompts, let bargeIn, let next):
            return play(prompts, bargeIn: bargeIn, then: .go(next))
        case .menu(let m):
            return play(m.greetLong, bargeIn: true, then: .menuInput(id, Counts()))
        case .collect(let c):
            collected = ""
            if c.prompts.isEmpty { return waitForDigits(id, digits: "") }
            return play(c.prompts, bargeIn: true, then: .collectInput(id, digits: ""))
        case .record(let r):
            let intro = r.prompts + (r.beep ? [Readback.beep] : [])
            if intro.isEmpty { return startRecording(id) }
            return play(intro, bargeIn: false, then: .record(id))
        case .review(let r):
            return play(r.prompts, bargeIn: true, then: .reviewInput(id, Counts()))
        case .set(let value, let next):
            switch value {
            case .category(let c): category = c
            case .confidential(let c): confidential = c
            }
            return enter(next)
        case .submit:
            state = .submitting(id)
            let draft = DraftRequest(category: category, confidential: confidential, recording: keptRecording,
                                     callerHungUp: false)
            // Handed over: a hang-up from now on must not file it a second time.
            keptRecording = nil
            return [.submitDraft(draft)]
        case .sayCode(let before, let after, let next):
            guard let code = trackingCode else { return enter(next) }
            return play(before + Readback.code(code) + after, bargeIn: false, then: .go(next))
        case .sayDigits(let before, let after, let next):
            let digits = Readback.code(collected)
            guard !digits.isEmpty else { return enter(next) }
            return play(before + digits + after, bargeIn: false, then: .go(next))
        case .status(let mode, let next):
            switch mode {
            case .latest:
                state = .lookingUp(id)
                completedLookup = nil
                pendingLookup = .latestForCaller
                return [.lookupStatus(.latestForCaller)]
            case .typed:
                completedLookup = nil
                guard let code = TrackingCode.fromKeypad(collected) else {
                    return play(["code-invalid"], bargeIn: false, then: .go(next))
                }
                state = .lookingUp(id)
                let query = StatusQuery.code(code)
                pendingLookup = query
                return [.lookupStatus(query)]
            }
        case .rate(let r):
            guard completedLookup != nil else { return enter(r.next) }
            return play(r.prompts, bargeIn: true, then: .rateInput(id, failures: 0))
        case .officeHours(let open, let closed):
            return enter(context.isOfficeHours ? open : closed)
        case .transfer(let uri, let prompts, _):
            state = .transferring(id)
            let hold: [CallAction] = prompts.isEmpty ? [] : [.play(nextPlayback(), prompts, bargeIn: false)]
            return hold + [.transfer(uri: uri)]
        case .queue(let q):
            queueNode = id
            var wait = QueueWait()
            let entry: [CallAction]
            if q.prompts.isEmpty {
                entry = []
            } else {
                let playback = nextPlayback()
                wait.playback = playback
                entry = [.play(playback, q.prompts, bargeIn: true)]
            }
            state = .queued(id, wait)
            return [.joinQueue(q.settings)] + entry
        case .goto(let target):
            return enter(target)
        case .submenu(let target, let returnTo):
            returnStack.append(returnTo)
            return enter(target)
        case .hangup(let prompts):
            if prompts.isEmpty { return hangupNow() }
            return play(prompts, bargeIn: false, then: .hangup)
        }
    }

    private mutating func after(_ then: After) -> [CallAction] {
        switch then {
        case .go(let target): return enter(target)
        case .menuInput(let node, let counts):
            guard let m = menu(node) else { return hangupNow() }
            let timer = nextTimer()
            state = .menu(node, timer, counts)
            return [.startTimer(timer, after: .seconds(m.timeoutSeconds))]
        case .collectInput(let node, let digits): return waitForDigits(node, digits: digits)
        case .record(let node): return startRecording(node)
        case .reviewInput(let node, let counts):
            guard case .review(let r) = plan.nodes[node]?.kind else { return hangupNow() }
            let timer = nextTimer()
            state = .review(node, timer, counts)
            return [.startTimer(timer, after: .seconds(r.timeoutSeconds))]
        case .rateInput(let node, let failures): return waitForRating(node, failures: failures)
        case .hangup: return hangupNow()
        }
    }

    /// A key pressed while a barge-in playback was playing.
    private mutating func input(_ d: Character, during then: After) -> [CallAction] {
        switch then {
        case .menuInput(let node, let counts): return menuKey(node, counts, d)
        case .collectInput(let node, let digits): return collectKey(node, digits, d)
        case .reviewInput(let node, let counts): return reviewKey(node, counts, d)
        case .rateInput(let node, let failures): return rateKey(node, failures, d)
        case .go(let target):
            // A key during an announcement skips it; a menu right after takes the key as its choice.
            if case .node(let id) = target, case .menu = plan.nodes[id]?.kind {
                return menuKey(id, Counts(), d)
            }
            return enter(target)
        case .record, .hangup:
            return []
        }
    }

    // MARK: Menus, digits, recordings

    private func menu(_ node: NodeID) -> Node.Menu? {
        if case .menu(let m) = plan.nodes[node]?.kind { return m }
        return nil
    }

    private func fallback(_ node: NodeID) -> Target { menu(node)?.fallback ?? .top }

    private func shortGreeting(_ m: Node.Menu) -> [PromptName] { m.greetShort.isEmpty ? m.greetLong : m.greetShort }

    private mutating func menuKey(_ node: NodeID, _ counts: Counts, _ d: Character) -> [CallAction] {
        guard let m = menu(node) else { return hangupNow() }
        if let target = m.options[d] {
            if target == .repeat { return play(m.greetLong, bargeIn: true, then: .menuInput(node, counts)) }
            return enter(target)
        }
        var counts = counts
        counts.failures += 1
        // Three wrong keys never drop the caller: the fallback (a plain recording) takes over.
        if counts.failures >= m.maxFailures { return enter(m.fallback) }
        return play(m.invalid + shortGreeting(m), bargeIn: true, then: .menuInput(node, counts))
    }

    private mutating func waitForDigits(_ node: NodeID, digits: String) -> [CallAction] {
        guard case .collect(let c) = plan.nodes[node]?.kind else { return hangupNow() }
        let timer = nextTimer()
        state = .collecting(node, timer, digits: digits)
        return [.startTimer(timer, after: .seconds(digits.isEmpty ? c.timeoutSeconds : c.interDigitSeconds))]
    }

    private mutating func collectKey(_ node: NodeID, _ digits: String, _ d: Character) -> [CallAction] {
        guard case .collect(let c) = plan.nodes[node]?.kind else { return hangupNow() }
        if d == c.terminator {
            collected = digits
            return enter(c.next)
        }
        let more = digits + String(d)
        if more.count >= c.maxDigits {
            collected = more
            return enter(c.next)
        }
        return waitForDigits(node, digits: more)
    }

    private mutating func startRecording(_ node: NodeID) -> [CallAction] {
        guard case .record(let r) = plan.nodes[node]?.kind else { return hangupNow() }
        let id = RecordingID(nextNumber())
        state = .recording(node, id)
        return [.startRecording(id, RecordingLimits(maxSeconds: r.maxSeconds, silenceSeconds: r.silenceSeconds))]
    }

    private mutating func recorded(_ node: NodeID, _ result: RecordingResult) -> [CallAction] {
        guard case .record(let r) = plan.nodes[node]?.kind else { return hangupNow() }
        if result.end == .hangup {
            // The caller is gone; `hangup` follows and files the draft with the take kept here.
            let discard = keep(result)
            state = .ended
            return discard
        }
        if result.end == .failed {
            // The disk refused the audio: apologise, and file what was written.
            let discard = keep(result)
            return discard + play([Readback.recordingFailed], bargeIn: false, then: .go(r.next))
        }
        if let tooShort = r.tooShort, result.durationMs < r.minSeconds * 1000 {
            // An earlier take, if any, stays kept.
            return [.discardRecording(result.id)] + enter(tooShort)
        }
        var discard: [CallAction] = []
        if let earlier = keptRecording, earlier != result.id { discard = [.discardRecording(earlier)] }
        keptRecording = result.id
        return discard + enter(r.next)
    }

    /// Keeps a take that ended by hang-up or failure, unless it is a near-empty re-recording of an earlier take
    /// (the earlier one is the better report then). Returns the discard of the take not kept.
    private mutating func keep(_ result: RecordingResult) -> [CallAction] {
        guard let earlier = keptRecording, earlier != result.id else {
            keptRecording = result.id
            return []
        }
        if result.durationMs < CallSession.usableRecordingMs { return [.discardRecording(result.id)] }
        keptRecording = result.id
        return [.discardRecording(earlier)]
    }

    private mutating func reviewKey(_ node: NodeID, _ counts: Counts, _ d: Character) -> [CallAction] {
        guard case .review(let r) = plan.nodes[node]?.kind else { return hangupNow() }
        switch d {
        case "1":
            guard let recording = keptRecording else { return enter(r.next) }
            let id = nextPlayback()
            state = .playing(id, bargeIn: true, then: .reviewInput(node, counts))
            return [.playRecording(id, recording, bargeIn: true)]
        case "2":
            // The first take is discarded only once the new one is written (see `recorded`): a caller who
            // hangs up during the instructions still has a report filed.
            return enter(.node(r.record))
        case "3":
            return enter(r.next)
        default:
            var counts = counts
            counts.failures += 1
            if counts.failures >= r.maxTimeouts + 1 { return enter(r.next) }
            return play(r.invalid + r.prompts, bargeIn: true, then: .reviewInput(node, counts))
        }
    }

    // MARK: The live queue

    private mutating func queueEvent(_ node: NodeID, _ wait: QueueWait, _ event: CallEvent) -> [CallAction] {
        guard case .queue(let q) = plan.nodes[node]?.kind else { return hangupNow() }
        var wait = wait
        switch event {
        case .queuePosition(let position, let estimate):
            let words = QueueSpeech.announcement(position: position, estimatedWait: estimate)
            if wait.playback == nil || wait.holding {
                return playInQueue(node, &wait, words, hold: false)
            }
            wait.pending = words
            state = .queued(node, wait)
            return []
        case .playbackFinished(let id) where id == wait.playback:
            if let words = wait.pending {
                wait.pending = nil
                return playInQueue(node, &wait, words, hold: false)
            }
            return playInQueue(node, &wait, q.hold, hold: true)
        case .queueConnected:
            state = .bridged
            return [.stopPlayback] + (wait.confirming.map { [.cancelTimer($0)] } ?? [])
        case .queueOverflow(let reason):
            let cancel: [CallAction] = wait.confirming.map { [.cancelTimer($0)] } ?? []
            let words = reason == .noAgents ? [QueueSpeech.noAgents] : [QueueSpeech.overflow]
            return [.stopPlayback] + cancel + play(words, bargeIn: false, then: .go(q.overflow))
        case .timerFired(let id) where id == wait.confirming:
            wait.confirming = nil
            return playInQueue(node, &wait, q.hold, hold: true)
        case .digit(let d):
            if let timer = wait.confirming {
                wait.confirming = nil
                if d == "1", let callback = q.callback {
                    return [.cancelTimer(timer), .stopPlayback, .leaveQueue(.callback)] + enter(callback)
                }
                return [.cancelTimer(timer)] + playInQueue(node, &wait, q.hold, hold: true)
            }
            switch d {
            case "1":
                return [.stopPlayback, .leaveQueue(.key("1"))] + enter(q.record)
            case "2" where q.callback != nil:
                let number = Readback.code(context.callerNumber)
                guard !number.isEmpty else {
                    return playInQueue(node, &wait, [QueueSpeech.callbackNoNumber], hold: false)
                }
                // "Chúng tôi sẽ gọi lại số …": the number read back, then key 1 confirms.
                let timer = nextTimer()
                wait.confirming = timer
                let words = [QueueSpeech.callbackNumber] + number + [QueueSpeech.callbackConfirm]
                return playInQueue(node, &wait, words, hold: false)
                    + [.startTimer(timer, after: .seconds(CallSession.callbackConfirmSeconds))]
            default:
                return []
            }
        default:
            return []
        }
    }

    private mutating func playInQueue(_ node: NodeID, _ wait: inout QueueWait, _ prompts: [PromptName],
                                      hold: Bool) -> [CallAction] {
        let id = nextPlayback()
        wait.playback = id
        wait.holding = hold
        state = .queued(node, wait)
        return [.play(id, prompts, bargeIn: !hold)]
    }

    // MARK: Rating (Art. 8.5b)

    private mutating func waitForRating(_ node: NodeID, failures: Int) -> [CallAction] {
        guard case .rate(let r) = plan.nodes[node]?.kind else { return hangupNow() }
        let timer = nextTimer()
        state = .rateInput(node, timer, failures: failures)
        return [.startTimer(timer, after: .seconds(r.timeoutSeconds))]
    }

    private mutating func rateKey(_ node: NodeID, _ failures: Int, _ d: Character) -> [CallAction] {
        guard case .rate(let r) = plan.nodes[node]?.kind else { return hangupNow() }
        if let score = d.wholeNumberValue, (1...5).contains(score), let query = completedLookup {
            // One rating per lookup: asking again needs a new lookup.
            completedLookup = nil
            state = .rating(node)
            return [.rateTicket(query, score: score)]
        }
        if failures + 1 >= r.maxFailures { return enter(r.next) }
        return play(r.invalid + r.prompts, bargeIn: true, then: .rateInput(node, failures: failures + 1))
    }

    // MARK: Ending

    private mutating func hangUp() -> [CallAction] {
        // The contract delivers `recordingFinished(.hangup)` first; should it be missing, the running
        // recording is still the caller's report.
        if case .recording(_, let running) = state { keptRecording = running }
        state = .ended
        guard let recording = keptRecording else { return [] }
        keptRecording = nil
        return [.submitDraft(DraftRequest(category: category, confidential: confidential,
                                          recording: recording, callerHungUp: true))]
    }

    /// A status with any unit the plan has no prompt for left out (the gateway preloads `allPromptNames` only).
    private func speakable(_ status: SpokenStatus) -> SpokenStatus {
        func known(_ unit: PromptName?) -> PromptName? { unit.flatMap { plan.unitPrompts.contains($0) ? $0 : nil } }
        switch status {
        case .forwarded(let u): return .forwarded(unitPrompt: known(u))
        case .inProgress(let u): return .inProgress(unitPrompt: known(u))
        case .overdue(let u): return .overdue(unitPrompt: known(u))
        case .notFound, .waiting, .completed, .refused, .withdrawn: return status
        }
    }

    private mutating func hangupNow() -> [CallAction] {
        state = .ended
        return [.hangup]
    }

    // MARK: Helpers

    private mutating func play(_ prompts: [PromptName], bargeIn: Bool, then: After) -> [CallAction] {
        if prompts.isEmpty { return after(then) }
        let id = nextPlayback()
        state = .playing(id, bargeIn: bargeIn, then: then)
        return [.play(id, prompts, bargeIn: bargeIn)]
    }

    private mutating func nextNumber() -> Int {
        lastID += 1
        return lastID
    }

    private mutating func nextPlayback() -> PlaybackID { PlaybackID(nextNumber()) }
    private mutating func nextTimer() -> TimerID { TimerID(nextNumber()) }
}
