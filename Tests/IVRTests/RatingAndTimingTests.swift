import Foundation
import XCTest

@testable import IVR

/// The rating a caller gives after hearing that the ticket is completed (Art. 8.5b), on the shipped plan.
final class PhoneRatingTests: XCTestCase {
    /// Calls, asks for the status of a typed code, hears it (`status`) read back.
    func lookUp(_ status: SpokenStatus, code: String = "202611220000042") -> Driver {
        var d = Driver(Plans.shipped)
        d.start()
        d.press("51")
        d.press(code + "#")
        d.send(.statusFound(status))
        d.finishPlayback()  // the read-back
        return d
    }

    func testACompletedTicketIsRatedByKeyAndTheCallerThanked() {
        var d = lookUp(.completed(year: 2026, month: 11, day: 20))
        XCTAssertEqual(d.playing?.prompts, ["rate-offer"])
        XCTAssertEqual(d.playing?.bargeIn, true)
        // 4 during the offer: stored through the performer, by the query of the lookup.
        XCTAssertEqual(d.press("4"), [.stopPlayback, .rateTicket(.code("20261122-0000042"), score: 4)])
        XCTAssertNil(d.playing, "nothing plays while the rating is stored")
        XCTAssertTrue(d.press("5").isEmpty, "one rating per lookup")
        d.send(.ratingStored(accepted: true))
        XCTAssertEqual(d.playing?.prompts, ["rate-thanks"])
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, ["after-status"])
    }

    func testARefusedSecondRatingIsThankedAllTheSame() {
        var d = lookUp(.completed(year: 2026, month: 11, day: 20))
        d.finishPlayback()
        XCTAssertEqual(d.timers.count, 1, "waiting for a key after the offer")
        XCTAssertEqual(d.press("1").last, .rateTicket(.code("20261122-0000042"), score: 1))
        d.send(.ratingStored(accepted: false))
        XCTAssertEqual(d.playing?.prompts, ["rate-thanks"], "thanks either way")
    }

    func testOnlyACompletedTicketIsOffered() {
        for status in [SpokenStatus.waiting, .inProgress(unitPrompt: nil), .overdue(unitPrompt: nil), .refused, .withdrawn, .notFound] {
            let d = lookUp(status)
            XCTAssertEqual(d.playing?.prompts, ["after-status"], "\(status)")
        }
        // A typed code of the wrong length is no lookup: nothing to rate.
        var short = Driver(Plans.shipped)
        short.start()
        short.press("51")
        short.press("1234#")
        short.finishPlayback()  // code-invalid
        XCTAssertEqual(short.playing?.prompts, ["after-status"])
    }

    func testWrongKeysAreCountedThenTheCallGoesOn() {
        var d = lookUp(.completed(year: 2026, month: 11, day: 20))
        d.press("7")
        XCTAssertEqual(d.playing?.prompts, ["invalid-key", "rate-offer"])
        d.press("0")
        XCTAssertEqual(d.playing?.prompts, ["after-status"], "two wrong keys: no rating")
        XCTAssertFalse(d.log.contains { if case .rateTicket = $0 { true } else { false } })
    }

    func testTheCallersLatestTicketIsRatedByTheSameQueryAndANewLookupIsNeededToRateAgain() {
        var d = Driver(Plans.shipped)
        d.start()
        d.press("5")
        d.press("2")
        d.send(.statusFound(.completed(year: 2026, month: 11, day: 20)))
        d.finishPlayback()
        XCTAssertEqual(d.press("5").last, .rateTicket(.latestForCaller, score: 5))
        d.send(.ratingStored(accepted: true))
        d.finishPlayback()  // thanks
        XCTAssertEqual(d.playing?.prompts, ["after-status"])
        // 1: another lookup, of a ticket still in progress: no offer.
        d.press("1")
        d.press("2")
        d.send(.statusFound(.inProgress(unitPrompt: nil)))
        d.finishPlayback()
        XCTAssertEqual(d.playing?.prompts, ["after-status"])
    }

    func testAHangUpWhileTheRatingIsStoredChangesNothing() {
        var d = lookUp(.completed(year: 2026, month: 11, day: 20))
        d.press("3")
        XCTAssertTrue(d.send(.hangup).isEmpty, "no draft to file")
        XCTAssertTrue(d.send(.ratingStored(accepted: true)).isEmpty)
    }

    func testTheRateNodeLoadsStrictly() {
        let (_, problems) = DialplanLoader.check(Data("""
            {"version": "r", "start": "rate", "nodes": {
              "rate": {"type": "rate", "prompts": [], "thanks": ["t"], "maxFailures": 0, "skip": "x", "next": "bye"},
              "bye": {"type": "hangup"}
            }}
            """.utf8), promptDirectory: nil)
        XCTAssertTrue(Set(problems.map(\.path)).isSuperset(of: ["$.nodes.rate.prompts", "$.nodes.rate.maxFailures", "$.nodes.rate.skip"]),
                      "\(problems)")
        let plan = Plans.inline("""
            {"version": "r", "start": "rate", "nodes": {
              "rate": {"type": "rate", "prompts": ["offer"], "thanks": ["thanks"], "next": "bye"},
              "bye": {"type": "hangup"}
            }}
            """)
        XCTAssertTrue(plan.allPromptNames.isSuperset(of: ["offer", "thanks"]))
        // No lookup before it: straight on.
        var d = Driver(plan)
        XCTAssertEqual(d.start(), [.hangup])
    }
}

