import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import WebServer

/// The administrators' pages: users, the unit directory, the calendar, the templates, the menu editor, the
/// prompts, the app's API keys.
extension Pages {
    static func notices(_ state: StepFormState) -> String {
        (state.message.map { "<div class=\"notice error\" role=\"alert\" id=\"admin-error\"><p>\(e($0))</p></div>" } ?? "")
            + (state.info.map { "<div class=\"notice\" role=\"status\" id=\"done\"><p>\(e($0))</p></div>" } ?? "")
    }

    static func adminLayout(_ title: String, current: String, user: User, session: Session, body: String) -> String {
        let sections = [("/quan-tri", "Tổng quan", "home"), ("/quan-tri/nguoi-dung", "Người dùng", "users"),
                        ("/quan-tri/don-vi", "Đơn vị và quy tắc chuyển", "units"), ("/quan-tri/lich", "Lịch làm việc", "calendar"),
                        ("/quan-tri/mau-tin", "Mẫu tin nhắn", "templates"), ("/quan-tri/kich-ban", "Kịch bản tổng đài", "menu"),
                        ("/quan-tri/loi-nhac", "Lời nhắc", "prompts"), ("/quan-tri/ung-dung", "Ứng dụng (Open311)", "apps")]
        let nav = sections.map { "<a href=\"\($0.0)\"\($0.2 == current ? " aria-current=\"page\" class=\"current\"" : "")>\(e($0.1))</a>" }
            .joined(separator: " · ")
        return layout(title: title, user: user, session: session, current: current == "menu" ? "menu" : "admin", body: """
            <nav class="subnav panel" aria-label="Quản trị">\(nav)</nav>
            \(body)
            """)
    }

    // MARK: Overview

    static func adminHome(_ audit: [AuditEntry], user: User, session: Session) -> String {
        adminLayout("Quản trị", current: "home", user: user, session: session, body: """
            <h1>Quản trị hệ thống</h1>
            <p>Mọi thay đổi được kiểm tra trước khi ghi và được ghi vào nhật ký thao tác.</p>
            <h2>Nhật ký quản trị gần đây</h2>
            <div class="table-wrap"><table><thead><tr><th>Lúc</th><th>Người</th><th>Thao tác</th><th>Chi tiết</th></tr></thead><tbody>
            \(audit.reversed().map { "<tr><td class=\"when\">\(e(full($0.at)))</td><td>\(e($0.actor))</td><td>\(e($0.action))</td><td><code>\(e($0.after ?? ""))</code></td></tr>" }.joined())
            </tbody></table></div>
            """)
    }

    // MARK: Users

