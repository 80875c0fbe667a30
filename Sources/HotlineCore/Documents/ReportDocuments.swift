import Foundation

/// The reports as the city office sends them (seed 000's layout): the letterhead with the issuer, the number
/// and the national motto, the title, the addressees, numbered sections with bordered tables, the copies and
/// the signature block. `docx` gives the file; `document` the model, for tests and other renderings.
public enum ReportDocuments {
    typealias P = WordDocument.Paragraph
    typealias C = WordDocument.Cell
    typealias R = WordDocument.Run
    /// The page's text width in twentieths of a point: A4 less 3 cm and 2 cm margins (16 cm).
    static let width = 9071

    // MARK: Weekly (seed 000)

    public static func weekly(_ r: WeeklyReport, letter: ReportLetter = ReportLetter()) -> WordDocument {
        let w = r.week
        let c = r.cumulative
        let last = lastDay(r.to)
        var doc = WordDocument(title: "Báo cáo tình hình tiếp nhận và xử lý phản ánh kiến nghị từ \(day(r.from)) đến \(day(r.to))")
        opening(&doc, letter, lastDay: last, subtitle: "Tình hình tiếp nhận và xử lý phản ánh kiến nghị tại thành phố Hải Phòng\n"
                    + "(Kỳ báo cáo từ ngày \(day(r.from)) đến ngày \(day(r.to)))")
        doc.add(P([R("\(letter.agencyName) báo cáo kết quả giải quyết phản ánh, kiến nghị (PAKN) qua Tổng đài 1022 từ "
                     + "\(clock(r.from)) ngày \(sameYear(r.from, r.to) ? dayMonth(r.from) : day(r.from)) đến \(clock(r.to)) ngày \(day(r.to)) cụ thể như sau:")],
                  firstLineIndent: 567))

        heading(&doc, "1. Chỉ số tổng quan")
        var overview = "Tổng số PAKN từ \(day(r.cumulativeSince)) đến nay là \(c.total). Trong đó, số PAKN tiếp nhận trong tuần này là "
            + "\(w.total), so sánh với số PAKN tiếp nhận tuần trước là \(r.previousWeekReceived), \(ReportRenderer.changeText(r))."
        if w.closedOtherwise > 0 {
            overview += " Ngoài ra, \(w.closedOtherwise) PAKN tiếp nhận trong tuần đã bị từ chối, được thu hồi hoặc gộp vào phản ánh trước."
        }
        doc.add(P(overview, firstLineIndent: 567))
        let third = width / 6
        doc.add(WordDocument.Table(columns: Array(repeating: third, count: 6), rows: [
            [C("Số PAKN tiếp nhận", bold: true, alignment: .center, span: 2, shaded: true),
             C("Đã hoàn thành", bold: true, alignment: .center, span: 2, shaded: true),
             C("Đang xử lý", bold: true, alignment: .center, span: 2, shaded: true)],
            (0..<3).flatMap { _ in [C("Trong tuần", bold: true, alignment: .center), C("Tổng số", bold: true, alignment: .center)] },
            [w.total, c.total, w.completed, c.completed, w.inProgress, c.inProgress].map { C(String($0), alignment: .center) },
        ], headerRows: 2))

        heading(&doc, "2. Lĩnh vực chuyên mục")
        let topTopic = r.byTopic.map(\.count).max()
        doc.add(WordDocument.Table(columns: [4000, 1400, 1400, 2271], rows:
            [header(["Chuyên mục", "Số PAKN", "Tỉ trọng", "Ghi chú"])]
            + r.byTopic.map { l in
                [C(l.label), C(String(l.count), alignment: .center), C(ReportFormat.percent(l.share), alignment: .center),
                 C(l.count == topTopic && l.count > 0 ? "Tỷ trọng cao nhất" : "")]
            }
            + [[C("TỔNG CỘNG", bold: true), C(String(w.total), bold: true, alignment: .center),
                C(w.total == 0 ? "–" : "100%", bold: true, alignment: .center),
                C("Tỷ lệ HT: \(ReportFormat.percent(r.completionRate))", bold: true)]],
            headerRows: 1))

        heading(&doc, "3. Kênh tiếp nhận")
        let channels = r.byChannel.enumerated().sorted { ($1.element.count, $0.offset) < ($0.element.count, $1.offset) }.map(\.element)
        doc.add(WordDocument.Table(columns: [3600, 1500, 1500, 2471], rows:
            [header(["Kênh tiếp nhận", "Số lượng", "Tỉ trọng", "Nhận xét"])]
            + channels.enumerated().map { i, l in
                [C(l.label), C(String(l.count), alignment: .center), C(ReportFormat.percent(l.share), alignment: .center),
                 C(i == 0 && channels.count > 1 ? "Kênh chủ đạo trong kỳ" : channelRemark(l.label))]
            }, headerRows: 1))

        if let p = r.phone {
            doc.add(P(ReportRenderer.phoneSummary(p), firstLineIndent: 567))
            doc.add(WordDocument.Table(columns: Array(repeating: 1296, count: 7), rows: [
                header(ReportRenderer.phoneHeader), ReportRenderer.phoneRow(p).map { C($0, alignment: .center) },
            ], headerRows: 1))
        }

        heading(&doc, "4. Tình hình tiếp nhận và giải quyết tại các đơn vị")
        doc.add(WordDocument.Table(columns: [700, 3471, 1200, 1200, 1200, 1300], rows:
            [header(["STT", "Đơn vị", "Tổng PAKN", "Hoàn thành", "Đang xử lý", "Từ chối, thu hồi, gộp"])]
            + r.byUnit.enumerated().map { i, u in
                [C(String(i + 1), alignment: .center), C(u.name)]
                    + [u.tally.total, u.tally.completed, u.tally.inProgress, u.tally.closedOtherwise].map { C(String($0), alignment: .center) }
            }
            + [[C("TỔNG CỘNG", bold: true, alignment: .center, span: 2)]
                + [w.total, w.completed, w.inProgress, w.closedOtherwise].map { C(String($0), bold: true, alignment: .center) }],
            headerRows: 1))

        heading(&doc, "5. Đánh giá tổng hợp")
        var positive = "Đã hoàn thành \(w.completed)/\(w.total) PAKN (\(ReportFormat.percent(r.completionRate)))."
        if r.onTimeRate != nil {
            positive += " Tỷ lệ xử lý đúng hạn trong số hồ sơ đã hoàn thành đạt \(ReportFormat.percent(r.onTimeRate))."
        }
        var improve = w.inProgress == 0 ? "Không còn PAKN tiếp nhận trong tuần đang xử lý."
            : "Còn \(w.inProgress) PAKN đang xử lý cần đôn đốc giải quyết"
                + (w.inProgressOverdue > 0 ? ", trong đó \(w.inProgressOverdue) PAKN đã quá hạn." : ".")
        if w.completedLate > 0 { improve += " \(w.completedLate) PAKN hoàn thành sau thời hạn." }
        doc.add(WordDocument.Table(columns: [2400, 6671], rows: [
            header(["TIÊU CHÍ", "NỘI DUNG ĐÁNH GIÁ"]),
            [C("Điểm tích cực", bold: true), C(positive)],
            [C("Điểm cần cải thiện", bold: true), C(improve)],
        ], headerRows: 1))

        heading(&doc, "6. Những khó khăn, vướng mắc")
        for text in letter.difficulties { doc.add(P(text, firstLineIndent: 567)) }
        if !r.overdue.isEmpty {
            doc.add(P("Các PAKN đang xử lý đã quá hạn tính đến \(clock(r.to)) ngày \(day(r.to)) (\(r.overdue.count) PAKN):", firstLineIndent: 567))
            doc.add(WordDocument.Table(columns: [700, 2700, 3471, 2200], rows:
                [header(["STT", "Mã số PAKN", "Đơn vị", "Hạn xử lý"])]
                + r.overdue.enumerated().map { i, o in
                    [C(String(i + 1), alignment: .center), C(o.trackingCode), C(o.unit),
                     C("\(clock(o.dueAt)) \(day(o.dueAt))", alignment: .center)]
                }, headerRows: 1))
        } else if letter.difficulties.isEmpty {
            doc.add(P("Trong kỳ không có PAKN quá hạn xử lý.", firstLineIndent: 567))
        }

        heading(&doc, "7. Đề xuất, kiến nghị phương án khắc phục")
        for text in letter.proposals { doc.add(P(text, firstLineIndent: 567)) }
        let lateUnits = orderedUnique(r.overdue.map(\.unit))
        if !lateUnits.isEmpty {
            doc.add(P("Đề nghị \(lateUnits.joined(separator: ", ")) khẩn trương giải quyết các PAKN đã quá hạn; cập nhật đầy đủ kết quả "
                      + "giải quyết, hình ảnh và tài liệu minh chứng trên hệ thống để Tổng đài 1022 xác nhận hoàn thành.", firstLineIndent: 567))
        }
        if letter.proposals.isEmpty {
            doc.add(P("Đề nghị các cơ quan, đơn vị tiếp tục tiếp nhận, xử lý PAKN đúng thời hạn, bảo đảm chất lượng; cập nhật đầy đủ "
                      + "kết quả giải quyết trên hệ thống Tổng đài 1022.", firstLineIndent: 567))
        }
        closing(&doc, letter)
        return doc
    }