/// The way to the beep for a caller who presses each key as soon as its option is heard, from the shipped
/// plan and the shipped prompts' real lengths.
final class CallerTimingTests: XCTestCase {
    static let prompts = Plans.repo + "/Prompts/vi"

    /// A WAV's length in seconds from its header (the data chunk's size over the byte rate).
    static func seconds(_ name: PromptName) -> Double {
        guard let data = FileManager.default.contents(atPath: "\(prompts)/\(name.rawValue).wav"), data.count > 44 else { return 0 }
        let b = [UInt8](data)
        func u32(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24 }
        var i = 12
        var byteRate = 16000
        while i + 8 <= b.count {
            let id = String(decoding: b[i..<i + 4], as: UTF8.self)
            let size = u32(i + 4)
            if id == "fmt " { byteRate = u32(i + 16) }
            if id == "data" { return Double(min(size, b.count - i - 8)) / Double(byteRate) }
            i += 8 + size + size % 2
        }
        return 0
    }

    static func text(_ name: PromptName) -> String {
        (try? String(contentsOfFile: "\(prompts)/\(name.rawValue).txt", encoding: .utf8)) ?? ""
    }

    static func run(_ keys: String) -> CallerTiming.Result {
        CallerTiming.toRecording(plan: Plans.shipped, keys: Array(keys), duration: seconds,
                                 announces: { KeyWords.announced(in: text($0)) })
    }

    func testTheFastestWayToTheBeepIsUnder25SecondsWithTheNoticesHeard() {
        let fastest = Self.run("11")
        let figure = try! XCTUnwrap(fastest.secondsToRecording)
        print(String(format: "answer to beep, fastest caller (keys 1, 1): %.2f s", figure))
        for s in fastest.steps { print(String(format: "  %6.2f s  %@", s.at, s.what)) }
        var all: [String] = []
        for category in "1234" {
            for confidential in "12" {
                let r = Self.run("\(category)\(confidential)")
                all.append(String(format: "%@%@: %.2f s", String(category), String(confidential), r.secondsToRecording ?? -1))
            }
        }
        print("answer to beep by keys (category, confidentiality): " + all.joined(separator: ", "))
        XCTAssertLessThan(figure, 25)
        XCTAssertLessThan(try XCTUnwrap(Self.run("12").secondsToRecording), 25, "category 1, not confidential")

        // The sum of what is heard on the way: the whole welcome, the first option, the first confidentiality
        // option, the instructions and the beep.
        let expected = ["welcome", "main-menu-1", "confidential-question", "record-instructions", "beep"].map { Self.seconds(PromptName($0)) }
        XCTAssertEqual(figure, expected.reduce(0, +), accuracy: 0.001)
        XCTAssertTrue(expected.allSatisfy { $0 > 0.3 }, "every prompt on the path has audio: \(expected)")

        // The Regulation's notices are in the welcome, and the welcome is heard whole before the first key.
        let welcome = Self.text("welcome")
        for notice in ["ghi âm", "một một ba", "một một bốn", "một một năm"] {
            XCTAssertTrue(welcome.contains(notice), "the welcome says '\(notice)': \(welcome)")
        }
        let firstKey = try! XCTUnwrap(fastest.steps.firstIndex { $0.what.hasPrefix("pressed") })
        XCTAssertTrue(fastest.steps[..<firstKey].contains { $0.what == "heard welcome" })
    }

