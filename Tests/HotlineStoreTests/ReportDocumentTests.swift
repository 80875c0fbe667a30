import Foundation
import HotlineCore
import XCTest

@testable import HotlineStore

/// Reads a .docx with python-docx (Debian's python3-docx) and prints its paragraphs (text and style) and its
/// tables (cell texts) as JSON: what Word or LibreOffice would show, read by an independent implementation.
let docxDumpScript = """
import docx, json, sys
d = docx.Document(sys.argv[1])
out = {
  "paragraphs": [{"text": p.text, "style": p.style.name} for p in d.paragraphs],
  "tables": [[[c.text for c in row.cells] for row in t.rows] for t in d.tables],
  "title": d.core_properties.title,
}
print(json.dumps(out, ensure_ascii=False))
"""

struct DocxDump: Decodable {
    struct Paragraph: Decodable {
        var text: String
        var style: String
    }
    var paragraphs: [Paragraph]
    var tables: [[[String]]]
    var title: String

    var headings: [String] { paragraphs.filter { $0.style == "Heading 1" }.map(\.text) }
    func table(startingWith header: String) -> [[String]]? { tables.first { $0.first?.first == header } }
}

/// Writes the bytes to a file, checks it with `unzip -t` and reads it back with python-docx.
func readDocx(_ bytes: [UInt8], in dir: String, name: String) throws -> DocxDump {
    let path = dir + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let (zipStatus, zipOut) = try run("/usr/bin/unzip", ["-t", path])
    XCTAssertEqual(zipStatus, 0, zipOut)
    XCTAssertTrue(zipOut.contains("No errors detected"), zipOut)
    // Debian's interpreter, where python3-docx is installed (not whatever python3 comes first on PATH).
    let (status, out) = try run("/usr/bin/python3", ["-c", docxDumpScript, path])
    guard status == 0 else {
        XCTFail("python-docx could not open \(name): \(out)")
        throw CocoaError(.fileReadCorruptFile)
    }
    return try JSONDecoder().decode(DocxDump.self, from: Data(out.utf8))
}