    // MARK: Monthly (Form 01)

    public static func monthly(_ r: MonthlyReport, letter: ReportLetter = ReportLetter()) -> WordDocument {
        let c = r.cumulative
        let last = lastDay(r.to)
        let first = Day(r.from)
        let period = first.month == last.month && first.year == last.year
            ? "tháng \(first.month) năm \(first.year)" : "từ ngày \(day(r.from)) đến ngày \(last.text)"
        var doc = WordDocument(title: "Báo cáo tình hình tiếp nhận và xử lý phản ánh, kiến nghị \(period)")
        opening(&doc, letter, lastDay: last,
                subtitle: "Tình hình tiếp nhận và xử lý phản ánh, kiến nghị qua Tổng đài 1022 \(period)\n(Biểu mẫu 01)")
        doc.add(P("\(letter.agencyName) báo cáo tình hình tiếp nhận và xử lý phản ánh, kiến nghị qua Tổng đài 1022 \(period) cụ thể như sau:",
                  firstLineIndent: 567))

        heading(&doc, "1. Tổng quan")
        doc.add(P("a) Số liệu lũy kế từ ngày \(day(r.cumulativeSince)) đến ngày \(last.text): tổng số phản ánh, kiến nghị đã tiếp nhận: \(c.total), trong đó:",
                  firstLineIndent: 567))
        let pct = ReportRenderer.pct
        doc.add(WordDocument.Table(columns: [5071, 2000, 2000], rows: [
            header(["Chỉ tiêu", "Số PAKN", "Tỷ lệ"]),
            row("Đã hoàn thành", c.completed, pct(c.completed, c.total)),
            row("   - Đúng hạn", c.completedOnTime, pct(c.completedOnTime, c.completed)),
            row("   - Quá hạn", c.completedLate, pct(c.completedLate, c.completed)),
            row("Đang xử lý", c.inProgress, pct(c.inProgress, c.total)),
            row("   - Quá hạn xử lý", c.inProgressOverdue, pct(c.inProgressOverdue, c.inProgress)),
            row("Từ chối xử lý", c.refused, pct(c.refused, c.total)),
            row("Người dân thu hồi", c.withdrawn, pct(c.withdrawn, c.total)),
            row("Trùng lặp, đã gộp", c.merged, pct(c.merged, c.total)),
            [C("TỔNG SỐ", bold: true), C(String(c.total), bold: true, alignment: .center), C(c.total == 0 ? "–" : "100%", bold: true, alignment: .center)],
        ], headerRows: 1))
        doc.add(P("b) Trong kỳ: tiếp nhận \(r.month.total) phản ánh, kiến nghị; đã hoàn thành \(r.month.completed); đang xử lý \(r.month.inProgress).",
                  firstLineIndent: 567))

        heading(&doc, "2. Số lượng phản ánh, kiến nghị theo các lĩnh vực")
        doc.add(WordDocument.Table(columns: [5071, 2000, 2000], rows:
            [header(["Lĩnh vực", "Số PAKN", "Tỷ lệ"])]
            + r.byField.map { [C($0.label), C(String($0.count), alignment: .center), C(ReportFormat.percent($0.share), alignment: .center)] }
            + [[C("TỔNG CỘNG", bold: true), C(String(r.month.total), bold: true, alignment: .center),
                C(r.month.total == 0 ? "–" : "100%", bold: true, alignment: .center)]], headerRows: 1))

        heading(&doc, "3. Tình hình tiếp nhận, xử lý phản ánh, kiến nghị theo các cơ quan, đơn vị")
        doc.add(P("a) Các cơ quan, đơn vị có nhiều phản ánh, kiến nghị nhất:", firstLineIndent: 567))
        numberedTable(&doc, r.mostTickets, columns: [700, 3971, 1500, 1400, 1500],
                      titles: ["Đơn vị", "Tổng PAKN", "Hoàn thành", "Đang xử lý"],
                      empty: "Không có phản ánh, kiến nghị chuyển đến đơn vị trong kỳ.") { u in
            [C(u.name)] + [u.tally.total, u.tally.completed, u.tally.inProgress].map { C(String($0), alignment: .center) }
        }
        doc.add(P("b) Các cơ quan, đơn vị có tỷ lệ quá hạn cao:", firstLineIndent: 567))
        numberedTable(&doc, r.highestOverdueRate, columns: [700, 4371, 2000, 2000],
                      titles: ["Đơn vị", "Tổng PAKN", "Tỷ lệ quá hạn"],
                      empty: "Không có đơn vị nào có phản ánh, kiến nghị quá hạn.") { u in
            [C(u.name), C(String(u.tally.total), alignment: .center), C(ReportFormat.percent(u.overdueRate), alignment: .center)]
        }
        difficultiesAndProposals(&doc, letter, heading: "4. Khó khăn, vướng mắc và đề xuất, kiến nghị")
        closing(&doc, letter, text: "Trên đây là báo cáo tình hình tiếp nhận và xử lý phản ánh, kiến nghị qua Tổng đài 1022 \(period)./.")
        return doc
    }

