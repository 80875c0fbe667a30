import Foundation

/// Charts drawn by the server as SVG strings: no script, no external font or stylesheet, every text escaped,
/// so a page can inline them and a browser or a word processor can open the file as is.
public enum ReportCharts {
    static let font = "font-family=\"Arial, 'DejaVu Sans', sans-serif\""
    static let accent = "#1f5fa8"
    static let muted = "#9bb5d6"
    static let done = "#2e8b57"
    static let late = "#c0392b"

    /// Received (and completed) per week, the report's week last and highlighted.
    public static func trend(_ t: WeeklyTrend) -> String {
        let width = 720.0, height = 360.0
        let left = 56.0, right = 16.0, top = 56.0, bottom = 64.0
        let plotW = width - left - right, plotH = height - top - bottom
        let maxValue = max(1, t.weeks.map { max($0.received, $0.completed) }.max() ?? 0)
        let scale = niceCeiling(maxValue)
        var s = open(width, height, title: "Số PAKN tiếp nhận và hoàn thành theo tuần")
        s += text(left, 24, "Số PAKN tiếp nhận và hoàn thành theo tuần", size: 16, weight: "bold")
        s += legend(x: left, y: 42, [("Tiếp nhận (tuần báo cáo)", accent), ("Tiếp nhận (các tuần trước)", muted), ("Hoàn thành", done)])
        s += axis(left: left, top: top, width: plotW, height: plotH, maxValue: scale)
        let n = max(1, t.weeks.count)
        let slot = plotW / Double(n)
        let bar = min(28, slot * 0.36)
        for (i, w) in t.weeks.enumerated() {
            let x = left + slot * Double(i) + slot / 2
            let current = i == t.weeks.count - 1
            let h1 = plotH * Double(w.received) / Double(scale)
            let h2 = plotH * Double(w.completed) / Double(scale)
            s += rect(x - bar - 1, top + plotH - h1, bar, h1, fill: current ? accent : muted,
                      tip: "Tuần \(ReportDocuments.day(w.from)): tiếp nhận \(w.received)")
            s += rect(x + 1, top + plotH - h2, bar, h2, fill: done, tip: "Tuần \(ReportDocuments.day(w.from)): hoàn thành \(w.completed)")
            s += text(x - bar / 2 - 1, top + plotH - h1 - 4, String(w.received), size: 11, anchor: "middle")
            s += text(x + bar / 2 + 1, top + plotH - h2 - 4, String(w.completed), size: 11, anchor: "middle")
            s += text(x, top + plotH + 18, shortDay(w.from), size: 11, anchor: "middle", weight: current ? "bold" : nil)
        }
        s += text(left + plotW / 2, height - 18, "Tuần bắt đầu từ ngày (tuần báo cáo in đậm)", size: 11, anchor: "middle", fill: "#555")
        return s + "</svg>\n"
    }

    /// The week's tickets by topic (or any share lines): a bar per line with its count and share.
    public static func shares(_ lines: [ShareLine], title: String) -> String {
        let rows = lines.isEmpty ? [ShareLine(label: "Không có PAKN trong kỳ", count: 0, share: 0)] : lines
        let width = 720.0, labelW = 300.0, rowH = 30.0, top = 48.0
        let height = top + rowH * Double(rows.count) + 20
        let barMax = width - labelW - 120
        let maxCount = max(1, rows.map(\.count).max() ?? 0)
        var s = open(width, height, title: title)
        s += text(16, 26, title, size: 16, weight: "bold")
        for (i, l) in rows.enumerated() {
            let y = top + rowH * Double(i)
            let w = barMax * Double(l.count) / Double(maxCount)
            s += text(labelW - 8, y + rowH / 2 + 4, l.label, size: 12, anchor: "end")
            s += rect(labelW, y + 5, w, rowH - 10, fill: accent, tip: "\(l.label): \(l.count)")
            s += text(labelW + w + 6, y + rowH / 2 + 4, "\(l.count) (\(ReportFormat.percent(l.share)))", size: 12)
        }
        return s + "</svg>\n"
    }

    public static func topics(_ r: WeeklyReport) -> String {
        shares(r.byTopic, title: "PAKN tiếp nhận theo chuyên mục, \(ReportDocuments.day(r.from)) – \(ReportDocuments.day(r.to))")
    }