private func run(_ path: String, _ arguments: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

extension Seed000ReportTests {
    /// Seed 000's section titles, as the city office wrote them.
    static let seedSections = [
        "1. Chỉ số tổng quan", "2. Lĩnh vực chuyên mục", "3. Kênh tiếp nhận",
        "4. Tình hình tiếp nhận và giải quyết tại các đơn vị", "5. Đánh giá tổng hợp", "6. Những khó khăn, vướng mắc",
        "7. Đề xuất, kiến nghị phương án khắc phục",
    ]

    func testTheWeeklyDocxOpensWithPythonDocxAndHoldsSeed000sSections() throws {
        try buildPreviousDays()
        try buildWeek()
        let r = try store.weeklyReport(from: from, to: to, since: vn("2026-06-01T00:00:00"), asOf: to)
        var letter = ReportLetter()
        letter.signerName = "Nguyễn Thanh Hùng"
        letter.difficulties = ["a) VNPT Hải Phòng: hệ thống phần mềm còn phát sinh lỗi kỹ thuật & cần khắc phục <ngay>."]
        let bytes = try ReportRenderer.file(r, as: .docx, letter: letter)
        let d = try readDocx(bytes, in: dir, name: "bao-cao-tuan.docx")

        // The letterhead: issuer and number left, the national motto and the date line right.
        let head = try XCTUnwrap(d.tables.first)
        XCTAssertEqual(head.count, 1)
        XCTAssertEqual(head[0][0], "UBND THÀNH PHỐ HẢI PHÒNG\nVĂN PHÒNG\n\nSố:        /BC-VP")
        XCTAssertEqual(head[0][1], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\nHải Phòng, ngày 11 tháng 6 năm 2026")
        let texts = d.paragraphs.map(\.text)
        XCTAssertTrue(d.paragraphs.contains { $0.text == "BÁO CÁO" && $0.style == "Title" })
        XCTAssertTrue(texts.contains("Tình hình tiếp nhận và xử lý phản ánh kiến nghị tại thành phố Hải Phòng\n(Kỳ báo cáo từ ngày 04/6/2026 đến ngày 11/6/2026)"), "\(texts)")
        XCTAssertTrue(texts.contains { $0.hasPrefix("Kính gửi: - Chủ tịch Ủy ban nhân dân thành phố;") })
        XCTAssertTrue(texts.contains { $0.contains("qua Tổng đài 1022 từ 10h00' ngày 04/6 đến 10h00' ngày 11/6/2026 cụ thể như sau:") }, "\(texts)")

        // Sections 1–7, titled as in seed 000, in order, as headings.
        XCTAssertEqual(d.headings, Self.seedSections)
        XCTAssertTrue(texts.contains("Tổng số PAKN từ 01/6/2026 đến nay là 67. Trong đó, số PAKN tiếp nhận trong tuần này là 43, so sánh với số PAKN tiếp nhận tuần trước là 24, tăng 79%."), "\(texts)")

        // Table 1: the merged header and the figures of seed 000.
        let t1 = try XCTUnwrap(d.table(startingWith: "Số PAKN tiếp nhận"))
        XCTAssertEqual(t1[0], ["Số PAKN tiếp nhận", "Số PAKN tiếp nhận", "Đã hoàn thành", "Đã hoàn thành", "Đang xử lý", "Đang xử lý"])
        XCTAssertEqual(t1[1], ["Trong tuần", "Tổng số", "Trong tuần", "Tổng số", "Trong tuần", "Tổng số"])
        XCTAssertEqual(t1[2], ["43", "67", "24", "44", "19", "23"])
        // Table 2: topics, the largest noted, the total with the completion rate.
        let t2 = try XCTUnwrap(d.table(startingWith: "Chuyên mục"))
        XCTAssertEqual(t2[1], ["Kinh tế văn hóa xã hội - quốc phòng an ninh", "24", "55,8%", "Tỷ trọng cao nhất"])
        XCTAssertEqual(t2.last, ["TỔNG CỘNG", "43", "100%", "Tỷ lệ HT: 55,8%"])
        // Table 3: channels, the largest first as in the seed.
        let t3 = try XCTUnwrap(d.table(startingWith: "Kênh tiếp nhận"))
        XCTAssertEqual(t3.dropFirst().map { Array($0.prefix(3)) }, [["Trang tin 1022", "21", "48,8%"], ["Smart Hải Phòng", "20", "46,5%"],
                                                                    ["Tổng đài thoại 1022", "2", "4,7%"]])
        XCTAssertEqual(t3[1][3], "Kênh chủ đạo trong kỳ")
        XCTAssertEqual(t3[3][3], "Kênh truyền thống")
        // Table 4: one row per unit plus the total, which adds up.
        let t4 = try XCTUnwrap(d.table(startingWith: "STT"))
        XCTAssertEqual(t4[0], ["STT", "Đơn vị", "Tổng PAKN", "Hoàn thành", "Đang xử lý", "Từ chối, thu hồi, gộp"])
        XCTAssertEqual(t4.count, r.byUnit.count + 2)
        XCTAssertEqual(t4.last, ["TỔNG CỘNG", "TỔNG CỘNG", "43", "24", "19", "0"])
        XCTAssertEqual(t4.dropFirst().dropLast().map { Int($0[2])! }.reduce(0, +), 43)
        // Table 5.
        let t5 = try XCTUnwrap(d.table(startingWith: "TIÊU CHÍ"))
        XCTAssertEqual(t5[1], ["Điểm tích cực", "Đã hoàn thành 24/43 PAKN (55,8%). Tỷ lệ xử lý đúng hạn trong số hồ sơ đã hoàn thành đạt 83,3%."])
        XCTAssertEqual(t5[2][0], "Điểm cần cải thiện")
        XCTAssertTrue(t5[2][1].hasPrefix("Còn 19 PAKN đang xử lý cần đôn đốc giải quyết, trong đó 6 PAKN đã quá hạn."), t5[2][1])
        // Section 6: the office's own words (escaped in the XML, intact here), then the overdue tickets named.
        XCTAssertTrue(texts.contains(letter.difficulties[0]))
        let overdue = try XCTUnwrap(d.tables.first { $0.first == ["STT", "Mã số PAKN", "Đơn vị", "Hạn xử lý"] })
        XCTAssertEqual(overdue.count - 1, r.overdue.count)
        XCTAssertEqual(Set(overdue.dropFirst().map { $0[1] }), Set(r.overdue.map(\.trackingCode)))
        // Section 7 names the units with overdue tickets; the closing and the signature block follow.
        XCTAssertTrue(texts.contains { $0.hasPrefix("Đề nghị ") && $0.contains("khẩn trương giải quyết các PAKN đã quá hạn") })
        XCTAssertTrue(texts.contains { $0.hasPrefix("Trên đây là báo cáo của Văn phòng Ủy ban nhân dân thành phố") })
        let signature = try XCTUnwrap(d.tables.last)
        XCTAssertTrue(signature[0][0].hasPrefix("Nơi nhận:\n- Như trên;"), signature[0][0])
        XCTAssertTrue(signature[0][1].hasPrefix("KT. CHÁNH VĂN PHÒNG\nPHÓ CHÁNH VĂN PHÒNG"), signature[0][1])
        XCTAssertTrue(signature[0][1].hasSuffix("Nguyễn Thanh Hùng"), signature[0][1])
        // No personal data, in any part of the file.
        let all = (texts + d.tables.flatMap { $0.flatMap { $0 } }).joined(separator: "\n")
        XCTAssertFalse(all.contains("Trần Thị Bình") || all.contains("0900000"), "no personal data in a report")
        XCTAssertEqual(d.title, "Báo cáo tình hình tiếp nhận và xử lý phản ánh kiến nghị từ 04/6/2026 đến 11/6/2026")

        // Equal inputs, equal bytes: the file is stamped with the report's end, not the clock.
        XCTAssertEqual(try ReportRenderer.file(r, as: .docx, letter: letter), bytes)
    }

    func testMonthlyAndQuarterlyDocxOpenWithPythonDocx() throws {
        try buildPreviousDays()
        try buildWeek()
        let monthly = try store.monthlyReport(from: vn("2026-06-01T00:00:00"), to: vn("2026-07-01T00:00:00"), asOf: to)
        let m = try readDocx(try ReportRenderer.file(monthly, as: .docx), in: dir, name: "bieu-mau-01.docx")
        XCTAssertEqual(m.headings, ["1. Tổng quan", "2. Số lượng phản ánh, kiến nghị theo các lĩnh vực",
                                    "3. Tình hình tiếp nhận, xử lý phản ánh, kiến nghị theo các cơ quan, đơn vị"])
        XCTAssertTrue(m.paragraphs.contains { $0.text.hasPrefix("Tình hình tiếp nhận và xử lý phản ánh, kiến nghị qua Tổng đài 1022 tháng 6 năm 2026") })
        let indicators = try XCTUnwrap(m.table(startingWith: "Chỉ tiêu"))
        XCTAssertEqual(indicators[1], ["Đã hoàn thành", "44", "65,7%"])
        XCTAssertEqual(indicators[2], ["   - Đúng hạn", "40", "90,9%"])
        XCTAssertEqual(indicators.last, ["TỔNG SỐ", "67", "100%"])
        XCTAssertEqual(try XCTUnwrap(m.tables[0].first)[1].components(separatedBy: "\n").last, "Hải Phòng, ngày 30 tháng 6 năm 2026")
        XCTAssertEqual(m.table(startingWith: "Lĩnh vực")?.first { $0[0] == "Quốc phòng an ninh" }, ["Quốc phòng an ninh", "4", "6,0%"])

        let a = try portalTicket(at: vn("2026-05-02T09:00:00"), category: .suggestion, topic: .citySuggestion, summary: "Trồng thêm cây xanh & ghế đá")
        let quarterly = try store.quarterlyReport(from: vn("2026-04-01T00:00:00"), to: vn("2026-07-01T00:00:00"), asOf: to)
        let q = try readDocx(try ReportRenderer.file(quarterly, as: .docx), in: dir, name: "quy.docx")
        XCTAssertTrue(q.paragraphs.contains { $0.text.contains("quý II năm 2026") }, "\(q.paragraphs.map(\.text))")
        let list = try XCTUnwrap(q.table(startingWith: "STT"))
        XCTAssertTrue(list.contains { $0[1] == a && $0[2] == "Trồng thêm cây xanh & ghế đá" }, "\(list)")
    }

    /// The fix: a report whose period ends before the first ticket counts from the period's start, never from
    /// a later day (it said "từ 01/12/2026" for a week of June).
    func testCumulativeFiguresNeverStartAfterThePeriod() throws {
        _ = try portalTicket(at: vn("2026-12-01T09:00:00"))
        let r = try store.weeklyReport(from: vn("2026-06-23T00:00:00"), to: vn("2026-06-30T00:00:00"), asOf: vn("2026-06-30T00:00:00"))
        XCTAssertLessThanOrEqual(r.cumulativeSince, r.from)
        XCTAssertEqual(r.cumulativeSince, vn("2026-06-23T00:00:00"))
        XCTAssertEqual(r.cumulative.total, 0)
        let md = try ReportRenderer.render(r, as: .md)
        XCTAssertTrue(md.contains("Tổng số PAKN từ 23/06/2026 đến nay là 0"), md)
        XCTAssertFalse(md.contains("01/12/2026"), md)
        let m = try store.monthlyReport(from: vn("2026-06-01T00:00:00"), to: vn("2026-07-01T00:00:00"), asOf: vn("2026-07-01T00:00:00"))
        XCTAssertEqual(m.cumulativeSince, vn("2026-06-01T00:00:00"))
        // With tickets before the period, the first ticket still opens the cumulative figures.
        _ = try portalTicket(at: vn("2026-05-10T09:00:00"))
        XCTAssertEqual(try store.weeklyReport(from: vn("2026-06-23T00:00:00"), to: vn("2026-06-30T00:00:00"),
                                              asOf: vn("2026-06-30T00:00:00")).cumulativeSince, vn("2026-05-10T09:00:00"))
    }

    func testTheWeeklyTrendCountsEachWeek() throws {
        try buildPreviousDays()
        try buildWeek()
        let trend = try store.weeklyTrend(to: to, weeks: 3, asOf: to)
        XCTAssertEqual(trend.weeks.map(\.received), [0, 24, 43])
        XCTAssertEqual(trend.current?.completed, 24)
        XCTAssertEqual(trend.weeks.map(\.to), [to.addingTimeInterval(-14 * 86400), from, to])
        XCTAssertEqual(trend.weeks[1].completed, 20)
    }
}
