import Foundation

/// How long a caller who knows what they want waits: the call is run through the real engine on virtual time,
/// prompts lasting what their audio lasts, and the caller presses each key as soon as the prompt that announces
/// its option has been heard (at the end of that prompt: a menu split into one prompt per option gives the
/// moment exactly), or when the playback ends if no prompt announces it.
public enum CallerTiming {
    public struct Step: Sendable, Equatable {
        /// Seconds from the answer.
        public var at: Double
        public var what: String
    }

    public struct Result: Sendable, Equatable {
        /// Seconds from the answer until the recording starts (the end of the beep), nil if the keys never
        /// lead to a recording.
        public var secondsToRecording: Double?
        /// What was heard and pressed, in order, for people reading the figure.
        public var steps: [Step]
    }

    /// Runs a call through `plan`, pressing `keys` in order. `duration` is a prompt's length in seconds;
    /// `announces` the keys a prompt names (see `KeyWords.announced(in:)` for prompt texts).
    public static func toRecording(plan: Dialplan, keys: [Character], context: CallContext = CallContext(callerNumber: "", isOfficeHours: true),
                                   duration: (PromptName) -> Double, announces: (PromptName) -> Set<Character>) -> Result {
        var session = CallSession(plan: plan)
        var pending = keys[...]
        var t = 0.0
        var steps: [Step] = []
        var queue = session.handle(.started(context))[...]
        var guardSteps = 0
        while let action = queue.popFirst() {
            guardSteps += 1
            if guardSteps > 10_000 { break }
            switch action {
            case .play(let id, let prompts, let bargeIn):
                var heard = 0.0
                var pressed = false
                for p in prompts {
                    heard += duration(p)
                    steps.append(Step(at: t + heard, what: "heard \(p.rawValue)"))
                    if bargeIn, let key = pending.first, announces(p).contains(key) {
                        t += heard
                        pending.removeFirst()
                        steps.append(Step(at: t, what: "pressed \(key)"))
                        queue = session.handle(.digit(key))[...] + queue
                        pressed = true
                        break
                    }
                }
                if !pressed {
                    t += heard
                    queue = session.handle(.playbackFinished(id))[...] + queue
                }
            case .startTimer(let id, let after):
                if let key = pending.first {
                    // Waiting for a key the prompts never named: the caller presses it at once.
                    pending.removeFirst()
                    steps.append(Step(at: t, what: "pressed \(key)"))
                    queue = session.handle(.digit(key))[...] + queue
                } else {
                    t += Double(after.components.seconds)
                    queue = session.handle(.timerFired(id))[...] + queue
                }
            case .startRecording:
                steps.append(Step(at: t, what: "recording starts"))
                return Result(secondsToRecording: t, steps: steps)
            case .hangup, .transfer, .joinQueue, .submitDraft, .lookupStatus, .rateTicket, .playRecording:
                return Result(secondsToRecording: nil, steps: steps)
            case .stopPlayback, .cancelTimer, .stopRecording, .discardRecording, .leaveQueue:
                continue
            }
        }
        return Result(secondsToRecording: nil, steps: steps)
    }
}

/// The keys a Vietnamese prompt text tells the caller to press: the word after "phím" or "bấm" ("bấm phím
/// một", "bấm hai", "phím sao"). "bấm từ một đến năm" names a range, not one key, and counts as none.
public enum KeyWords {
    static let words: [String: Character] = [
        "không": "0", "một": "1", "hai": "2", "ba": "3", "bốn": "4", "năm": "5", "sáu": "6", "bảy": "7", "tám": "8",
        "chín": "9", "sao": "*", "thăng": "#",
    ]

    public static func announced(in text: String) -> Set<Character> {
        let tokens = text.lowercased().split { !$0.isLetter && !$0.isNumber }.map { $0.precomposedStringWithCanonicalMapping }
        var keys: Set<Character> = []
        for (i, word) in tokens.enumerated() where word == "phím" || word == "bấm" {
            guard i + 1 < tokens.count else { continue }
            let next = tokens[i + 1]
            if next == "phím" { continue }
            if let key = words[next] { keys.insert(key) } else if next.count == 1, let c = next.first, c.isNumber { keys.insert(c) }
        }
        return keys
    }
}