    static func users(_ users: [User], phones: [AgentPhone], units: [HotlineCore.Unit], state: StepFormState, user: User,
                      session: Session) -> String {
        let csrf = SessionGuard.csrfField(session)
        let roles = UserRole.allCases.map { (value: $0.rawValue, label: $0.label) }
        let unitChoices = units.map { (value: $0.code, label: "\($0.name) (\($0.code))") }
        func v(_ id: String) -> String { state.form == "add" ? state.values[id] ?? "" : "" }
        let rows = users.map { u -> String in
            let base = "/quan-tri/nguoi-dung/\(u.name)"
            return """
                <tr id="u-\(e(u.name))"><td><strong>\(e(u.name))</strong><br><span class="muted">\(e(u.displayName))</span></td>
                <td>\(e(u.role.label))\(u.unitCode.map { "<br><span class=\"muted\">\(e($0))</span>" } ?? "")</td>
                <td>\(u.active ? "Đang hoạt động" : "<span class=\"badge secret\">Đã khóa</span>")</td>
                <td><form method="post" action="\(e(base))/vai-tro" class="toolbar">\(csrf)
                <label class="inline" for="vt-\(e(u.name))">Vai trò</label>
                <select id="vt-\(e(u.name))" name="vai_tro">\(options(roles, selected: u.role.rawValue, placeholder: "Vai trò"))</select>
                <select name="don_vi" aria-label="Đơn vị">\(options(unitChoices, selected: u.unitCode ?? "", placeholder: "(không thuộc đơn vị)"))</select>
                <button type="submit">Đổi</button></form></td>
                <td><form method="post" action="\(e(base))/khoa">\(csrf)<input type="hidden" name="bat" value="\(u.active ? "0" : "1")">
                <button type="submit"\(u.active ? " class=\"danger\"" : "")>\(u.active ? "Khóa" : "Mở khóa")</button></form></td>
                <td><form method="post" action="\(e(base))/mat-khau" class="toolbar">\(csrf)
                <label class="inline" for="mk-\(e(u.name))" hidden>Mật khẩu mới cho \(e(u.name))</label>
                <input type="password" id="mk-\(e(u.name))" name="mat_khau" autocomplete="new-password" placeholder="Mật khẩu mới" size="14">
                <button type="submit">Đặt lại</button></form></td>
                <td>\(phoneCell(u, phone: phones.first { $0.name == u.name }, base: base, csrf: csrf))</td></tr>
                """
        }
        return adminLayout("Người dùng", current: "users", user: user, session: session, body: """
            <h1>Người dùng (\(users.count))</h1>
            \(notices(state))
            <div class="table-wrap"><table id="users"><thead><tr><th>Tên đăng nhập</th><th>Vai trò</th><th>Trạng thái</th><th>Đổi vai trò</th><th>Khóa</th><th>Mật khẩu</th><th>Điện thoại hàng chờ</th></tr></thead>
            <tbody>\(rows.joined(separator: "\n"))</tbody></table></div>
            <form class="panel" id="them-nguoi-dung" method="post" action="/quan-tri/nguoi-dung/them">\(csrf)
            <h2>Thêm người dùng</h2>
            <div class="field"><label for="ten">Tên đăng nhập (chữ thường không dấu, số, . _ -)</label><input type="text" id="ten" name="ten" value="\(e(v("ten")))" autocapitalize="none"></div>
            <div class="field"><label for="ho_ten">Họ tên</label><input type="text" id="ho_ten" name="ho_ten" value="\(e(v("ho_ten")))"></div>
            <div class="field"><label for="vai_tro">Vai trò</label><select id="vai_tro" name="vai_tro">\(options(roles, selected: v("vai_tro"), placeholder: "Chọn vai trò"))</select></div>
            <div class="field"><label for="don_vi">Đơn vị (cán bộ đơn vị)</label><select id="don_vi" name="don_vi">\(options(unitChoices, selected: v("don_vi"), placeholder: "(không thuộc đơn vị)"))</select></div>
            <div class="field"><label for="mat_khau">Mật khẩu ban đầu (ít nhất \(Desk.minimumPasswordLength) ký tự)</label><input type="password" id="mat_khau" name="mat_khau" autocomplete="new-password"></div>
            <button type="submit" class="primary">Thêm</button></form>
            """)
    }

    /// An agent's or supervisor's phone in the live queue: what it is now, and a form to set a SIP password (the
    /// phone registers with the gateway), an external URI, or to remove it.
    static func phoneCell(_ u: User, phone: AgentPhone?, base: String, csrf: String) -> String {
        guard u.role == .agent || u.role == .supervisor else { return "<span class=\"muted\">—</span>" }
        let now = phone.map { p in p.uri.map { "URI: " + e($0) } ?? "Đăng ký vào cổng, tên SIP \(e(u.name))" } ?? "Chưa có"
        return """
            <span class="phone-now">\(now)</span>
            <form method="post" action="\(e(base))/dien-thoai" class="toolbar">\(csrf)
            <label class="inline" for="sip-\(e(u.name))" hidden>Mật khẩu SIP cho \(e(u.name))</label>
            <input type="password" id="sip-\(e(u.name))" name="mat_khau_sip" autocomplete="new-password" placeholder="Mật khẩu SIP" size="12">
            <label class="inline" for="uri-\(e(u.name))" hidden>URI bên ngoài cho \(e(u.name))</label>
            <input type="text" id="uri-\(e(u.name))" name="uri" placeholder="hoặc sip:…@tổng đài" size="16" autocapitalize="none">
            \(phone == nil ? "" : "<label class=\"inline\"><input type=\"checkbox\" name=\"go\" value=\"1\"> Gỡ</label>")
            <button type="submit">Đặt</button></form>
            """
    }

    // MARK: The administrators' files