    func testTheOldPlanFigureForComparison() {
        // Before: one 29.4 s main-menu prompt; the figure at whole-prompt resolution (the key counted when the
        // prompt naming it ends) for the old lengths: welcome 16.50, main menu 29.37, question 7.04, instructions
        // 7.41, beep 0.40.
        let old = Plans.inline("""
            {"version": "old", "start": "welcome", "top": "main", "nodes": {
              "welcome": {"type": "play", "prompts": ["welcome"], "next": "main"},
              "main": {"type": "menu", "greetLong": ["main-menu"], "options": {"1": "conf"}, "fallback": "conf"},
              "conf": {"type": "menu", "greetLong": ["confidential-question"], "options": {"1": "rec", "2": "rec"}, "fallback": "rec"},
              "rec": {"type": "record", "prompts": ["record-instructions"], "next": "bye"},
              "bye": {"type": "hangup"}
            }}
            """)
        let lengths: [PromptName: Double] = ["welcome": 16.496, "main-menu": 29.367, "confidential-question": 7.043,
                                             "record-instructions": 7.406, "beep": 0.4]
        let texts: [PromptName: String] = ["main-menu": "…xin bấm phím một. … bấm phím hai.", "confidential-question": "Bấm phím một nếu muốn giữ bí mật, bấm phím hai nếu không."]
        let r = CallerTiming.toRecording(plan: old, keys: ["1", "1"], duration: { lengths[$0] ?? 0 },
                                         announces: { KeyWords.announced(in: texts[$0] ?? "") })
        print(String(format: "answer to beep on the old plan (whole prompts): %.2f s", r.secondsToRecording ?? -1))
        XCTAssertEqual(try XCTUnwrap(r.secondsToRecording), 60.712, accuracy: 0.001)
    }

    func testKeysArePressedWhenTheirOptionIsHeardOrWhenTheMenuWaits() {
        let plan = Plans.inline("""
            {"version": "t", "start": "m", "nodes": {
              "m": {"type": "menu", "greetLong": ["a", "b", "c"], "options": {"2": "r", "9": "r"}, "fallback": "r"},
              "r": {"type": "record", "prompts": ["i"], "beep": true, "next": "bye"},
              "bye": {"type": "hangup"}
            }}
            """)
        let lengths: [PromptName: Double] = ["a": 1, "b": 2, "c": 4, "i": 3, "beep": 0.5]
        let words: [PromptName: String] = ["a": "bấm phím một", "b": "hoặc bấm hai", "c": "phím sao"]
        func run(_ keys: [Character]) -> Double? {
            CallerTiming.toRecording(plan: plan, keys: keys, duration: { lengths[$0] ?? 0 },
                                     announces: { KeyWords.announced(in: words[$0] ?? "") }).secondsToRecording
        }
        XCTAssertEqual(run(["2"]), 1 + 2 + 3 + 0.5, "2 is pressed as 'b' ends, barging in")
        XCTAssertEqual(run(["9"]), 1 + 2 + 4 + 3 + 0.5, "9 is never named: pressed when the menu waits")
        // No key: the menu (7 s) and a 6 s wait, three times (the default 3 time-outs), then the fallback's 3.5 s.
        let silent: Double = 3 * (7 + 6) + 3.5
        XCTAssertEqual(run([]), silent)
    }

    func testKeyWords() {
        XCTAssertEqual(KeyWords.announced(in: "Để phản ánh, xin bấm phím một. Về kinh tế, bấm hai."), ["1", "2"])
        XCTAssertEqual(KeyWords.announced(in: "Gặp tổng đài viên, bấm không. Nghe lại, bấm sao."), ["0", "*"])
        XCTAssertEqual(KeyWords.announced(in: "Nói xong, xin bấm phím thăng."), ["#"])
        XCTAssertEqual(KeyWords.announced(in: "Xin bấm phím từ một đến năm."), [])
        XCTAssertEqual(KeyWords.announced(in: "Khẩn cấp, xin gọi một một ba."), [], "numbers to dial are not keys")
    }
}
