import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import WebServer

/// A form's values and its problem, shown again after a refusal.
struct StepFormState {
    var form = ""
    var values: [String: String] = [:]
    var message: String?
    var info: String?
}

extension Pages {
    // MARK: The unit's inbox

    static func unitInbox(_ items: [WorkItem], user: User, session: Session, now: Date) -> String {
        let open = items.filter { $0.status != .resolved }
        let waiting = items.filter { $0.status == .resolved }
        func card(_ item: WorkItem) -> String {
            let href = "/don-vi/phieu/\(item.trackingCode)"
            let overdue = (item.dueAt.map { $0 < now } ?? false)
            let clocks = (item.status == .resolved ? "" : clock(item.dueAt, label: "Hạn của bước hiện tại", now: now, main: true))
                + (item.responseDueAt.map { "<br>" + clock($0, label: "Hạn trả lời người dân", now: now, main: false) } ?? "")
            return """
                <li class="card\(overdue && item.status != .resolved ? " overdue" : "")" data-code="\(e(item.trackingCode))">
                <div class="card-head"><a class="code" href="\(e(href))">\(e(item.trackingCode))</a>
                <span class="badge status">\(e(item.status.label))</span>\(item.confidential ? " <span class=\"badge secret\" title=\"Người phản ánh yêu cầu bảo mật (Điều 10)\">Bảo mật</span>" : "")</div>
                <p class="card-summary">\(e(item.summary.isEmpty ? "(chưa có tóm tắt)" : item.summary))</p>
                <p class="muted">\(e(item.ward.isEmpty ? "" : item.ward + " · "))\(e(item.category?.label ?? "Chưa phân loại")) · nhận \(e(short(item.receivedAt)))\(item.evidenceCount > 0 ? " · \(item.evidenceCount) minh chứng" : "")</p>
                <div class="due">\(clocks)</div>
                <p><a class="button" href="\(e(href))">Mở phản ánh</a></p>
                </li>
                """
        }
        let unit = user.unitCode ?? ""
        return layout(title: "Việc của đơn vị", user: user, session: session, current: "unit", body: """
            <h1>Việc của đơn vị \(e(unit)) (<span id="inbox-count">\(open.count)</span>)</h1>
            <p class="muted">Hạn gần nhất trước. Đồng hồ đếm ngược đến hạn của bước hiện tại và hạn trả lời người dân (Điều 8).</p>
            \(open.isEmpty ? "<p class=\"notice\">Đơn vị không có phản ánh nào đang chờ xử lý.</p>" : "<ul class=\"cards\" id=\"inbox\">\(open.map(card).joined())</ul>")
            \(waiting.isEmpty ? "" : "<h2>Đã báo kết quả, chờ Tổng đài xác nhận (\(waiting.count))</h2><ul class=\"cards\">\(waiting.map(card).joined())</ul>")
            """)
    }

    // MARK: A case, as a unit member sees it

    static func evidenceList(_ attachments: [Attachment], code: String) -> String {
        let evidence = attachments.filter(\.kind.isEvidence)
        guard !evidence.isEmpty else { return "<p class=\"muted\">Chưa có minh chứng.</p>" }
        return "<ul class=\"evidence\">" + evidence.enumerated().map { i, a in
            let href = "/phieu/\(code)/minh-chung/\(i + 1)"
            var name = (a.path as NSString).lastPathComponent
            if name.count > 13, name[name.index(name.startIndex, offsetBy: 12)] == "-" { name = String(name.dropFirst(13)) }
            let image = ["jpg", "jpeg", "png", "gif", "webp"].contains((a.path as NSString).pathExtension.lowercased())
            let label = "\(a.kind == .photo ? "Ảnh" : "Tài liệu") \(i + 1): \(name) · \(short(a.addedAt))"
            return image
                ? "<li><a href=\"\(e(href))\" target=\"_blank\" rel=\"noopener\"><img class=\"thumb\" src=\"\(e(href))\" alt=\"\(e(label))\" loading=\"lazy\"></a><br><span class=\"muted\">\(e(label))</span></li>"
                : "<li><a href=\"\(e(href))\" download>\(e(label))</a></li>"
        }.joined() + "</ul>"
    }

