import DeskSecurity
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HotlineCore
import HotlineDesk
import WebServer

/// Server-rendered pages, in Vietnamese. Every value printed goes through `e(_:)` (HTML.escape), the one
/// escaping function; data reaches the scripts only through escaped `data-*` attributes.
enum Pages {
    static func e(_ text: String) -> String { HTML.escape(text) }

    /// A page's one-line outcome after a form: a status, or an alert when it failed.
    static func flash(_ text: String, error: Bool) -> String {
        "<div class=\"notice\(error ? " error" : "")\" role=\"\(error ? "alert" : "status")\"><p>\(e(text))</p></div>"
    }

    /// The mark of a confidential report (Art. 10), wherever a ticket is listed or shown.
    static let secretBadge = "<span class=\"badge secret\" title=\"Người phản ánh yêu cầu bảo mật (Điều 10)\">Bảo mật</span>"

    static func millis(_ date: Date) -> String { String(Int64((date.timeIntervalSince1970 * 1000).rounded())) }

    /// "HH:mm dd/MM" in Vietnam time (`VietnamTime`, not a DateFormatter: a queue page prints hundreds of times).
    static func short(_ date: Date) -> String { vietnamTime(date, year: false) }

    /// "HH:mm dd/MM/yyyy" in Vietnam time, as `DeskClock.text` writes it.
    static func full(_ date: Date) -> String { vietnamTime(date, year: true) }

    static func vietnamTime(_ date: Date, year: Bool) -> String {
        let v = VietnamTime(date), two = VietnamTime.two
        let text = "\(two(v.hour)):\(two(v.minute)) \(two(v.day))/\(two(v.month))"
        return year ? text + "/\(v.year)" : text
    }

    /// What the countdown says before the script takes over (and without script).
    static func countdown(_ due: Date, now: Date) -> String {
        let seconds = Int(due.timeIntervalSince(now))
        let s = abs(seconds)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let text = s >= 86400 ? "\(s / 86400) ngày \((s % 86400) / 3600) giờ"
            : s >= 3600 ? "\(s / 3600) giờ \(two((s % 3600) / 60)) phút"
            : "\(s / 60) phút \(two(s % 60)) giây"
        return seconds < 0 ? "quá hạn \(text)" : "còn \(text)"
    }

    static func clockLabel(_ clock: QueueClock) -> String {
        switch clock {
        case .classify: "Phân loại, chuyển xử lý: 60 phút (Art. 7.3)"
        case .suggestion: "Góp ý, hiến kế: 1 ngày làm việc (Art. 8.3a)"
        case .returned: "Đơn vị trả lại: 60 phút (Art. 7.3)"
        case .guidance: "Chờ VP UBND hướng dẫn: 2 giờ / 4 giờ (Art. 7.4)"
        case .citizenNotTold: "Người dân chưa nhận được tin xác nhận: gọi lại, báo mã số (Art. 7.1b)"
        }
    }

    /// A live countdown: `main` ones colour their row when overdue.
    static func clock(_ due: Date?, label: String, now: Date, main: Bool) -> String {
        guard let due else { return "<span class=\"muted\">không có hạn</span>" }
        return "<span class=\"clock\(main ? " main-clock" : "")\" data-due=\"\(millis(due))\" title=\"hạn \(e(full(due)))\">"
            + "<span class=\"clock-text\">\(e(countdown(due, now: now)))</span>"
            + "<span class=\"clock-label\">\(e(label)) · hạn \(e(short(due)))</span></span>"
    }

    static let refusalReasons = [
        "Nội dung không thuộc phạm vi tiếp nhận của Tổng đài 1022",
        "Nội dung không rõ ràng, không đủ thông tin để xác minh, xử lý",
        "Cuộc gọi không có nội dung phản ánh (gọi nhầm, im lặng, thử máy)",
        "Nội dung xúc phạm, bịa đặt hoặc vu khống",
        "Vụ việc đang được giải quyết theo thủ tục khiếu nại, tố cáo hoặc tố tụng",
        "Tình huống khẩn cấp: đã hướng dẫn gọi 113, 114 hoặc 115",
    ]