    /// Each unit's on-time rate among its completed tickets; a unit with none completed says so.
    public static func unitsOnTime(_ units: [UnitLine], title: String) -> String {
        let rows = units
        let width = 720.0, labelW = 260.0, rowH = 28.0, top = 64.0
        let height = top + rowH * Double(max(1, rows.count)) + 24
        let barMax = width - labelW - 170
        var s = open(width, height, title: title)
        s += text(16, 26, title, size: 16, weight: "bold")
        s += legend(x: 16, y: 46, [("Đúng hạn", done), ("Quá hạn", late)])
        if rows.isEmpty { s += text(labelW, top + rowH / 2 + 4, "Không có đơn vị nào trong kỳ", size: 12) }
        for (i, u) in rows.enumerated() {
            let y = top + rowH * Double(i)
            s += text(labelW - 8, y + rowH / 2 + 4, u.name, size: 12, anchor: "end")
            let t = u.tally
            guard t.completed > 0 else {
                s += rect(labelW, y + 5, barMax, rowH - 10, fill: "#eeeeee", tip: "\(u.name): chưa có PAKN hoàn thành")
                s += text(labelW + 6, y + rowH / 2 + 4, "chưa có PAKN hoàn thành (\(t.total) PAKN)", size: 11, fill: "#555")
                continue
            }
            let rate = Double(t.completedOnTime) / Double(t.completed)
            let onW = barMax * rate
            s += rect(labelW, y + 5, onW, rowH - 10, fill: done, tip: "\(u.name): \(t.completedOnTime)/\(t.completed) đúng hạn")
            s += rect(labelW + onW, y + 5, barMax - onW, rowH - 10, fill: late, tip: "\(u.name): \(t.completedLate) quá hạn")
            s += text(labelW + barMax + 6, y + rowH / 2 + 4, "\(ReportFormat.percent(rate)) (\(t.completedOnTime)/\(t.completed))", size: 12)
        }
        return s + "</svg>\n"
    }

    public static func unitsOnTime(_ r: WeeklyReport) -> String {
        unitsOnTime(r.byUnit, title: "Tỷ lệ hoàn thành đúng hạn theo đơn vị, \(ReportDocuments.day(r.from)) – \(ReportDocuments.day(r.to))")
    }

    // MARK: Pieces

    static func open(_ w: Double, _ h: Double, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(w))\" height=\"\(n(h))\" viewBox=\"0 0 \(n(w)) \(n(h))\" role=\"img\" "
            + "aria-label=\"\(XMLText.attribute(title))\" \(font)>\n<title>\(XMLText.escape(title))</title>\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"#ffffff\"/>\n"
    }

    static func text(_ x: Double, _ y: Double, _ t: String, size: Int, anchor: String? = nil, weight: String? = nil,
                     fill: String = "#222") -> String {
        var a = "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(size)\" fill=\"\(fill)\""
        if let anchor { a += " text-anchor=\"\(anchor)\"" }
        if let weight { a += " font-weight=\"\(weight)\"" }
        return "<text \(a)>\(XMLText.escape(t))</text>\n"
    }

    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, tip: String) -> String {
        "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, w)))\" height=\"\(n(max(0, h)))\" fill=\"\(fill)\"><title>\(XMLText.escape(tip))</title></rect>\n"
    }

    static func legend(x: Double, y: Double, _ items: [(String, String)]) -> String {
        var s = ""
        var cx = x
        for (label, color) in items {
            s += "<rect x=\"\(n(cx))\" y=\"\(n(y - 10))\" width=\"12\" height=\"12\" fill=\"\(color)\"/>\n"
            s += text(cx + 16, y, label, size: 12)
            cx += 16 + Double(label.count) * 6.6 + 18
        }
        return s
    }

    static func axis(left: Double, top: Double, width: Double, height: Double, maxValue: Int) -> String {
        var s = ""
        for k in 0...4 {
            let v = maxValue * k / 4
            let y = top + height - height * Double(k) / 4
            s += "<line x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(left + width))\" y2=\"\(n(y))\" stroke=\"#dddddd\"/>\n"
            s += text(left - 6, y + 4, String(v), size: 11, anchor: "end", fill: "#555")
        }
        return s + "<line x1=\"\(n(left))\" y1=\"\(n(top + height))\" x2=\"\(n(left + width))\" y2=\"\(n(top + height))\" stroke=\"#333333\"/>\n"
    }

    /// The least of 4, 8, 20, 40, 100, … (multiples of 4 so the grid lines are whole) at or above `v`.
    static func niceCeiling(_ v: Int) -> Int {
        var step = 1
        while true {
            for m in [4, 8, 20] where m * step >= v { return m * step }
            step *= 10
        }
    }

    static func shortDay(_ d: Date) -> String {
        let x = Day(d)
        return String(format: "%02d/%d", x.day, x.month)
    }

    /// Coordinates with at most one decimal, no exponent.
    static func n(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
    }
}
