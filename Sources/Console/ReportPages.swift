import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import WebServer

extension Pages {
    static func percent(_ v: Double?) -> String { ReportFormat.percent(v) }

    static func dashboard(_ d: Dashboard, day: Day, month: String, quarter: String, user: User, session: Session, now: Date) -> String {
        let r = d.report
        let w = r.week
        let figures = """
            <dl class="figures">
            <div><dt>Tiếp nhận trong tuần</dt><dd id="so-tiep-nhan">\(w.total)</dd></div>
            <div><dt>Tuần trước</dt><dd>\(r.previousWeekReceived)\(r.changePercent.map { " (\($0 >= 0 ? "+" : "")\($0)%)" } ?? "")</dd></div>
            <div><dt>Đã hoàn thành</dt><dd>\(w.completed) (\(e(percent(r.completionRate))))</dd></div>
            <div><dt>Đúng hạn</dt><dd>\(e(percent(r.onTimeRate)))</dd></div>
            <div><dt>Đang xử lý</dt><dd>\(w.inProgress) · quá hạn \(w.inProgressOverdue)</dd></div>
            <div><dt>Từ chối · rút · gộp</dt><dd>\(w.refused) · \(w.withdrawn) · \(w.merged)</dd></div>
            </dl>
            """
        func shareTable(_ id: String, _ title: String, _ lines: [ShareLine]) -> String {
            """
            <div class="table-wrap"><table id="\(id)"><caption>\(e(title))</caption><thead><tr><th>\(e(title))</th><th>Số PAKN</th><th>Tỷ lệ</th></tr></thead><tbody>
            \(lines.map { "<tr><td>\(e($0.label))</td><td>\($0.count)</td><td>\(e(percent($0.share)))</td></tr>" }.joined())
            </tbody></table></div>
            """
        }
        let units = """
            <div class="table-wrap"><table id="theo-don-vi"><caption>Theo đơn vị</caption><thead><tr><th>Đơn vị</th><th>Tiếp nhận</th><th>Hoàn thành</th><th>Trễ hạn</th><th>Đang xử lý (quá hạn)</th><th>Tỷ lệ quá hạn</th></tr></thead><tbody>
            \(r.byUnit.map { "<tr><td>\(e($0.name))\($0.code.isEmpty ? "" : " (\(e($0.code)))")</td><td>\($0.tally.total)</td><td>\($0.tally.completed)</td><td>\($0.tally.completedLate)</td><td>\($0.tally.inProgress) (\($0.tally.inProgressOverdue))</td><td>\(e(percent($0.overdueRate)))</td></tr>" }.joined())
            </tbody></table></div>
            """
        let toText = day.description
        func download(_ kind: String, _ format: String, _ label: String, _ extra: String) -> String {
            "<a class=\"button\" id=\"tai-\(kind)-\(format)\" href=\"/bao-cao/tai-ve?loai=\(kind)&amp;dinh-dang=\(format)&amp;\(extra)\" download>\(e(label))</a>"
        }
        let period = "den=\(e(toText))"
        return layout(title: "Báo cáo", user: user, session: session, current: "reports", body: """
            <h1>Báo cáo và bảng theo dõi</h1>
            <form class="panel toolbar" method="get" action="/bao-cao">
            <label for="den">Tuần kết thúc ngày</label><input type="date" id="den" name="den" value="\(e(toText))">
            <button type="submit">Xem</button>
            <span class="muted">Tuần báo cáo: \(e(full(r.from))) – \(e(full(r.to))); lũy kế từ \(e(ReportDocuments.day(r.cumulativeSince)))</span>
            </form>
            <div class="panel downloads"><h2>Tải báo cáo</h2>
            <p>\(download("weekly", "docx", "Báo cáo tuần (.docx, gửi được ngay)", period)) \(download("weekly", "csv", "Báo cáo tuần (.csv, Excel)", period))</p>
            <form method="get" action="/bao-cao/tai-ve" class="toolbar">
            <input type="hidden" name="loai" value="monthly">
            <label for="thang">Biểu mẫu 01, tháng</label><input type="month" id="thang" name="thang" value="\(e(month))">
            <button type="submit" name="dinh-dang" value="docx">.docx</button><button type="submit" name="dinh-dang" value="csv">.csv</button>
            </form>
            <form method="get" action="/bao-cao/tai-ve" class="toolbar">
            <input type="hidden" name="loai" value="quarterly">
            <label for="quy">Báo cáo quý</label><input type="text" id="quy" name="quy" value="\(e(quarter))" pattern="[0-9]{4}-[Qq][1-4]" size="8">
            <button type="submit" name="dinh-dang" value="docx">.docx</button><button type="submit" name="dinh-dang" value="csv">.csv</button>
            </form></div>
            <div class="panel">\(figures)</div>
            <div class="charts">
            <figure class="panel chart" id="bieu-do-xu-huong">\(d.trendChart)</figure>
            <figure class="panel chart" id="bieu-do-chuyen-muc">\(d.topicsChart)</figure>
            <figure class="panel chart" id="bieu-do-don-vi">\(d.unitsChart)</figure>
            </div>
            <div class="panel">\(shareTable("theo-kenh", "Theo kênh tiếp nhận", r.byChannel))</div>
            <div class="panel">\(shareTable("theo-chuyen-muc", "Theo chuyên mục", r.byTopic))</div>
            <div class="panel">\(units)</div>
            <div class="panel" id="qua-han"><h2>Bảng quá hạn và sắp đến hạn (24 giờ tới)</h2>\(overdueTable(d.watch, now: now))</div>
            """)
    }

