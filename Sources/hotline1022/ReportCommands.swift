import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let reportCommands = Command.group("report", "Báo cáo gửi Văn phòng UBND thành phố: hằng tuần (seed 000), Mẫu 01 hằng tháng, hằng quý, biểu đồ.", [
    reportWeeklyCommand,
    reportMonthlyCommand,
    reportQuarterlyCommand,
    reportChartCommand,
])

/// The options every report shares: the database, the format, the letter for a .docx, the output file.
let reportOutputHelp = """
    --format md|csv|json|docx (mặc định md). docx là văn bản hoàn chỉnh để Văn phòng UBND thành phố gửi đi
    ngay, theo bố cục của seed 000; tệp được ghi vào --out FILE, hoặc ra đầu ra chuẩn chỉ khi đầu ra đó không
    phải terminal. Tệp CSV bắt đầu bằng dấu BOM UTF-8 để Excel hiển thị đúng tiếng Việt.
    --letter FILE.json thay các phần cố định của văn bản (mặc định theo seed 000), bất kỳ trường nào trong số:
    parentAgency, agency, agencyName, number, place, issued ("2026-06-11"), addressees [..], difficulties [..]
    (mục 6), proposals [..] (mục 7), closing, copies [..], signerTitle [..], signerName.
    --out FILE ghi báo cáo vào tệp đó thay vì ra đầu ra chuẩn.
    """

struct ReportOutputOptions {
    var format: ReportFileFormat
    var letter: ReportLetter
    var out: String?

    init(_ args: inout Arguments) throws {
        let text = try args.option("--format") ?? "md"
        guard let f = ReportFileFormat(rawValue: text) else {
            throw UsageError("--format là md, csv, json hoặc docx, không phải '\(text)'")
        }
        format = f
        out = try args.option("--out")
        if let path = try args.option("--letter") {
            guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("không đọc được \(path)") }
            do {
                letter = try ReportLetter.decode(data)
            } catch {
                throw CommandFailure("\(path) không phải thư báo cáo hợp lệ (JSON): \(error)")
            }
        } else {
            letter = ReportLetter()
        }
        // Checked before the report is built: a Word file sprayed over a terminal helps no one.
        if format == .docx, out == nil, isatty(STDOUT_FILENO) != 0 {
            throw UsageError("tệp .docx cần --out FILE.docx (hoặc chuyển hướng đầu ra vào một tệp)")
        }
    }

    func emit(_ bytes: [UInt8]) throws {
        try writeReportOutput(bytes, to: out)
        if let out { print("Đã ghi \(out) (\(bytes.count) byte).") }
    }
}

/// Writes to `path` (whole, renamed over any earlier file) or to standard output.
func writeReportOutput(_ bytes: [UInt8], to path: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(Data(bytes))
        return
    }
    do {
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw CommandFailure("không ghi được \(path): \(error.localizedDescription)")
    }
}

let reportWeeklyCommand = Command.leaf(
    "weekly", "Báo cáo tuần: tuần này so với tuần trước, theo chuyên mục, kênh và đơn vị, nêu rõ các phản ánh quá hạn.",
    help: """
        [--to DATE[THH:MM]] [--since DATE] [--format md|csv|json|docx] [--letter FILE.json] [--out FILE] [--db PATH]

        Tuần là 7 ngày trước thời điểm --to (giờ Việt Nam; mặc định là bây giờ), ví dụ --to 2026-06-11T10:00 cho
        báo cáo ngày thứ Năm. Số liệu lũy kế tính từ --since (mặc định: phản ánh đầu tiên, hoặc ngày đầu tuần
        nếu ngày đó sớm hơn); --since sau ngày đầu tuần bị từ chối.
        \(reportOutputHelp)
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let output = try ReportOutputOptions(&args)
    let to = try args.option("--to").map { try parseVietnamDate($0, option: "--to") } ?? Date()
    let since = try args.option("--since").map { try parseVietnamDate($0, option: "--since") }
    try args.finish()
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let report = try desk.weeklyReport(from: to.addingTimeInterval(-7 * 86400), to: to, since: since)
    try output.emit(try ReportRenderer.file(report, as: output.format, letter: output.letter) + newline(output.format))
}

let reportMonthlyCommand = Command.leaf(
    "monthly", "Mẫu 01 (Art. 11.2): số liệu lũy kế, đúng hạn và quá hạn, theo lĩnh vực, các đơn vị cần lưu ý.",
    help: """
        [--month YYYY-MM] [--since DATE] [--format md|csv|json|docx] [--letter FILE.json] [--out FILE] [--db PATH]

        --month mặc định là tháng hiện tại. Số liệu lũy kế tính từ --since (mặc định: phản ánh đầu tiên, hoặc
        ngày đầu tháng nếu ngày đó sớm hơn) đến hết tháng.
        \(reportOutputHelp)
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let output = try ReportOutputOptions(&args)
    let month = try args.option("--month")
    let since = try args.option("--since").map { try parseVietnamDate($0, option: "--since") }
    try args.finish()
    let (from, to) = try monthRange(month)
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let report = try desk.monthlyReport(from: from, to: to, since: since)
    try output.emit(try ReportRenderer.file(report, as: output.format, letter: output.letter) + newline(output.format))
}