    static func unitsPage(text: String, directory: UnitDirectory, state: StepFormState, user: User, session: Session) -> String {
        let csrf = SessionGuard.csrfField(session)
        let units = directory.units.map { "<tr><td>\(e($0.code))</td><td>\(e($0.name))</td><td>\(e($0.kind.rawValue))</td><td>\(e($0.wards.joined(separator: ", ")))</td></tr>" }.joined()
        let rules = directory.rules.enumerated().map { i, r in
            "<tr><td>\(i + 1)</td><td>\(e(r.category?.label ?? "bất kỳ"))</td><td>\(e(r.topic?.label ?? "bất kỳ"))</td><td>\(e(r.ward ?? "bất kỳ"))</td><td>\(e(r.units.joined(separator: ", ")))</td></tr>"
        }.joined()
        return adminLayout("Đơn vị", current: "units", user: user, session: session, body: """
            <h1>Danh mục đơn vị và quy tắc chuyển xử lý</h1>
            \(notices(state))
            <form class="panel" method="post" action="/quan-tri/don-vi">\(csrf)
            <div class="field"><label for="units-json">units.json: "units" (code, name, kind, wards) và "rules" (category, topic, ward, units; quy tắc đầu tiên khớp được dùng)</label>
            <textarea id="units-json" name="noi_dung" class="json" spellcheck="false">\(e(text))</textarea></div>
            <p class="muted">Được kiểm tra trước khi ghi: mã đơn vị không trùng, đúng một đơn vị "city_office", quy tắc chỉ nêu đơn vị có trong danh mục.</p>
            <button type="submit" class="primary">Kiểm tra và lưu</button></form>
            <div class="panel"><h2>Đơn vị đang dùng (\(directory.units.count))</h2><div class="table-wrap"><table><thead><tr><th>Mã</th><th>Tên</th><th>Loại</th><th>Địa bàn</th></tr></thead><tbody>\(units)</tbody></table></div></div>
            <div class="panel"><h2>Quy tắc chuyển (\(directory.rules.count))</h2><div class="table-wrap"><table><thead><tr><th>#</th><th>Lĩnh vực</th><th>Chuyên mục</th><th>Địa bàn</th><th>Đơn vị</th></tr></thead><tbody>\(rules)</tbody></table></div></div>
            """)
    }

    static func calendarPage(_ a: WorkingCalendar.Adjustments, daysOff: String? = nil, workingDays: String? = nil, state: StepFormState,
                             user: User, session: Session, now: Date) -> String {
        let csrf = SessionGuard.csrfField(session)
        let year = Day(now).year
        let calendar = WorkingCalendar(adjustments: a)
        let holidays = [year, year + 1].flatMap { calendar.holidays($0) }
            .map { "<li>\(e($0.day.description)) · \(e($0.name))</li>" }.joined()
        return adminLayout("Lịch làm việc", current: "calendar", user: user, session: session, body: """
            <h1>Lịch làm việc</h1>
            \(notices(state))
            <form class="panel" method="post" action="/quan-tri/lich">\(csrf)
            <div class="field"><label for="ngay_nghi">Ngày nghỉ Chính phủ công bố thêm (nghỉ bù, nghỉ nối), mỗi dòng một ngày 2026-09-01</label>
            <textarea id="ngay_nghi" name="ngay_nghi" rows="6">\(e(daysOff ?? a.extraDaysOff.map(\.description).joined(separator: "\n")))</textarea></div>
            <div class="field"><label for="ngay_lam_bu">Ngày làm bù (thứ Bảy, Chủ nhật đi làm), mỗi dòng một ngày</label>
            <textarea id="ngay_lam_bu" name="ngay_lam_bu" rows="4">\(e(workingDays ?? a.workingWeekendDays.map(\.description).joined(separator: "\n")))</textarea></div>
            <p class="muted">Thời hạn xử lý (ngày làm việc) được tính theo lịch này từ khi lưu.</p>
            <button type="submit" class="primary">Kiểm tra và lưu</button></form>
            <div class="panel"><h2>Ngày lễ theo Bộ luật Lao động (tự tính, \(year)–\(year + 1))</h2><ul class="plain">\(holidays)</ul></div>
            """)
    }