    static func notesList(_ notes: [CaseNote]) -> String {
        notes.isEmpty ? "<p class=\"muted\">Chưa có ghi chú.</p>" : "<ul class=\"plain\">" + notes.map {
            "<li>\(e(short($0.at))) · \(e($0.actor)) · \(e(TicketAction.label(of: $0.step)))\($0.until.map { " · cam kết \(e(full($0)))" } ?? "")<br>\(e($0.text))</li>"
        }.joined() + "</ul>"
    }

    static func unitCase(_ view: UnitCaseView, units: [HotlineCore.Unit], state: StepFormState, user: User, session: Session,
                         now: Date) -> String {
        let t = view.ticket
        let code = t.trackingCode
        let base = "/don-vi/phieu/\(code)"
        let csrf = SessionGuard.csrfField(session)
        let banner = (state.message.map { "<div class=\"notice error\" role=\"alert\" id=\"step-error\"><p>\(e($0))</p></div>" } ?? "")
            + (state.info.map { "<div class=\"notice\" role=\"status\"><p>\(e($0))</p></div>" } ?? "")
        func value(_ form: String, _ id: String) -> String { state.form == form ? state.values[id] ?? "" : "" }
        let reporter = view.reporterWithheld
            ? "<dt>Người phản ánh</dt><dd><span class=\"badge secret\">Bảo mật</span> Người phản ánh yêu cầu giữ bí mật (Điều 10): đơn vị không được biết họ tên, số điện thoại, địa chỉ.</dd>"
            : """
              <dt>Người phản ánh</dt><dd>\(e(t.reporter.name.isEmpty ? "(không có)" : t.reporter.name))</dd>
              <dt>Điện thoại</dt><dd>\(e(t.reporter.phone.isEmpty ? "(không có)" : t.reporter.phone))</dd>
              <dt>Địa chỉ</dt><dd>\(e(t.reporter.address.isEmpty ? "(không có)" : t.reporter.address))</dd>
              """
        let recording = t.attachments.contains { $0.kind == .recording } ? """
            <audio id="recording" controls preload="none" src="/phieu/\(e(code))/ghi-am"></audio>
            <p class="muted">Mỗi lần nghe được ghi vào nhật ký (dữ liệu cá nhân, Điều 10).</p>
            <p id="recording-error" class="field-error" hidden>Không phát được ghi âm.</p>
            """ : "<p class=\"muted\">Phản ánh này không có ghi âm.</p>"
        let clocks = (t.status.isOpen && t.status != .resolved ? clock(t.dueAt, label: "Hạn của bước hiện tại", now: now, main: true) : "")
            + (t.responseDueAt.map { "<br>" + clock($0, label: "Hạn trả lời người dân", now: now, main: false) } ?? "")

        // The steps this status allows (the desk decides; the page offers only what can succeed).
        var forms: [String] = []
        let s = t.status
        if s == .forwarded || s == .transferred {
            forms.append("""
                <form id="tiep-nhan" class="panel step" method="post" action="\(e(base))/tiep-nhan">\(csrf)
                <h2>Tiếp nhận</h2><p class="muted">Đơn vị nhận xử lý phản ánh này.</p>
                <button type="submit" class="primary big">Tiếp nhận xử lý</button></form>
                """)
        }
        if s == .accepted || s == .inProgress {
            let minDay = Day(now).description
            let maxDay = Day(t.receivedAt.addingTimeInterval(TicketLifecycle.maxCommitment)).description
            forms.append("""
                <form id="ket-qua" class="panel step" method="post" action="\(e(base))/ket-qua" enctype="multipart/form-data">\(csrf)
                <h2>Báo cáo kết quả xử lý</h2>
                <div class="field"><label for="ket_qua">Kết quả: đã làm gì, cụ thể (gửi tới người phản ánh, Điều 8.1c)</label>
                <textarea id="ket_qua" name="ket_qua" required rows="5">\(e(value("resolve", "ket_qua")))</textarea></div>
                <div class="field"><label for="anh">Ảnh hiện trường sau xử lý (chụp bằng máy ảnh của điện thoại)</label>
                <input type="file" id="anh" name="anh" accept="image/*" capture="environment" multiple></div>
                <div class="field"><label for="tai_lieu">Tài liệu, biên bản (PDF, Word) nếu có</label>
                <input type="file" id="tai_lieu" name="tai_lieu" accept=".pdf,.docx,application/pdf" multiple></div>
                <p class="muted">Cần ít nhất một minh chứng mới. Tối đa \(UploadPolicy.evidence.maxFiles) tệp, mỗi tệp tối đa \(UploadPolicy.evidence.maxBytes / 1048576) MB.</p>
                <button type="submit" class="primary big">Gửi kết quả</button></form>
                """)
            forms.append("""
                <form id="tien-do" class="panel step" method="post" action="\(e(base))/tien-do">\(csrf)
                <h2>Báo cáo tiến độ</h2>
                <div class="field"><label for="tien_do">Đang làm gì, đến đâu</label>
                <textarea id="tien_do" name="tien_do" rows="3">\(e(value("progress", "tien_do")))</textarea></div>
                <button type="submit">Gửi tiến độ</button></form>
                """)
            forms.append("""
                <form id="gia-han" class="panel step" method="post" action="\(e(base))/gia-han" enctype="multipart/form-data">\(csrf)
                <h2>Gia hạn (Điều 8.2e)</h2>
                <div class="field"><label for="ngay">Ngày cam kết hoàn thành (trong 15 ngày kể từ khi nhận)</label>
                <input type="date" id="ngay" name="ngay" min="\(minDay)" max="\(maxDay)" value="\(e(value("extend", "ngay")))" required></div>
                <div class="field"><label for="bao_cao">Báo cáo tiến độ, lý do gia hạn</label>
                <textarea id="bao_cao" name="bao_cao" rows="3">\(e(value("extend", "bao_cao")))</textarea></div>
                <div class="field"><label for="minh_chung">Minh chứng (ảnh, tài liệu)</label>
                <input type="file" id="minh_chung" name="minh_chung" accept="image/*,.pdf,.docx" multiple></div>
                <button type="submit">Xin gia hạn</button></form>
                """)
        }
        if s == .forwarded || s == .accepted {
            let choices = units.filter { $0.code.uppercased() != (t.unitCode ?? "").uppercased() }.map { (value: $0.code, label: "\($0.name) (\($0.code))") }
            forms.append("""
                <form id="chuyen" class="panel step" method="post" action="\(e(base))/chuyen">\(csrf)
                <h2>Chuyển cơ quan có thẩm quyền (Điều 8.2f)</h2>
                <div class="field"><label for="den_don_vi">Chuyển tới</label>
                <select id="den_don_vi" name="den_don_vi">\(options(choices, selected: value("transfer", "den_don_vi"), placeholder: "Chọn đơn vị"))</select></div>
                <div class="field"><label for="ly_do_chuyen">Vì sao chuyển</label>
                <textarea id="ly_do_chuyen" name="ly_do_chuyen" rows="2">\(e(value("transfer", "ly_do_chuyen")))</textarea></div>
                <div class="field"><label class="inline"><input type="checkbox" name="thuc_dia" value="1"> Cần kiểm tra thực địa (2 ngày làm việc thay vì 1)</label></div>
                <button type="submit">Chuyển</button></form>
                """)
        }
        if s == .forwarded || s == .accepted || s == .transferred {
            forms.append("""
                <form id="tra-lai" class="panel step" method="post" action="\(e(base))/tra-lai">\(csrf)
                <h2>Chuyển trả Tổng đài (Điều 8.1a)</h2>
                <div class="field"><label for="ly_do_tra">Lý do và kết quả xác minh (không thuộc thẩm quyền…)</label>
                <textarea id="ly_do_tra" name="ly_do_tra" rows="2">\(e(value("giveBack", "ly_do_tra")))</textarea></div>
                <button type="submit" class="danger">Chuyển trả</button></form>
                """)
        }
        if s == .resolved {
            forms.append("<div class=\"panel\"><p>Đơn vị đã báo kết quả; Tổng đài đang xem xét để xác nhận.</p></div>")
        }

        return layout(title: code, user: user, session: session, current: "unit", body: """
            <p><a href="/don-vi">← Việc của đơn vị</a></p>
            <h1>Phản ánh \(e(code)) \(t.confidential ? "<span class=\"badge secret\">Bảo mật</span>" : "")</h1>
            \(banner)
            <div class="case">
            <div>
            <div class="panel">\(clocks)
            <dl class="facts">
            <dt>Trạng thái</dt><dd>\(e(t.status.label))</dd>
            <dt>Nhận lúc</dt><dd>\(e(full(t.receivedAt))) · \(e(t.channel.label))</dd>
            <dt>Lĩnh vực</dt><dd>\(e(t.category?.label ?? "Chưa phân loại"))\(t.topic.map { " · " + e($0.label) } ?? "")</dd>
            <dt>Địa bàn</dt><dd>\(e(t.ward.isEmpty ? "(chưa rõ)" : t.ward))</dd>
            <dt>Tóm tắt</dt><dd class="summary-text">\(e(t.summary.isEmpty ? "(chưa có)" : t.summary))</dd>
            <dt>Nội dung</dt><dd class="content-text">\(e(t.content))</dd>
            \(reporter)
            \(t.resultText.map { "<dt>Kết quả đã báo</dt><dd>\(e($0))</dd>" } ?? "")
            </dl></div>
            \(forms.joined(separator: "\n"))
            </div>
            <aside>
            <div class="panel"><h2>Ghi âm</h2>\(recording)</div>
            <div class="panel"><h2>Minh chứng</h2>\(evidenceList(t.attachments, code: code))</div>
            <div class="panel"><h2>Quá trình xử lý</h2>\(notesList(view.notes))</div>
            </aside>
            </div>
            """)
    }