    // MARK: Quarterly

    public static func quarterly(_ r: QuarterlyReport, letter: ReportLetter = ReportLetter()) -> WordDocument {
        let last = lastDay(r.to)
        let first = Day(r.from)
        let roman = ["I", "II", "III", "IV"]
        let isQuarter = first.day == 1 && (first.month - 1) % 3 == 0 && lastDay(r.to) == Self.quarterEnd(first)
        let period = isQuarter ? "quý \(roman[(first.month - 1) / 3]) năm \(first.year)" : "từ ngày \(day(r.from)) đến ngày \(last.text)"
        var doc = WordDocument(title: "Báo cáo góp ý, hiến kế xây dựng thành phố \(period)")
        opening(&doc, letter, lastDay: last, subtitle: "Tổng hợp góp ý, hiến kế xây dựng thành phố qua Tổng đài 1022 \(period)")

        heading(&doc, "1. Tổng quan")
        let s = r.suggestions
        doc.add(P("Từ ngày \(day(r.from)) đến ngày \(last.text), Tổng đài 1022 tiếp nhận \(r.quarter.total) phản ánh, kiến nghị, trong đó "
                  + "\(s.total) góp ý, hiến kế xây dựng thành phố (đã hoàn thành \(s.completed), đang xử lý \(s.inProgress)).",
                  firstLineIndent: 567))
        heading(&doc, "2. Danh sách góp ý, hiến kế")
        numberedTable(&doc, r.items, columns: [600, 1900, 3071, 1600, 1100, 800],
                      titles: ["Mã số", "Nội dung", "Đơn vị", "Trạng thái", "Đánh giá"],
                      empty: "Không có góp ý, hiến kế trong kỳ.") { item in
            [C(item.trackingCode), C(item.summary), C(item.unit), C(item.status.label),
             C(item.rating.map { "\($0)/5" } ?? "", alignment: .center)]
        }
        difficultiesAndProposals(&doc, letter, heading: "3. Đề xuất, kiến nghị")
        closing(&doc, letter, text: "Trên đây là báo cáo tổng hợp góp ý, hiến kế xây dựng thành phố qua Tổng đài 1022 \(period)./.")
        return doc
    }