    static func matchLabel(_ field: String) -> String {
        switch field {
        case "trackingCode": "mã số"
        case "phone": "số điện thoại"
        case "name": "họ tên"
        case "transcript": "lời nói (bản ghi tự động)"
        case "summary": "nội dung tóm tắt"
        case "content": "nội dung"
        case "address": "địa chỉ, địa bàn"
        default: field
        }
    }

    // MARK: Layout

    static func layout(title: String, user: User?, session: Session?, current: String = "", body: String,
                       bodyClass: String = "") -> String {
        var nav = ""
        if let user, let session {
            func link(_ href: String, _ text: String, _ key: String) -> String {
                "<a href=\"\(href)\"\(current == key ? " class=\"current\" aria-current=\"page\"" : "")>\(e(text))</a>"
            }
            // What each role works with; the desk still decides every request.
            let links: String
            switch user.role {
            case .agent, .supervisor:
                links = link("/hang-doi", "Hàng đợi", "queue") + link("/duyet", "Duyệt kết quả", "review")
                    + link("/bao-cao", "Báo cáo", "reports") + link("/qua-han", "Quá hạn", "overdue")
                    + link("/goi-lai", "Gọi lại", "callbacks") + link("/bang-tong-dai", "Bảng theo dõi", "wallboard")
            case .unit:
                links = link("/don-vi", "Việc của đơn vị", "unit")
            case .administrator:
                links = link("/quan-tri", "Quản trị", "admin") + link("/quan-tri/kich-ban", "Kịch bản", "menu")
                    + link("/bao-cao", "Báo cáo", "reports")
            }
            let searchBox = user.role == .agent || user.role == .supervisor ? """
                <form class="search" method="get" action="/tim-kiem" role="search">\
                <label class="inline" for="top-q" hidden>Tìm kiếm</label>\
                <input type="search" id="top-q" name="q" placeholder="Mã số, SĐT, họ tên, từ khóa…" aria-label="Tìm kiếm"></form>
                """ : ""
            // The agent's state in the live queue: console.js fills in the current one (GET /trang-thai).
            let presence = user.role == .agent || user.role == .supervisor ? """
                <form class="presence" method="post" action="/trang-thai" data-presence hidden>\(SessionGuard.csrfField(session))\
                <input type="hidden" name="ve" value="">\
                <span class="presence-live" aria-live="polite"></span>\
                <label class="inline" for="presence-state" hidden>Trạng thái nhận cuộc gọi</label>\
                <select id="presence-state" name="trang_thai" aria-label="Trạng thái nhận cuộc gọi">\
                <option value="ready">Sẵn sàng</option><option value="break">Tạm nghỉ</option><option value="offline">Ngoại tuyến</option>\
                </select><input name="ly_do" maxlength="200" placeholder="Lý do tạm nghỉ" aria-label="Lý do tạm nghỉ">\
                <button type="submit">Đặt</button></form>
                <aside id="screen-pop" class="screen-pop" role="alert" aria-label="Cuộc gọi đến" hidden>\
                <h2><span class="pop-state"></span> <span class="pop-number"></span> <span class="badge pop-repeat" hidden>Đã gọi trước đây</span></h2>\
                <p class="pop-summary"></p><p class="pop-linked" hidden></p><ul class="plain pop-tickets"></ul>\
                <form method="post" action="/cuoc-goi/phieu" class="pop-case">\(SessionGuard.csrfField(session))\
                <input type="hidden" name="cuoc_goi" value=""><button type="submit" class="primary">Tạo phiếu từ cuộc gọi này</button></form>\
                <p><a class="pop-search" href="/tim-kiem">Tìm mọi phiếu của số này</a></p></aside>
                """ : ""
            nav = """
                <nav aria-label="Chính">\(links)</nav>
                \(searchBox)
                \(presence)
                <div class="who"><span>\(e(user.displayName.isEmpty ? user.name : user.displayName)) · \(e(user.role.label))</span>
                \(link("/mat-khau", "Đổi mật khẩu", "password"))
                <form method="post" action="/dang-xuat">\(SessionGuard.csrfField(session))<button type="submit">Đăng xuất</button></form>
                </div>
                """
        }
        return """
            <!DOCTYPE html>
            <html lang="vi"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title)) · Tổng đài 1022</title>
            \(session.map { "<meta name=\"csrf-token\" content=\"\(e($0.csrfToken))\">" } ?? "")
            <link rel="stylesheet" href="/tai-nguyen/console.css">
            <script src="/tai-nguyen/console.js" defer></script>
            </head><body class="\(e(bodyClass))">
            <header class="top"><span class="brand">Tổng đài 1022 Hải Phòng</span>\(nav)</header>
            <main id="main">
            \(body)
            </main>
            <div id="help" class="help-dialog" role="dialog" aria-labelledby="help-title" hidden>
            <h2 id="help-title">Phím tắt</h2>
            <ul class="plain">
            <li><kbd>j</kbd> / <kbd>k</kbd>: xuống / lên một phản ánh trong hàng đợi</li>
            <li><kbd>Enter</kbd>: mở phản ánh đang chọn</li>
            <li><kbd>c</kbd>: nhận xử lý phản ánh đang chọn (hoặc đang mở)</li>
            <li><kbd>r</kbd> / <kbd>b</kbd>: sẵn sàng nhận cuộc gọi / tạm nghỉ (với lý do đang ghi)</li>
            <li><kbd>?</kbd>: hiện hoặc ẩn bảng này</li>
            </ul>
            <p class="muted">Phím tắt không hoạt động khi đang gõ trong ô nhập.</p>
            <button type="button" id="help-close">Đóng</button>
            </div>
            </body></html>
            """
    }

    static func errorPage(status: Int, title: String, message: String, user: User?, session: Session?) -> HTTPResponse {
        .html(layout(title: title, user: user, session: session, body: """
            <h1>\(e(title))</h1>
            <div class="notice error" role="alert"><p>\(e(message))</p></div>
            <p><a href="/">Về trang chính</a></p>
            """), status: status)
    }

    /// Where a user starts: the hotline's queue, the unit's inbox, the administration.
    static func home(_ user: User) -> String {
        switch user.role {
        case .agent, .supervisor: "/hang-doi"
        case .unit: "/don-vi"
        case .administrator: "/quan-tri"
        }
    }

    // MARK: Sign-in and password

    static func signIn(token: String, name: String = "", message: String? = nil, info: String? = nil) -> String {
        layout(title: "Đăng nhập", user: nil, session: nil, body: """
            <div class="signin panel">
            <h1>Đăng nhập</h1>
            \(info.map { "<div class=\"notice\" role=\"status\"><p>\(e($0))</p></div>" } ?? "")
            \(message.map { "<div class=\"notice error\" role=\"alert\" id=\"signin-error\"><p>\(e($0))</p></div>" } ?? "")
            <form method="post" action="/dang-nhap" autocomplete="on">
            <input type="hidden" name="csrf" value="\(e(token))">
            <div class="field"><label for="ten">Tên đăng nhập</label>
            <input type="text" id="ten" name="ten" value="\(e(name))" autocomplete="username" autocapitalize="none" required></div>
            <div class="field"><label for="mat_khau">Mật khẩu</label>
            <input type="password" id="mat_khau" name="mat_khau" autocomplete="current-password" required></div>
            <div class="actions"><button type="submit" class="primary">Đăng nhập</button></div>
            </form>
            <p class="muted">Quên mật khẩu: liên hệ quản trị hệ thống để đặt lại.</p>
            </div>
            """)
    }

    static func password(user: User, session: Session, errors: [(id: String, message: String)] = []) -> String {
        let summary = errorSummary(errors)
        func field(_ id: String, _ label: String, _ autocomplete: String) -> String {
            let error = errors.first { $0.id == id }
            return """
                <div class="field\(error == nil ? "" : " has-error")"><label for="\(id)">\(e(label))</label>
                \(error.map { "<p class=\"field-error\" id=\"\(id)-error\">\(e($0.message))</p>" } ?? "")
                <input type="password" id="\(id)" name="\(id)" autocomplete="\(autocomplete)"\(error == nil ? "" : " class=\"input-error\" aria-describedby=\"\(id)-error\"")></div>
                """
        }
        return layout(title: "Đổi mật khẩu", user: user, session: session, current: "password", body: """
            <div class="panel signin">
            <h1>Đổi mật khẩu</h1>
            \(summary)
            <form method="post" action="/mat-khau">\(SessionGuard.csrfField(session))
            \(field("mat_khau_cu", "Mật khẩu hiện tại", "current-password"))
            \(field("mat_khau_moi", "Mật khẩu mới (ít nhất \(Desk.minimumPasswordLength) ký tự)", "new-password"))
            \(field("nhap_lai", "Nhập lại mật khẩu mới", "new-password"))
            <div class="actions"><button type="submit" class="primary">Đổi mật khẩu</button></div>
            </form>
            <p class="muted">Sau khi đổi, mọi phiên đăng nhập của bạn kết thúc; hãy đăng nhập lại bằng mật khẩu mới.</p>
            </div>
            """)
    }

    static func errorSummary(_ errors: [(id: String, message: String)]) -> String {
        guard !errors.isEmpty else { return "" }
        return """
            <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
            <h2 id="error-summary-title">Có \(errors.count) lỗi cần sửa</h2>
            <ul>\(errors.map { "<li><a href=\"#\($0.id)\">\(e($0.message))</a></li>" }.joined())</ul>
            </div>
            """
    }

    // MARK: The queue

    static func queueRows(_ items: [HotlineQueueItem], user: User, session: Session, now: Date) -> String {
        if items.isEmpty {
            return "<tr><td colspan=\"7\" class=\"muted\">Không có phản ánh nào đang chờ Tổng đài.</td></tr>"
        }
        return items.map { item in
            let href = "/phieu/\(item.trackingCode)"
            let overdue = item.dueAt.map { $0 < now } ?? false
            var held = ""
            if let holder = item.claimedBy {
                let mine = holder == user.name
                held = "<span class=\"badge \(mine ? "mine" : "held")\">\(mine ? "Bạn đang xử lý" : "Đang do \(e(holder)) xử lý")</span>"
                    + (item.claimedUntil.map { " <span class=\"muted\">đến \(e(short($0)))</span>" } ?? "")
            }
            let claimable = item.clock != .guidance && item.clock != .citizenNotTold && (item.claimedBy == nil || item.claimedBy == user.name)
            let claim = claimable ? """
                <form class="claim" method="post" action="\(href)/nhan">\(SessionGuard.csrfField(session))\
                <button type="submit" title="Nhận xử lý (phím c)">\(item.claimedBy == user.name ? "Gia hạn" : "Nhận")</button></form>
                """ : ""
            var what = !item.summary.isEmpty ? e(item.summary)
                : !item.contentStart.isEmpty ? "<span class=\"muted\">Người dân viết:</span> " + e(item.contentStart)
                : e("(chưa có nội dung: nghe ghi âm)")
            if let ms = item.recordingDurationMs { what += " <span class=\"muted\">· ghi âm \(ms / 1000) giây</span>" }
            if item.interrupted { what += " <span class=\"muted\">· cuộc gọi bị ngắt</span>" }
            if !item.ward.isEmpty { what += "<br><span class=\"muted\">\(e(item.ward))</span>" }
            let secondClock = item.responseDueAt.map {
                "<br>" + clock($0, label: "Hạn trả lời của đơn vị\(item.unitCode.map { " \($0)" } ?? "")", now: now, main: false)
            } ?? ""
            return """
                <tr class="case-row\(overdue ? " overdue" : "")" tabindex="0" data-code="\(e(item.trackingCode))" data-href="\(e(href))">
                <td><a href="\(e(href))">\(e(item.trackingCode))</a><br><span class="badge status">\(e(item.status.label))</span></td>
                <td class="due">\(clock(item.dueAt, label: clockLabel(item.clock), now: now, main: true))\(secondClock)</td>
                <td class="wide when">\(e(short(item.receivedAt)))<br><span class="muted">\(e(item.channel.label))</span></td>
                <td class="wide">\(e(item.category?.label ?? "Chưa phân loại"))</td>
                <td>\(what)</td>
                <td>\(item.confidential ? secretBadge : "")</td>
                <td>\(held)\(claim)</td>
                </tr>
                """
        }.joined(separator: "\n")
    }

    static func queue(_ items: [HotlineQueueItem], user: User, session: Session, now: Date) -> String {
        layout(title: "Hàng đợi", user: user, session: session, current: "queue", body: """
            <div class="toolbar">
            <h1>Hàng đợi phản ánh (<span id="queue-count">\(items.count)</span>)</h1>
            <span id="live" class="live" role="status" aria-live="polite">Đang kết nối…</span>
            <label class="inline"><input type="checkbox" id="notify"> Báo chuông / thông báo khi có phản ánh mới</label>
            <span class="muted">Nhấn <kbd>?</kbd> để xem phím tắt</span>
            </div>
            <div class="table-wrap">
            <table aria-describedby="queue-caption">
            <caption id="queue-caption" class="muted" hidden>Phản ánh chờ Tổng đài, hạn gần nhất trước</caption>
            <thead><tr><th>Mã số</th><th>Thời hạn</th><th class="wide">Nhận lúc</th><th class="wide">Lĩnh vực</th>
            <th>Nội dung</th><th>Bảo mật</th><th>Người xử lý</th></tr></thead>
            <tbody id="queue-body">
            \(queueRows(items, user: user, session: session, now: now))
            </tbody></table></div>
            """)
    }

    // MARK: Search

    static func search(query: String, result: DeskSearchResult?, error: String?, user: User, session: Session) -> String {
        var rows = ""
        if let result {
            rows = result.hits.isEmpty ? "<p>Không tìm thấy phản ánh nào.</p>" : """
                <div class="table-wrap"><table><thead><tr><th>Mã số</th><th>Trạng thái</th><th>Nội dung</th>
                <th class="wide">Nhận lúc</th><th>Khớp theo</th></tr></thead><tbody>
                \(result.hits.map { hit in
                    """
                    <tr><td><a href="/phieu/\(e(hit.trackingCode))">\(e(hit.trackingCode))</a></td><td>\(e(hit.status.label))</td>
                    <td>\(e(hit.summary))</td><td class="wide">\(e(full(hit.receivedAt)))</td>
                    <td>\(e(hit.matchedIn.map(matchLabel).joined(separator: ", ")))</td></tr>
                    """
                }.joined(separator: "\n"))
                </tbody></table></div>
                """
        }
        return layout(title: "Tìm kiếm", user: user, session: session, current: "search", body: """
            <h1>Tìm kiếm phản ánh</h1>
            <form method="get" action="/tim-kiem" class="panel">
            <div class="field\(error == nil ? "" : " has-error")"><label for="q">Mã số, số điện thoại (hoặc mấy số cuối), họ tên, hay từ trong nội dung</label>
            \(error.map { "<p class=\"field-error\" id=\"q-error\">\(e($0))</p>" } ?? "")
            <input type="search" id="q" name="q" value="\(e(query))" placeholder="vd. 20260610-0134036, 5678, Nguyễn Văn An, den duong"></div>
            <div class="actions"><button type="submit" class="primary">Tìm</button>
            <span class="muted">Không cần gõ dấu: «den duong» tìm thấy «đèn đường».</span></div>
            </form>
            \(result.map { "<p class=\"muted\">\($0.hits.count) kết quả cho «\(e(query))».</p>" } ?? "")
            \(rows)
            """)
    }
}