    /// "Đã xong" with where to go next.
    static func done(_ message: String, links: [(String, String)], user: User, session: Session, current: String = "") -> String {
        layout(title: "Đã xong", user: user, session: session, current: current, body: """
            <div class="notice" role="status" id="done"><p>\(e(message))</p></div>
            <p>\(links.enumerated().map { i, l in "<a href=\"\(e(l.0))\"\(i == 0 ? " autofocus" : "")>\(e(l.1))</a>" }.joined(separator: " · "))</p>
            """)
    }

    // MARK: Review

    static func review(_ pending: [PendingResult], state: StepFormState, user: User, session: Session, now: Date) -> String {
        let csrf = SessionGuard.csrfField(session)
        let items = pending.map { p -> String in
            let code = p.item.trackingCode
            let mine = state.form == code
            return """
                <article class="panel review-item" id="r-\(e(code))" data-code="\(e(code))">
                <h2><a href="/phieu/\(e(code))">\(e(code))</a> · \(e(p.item.unitCode ?? "")) <span class="badge status">\(e(p.item.status.label))</span></h2>
                <p class="muted">\(e(p.item.summary))\(p.item.resolvedAt.map { " · báo xong lúc \(e(full($0)))" } ?? "")\(p.item.responseDueAt.map { " · hạn \(e(full($0)))" } ?? "")</p>
                <h3>Kết quả đơn vị báo</h3>
                <div class="result-text">\(e(p.resultText ?? "(không có)"))</div>
                <h3>Minh chứng</h3>
                \(evidenceList(p.evidence, code: code))
                \(mine ? state.message.map { "<div class=\"notice error\" role=\"alert\"><p>\(e($0))</p></div>" } ?? "" : "")
                <div class="review-actions">
                <form class="xac-nhan" method="post" action="/duyet/\(e(code))/xac-nhan">\(csrf)
                <button type="submit" class="primary">Xác nhận kết quả</button></form>
                <form class="tra-lai" method="post" action="/duyet/\(e(code))/tra-lai">\(csrf)
                <label for="ly_do-\(e(code))">Lý do chưa chấp nhận (đơn vị cần làm thêm gì)</label>
                <textarea id="ly_do-\(e(code))" name="ly_do" rows="2">\(e(mine ? state.values["ly_do"] ?? "" : ""))</textarea>
                <button type="submit" class="danger">Trả lại đơn vị</button></form>
                </div>
                </article>
                """
        }
        return layout(title: "Duyệt kết quả", user: user, session: session, current: "review", body: """
            <h1>Kết quả chờ xác nhận (\(pending.count))</h1>
            <p class="muted">Xác nhận thì phản ánh hoàn thành và người phản ánh nhận tin nhắn có nội dung kết quả (Điều 8.5). Ghi đánh giá của người dân hoặc mở lại phản ánh đã hoàn thành trên trang của phản ánh.</p>
            \(state.info.map { "<div class=\"notice\" role=\"status\" id=\"done\"><p>\(e($0))</p></div>" } ?? "")
            \(state.message != nil && !pending.contains { $0.item.trackingCode == state.form } ? "<div class=\"notice error\" role=\"alert\"><p>\(e(state.message ?? ""))</p></div>" : "")
            \(pending.isEmpty ? "<p class=\"notice\">Không có kết quả nào chờ xác nhận.</p>" : items.joined(separator: "\n"))
            """)
    }

