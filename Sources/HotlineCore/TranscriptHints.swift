import Foundation

/// Topic keywords administrators edit (`Config/topic-keywords.json`): for each topic, words or phrases that,
/// heard in a transcript, suggest it. Written with or without diacritics; matched without.
public struct TopicKeywords: Sendable, Equatable {
    public var topics: [Topic: [String]]

    public init(topics: [Topic: [String]]) { self.topics = topics }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads the file: a JSON object from topic codes (`infrastructure_incident`, …) to lists of phrases.
    /// An unknown topic code is an error that names the known ones.
    public static func load(path: String) throws -> TopicKeywords {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(description: "không đọc được tệp từ khóa chuyên mục \(path)")
        }
        let raw: [String: [String]]
        do {
            raw = try JSONDecoder().decode([String: [String]].self, from: data)
        } catch {
            throw Invalid(description: "\(path): phải là một đối tượng JSON {mã chuyên mục: [từ khóa, …]} (\(error))")
        }
        var topics: [Topic: [String]] = [:]
        for (key, phrases) in raw {
            guard let topic = Topic(rawValue: key) else {
                throw Invalid(description: "\(path): không có chuyên mục «\(key)»; các mã: "
                              + Topic.allCases.map(\.rawValue).joined(separator: ", "))
            }
            topics[topic] = phrases
        }
        return TopicKeywords(topics: topics)
    }
}

/// Suggestions drawn from a transcript, always for the agent to confirm: the ward named in it, the topic its
/// words point to, and how alike two reports sound. Text is compared folded: lower case, no diacritics, đ as d.
public enum TranscriptHints {
    /// Folded words: "Đèn ĐƯỜNG, ngõ 12" → ["den", "duong", "ngo", "12"].
    public static func words(_ text: String) -> [String] {
        let dFolded = String(text.unicodeScalars.map { s -> Character in
            s == "đ" ? "d" : s == "Đ" ? "D" : Character(s)
        })
        return dFolded.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
            .split { !$0.isLetter && !$0.isNumber }.map(String.init)
    }

    /// Whether `phrase` occurs in `words` as whole consecutive words.
    static func contains(_ words: [String], phrase: [String]) -> Bool {
        guard !phrase.isEmpty, phrase.count <= words.count else { return false }
        for start in 0...(words.count - phrase.count) where words[start] == phrase[0] {
            if Array(words[start..<start + phrase.count]) == phrase { return true }
        }
        return false
    }

    /// The directory's wards named in the transcript, longest name first (most specific).
    public static func wards(in transcript: String, among wards: [String]) -> [String] {
        let heard = words(transcript)
        var seen = Set<[String]>()
        return wards.sorted { words($0).count > words($1).count }.filter { ward in
            let w = words(ward)
            guard !w.isEmpty, !seen.contains(w), contains(heard, phrase: w) else { return false }
            seen.insert(w)
            return true
        }
    }

    /// The topic whose keywords the transcript holds most (each keyword counted once), with those keywords;
    /// nil when none is heard or two topics tie.
    public static func topic(in transcript: String, keywords: TopicKeywords) -> (topic: Topic, keywords: [String])? {
        let heard = words(transcript)
        let scored = keywords.topics.map { topic, phrases in
            (topic, phrases.filter { contains(heard, phrase: words($0)) })
        }.filter { !$0.1.isEmpty }.sorted { $0.1.count > $1.1.count }
        guard let best = scored.first else { return nil }
        if scored.count > 1, scored[1].1.count == best.1.count { return nil }
        return (best.0, best.1)
    }

    /// How alike two texts sound, 0…1: the Dice coefficient of their pairs of consecutive syllables (Vietnamese
    /// words are mostly two syllables: "đèn đường"), so shared phrases count and shared filler syllables barely.
    public static func similarity(_ a: String, _ b: String) -> Double {
        func pairs(_ text: String) -> Set<String> {
            let w = words(text)
            guard w.count > 1 else { return Set(w) }
            return Set((0..<(w.count - 1)).map { w[$0] + " " + w[$0 + 1] })
        }
        let x = pairs(a), y = pairs(b)
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        return 2 * Double(x.intersection(y).count) / Double(x.count + y.count)
    }
}
