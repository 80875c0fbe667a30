import Foundation
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import HotlineCore

/// Runs a program, returning its exit status and standard output (standard error folded in).
func runTool(_ path: String, _ arguments: [String], input: Data? = nil) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    let stdin = Pipe()
    if input != nil { p.standardInput = stdin }
    try p.run()
    if let input {
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Parses XML with Foundation's parser; nil when well-formed, else the parser's error.
func xmlProblem(_ text: String) -> String? {
    final class Delegate: NSObject, XMLParserDelegate {
        var texts: [String] = []
        func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
    }
    let parser = XMLParser(data: Data(text.utf8))
    let d = Delegate()
    parser.delegate = d
    return parser.parse() ? nil : "\(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)"
}

/// All character data of an XML text, joined (what a reader of the SVG sees).
func xmlText(_ text: String) -> String {
    final class Delegate: NSObject, XMLParserDelegate {
        var texts: [String] = []
        func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
    }
    let parser = XMLParser(data: Data(text.utf8))
    let d = Delegate()
    parser.delegate = d
    _ = parser.parse()
    return d.texts.joined()
}

final class StoredZipTests: XCTestCase {
    func testCRC32KnownValues() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
    }

    func testAStoredZipPassesUnzipAndRoundTrips() throws {
        var zip = StoredZip(modified: ISO8601DateFormatter().date(from: "2026-06-11T10:00:00+07:00")!)
        try zip.add("a.txt", text: "xin chào Hải Phòng\n")
        try zip.add("thư mục/b.bin", (0..<1000).map { UInt8($0 % 251) })
        XCTAssertThrowsError(try zip.add("a.txt", text: "again"))
        let bytes = try zip.bytes()
        XCTAssertEqual(Array(bytes.prefix(4)), [0x50, 0x4B, 0x03, 0x04])
        let dir = NSTemporaryDirectory() + "zip-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/t.zip"))
        let (status, out) = try runTool("/usr/bin/unzip", ["-t", dir + "/t.zip"])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("No errors detected"), out)
        let (xs, listing) = try runTool("/usr/bin/unzip", ["-o", "-d", dir + "/x", dir + "/t.zip"])
        XCTAssertEqual(xs, 0, listing)
        XCTAssertEqual(try String(contentsOfFile: dir + "/x/a.txt", encoding: .utf8), "xin chào Hải Phòng\n")
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/x/thư mục/b.bin"))), (0..<1000).map { UInt8($0 % 251) })
        // The same archive twice gives the same bytes (fixed time stamps).
        XCTAssertEqual(try zip.bytes(), bytes)
    }
}