    static func templatesPage(_ texts: [NotificationKind: String], state: StepFormState, user: User, session: Session) -> String {
        let csrf = SessionGuard.csrfField(session)
        func label(_ k: NotificationKind) -> String {
            switch k {
            case .acknowledgement: "Đã tiếp nhận và chuyển xử lý (Điều 7.1b)"
            case .refusal: "Từ chối tiếp nhận (Điều 4.7)"
            case .duplicate: "Trùng phản ánh đang xử lý (Điều 7.5)"
            case .recurrence: "Tái diễn sự việc đã phản ánh"
            case .result: "Kết quả xử lý (Điều 8.5)"
            }
        }
        // What each template costs as an SMS, filled with typical values (a real unit, a sample reason): UCS-2 as
        // written, GSM 7-bit "không dấu".
        func cost(_ k: NotificationKind) -> String {
            let text = NotificationTemplates(unvalidated: texts).render(k, NotificationTemplates.sampleValues)
            let accented = SMSText.measure(SMSText.prepare(text, policy: .keep))
            let plain = SMSText.measure(SMSText.prepare(text, policy: .strip))
            let unit = accented.encoding == .ucs2 ? "UCS-2, 70 ký tự/tin, 67/phần" : "GSM 7-bit, 160/tin, 153/phần"
            return """
                <p class="muted sms-cost" id="cost-\(k.rawValue)">Với giá trị mẫu: <span class="chars">\(accented.characters)</span> ký tự, \
                <strong class="parts">\(accented.parts)</strong> phần tin SMS (\(unit)); không dấu: <span class="plain-parts">\(plain.parts)</span> phần \
                (\(plain.characters) ký tự, GSM 7-bit).</p>
                """
        }
        let fields = NotificationKind.allCases.map { k in
            """
            <div class="field"><label for="t-\(k.rawValue)">\(e(label(k)))</label>
            <textarea id="t-\(k.rawValue)" name="\(k.rawValue)" rows="3">\(e(texts[k] ?? ""))</textarea>\(cost(k))</div>
            """
        }.joined()
        return adminLayout("Mẫu tin nhắn", current: "templates", user: user, session: session, body: """
            <h1>Mẫu tin nhắn gửi người dân</h1>
            \(notices(state))
            <p class="muted">Chỗ trống: \(e(NotificationTemplates.placeholders.sorted().map { "{\($0)}" }.joined(separator: ", "))). Tin nhắn chỉ mang mã số, không mang họ tên hay địa chỉ. Mã số và đường dẫn không bao giờ bị cắt giữa hai phần tin.</p>
            <form class="panel" method="post" action="/quan-tri/mau-tin">\(csrf)\(fields)
            <button type="submit" class="primary">Kiểm tra và lưu</button></form>
            """)
    }

    // MARK: API clients

    static func apps(_ clients: [APIClient], newKey: (String, String)?, state: StepFormState, user: User, session: Session) -> String {
        let csrf = SessionGuard.csrfField(session)
        let rows = clients.map { c in
            """
            <tr><td>\(e(c.name))</td><td>\(c.active ? "Đang dùng" : "Đã khóa")</td><td>\(e(full(c.createdAt)))</td><td>\(e(c.lastUsedAt.map(full) ?? "chưa dùng"))</td>
            <td><form method="post" action="/quan-tri/ung-dung/\(e(c.name))/khoa">\(csrf)<input type="hidden" name="bat" value="\(c.active ? "0" : "1")"><button type="submit">\(c.active ? "Khóa khóa API" : "Mở lại")</button></form></td></tr>
            """
        }.joined()
        let shown = newKey.map { """
            <div class="notice" role="status" id="new-key"><p>Khóa API của <strong>\(e($0.0))</strong> (chỉ hiện một lần, hãy lưu lại ngay):</p>
            <p class="key-once">\(e($0.1))</p></div>
            """ } ?? ""
        return adminLayout("Ứng dụng", current: "apps", user: user, session: session, body: """
            <h1>Ứng dụng dùng API Open311</h1>
            \(notices(state))\(shown)
            <p class="muted">Mỗi ứng dụng (ví dụ Smart Hải Phòng) có một khóa riêng; hệ thống chỉ lưu mã băm SHA-256 của khóa. Dòng lệnh: <code>hotline1022 open311 key add TÊN</code>.</p>
            <div class="table-wrap"><table><thead><tr><th>Tên</th><th>Trạng thái</th><th>Tạo lúc</th><th>Dùng lần cuối</th><th></th></tr></thead><tbody>\(rows)</tbody></table></div>
            <form class="panel toolbar" method="post" action="/quan-tri/ung-dung/them">\(csrf)
            <label for="ten_ung_dung">Tên ứng dụng</label><input type="text" id="ten_ung_dung" name="ten" placeholder="smart-haiphong">
            <button type="submit" class="primary">Tạo khóa</button></form>
            """)
    }
}