let reportQuarterlyCommand = Command.leaf(
    "quarterly", "Các góp ý, hiến kế trong quý cùng nội dung tóm tắt công khai của từng góp ý.",
    help: """
        [--quarter YYYY-QN] [--format md|csv|json|docx] [--letter FILE.json] [--out FILE] [--db PATH]

        --quarter có dạng 2026-Q2; mặc định là quý hiện tại.
        \(reportOutputHelp)
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let output = try ReportOutputOptions(&args)
    let quarter = try args.option("--quarter")
    try args.finish()
    let (from, to) = try quarterRange(quarter)
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let report = try desk.quarterlyReport(from: from, to: to)
    try output.emit(try ReportRenderer.file(report, as: output.format, letter: output.letter) + newline(output.format))
}

let reportChartCommand = Command.leaf(
    "chart", "Biểu đồ SVG: xu hướng theo tuần, các chuyên mục trong tuần, tỷ lệ đúng hạn của từng đơn vị.",
    help: """
        trend|topics|units [--to DATE[THH:MM]] [--weeks N] [--out FILE.svg] [--db PATH]

        trend: số phản ánh tiếp nhận và hoàn thành trong tuần trước --to và các tuần trước đó (--weeks, mặc
        định 8, tối đa 104), tuần của báo cáo được tô nổi bật. topics: phản ánh trong tuần theo chuyên mục.
        units: tỷ lệ phản ánh đã hoàn thành trong tuần được từng đơn vị giải quyết đúng hạn. Tuần là 7 ngày
        trước --to (mặc định là bây giờ), như trong `report weekly`. Không có --out thì SVG ra đầu ra chuẩn.
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    guard let kind = args.positional() else { throw UsageError("thiếu loại biểu đồ: trend, topics hoặc units") }
    guard ["trend", "topics", "units"].contains(kind) else {
        throw UsageError("loại biểu đồ là trend, topics hoặc units, không phải '\(kind)'")
    }
    let to = try args.option("--to").map { try parseVietnamDate($0, option: "--to") } ?? Date()
    let weeks = try args.intOption("--weeks") ?? 8
    let out = try args.option("--out")
    try args.finish()
    let desk = try CaseOptions(database: db).openDesk()
    defer { try? desk.store.close() }
    let svg: String
    switch kind {
    case "trend": svg = ReportCharts.trend(try desk.weeklyTrend(to: to, weeks: weeks))
    default:
        let report = try desk.weeklyReport(from: to.addingTimeInterval(-7 * 86400), to: to, since: nil)
        svg = kind == "topics" ? ReportCharts.topics(report) : ReportCharts.unitsOnTime(report)
    }
    try writeReportOutput(Array(svg.utf8), to: out)
    if let out { print("Đã ghi \(out).") }
}

/// JSON as rendered has no final newline; the text formats have one; a Word file gets none.
func newline(_ format: ReportFileFormat) -> [UInt8] { format == .json ? [0x0A] : [] }

/// `2026-06-11` (midnight) or `2026-06-11T10:00`, Vietnam time.
func parseVietnamDate(_ text: String, option: String) throws -> Date {
    let parts = text.split(separator: "T", maxSplits: 1)
    guard let day = Day(String(parts[0])) else {
        throw UsageError("\(option) cần một ngày dạng 2026-06-11 hoặc 2026-06-11T10:00, nhận được '\(text)'")
    }
    var minutes = 0
    if parts.count == 2 {
        let hm = parts[1].split(separator: ":").compactMap { Int($0) }
        guard hm.count == 2, (0..<24).contains(hm[0]), (0..<60).contains(hm[1]) else {
            throw UsageError("\(option): giờ trong '\(text)' phải có dạng HH:MM (00:00–23:59)")
        }
        minutes = hm[0] * 60 + hm[1]
    }
    return day.at(minutes: minutes)
}

func monthRange(_ text: String?) throws -> (Date, Date) {
    let (year, month): (Int, Int)
    if let text {
        let p = text.split(separator: "-").compactMap { Int($0) }
        guard p.count == 2, (1...12).contains(p[1]) else { throw UsageError("--month cần dạng YYYY-MM, ví dụ 2026-06; nhận được '\(text)'") }
        (year, month) = (p[0], p[1])
    } else {
        let today = Day(Date())
        (year, month) = (today.year, today.month)
    }
    let next = month == 12 ? Day(year + 1, 1, 1) : Day(year, month + 1, 1)
    return (Day(year, month, 1).at(minutes: 0), next.at(minutes: 0))
}

func quarterRange(_ text: String?) throws -> (Date, Date) {
    let (year, quarter): (Int, Int)
    if let text {
        let p = text.uppercased().split(separator: "-")
        guard p.count == 2, let y = Int(p[0]), p[1].hasPrefix("Q"), let q = Int(p[1].dropFirst()), (1...4).contains(q) else {
            throw UsageError("--quarter cần dạng YYYY-QN, ví dụ 2026-Q2; nhận được '\(text)'")
        }
        (year, quarter) = (y, q)
    } else {
        let today = Day(Date())
        (year, quarter) = (today.year, (today.month - 1) / 3 + 1)
    }
    let startMonth = (quarter - 1) * 3 + 1
    let end = quarter == 4 ? Day(year + 1, 1, 1) : Day(year, startMonth + 3, 1)
    return (Day(year, startMonth, 1).at(minutes: 0), end.at(minutes: 0))
}