final class WordDocumentTests: XCTestCase {
    func testEveryPartIsWellFormedAndTextIsEscaped() throws {
        var doc = WordDocument(title: "A & B <test>")
        doc.add(.init([.init("Dòng 1\nDòng 2\tcột", bold: true), .init(" R&D <b> \"q\" 'a' \u{01}")], alignment: .center))
        doc.add(WordDocument.Table(columns: [1000, 2000], rows: [[.init("x & y", span: 2)], [.init("1"), .init("<2>")]]))
        let xml = doc.documentXML()
        XCTAssertNil(xmlProblem(xml))
        XCTAssertNil(xmlProblem(doc.stylesXML()))
        XCTAssertNil(xmlProblem(doc.coreXML(modified: Date(timeIntervalSince1970: 0))))
        for part in [WordDocument.contentTypes, WordDocument.packageRelationships, WordDocument.documentRelationships, WordDocument.appXML] {
            XCTAssertNil(xmlProblem(part))
        }
        XCTAssertTrue(xml.contains("R&amp;D &lt;b&gt; &quot;q&quot; &apos;a&apos;"), xml)
        XCTAssertFalse(xml.contains("\u{01}"), "a control character XML forbids is dropped")
        XCTAssertTrue(xml.contains("Dòng 1</w:t><w:br/>"), "a newline is a break")
        XCTAssertTrue(xml.contains(#"<w:gridSpan w:val="2"/>"#))
        XCTAssertTrue(xml.contains(#"<w:tcW w:w="3000" w:type="dxa"/>"#), "a merged cell is as wide as its columns")
    }
}

final class ReportChartTests: XCTestCase {
    func week(_ d: String) -> Date { ISO8601DateFormatter().date(from: d + "T10:00:00+07:00")! }

    func testChartsAreWellFormedAndEscapeTheirText() throws {
        let units = ["P-A": "Phường <An> & \"Biên\"", "P-B": "Xã 'Vĩnh' Thịnh"]
        let cells = [
            ReportCell(channel: .portal, category: .socioeconomic, topic: .economySocietyDefence, unitCode: "P-A", status: .completed, late: false, count: 3),
            ReportCell(channel: .portal, category: .socioeconomic, topic: .economySocietyDefence, unitCode: "P-A", status: .completed, late: true, count: 1),
            ReportCell(channel: .phone, category: .infrastructure, topic: .fieldReport, unitCode: "P-B", status: .forwarded, late: false, count: 2),
        ]
        let r = WeeklyReport.build(from: week("2026-06-04"), to: week("2026-06-11"), cumulativeSince: week("2026-06-01"), week: cells,
                                   previousWeekReceived: 2, cumulative: Tally(cells), overdue: [], units: units)
        let trend = WeeklyTrend(weeks: [
            WeekPoint(from: week("2026-05-28"), to: week("2026-06-04"), received: 2, completed: 1),
            WeekPoint(from: week("2026-06-04"), to: week("2026-06-11"), received: 6, completed: 4),
        ])
        let titled = ReportCharts.shares([ShareLine(label: "A<script>&", count: 1, share: 1)], title: "</svg> & <b>")
        for svg in [ReportCharts.trend(trend), ReportCharts.topics(r), ReportCharts.unitsOnTime(r), titled,
                    ReportCharts.trend(WeeklyTrend(weeks: [])), ReportCharts.unitsOnTime([], title: "trống")] {
            XCTAssertNil(xmlProblem(svg), svg)
            XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            XCTAssertFalse(svg.contains("<script"), "text never becomes markup")
        }
        let unitsText = xmlText(ReportCharts.unitsOnTime(r))
        XCTAssertTrue(unitsText.contains("Phường <An> & \"Biên\""), "the name comes back intact once parsed: \(unitsText)")
        XCTAssertTrue(unitsText.contains("75,0% (3/4)"), unitsText)
        XCTAssertTrue(unitsText.contains("chưa có PAKN hoàn thành"), unitsText)
        XCTAssertTrue(xmlText(titled).contains("A<script>&"))
        let trendText = xmlText(ReportCharts.trend(trend))
        XCTAssertTrue(trendText.contains("04/6") && trendText.contains("28/5"), trendText)
        let topicsText = xmlText(ReportCharts.topics(r))
        XCTAssertTrue(topicsText.contains("Kinh tế văn hóa xã hội - quốc phòng an ninh") && topicsText.contains("4 (66,7%)"), topicsText)
    }

    func testNiceScale() {
        XCTAssertEqual([0, 1, 4, 5, 9, 20, 21, 43, 99, 101].map(ReportCharts.niceCeiling), [4, 4, 4, 8, 20, 20, 40, 80, 200, 200])
    }
}

/// Issue 23 §7: the weekly report's phone section, from the period's queue log, in every format; none without calls.
final class WeeklyPhoneSectionTests: XCTestCase {
    func testThePhoneSectionComesFromTheQueueLog() throws {
        let t = ISO8601DateFormatter().date(from: "2026-06-04T10:00:00+07:00")!
        func at(_ hours: Double) -> Date { t.addingTimeInterval(hours * 3600) }
        let log: [(at: Date, record: QueueRecord)] = [
            (at(1), QueueRecord(kind: .enter, call: "1", callerNumber: "0912000001", position: 1)),
            (at(1.01), QueueRecord(kind: .connect, call: "1", callerNumber: "0912000001", agent: "lan", waitSeconds: 10)),
            (at(2), QueueRecord(kind: .enter, call: "2", callerNumber: "0912000002", position: 1)),
            (at(2.01), QueueRecord(kind: .abandon, call: "2", callerNumber: "0912000002", position: 1, waitSeconds: 30)),
            (at(3), QueueRecord(kind: .callbackAttempted, call: "desk", callerNumber: "0912000002", agent: "lan", outcome: "reached")),
            (at(26), QueueRecord(kind: .enter, call: "3", callerNumber: "0912000002", position: 1)),  // the next day: a new item
            (at(26.01), QueueRecord(kind: .abandon, call: "3", callerNumber: "0912000002", position: 1, waitSeconds: 8)),
            (at(27), QueueRecord(kind: .enter, call: "4", callerNumber: "0912000004", position: 1)),
            (at(27.05), QueueRecord(kind: .exitByKey, call: "4", callerNumber: "0912000004", key: "1")),
            (at(28), QueueRecord(kind: .enter, call: "5", callerNumber: "0912000005", position: 1)),
            (at(28.01), QueueRecord(kind: .connect, call: "5", callerNumber: "0912000005", agent: "minh", waitSeconds: 50)),
        ]
        let r = WeeklyReport.build(from: t, to: t.addingTimeInterval(604_800), cumulativeSince: t, week: [], previousWeekReceived: 0,
                                   cumulative: Tally(), overdue: [], units: [:], queue: log)
        let p = try XCTUnwrap(r.phone)
        XCTAssertEqual([p.queue.offered, p.queue.answered, p.queue.abandoned, p.toVoiceReport, p.callbacks, p.callbacksReached], [5, 2, 2, 1, 2, 1])
        XCTAssertEqual(p.queue.serviceLevel, 0.5)
        XCTAssertEqual(p.queue.asaSeconds, 30)
        let summary = "Trong tuần có 5 cuộc gọi chờ gặp tổng đài viên; 2 cuộc được nghe máy, 50,0% trong số đó trong vòng 20 giây"
        XCTAssertTrue(try ReportRenderer.render(r, as: .md).contains(summary))
        let csv = try ReportRenderer.render(r, as: .csv)
        XCTAssertTrue(csv.contains("dien_thoai,vao_hang_cho,5,"), csv)
        XCTAssertTrue(csv.contains("dien_thoai,goi_lai_gap_duoc,1,"), csv)
        let xml = ReportDocuments.weekly(r).documentXML()
        XCTAssertTrue(xml.contains(summary), "the .docx has the sentence")
        XCTAssertTrue(xml.contains("Nghe máy trong 20 giây") && xml.contains("2 / 1"), "and the table")

        let none = WeeklyReport.build(from: t, to: t.addingTimeInterval(604_800), cumulativeSince: t, week: [], previousWeekReceived: 0,
                                      cumulative: Tally(), overdue: [], units: [:])
        XCTAssertNil(none.phone)
        XCTAssertFalse(ReportDocuments.weekly(none).documentXML().contains("tổng đài viên;"), "no section without calls")
    }
}

final class ReportCSVTests: XCTestCase {
    func testEveryCSVStartsWithAByteOrderMark() throws {
        let t = Date(timeIntervalSince1970: 1_780_000_000)
        let weekly = WeeklyReport.build(from: t, to: t.addingTimeInterval(604_800), cumulativeSince: t, week: [], previousWeekReceived: 0,
                                        cumulative: Tally(), overdue: [], units: [:])
        let monthly = MonthlyReport.build(from: t, to: t.addingTimeInterval(86400 * 30), cumulativeSince: t, month: [], cumulative: Tally(), units: [:])
        let quarterly = QuarterlyReport(from: t, to: t.addingTimeInterval(86400 * 91), quarter: Tally(), suggestions: Tally(), items: [])
        for bytes in [try ReportRenderer.file(weekly, as: .csv), try ReportRenderer.file(monthly, as: .csv), try ReportRenderer.file(quarterly, as: .csv)] {
            XCTAssertEqual(Array(bytes.prefix(3)), [0xEF, 0xBB, 0xBF])
            XCTAssertNotEqual(bytes.dropFirst(3).first, 0xEF, "one mark, not two")
        }
        for format in [ReportFileFormat.md, .json] {
            XCTAssertNotEqual(Array(try ReportRenderer.file(weekly, as: format).prefix(3)), [0xEF, 0xBB, 0xBF], "\(format)")
        }
    }
}