    // MARK: Parts of every report

    /// Issuer and number on the left, the national motto and the date line on the right (Decree 30/2020).
    static func letterhead(_ doc: inout WordDocument, _ l: ReportLetter, issued: Date) {
        let d = Day(issued)
        func line(_ text: String, bold: Bool = false, italic: Bool = false, underline: Bool = false, size: Double? = nil) -> P {
            P([R(text, bold: bold, italic: italic, underline: underline, size: size)], alignment: .center, spaceAfter: 0)
        }
        doc.add(WordDocument.Table(columns: [3600, 5471], rows: [
            [C([line(l.parentAgency, size: 12), line(l.agency, bold: true, size: 12), line("")] + [line(l.number)]),
             C([line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold: true, size: 12), line("Độc lập - Tự do - Hạnh phúc", bold: true, underline: true),
                line(""), line("\(l.place), ngày \(d.day) tháng \(d.month) năm \(d.year)", italic: true)])],
        ], borders: false))
    }

    static func addressees(_ doc: inout WordDocument, _ l: ReportLetter) {
        guard !l.addressees.isEmpty else { return }
        let lines = l.addressees.count == 1 ? l.addressees[0] : l.addressees.map { "- " + $0 }.joined(separator: "\n")
        doc.add(P([R("Kính gửi: "), R(lines)], alignment: .center, spaceAfter: 240))
    }

    /// The letterhead, "BÁO CÁO" over the report's subtitle, and the addressees. A letter without an issue date
    /// is dated at the start of the period's last day.
    static func opening(_ doc: inout WordDocument, _ l: ReportLetter, lastDay: Day, subtitle: String) {
        letterhead(&doc, l, issued: l.issued ?? lastDay.at(minutes: 0))
        doc.add(P([R("BÁO CÁO", bold: true, size: 14)], alignment: .center, style: "Title", spaceBefore: 240, spaceAfter: 0))
        doc.add(P([R(subtitle, bold: true)], alignment: .center, spaceAfter: 240))
        addressees(&doc, l)
    }

    /// A bordered table whose first column numbers the rows (STT), or the paragraph `empty` when there is
    /// nothing to list.
    static func numberedTable<T>(_ doc: inout WordDocument, _ items: [T], columns: [Int], titles: [String], empty: String,
                                 cells: (T) -> [C]) {
        guard !items.isEmpty else { doc.add(P(empty, firstLineIndent: 567)); return }
        doc.add(WordDocument.Table(columns: columns, rows: [header(["STT"] + titles)]
            + items.enumerated().map { i, item in [C(String(i + 1), alignment: .center)] + cells(item) }, headerRows: 1))
    }

    /// The letter's difficulties and proposals under one heading, when it has any.
    static func difficultiesAndProposals(_ doc: inout WordDocument, _ l: ReportLetter, heading title: String) {
        guard !l.difficulties.isEmpty || !l.proposals.isEmpty else { return }
        heading(&doc, title)
        for text in l.difficulties + l.proposals { doc.add(P(text, firstLineIndent: 567)) }
    }

    static func heading(_ doc: inout WordDocument, _ text: String) {
        doc.add(P([R(text, bold: true)], alignment: .left, style: "Heading1", firstLineIndent: 567, spaceBefore: 120, spaceAfter: 120,
                  keepWithNext: true))
    }

    /// The closing paragraph, then "Nơi nhận" on the left and the signature on the right.
    static func closing(_ doc: inout WordDocument, _ l: ReportLetter, text: String? = nil) {
        doc.add(P(text ?? l.closing, firstLineIndent: 567))
        let copies = [P([R("Nơi nhận:", bold: true, italic: true, size: 12)], alignment: .left, spaceAfter: 0)]
            + l.copies.map { P([R("- " + $0, size: 11)], alignment: .left, spaceAfter: 0) }
        let signer = l.signerTitle.map { P([R($0, bold: true)], alignment: .center, spaceAfter: 0) }
            + [P([R("\n\n\n\n")], alignment: .center, spaceAfter: 0), P([R(l.signerName, bold: true)], alignment: .center, spaceAfter: 0)]
        doc.add(WordDocument.Table(columns: [4300, 4771], rows: [[C(copies), C(signer)]], borders: false))
    }

    static func header(_ titles: [String]) -> [C] { titles.map { C($0, bold: true, alignment: .center, shaded: true) } }

    static func row(_ label: String, _ n: Int, _ share: String) -> [C] {
        [C(label), C(String(n), alignment: .center), C(share, alignment: .center)]
    }

    static func channelRemark(_ label: String) -> String {
        label == Channel.phone.label ? "Kênh truyền thống" : "Kênh số"
    }

    static func orderedUnique(_ xs: [String]) -> [String] {
        var seen = Set<String>()
        return xs.filter { seen.insert($0).inserted }
    }

    // MARK: Dates as the city office writes them

    /// `04/6/2026`: the day in two digits, the month as is (seed 000).
    public static func day(_ d: Date) -> String { Day(d).text }
    /// `04/6`.
    static func dayMonth(_ d: Date) -> String {
        let x = Day(d)
        return String(format: "%02d/%d", x.day, x.month)
    }
    /// `10h00'`.
    static func clock(_ d: Date) -> String {
        let c = Day.calendar.dateComponents([.hour, .minute], from: d)
        return String(format: "%02dh%02d'", c.hour ?? 0, c.minute ?? 0)
    }
    static func sameYear(_ a: Date, _ b: Date) -> Bool { Day(a).year == Day(b).year }
    /// The last day a period [from, to) covers: a period ending at midnight covers the day before.
    static func lastDay(_ to: Date) -> Day { Day(to.addingTimeInterval(-1)) }
    static func quarterEnd(_ first: Day) -> Day {
        let next = first.month + 3 > 12 ? Day(first.year + 1, first.month + 3 - 12, 1) : Day(first.year, first.month + 3, 1)
        return Day(next.at(minutes: 0).addingTimeInterval(-1))
    }

    /// The `.docx` bytes of a document, stamped with the report's end.
    public static func docx(_ doc: WordDocument, stamped: Date) throws -> [UInt8] { try doc.docx(modified: stamped) }
}

extension Day {
    /// `04/6/2026`.
    var text: String { String(format: "%02d/%d/%d", day, month, year) }
}
