import Foundation
import XCTest

@testable import HotlineCore

/// Suggestions from a transcript (issue 14): ward, topic, likeness. The engine writes lower case, no punctuation.
final class TranscriptHintsTests: XCTestCase {
    static let shippedKeywords = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Config/topic-keywords.json").path

    func testWardsAreFoundAsWholeWordsWithOrWithoutDiacritics() {
        let wards = ["Lê Chân", "Gia Viên", "An Biên", "Hải An"]
        XCTAssertEqual(TranscriptHints.wards(in: "đèn đường ở phường lê chân bị hỏng", among: wards), ["Lê Chân"])
        XCTAssertEqual(TranscriptHints.wards(in: "nha toi o phuong gia vien", among: wards), ["Gia Viên"])
        // "an" alone, or "biên" after another word, is not a ward.
        XCTAssertEqual(TranscriptHints.wards(in: "tôi muốn an toàn ở biên giới", among: wards), [])
        XCTAssertEqual(TranscriptHints.wards(in: "", among: wards), [])
    }

    func testTheShippedKeywordsPointAtATopicAndATieSuggestsNothing() throws {
        let keywords = try TopicKeywords.load(path: Self.shippedKeywords)
        XCTAssertEqual(Set(keywords.topics.keys), Set(Topic.allCases), "every topic has keywords")
        let road = TranscriptHints.topic(in: "cột điện đổ đè lên dây điện đèn đường tắt hết", keywords: keywords)
        XCTAssertEqual(road?.topic, .infrastructureIncident)
        XCTAssertEqual(Set(road?.keywords ?? []), ["cột điện", "dây điện", "đèn đường"])
        XCTAssertEqual(TranscriptHints.topic(in: "hàng xóm hát karaoke đến nửa đêm gây rối", keywords: keywords)?.topic, .publicOrder)
        XCTAssertNil(TranscriptHints.topic(in: "xin chào tôi gọi để hỏi thăm", keywords: keywords))
        let tie = TopicKeywords(topics: [.publicOrder: ["ồn"], .fieldReport: ["rác"]])
        XCTAssertNil(TranscriptHints.topic(in: "ồn và rác", keywords: tie))
    }

    func testAnUnknownTopicCodeIsRefusedWithTheKnownOnes() throws {
        let path = NSTemporaryDirectory() + "kw-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"roads": ["ổ gà"]}"#.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TopicKeywords.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("roads") && "\(error)".contains("infrastructure_incident"), "\(error)")
        }
    }

    func testSimilarityRewardsSharedPhrasesNotSharedSyllables() {
        let a = "đèn đường ngõ mười hai phố lạch tray bị hỏng từ tối qua"
        let b = "den duong o ngo muoi hai lach tray hong may hom nay"
        let c = "nhà hàng xóm hát karaoke to quá không ngủ được"
        XCTAssertEqual(TranscriptHints.similarity(a, a), 1)
        XCTAssertGreaterThan(TranscriptHints.similarity(a, b), 0.3)
        XCTAssertLessThan(TranscriptHints.similarity(a, c), 0.05)
        XCTAssertEqual(TranscriptHints.similarity(a, ""), 0)
        // The same syllables in another order are not the same report.
        XCTAssertLessThan(TranscriptHints.similarity("đường đèn hai mười", "đèn đường mười hai"), 0.5)
    }
}
