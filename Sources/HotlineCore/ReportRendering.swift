import Foundation

/// Output formats of `hotline1022 report`.
public enum ReportOutput: String, CaseIterable, Sendable {
    case md, csv, json
}

/// The files a report is given as: text (md, csv, json) or a Word document (docx).
public enum ReportFileFormat: String, CaseIterable, Sendable {
    case md, csv, json, docx

    public var contentType: String {
        switch self {
        case .md: "text/markdown; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .json: "application/json"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
    }

    public var fileExtension: String { rawValue }
}

/// Renders reports in Vietnamese, as the city office prints them (seed 000; Form 01).
public enum ReportRenderer {
    /// Starts every CSV: the UTF-8 byte order mark (EF BB BF), without which Excel reads the file in the
    /// local code page and garbles the Vietnamese.
    public static let byteOrderMark = "\u{FEFF}"

    /// A report as the bytes of a file: the text formats in UTF-8 (the CSV with its byte order mark), the
    /// Word document stamped with the report's end.
    public static func file(_ r: WeeklyReport, as format: ReportFileFormat, letter: ReportLetter = ReportLetter()) throws -> [UInt8] {
        try file(format, stamped: r.to, text: { try render(r, as: $0) },
                 document: { ReportDocuments.weekly(r, letter: letter) })
    }

    public static func file(_ r: MonthlyReport, as format: ReportFileFormat, letter: ReportLetter = ReportLetter()) throws -> [UInt8] {
        try file(format, stamped: r.to, text: { try render(r, as: $0) },
                 document: { ReportDocuments.monthly(r, letter: letter) })
    }

    public static func file(_ r: QuarterlyReport, as format: ReportFileFormat, letter: ReportLetter = ReportLetter()) throws -> [UInt8] {
        try file(format, stamped: r.to, text: { try render(r, as: $0) },
                 document: { ReportDocuments.quarterly(r, letter: letter) })
    }

    static func file(_ format: ReportFileFormat, stamped: Date, text: (ReportOutput) throws -> String,
                     document: () -> WordDocument) throws -> [UInt8] {
        guard let output = ReportOutput(rawValue: format.rawValue) else { return try document().docx(modified: stamped) }
        return Array(try text(output).utf8)
    }