    static func overdueTable(_ items: [WorkItem], now: Date) -> String {
        guard !items.isEmpty else { return "<p class=\"muted\">Không có phản ánh nào quá hạn hoặc sắp đến hạn.</p>" }
        return """
            <div class="table-wrap"><table class="overdue-board"><thead><tr><th>Mã số</th><th>Thời hạn</th><th>Đơn vị</th><th>Trạng thái</th><th>Nội dung</th></tr></thead><tbody>
            \(items.map { item in
                let late = item.dueAt.map { $0 < now } ?? false
                return """
                    <tr class="case-row\(late ? " overdue" : "")" data-code="\(e(item.trackingCode))" data-href="/phieu/\(e(item.trackingCode))">
                    <td><a href="/phieu/\(e(item.trackingCode))">\(e(item.trackingCode))</a></td>
                    <td class="due">\(clock(item.dueAt, label: "Hạn của bước hiện tại", now: now, main: true))</td>
                    <td>\(e(item.unitCode ?? "Tổng đài 1022"))</td><td>\(e(item.status.label))</td><td>\(e(item.summary))</td></tr>
                    """
            }.joined(separator: "\n"))
            </tbody></table></div>
            """
    }

    static func overdueBoard(_ items: [WorkItem], user: User, session: Session, now: Date) -> String {
        layout(title: "Quá hạn", user: user, session: session, current: "overdue", body: """
            <h1>Quá hạn và sắp đến hạn (\(items.filter { ($0.dueAt ?? .distantFuture) < now }.count) quá hạn)</h1>
            <p class="muted">Phản ánh đang mở của mọi đơn vị đã quá hạn hoặc đến hạn trong 24 giờ tới, gấp nhất trước (công văn 6180).</p>
            \(overdueTable(items, now: now))
            """)
    }
}

extension Console {
    func reportRoutes(_ router: inout HTTPRouter) {
        router.get("/bao-cao", page { c in
            let now = c.desk.now()
            let day = c.request.query("den").flatMap(Day.init) ?? Day(now)
            // The week ends at the end of the chosen day (or now, for today).
            let end = day == Day(now) ? now : day.adding(days: 1).at(minutes: 0)
            let d = try c.desk.dashboard(to: end, as: c.user)
            let month = String(format: "%04d-%02d", day.year, day.month)
            let quarter = "\(day.year)-Q\((day.month - 1) / 3 + 1)"
            return .html(Pages.dashboard(d, day: day, month: month, quarter: quarter, user: c.user, session: c.session, now: now))
        })
        router.get("/qua-han", page { c in
            .html(Pages.overdueBoard(try c.desk.overdue(within: 86400, as: c.user), user: c.user, session: c.session, now: c.desk.now()))
        })
        router.get("/bao-cao/tai-ve", page { c in
            let q = c.request
            guard let kind = ReportKind(rawValue: q.query("loai") ?? "") else {
                throw DeskError.invalidField(.output, reason: "loại báo cáo là weekly, monthly hoặc quarterly")
            }
            guard let format = ReportFileFormat(rawValue: q.query("dinh-dang") ?? "docx"), format == .docx || format == .csv else {
                throw DeskError.invalidField(.output, reason: "định dạng là docx hoặc csv")
            }
            let now = c.desk.now()
            let period: ReportPeriod
            switch kind {
            case .weekly:
                let day = q.query("den").flatMap(Day.init) ?? Day(now)
                period = .week(to: day == Day(now) ? now : day.adding(days: 1).at(minutes: 0))
            case .monthly:
                guard let p = ReportPeriod.month(q.query("thang") ?? String(format: "%04d-%02d", Day(now).year, Day(now).month)) else {
                    throw DeskError.invalidField(.until, reason: "tháng dạng 2026-06")
                }
                period = p
            case .quarterly:
                guard let p = ReportPeriod.quarter(q.query("quy") ?? "\(Day(now).year)-Q\((Day(now).month - 1) / 3 + 1)") else {
                    throw DeskError.invalidField(.until, reason: "quý dạng 2026-Q2")
                }
                period = p
            }
            let file = try c.desk.reportFile(kind, period: period, format: format, as: c.user)
            var response = HTTPResponse.bytes(file.bytes, contentType: file.contentType)
            response.headers.set("Content-Disposition", "attachment; filename=\"\(file.filename)\"")
            return response
        })
    }
}