    /// On the hotline's case page: the unit's result with its evidence, and what follows (confirm or reject a
    /// result; rate or reopen a completed case).
    static func afterwards(_ t: Ticket, state: StepFormState, session: Session) -> String {
        let csrf = SessionGuard.csrfField(session)
        let base = "/phieu/\(t.trackingCode)"
        var out = ""
        if let result = t.resultText {
            out += """
                <div class="panel" id="ket-qua-don-vi"><h2>Kết quả đơn vị báo</h2>
                <div class="result-text">\(e(result))</div></div>
                """
        }
        if t.evidenceCount > 0 {
            out += """
                <div class="panel" id="anh-tai-lieu"><h2>Ảnh và tài liệu (người dân gửi, minh chứng của đơn vị)</h2>
                \(evidenceList(t.attachments, code: t.trackingCode))</div>
                """
        }
        let message = state.message.map { "<div class=\"notice error\" role=\"alert\"><p>\(e($0))</p></div>" } ?? ""
        if t.status == .resolved {
            out += """
                <div class="panel" id="duyet">\(message)<h2>Duyệt kết quả</h2>
                <form method="post" action="/duyet/\(e(t.trackingCode))/xac-nhan">\(csrf)<button type="submit" class="primary">Xác nhận kết quả</button></form>
                <form method="post" action="/duyet/\(e(t.trackingCode))/tra-lai">\(csrf)
                <label for="ly_do">Lý do chưa chấp nhận</label><textarea id="ly_do" name="ly_do" rows="2"></textarea>
                <button type="submit" class="danger">Trả lại đơn vị</button></form></div>
                """
        }
        if t.status == .completed {
            let rated = t.rating.map { "<p>Người dân đã đánh giá <strong>\($0)/5</strong>\(t.ratingComment.map { $0.isEmpty ? "" : ": " + e($0) } ?? "").</p>" } ?? ""
            let scores = (1...5).map { (value: String($0), label: "\($0) — \(ratingLabel($0))") }
            out += """
                <div class="panel" id="sau-hoan-thanh">\(message)<h2>Sau khi hoàn thành (Điều 8.5b)</h2>\(rated)
                \(t.rating == nil ? """
                <form method="post" action="\(e(base))/danh-gia">\(csrf)
                <div class="field"><label for="diem">Đánh giá người dân đưa ra (qua điện thoại, tin nhắn)</label>
                <select id="diem" name="diem">\(options(scores, selected: state.values["diem"] ?? "", placeholder: "Chọn mức hài lòng"))</select></div>
                <div class="field"><label for="nhan_xet">Nhận xét (nếu có)</label><input type="text" id="nhan_xet" name="nhan_xet"></div>
                <button type="submit">Ghi đánh giá</button></form>
                """ : "")
                <form method="post" action="\(e(base))/mo-lai">\(csrf)
                <div class="field"><label for="ly_do_mo_lai">Mở lại: điều người dân chưa hài lòng</label>
                <textarea id="ly_do_mo_lai" name="ly_do" rows="2">\(e(state.values["ly_do_mo_lai"] ?? ""))</textarea></div>
                <button type="submit" class="danger">Mở lại phản ánh</button></form></div>
                """
        }
        return out
    }

    static func ratingLabel(_ score: Int) -> String {
        switch score {
        case 1: "Rất không hài lòng"
        case 2: "Không hài lòng"
        case 3: "Bình thường"
        case 4: "Hài lòng"
        default: "Rất hài lòng"
        }
    }
}