    static func pct(_ part: Int, _ whole: Int) -> String { ReportFormat.percent(whole == 0 ? nil : Double(part) / Double(whole)) }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        (["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---|" }.joined()]
            + rows.map { "| " + $0.joined(separator: " | ") + " |" }).joined(separator: "\n")
    }

    /// `[from, to)` as the monthly and quarterly reports print it: "dd/MM/yyyy đến hết" the period's last day.
    static func untilEndOf(_ from: Date, _ to: Date) -> String {
        "\(ReportFormat.date(from)) đến hết \(ReportFormat.date(to.addingTimeInterval(-1)))"
    }

    /// CSV lines as a file's text: one line each, the last one ended too.
    static func csvText(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }

    public static func csvLine(_ cells: [String]) -> String {
        cells.map { c in c.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + c.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : c }.joined(separator: ",")
    }

    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    // MARK: Weekly

    public static func render(_ r: WeeklyReport, as format: ReportOutput) throws -> String {
        switch format {
        case .json: return try json(r)
        case .csv: return weeklyCSV(r)
        case .md: return weeklyMarkdown(r)
        }
    }

    static func changeText(_ r: WeeklyReport) -> String {
        guard let c = r.changePercent else { return "tuần trước không có PAKN" }
        return c > 0 ? "tăng \(c)%" : c < 0 ? "giảm \(-c)%" : "không thay đổi"
    }

    static func weeklyMarkdown(_ r: WeeklyReport) -> String {
        let w = r.week
        let c = r.cumulative
        var s = "# Báo cáo tình hình tiếp nhận và xử lý phản ánh, kiến nghị qua Tổng đài 1022\n\n"
        s += "Kỳ báo cáo từ \(ReportFormat.date(r.from, time: true)) đến \(ReportFormat.date(r.to, time: true)).\n\n"
        s += "## 1. Chỉ số tổng quan\n\n"
        s += "Tổng số PAKN từ \(ReportFormat.date(r.cumulativeSince)) đến nay là \(c.total). Trong đó, số PAKN tiếp nhận trong tuần này là "
        s += "\(w.total), so sánh với số PAKN tiếp nhận tuần trước là \(r.previousWeekReceived), \(changeText(r)).\n\n"
        s += table(["Tiếp nhận trong tuần", "Tiếp nhận tổng số", "Hoàn thành trong tuần", "Hoàn thành tổng số",
                    "Đang xử lý trong tuần", "Đang xử lý tổng số", "Từ chối/thu hồi/gộp trong tuần"],
                   [[w.total, c.total, w.completed, c.completed, w.inProgress, c.inProgress, w.closedOtherwise].map(String.init)])
        s += "\n\n## 2. Lĩnh vực chuyên mục\n\n"
        s += table(["Chuyên mục", "Số PAKN", "Tỉ trọng"], r.byTopic.map { [$0.label, String($0.count), ReportFormat.percent($0.share)] }
                   + [["TỔNG CỘNG", String(w.total), "Tỷ lệ HT: \(ReportFormat.percent(r.completionRate))"]])
        s += "\n\n## 3. Kênh tiếp nhận\n\n"
        s += table(["Kênh tiếp nhận", "Số lượng", "Tỉ trọng"], r.byChannel.map { [$0.label, String($0.count), ReportFormat.percent($0.share)] })
        if let p = r.phone {
            s += "\n\n### Cuộc gọi tới tổng đài viên\n\n" + phoneSummary(p) + "\n\n"
            s += table(phoneHeader, [phoneRow(p)])
        }
        s += "\n\n## 4. Tình hình tiếp nhận và giải quyết tại các đơn vị\n\n"
        s += table(["STT", "Đơn vị", "Tổng PAKN", "Hoàn thành", "Đang xử lý", "Từ chối/thu hồi/gộp"],
                   r.byUnit.enumerated().map { i, u in
                       [String(i + 1), u.name, String(u.tally.total), String(u.tally.completed), String(u.tally.inProgress),
                        String(u.tally.closedOtherwise)]
                   } + [["", "TỔNG CỘNG", String(w.total), String(w.completed), String(w.inProgress), String(w.closedOtherwise)]])
        s += "\n\n## 5. Đánh giá tổng hợp\n\n"
        s += "- Đã hoàn thành \(w.completed)/\(w.total) PAKN (\(ReportFormat.percent(r.completionRate))). "
        s += "Tỷ lệ xử lý đúng hạn trong số hồ sơ đã hoàn thành đạt \(ReportFormat.percent(r.onTimeRate)).\n"
        s += "- Còn \(w.inProgress) PAKN đang xử lý cần đôn đốc giải quyết, trong đó \(w.inProgressOverdue) PAKN quá hạn.\n"
        if !r.overdue.isEmpty {
            s += "\n### PAKN quá hạn\n\n"
            s += table(["Mã số", "Đơn vị", "Hạn xử lý"], r.overdue.map { [$0.trackingCode, $0.unit, ReportFormat.date($0.dueAt, time: true)] })
            s += "\n"
        }
        return s
    }

    /// The phone section (issue 23 §7): one sentence and one table row, the same in every format.
    static let phoneHeader = ["Vào hàng chờ", "Được nghe máy", "Bỏ máy khi chờ", "Nghe máy trong 20 giây", "Chờ trung bình",
                              "Chuyển sang ghi âm", "Cần gọi lại / gặp được"]

    static func phoneRow(_ p: PhoneWeek) -> [String] {
        [String(p.queue.offered), String(p.queue.answered), "\(p.queue.abandoned) (\(ReportFormat.percent(p.queue.abandonmentRate)))",
         ReportFormat.percent(p.queue.serviceLevel), p.queue.asaSeconds.map { "\(Int($0.rounded())) giây" } ?? "–", String(p.toVoiceReport),
         "\(p.callbacks) / \(p.callbacksReached)"]
    }

    static func phoneSummary(_ p: PhoneWeek) -> String {
        "Trong tuần có \(p.queue.offered) cuộc gọi chờ gặp tổng đài viên; \(p.queue.answered) cuộc được nghe máy, "
            + "\(ReportFormat.percent(p.queue.serviceLevel)) trong số đó trong vòng 20 giây (tính cả cuộc bỏ máy sau 5 giây: "
            + "\(ReportFormat.percent(p.queue.serviceLevelWithAbandoned))); \(p.queue.abandoned) người gọi bỏ máy khi đang chờ, "
            + "\(p.toVoiceReport) chuyển sang để lại lời nhắn ghi âm; \(p.callbacks) số cần gọi lại, đã gặp được \(p.callbacksReached)."
    }

    static func weeklyCSV(_ r: WeeklyReport) -> String {
        var lines = [byteOrderMark + csvLine(["bang", "muc", "so_luong", "ti_trong", "hoan_thanh", "dang_xu_ly", "khac"])]
        let w = r.week
        lines.append(csvLine(["tong_quan", "trong_tuan", String(w.total), "", String(w.completed), String(w.inProgress), String(w.closedOtherwise)]))
        lines.append(csvLine(["tong_quan", "tuan_truoc", String(r.previousWeekReceived), r.changePercent.map { "\($0)%" } ?? "", "", "", ""]))
        lines.append(csvLine(["tong_quan", "luy_ke", String(r.cumulative.total), "", String(r.cumulative.completed),
                              String(r.cumulative.inProgress), String(r.cumulative.closedOtherwise)]))
        for l in r.byTopic { lines.append(csvLine(["chuyen_muc", l.label, String(l.count), ReportFormat.percent(l.share), "", "", ""])) }
        for l in r.byChannel { lines.append(csvLine(["kenh", l.label, String(l.count), ReportFormat.percent(l.share), "", "", ""])) }
        for u in r.byUnit {
            lines.append(csvLine(["don_vi", u.name, String(u.tally.total), "", String(u.tally.completed), String(u.tally.inProgress),
                                  String(u.tally.closedOtherwise)]))
        }
        if let p = r.phone {
            for (key, value) in [("vao_hang_cho", String(p.queue.offered)), ("duoc_nghe_may", String(p.queue.answered)),
                                 ("bo_may", String(p.queue.abandoned)), ("muc_phuc_vu_20s", ReportFormat.percent(p.queue.serviceLevel)),
                                 ("muc_phuc_vu_tinh_bo_may", ReportFormat.percent(p.queue.serviceLevelWithAbandoned)),
                                 ("cho_trung_binh_giay", p.queue.asaSeconds.map { String(Int($0.rounded())) } ?? ""),
                                 ("ty_le_bo_may", ReportFormat.percent(p.queue.abandonmentRate)),
                                 ("sang_ghi_am", String(p.toVoiceReport)), ("can_goi_lai", String(p.callbacks)),
                                 ("goi_lai_gap_duoc", String(p.callbacksReached))] {
                lines.append(csvLine(["dien_thoai", key, value, "", "", "", ""]))
            }
        }
        lines.append(csvLine(["danh_gia", "ty_le_hoan_thanh", "", ReportFormat.percent(r.completionRate), "", "", ""]))
        lines.append(csvLine(["danh_gia", "ty_le_dung_han", "", ReportFormat.percent(r.onTimeRate), "", "", ""]))
        for o in r.overdue { lines.append(csvLine(["qua_han", o.trackingCode, "", "", o.unit, ReportFormat.date(o.dueAt, time: true), ""])) }
        return csvText(lines)
    }

    // MARK: Monthly (Form 01)

    public static func render(_ r: MonthlyReport, as format: ReportOutput) throws -> String {
        let c = r.cumulative
        switch format {
        case .json: return try json(r)
        case .csv:
            var lines = [byteOrderMark + csvLine(["muc", "chi_tieu", "so_luong", "ti_le"])]
            let rows: [(String, Int, Int)] = [
                ("tong_so", c.total, c.total), ("hoan_thanh", c.completed, c.total), ("dung_han", c.completedOnTime, c.completed),
                ("qua_han", c.completedLate, c.completed), ("dang_xu_ly", c.inProgress, c.total),
                ("dang_xu_ly_qua_han", c.inProgressOverdue, c.inProgress), ("tu_choi", c.refused, c.total),
                ("thu_hoi", c.withdrawn, c.total),
            ]
            for (k, n, of) in rows { lines.append(csvLine(["luy_ke", k, String(n), pct(n, of)])) }
            lines.append(csvLine(["trong_thang", "tiep_nhan", String(r.month.total), ""]))
            for l in r.byField { lines.append(csvLine(["linh_vuc", l.label, String(l.count), ReportFormat.percent(l.share)])) }
            for u in r.mostTickets { lines.append(csvLine(["nhieu_nhat", u.name, String(u.tally.total), ""])) }
            for u in r.highestOverdueRate {
                lines.append(csvLine(["qua_han_cao", u.name, String(u.tally.total), ReportFormat.percent(u.overdueRate)]))
            }
            return csvText(lines)
        case .md:
            var s = "# Báo cáo tình hình tiếp nhận và xử lý phản ánh, kiến nghị (Biểu mẫu 01)\n\n"
            s += "Kỳ báo cáo từ \(untilEndOf(r.from, r.to)).\n\n"
            s += "## 1. Tổng quan\n\n"
            s += "a) Số liệu lũy kế từ \(ReportFormat.date(r.cumulativeSince)) đến \(ReportFormat.date(r.to.addingTimeInterval(-1))): "
            s += "Tổng số phản ánh, kiến nghị đã tiếp nhận: \(c.total), trong đó:\n\n"
            s += "- Đã hoàn thành: \(c.completed) phản ánh, kiến nghị (\(pct(c.completed, c.total))). Trong đó \(c.completedOnTime) "
            s += "phản ánh, kiến nghị đúng hạn (\(pct(c.completedOnTime, c.completed))), \(c.completedLate) phản ánh, kiến nghị quá hạn (\(pct(c.completedLate, c.completed))).\n"
            s += "- Đang xử lý: \(c.inProgress) (\(pct(c.inProgress, c.total))), trong đó \(c.inProgressOverdue) phản ánh, kiến nghị quá hạn xử lý (\(pct(c.inProgressOverdue, c.inProgress))).\n"
            s += "- Từ chối xử lý: \(c.refused) (\(pct(c.refused, c.total))).\n"
            s += "- Người dân thu hồi: \(c.withdrawn) (\(pct(c.withdrawn, c.total))).\n"
            s += "- Trùng lặp, đã gộp: \(c.merged) (\(pct(c.merged, c.total))).\n\n"
            s += "b) Trong tháng: tiếp nhận \(r.month.total), hoàn thành \(r.month.completed), đang xử lý \(r.month.inProgress).\n\n"
            s += "## 2. Số lượng phản ánh, kiến nghị theo các lĩnh vực\n\n"
            s += r.byField.map { "- \($0.label): \($0.count) phản ánh, kiến nghị (\(ReportFormat.percent($0.share)))." }.joined(separator: "\n")
            s += "\n\n## 3. Tình hình tiếp nhận, xử lý phản ánh, kiến nghị theo các cơ quan, đơn vị\n\n"
            s += "- Các địa phương có nhiều phản ánh, kiến nghị nhất:\n\n"
            s += table(["Đơn vị", "Tổng PAKN", "Hoàn thành", "Đang xử lý"], r.mostTickets.map {
                [$0.name, String($0.tally.total), String($0.tally.completed), String($0.tally.inProgress)]
            })
            s += "\n\n- Các địa phương có tỷ lệ quá hạn cao:\n\n"
            s += r.highestOverdueRate.isEmpty ? "Không có đơn vị nào quá hạn.\n" : table(["Đơn vị", "Tổng PAKN", "Tỷ lệ quá hạn"], r.highestOverdueRate.map {
                [$0.name, String($0.tally.total), ReportFormat.percent($0.overdueRate)]
            }) + "\n"
            return s
        }
    }

    // MARK: Quarterly

    public static func render(_ r: QuarterlyReport, as format: ReportOutput) throws -> String {
        switch format {
        case .json: return try json(r)
        case .csv:
            var lines = [byteOrderMark + csvLine(["ma_so", "tom_tat", "don_vi", "trang_thai", "danh_gia"])]
            for i in r.items {
                lines.append(csvLine([i.trackingCode, i.summary, i.unit, i.status.label, i.rating.map(String.init) ?? ""]))
            }
            return csvText(lines)
        case .md:
            var s = "# Báo cáo quý: góp ý, hiến kế xây dựng thành phố\n\n"
            s += "Từ \(untilEndOf(r.from, r.to)).\n\n"
            s += "Trong quý tiếp nhận \(r.quarter.total) PAKN, trong đó \(r.suggestions.total) góp ý, hiến kế "
            s += "(đã hoàn thành \(r.suggestions.completed), đang xử lý \(r.suggestions.inProgress)).\n\n"
            s += r.items.isEmpty ? "Không có góp ý, hiến kế trong quý.\n"
                : table(["Mã số", "Nội dung", "Đơn vị", "Trạng thái", "Đánh giá"], r.items.map {
                    [$0.trackingCode, $0.summary, $0.unit, $0.status.label, $0.rating.map { "\($0)/5" } ?? ""]
                }) + "\n"
            return s
        }
    }
}
