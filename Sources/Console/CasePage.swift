import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import WebServer

/// What a case page shows besides the case: the values the agent typed, the problems found, a banner.
struct CaseFormState {
    /// Which form the values and errors belong to: complete (also guidance), refuse, link.
    var form = ""
    var values: [String: String] = [:]
    var errors: [(id: String, message: String)] = []
    var banner: String?
    var bannerIsError = false

    /// The form field a request's field is typed into.
    static func fieldID(_ field: DeskField, form: String) -> String {
        switch field {
        case .name: "ten"
        case .address: "dia_chi"
        case .summary: "tom_tat"
        case .content: "noi_dung"
        case .category: "linh_vuc"
        case .topic: "chuyen_muc"
        case .ward: "dia_ban"
        case .email: "email"
        case .unit: "don_vi"
        case .confidential: "bao_mat"
        case .reason: form == "refuse" ? "ly_do_chon" : "ly_do_huong_dan"
        case .trackingCode: form == "link" ? "ma_goc" : "main"
        case .note: form == "informed" ? "ghi_chu" : "main"
        default: "main"
        }
    }
}

extension Pages {
    static func casePage(_ view: AgentCaseView, transcript: CaseTranscript?, choices: CaseFormChoices, state: CaseFormState,
                         after: StepFormState = StepFormState(), user: User, session: Session, now: Date) -> String {
        let t = view.ticket
        let code = t.trackingCode
        let base = "/phieu/\(code)"
        let open = t.status == .draft || t.status == .returned
        let heldByOther = view.claim.map { $0.userName != user.name } ?? false
        let csrf = SessionGuard.csrfField(session)

        // Header: status, clocks, confidentiality, claim.
        var claimBox = ""
        if let claim = view.claim {
            claimBox = claim.userName == user.name
                ? "<div class=\"notice\" role=\"status\"><p><span class=\"badge mine\">Bạn đang xử lý</span> đến \(e(full(claim.expiresAt))).</p>"
                : "<div class=\"notice held\" role=\"status\"><p><span class=\"badge held\">Đang do \(e(claim.userName)) xử lý</span> đến \(e(full(claim.expiresAt))). Bạn chỉ xem được; người đó hoặc giám sát viên trả hồ sơ để người khác nhận.</p>"
            claimBox += "<div class=\"actions\">"
            if claim.userName == user.name {
                claimBox += "<form class=\"claim\" method=\"post\" action=\"\(e(base))/nhan\">\(csrf)<button type=\"submit\">Gia hạn 15 phút</button></form>"
            }
            claimBox += "<form method=\"post\" action=\"\(e(base))/tra\">\(csrf)<button type=\"submit\" class=\"danger\">Trả hồ sơ</button></form></div></div>"
        } else if open {
            claimBox = """
                <div class="actions"><form class="claim" method="post" action="\(e(base))/nhan">\(csrf)\
                <button type="submit" class="primary" title="Phím c">Nhận xử lý</button></form>
                <span class="muted">Nhận xử lý để người khác không làm trùng (15 phút, gia hạn được).</span></div>
                """
        }
        let clockKind: QueueClock = t.awaitingGuidance ? .guidance : t.status == .returned ? .returned
            : t.category == .suggestion ? .suggestion : .classify
        let clocks = (t.status.isOpen ? clock(t.dueAt, label: open || t.awaitingGuidance ? clockLabel(clockKind) : "Hạn của bước hiện tại",
                                              now: now, main: true) : "")
            + (t.responseDueAt.map { "<br>" + clock($0, label: "Hạn trả lời của đơn vị\(t.unitCode.map { " \($0)" } ?? "")", now: now, main: false) } ?? "")

        let banner = state.banner.map { flash($0, error: state.bannerIsError) } ?? ""

        // The recording and the transcript.
        var recording = "<p class=\"muted\">Phản ánh này không có ghi âm.</p>"
        let recordings = t.recordings
        if let attachment = recordings.first {
            // Issue 17: a damaged recording is never silent about it.
            let loss = attachment.audioLossPercent.map {
                $0 > 0 ? "<div class=\"notice error\" role=\"alert\" id=\"audio-loss\"><p>Ghi âm mất \($0)%: gói âm thanh bị mất hoặc đến trễ khi ghi, có đoạn bị im hoặc đứt.</p></div>"
                    : ""
            } ?? ""
            if view.recordingVerified == true {
                recording = loss + """
                    <audio id="recording" controls preload="metadata" src="\(e(base))/ghi-am"></audio>
                    <p class="muted">\((attachment.durationMs ?? 0) / 1000) giây · SHA-256 đã kiểm tra khớp · mỗi lần nghe được ghi nhật ký</p>
                    <p id="recording-error" class="field-error" hidden>Không phát được ghi âm; tải lại trang hoặc báo giám sát viên.</p>
                    """
            } else {
                recording = "<div class=\"notice error\" role=\"alert\"><p>Tệp ghi âm không khớp mã SHA-256 đã lưu hoặc không đọc được: không phát. Báo giám sát viên.</p></div>"
            }
        }
        // Conversations of later calls picked for the case (issue 23 §4), each with its own player.
        for (i, later) in recordings.enumerated().dropFirst() {
            let take = i + 1
            recording += "<h3>Ghi âm \(take) · cuộc gọi gắn lúc \(Pages.short(later.addedAt))</h3>"
            if i < view.recordingsVerified.count, view.recordingsVerified[i] {
                recording += """
                    <audio class="recording-more" controls preload="none" src="\(e(base))/ghi-am?ban=\(take)"></audio>
                    <p class="muted">\((later.durationMs ?? 0) / 1000) giây · SHA-256 đã kiểm tra khớp\(later.audioLossPercent.map { $0 > 0 ? " · mất \($0)% gói âm thanh" : "" } ?? "")</p>
                    """
            } else {
                recording += "<div class=\"notice error\" role=\"alert\"><p>Tệp ghi âm \(take) không khớp mã SHA-256 đã lưu hoặc không đọc được: không phát. Báo giám sát viên.</p></div>"
            }
        }
        var transcriptBox = ""
        if let transcript {
            if let text = transcript.transcript?.text {
                transcriptBox = "<h3>Bản ghi lời nói (máy nghe, cần kiểm tra)</h3><div class=\"transcript\">\(e(text))</div>"
                var hints: [String] = []
                if !transcript.heardWards.isEmpty { hints.append("địa bàn nghe được: " + transcript.heardWards.joined(separator: ", ")) }
                if let topic = transcript.suggestedTopic { hints.append("chuyên mục gợi ý: \(topic.label) (từ: \(transcript.topicWords.joined(separator: ", ")))") }
                if !hints.isEmpty { transcriptBox += "<p class=\"muted\">\(e(hints.joined(separator: "; ")))</p>" }
            } else if let job = transcript.job {
                let where_: String = switch job.status {
                case .queued: "đang chờ chuyển lời nói thành văn bản"
                case .running: "đang chuyển lời nói thành văn bản"
                case .failed: "chuyển lời nói thất bại"
                case .done: "đã xong"
                }
                transcriptBox = "<p class=\"muted\">Bản ghi lời nói: \(e(where_)).</p>"
            }
        }

        var facts = """
            <dl class="facts">
            <dt>Trạng thái</dt><dd>\(e(t.status.label))\(t.awaitingGuidance ? " · chờ VP UBND hướng dẫn" : "")</dd>
            <dt>Nhận lúc</dt><dd>\(e(full(t.receivedAt))) · \(e(t.channel.label))</dd>
            <dt>Số gọi đến</dt><dd>\(e(t.reporter.phone.isEmpty ? "(không có)" : t.reporter.phone))</dd>
            <dt>Lĩnh vực</dt><dd>\(e(t.category?.label ?? "Chưa phân loại"))</dd>
            """
        if let unit = t.unitCode { facts += "<dt>Đơn vị</dt><dd>\(e(unit))</dd>" }
        if let reason = view.returnReason { facts += "<dt>Lý do đơn vị trả lại</dt><dd>\(e(reason))</dd>" }
        if let r = t.refusalReason { facts += "<dt>Lý do từ chối</dt><dd>\(e(r))</dd>" }
        if let d = t.duplicateOf { facts += "<dt>Trùng với</dt><dd><a href=\"/phieu/\(e(d))\">\(e(d))</a></dd>" }
        if let r = t.recurrenceOf { facts += "<dt>Tái diễn của</dt><dd><a href=\"/phieu/\(e(r))\">\(e(r))</a></dd>" }
        if !t.summary.isEmpty { facts += "<dt>Nội dung tóm tắt</dt><dd class=\"summary-text\">\(e(t.summary))</dd>" }
        facts += "</dl>"

        let forms = open && !heldByOther ? completeForm(t, view: view, choices: choices, state: state, base: base, csrf: csrf)
            + refuseForm(state: state, base: base, csrf: csrf) + linkForm(view: view, state: state, base: base, csrf: csrf)
            : ""

        // The side: the caller's earlier tickets, duplicate candidates, the router's suggestion, notes.
        let callers = view.callerTickets.isEmpty ? "<p class=\"muted\">Số này chưa gọi lần nào trước đây.</p>"
            : "<ul class=\"plain\">" + view.callerTickets.map {
                "<li><a href=\"/phieu/\(e($0.trackingCode))\">\(e($0.trackingCode))</a> · \(e($0.status.label)) · \(e(short($0.receivedAt)))\($0.confidential ? " " + secretBadge : "")<br>\(e($0.summary.isEmpty ? "(chưa có nội dung)" : $0.summary))</li>"
            }.joined() + "</ul>"
        var candidates = view.duplicateCandidates.map { c -> String in
            let why = c.reasons.map { r -> String in
                switch r {
                case .sameCaller: "cùng số gọi"
                case .sameWardAndTopic: "cùng địa bàn và chuyên mục"
                case .similarText: "nội dung giống"
                }
            }.joined(separator: ", ")
            let link = c.link.map { $0 == .duplicate ? "liên kết là trùng" : "liên kết là tái diễn" } ?? ""
            return "<li><a href=\"/phieu/\(e(c.trackingCode))\">\(e(c.trackingCode))</a> · \(e(c.status.label))<br><span class=\"muted\">\(e(why))\(link.isEmpty ? "" : " · " + e(link))</span></li>"
        }
        for s in transcript?.similar ?? [] where !view.duplicateCandidates.contains(where: { $0.trackingCode == s.trackingCode }) {
            candidates.append("<li><a href=\"/phieu/\(e(s.trackingCode))\">\(e(s.trackingCode))</a> · \(e(s.status.label))<br><span class=\"muted\">lời nói giống \(Int((s.similarity * 100).rounded()))% · \(e(s.summary))</span></li>")
        }
        let candidateList = candidates.isEmpty ? "<p class=\"muted\">Không thấy phản ánh nào có thể trùng.</p>"
            : "<ul class=\"plain\">" + candidates.joined() + "</ul>"
        let notes = view.notes.isEmpty ? "" : "<div class=\"panel\"><h2>Quá trình xử lý</h2><ul class=\"plain\">" + view.notes.map {
            "<li>\(e(short($0.at))) · \(e($0.actor)) · \(e(TicketAction.label(of: $0.step)))<br>\(e($0.text))</li>"
        }.joined() + "</ul></div>"

        let messages = messagesPanel(view.messages, code: code, session: session, state: state)

        return layout(title: code, user: user, session: session, body: """
            <p><a href="/hang-doi">← Hàng đợi</a></p>
            <h1>Phản ánh \(e(code)) \(t.confidential ? secretBadge : "")</h1>
            \(banner)
            <div class="case">
            <div>
            <div class="panel">\(clocks)\(claimBox)</div>
            <div class="panel"><h2>Ghi âm</h2>\(recording)\(transcriptBox)</div>
            <div class="panel">\(facts)</div>
            \(forms)
            \(afterwards(t, state: after, session: session))
            </div>
            <aside>
            <div class="panel"><h2>Gợi ý chuyển đơn vị</h2><p>\(e(view.suggestion))</p></div>
            <div class="panel"><h2>Các lần gọi trước của số này</h2>\(callers)</div>
            <div class="panel"><h2>Có thể trùng</h2>\(candidateList)</div>
            \(messages)
            \(notes)
            </aside>
            </div>
            """)
    }

    /// The messages to the citizen, each with its carrier's state; when one did not arrive, the call-back form.
    static func messagesPanel(_ messages: [OutboxMessage], code: String, session: Session, state: CaseFormState) -> String {
        guard !messages.isEmpty else {
            return "<div class=\"panel\" id=\"tin-nhan\"><h2>Tin nhắn gửi người dân</h2><p class=\"muted\">Chưa có tin nhắn nào (không có số điện thoại, hoặc chưa đến bước báo tin).</p></div>"
        }
        let kinds: [NotificationKind: String] = [.acknowledgement: "Xác nhận tiếp nhận", .refusal: "Từ chối tiếp nhận",
                                                 .duplicate: "Trùng phản ánh", .recurrence: "Tái diễn", .result: "Kết quả"]
        let channels = ["kannel": "SMS", "zns": "Zalo ZNS", "webhook": "cổng riêng", "log": "tệp nhật ký"]
        let rows = messages.map { m -> String in
            let bad = m.delivery.notTold && m.informedAt == nil
            var detail = [m.channel.map { channels[$0] ?? $0 }, m.deliveryCode, (m.reportedAt ?? m.sentAt).map { short($0) }]
                .compactMap { $0 }.joined(separator: " · ")
            if let error = m.lastError, m.delivery != .delivered { detail += (detail.isEmpty ? "" : "<br>") + e(error) } else { detail = e(detail) }
            if let at = m.informedAt { detail += "<br>Đã gọi báo: \(e(m.informedBy ?? "")) · \(e(short(at)))" }
            return """
                <li class="message\(bad ? " not-told" : "")" data-state="\(m.delivery.rawValue)">\(e(kinds[m.kind] ?? m.kind.rawValue)) → \
                \(e(String(repeating: "*", count: max(0, m.recipient.count - 3)) + m.recipient.suffix(3))): \
                <strong class="delivery">\(e(m.delivery.label))</strong><br><span class="muted">\(detail)</span></li>
                """
        }.joined()
        let needsCall = messages.contains { $0.delivery.notTold && $0.informedAt == nil }
        let form = !needsCall ? "" : """
            <form method="post" action="/phieu/\(e(code))/da-bao" class="informed">\(SessionGuard.csrfField(session))
            <p class="warning">Người dân chưa nhận được tin: gọi lại, báo mã số \(e(code)), rồi ghi lại ở đây.</p>
            \(field("ghi_chu", "Đã báo gì, qua số nào", state: state, form: "informed") { a in "<textarea \(a) rows=\"2\"></textarea>" })
            <button type="submit">Đã gọi báo cho người dân</button></form>
            """
        return "<div class=\"panel\" id=\"tin-nhan\"><h2>Tin nhắn gửi người dân</h2><ul class=\"plain\">\(rows)</ul>\(form)</div>"
    }

    /// One labelled field with its error beside it (GOV.UK pattern: the message between label and input).
    static func field(_ id: String, _ label: String, state: CaseFormState, form: String, hint: String? = nil,
                      _ control: (_ attributes: String) -> String) -> String {
        let error = state.form == form ? state.errors.first { $0.id == id } : nil
        var described: [String] = []
        if hint != nil { described.append("\(id)-hint") }
        if error != nil { described.append("\(id)-error") }
        let attributes = "id=\"\(id)\" name=\"\(id)\"" + (error == nil ? "" : " class=\"input-error\" aria-invalid=\"true\"")
            + (described.isEmpty ? "" : " aria-describedby=\"\(described.joined(separator: " "))\"")
        return """
            <div class="field\(error == nil ? "" : " has-error")"><label for="\(id)">\(e(label))</label>
            \(hint.map { "<p class=\"muted\" id=\"\(id)-hint\">\(e($0))</p>" } ?? "")
            \(error.map { "<p class=\"field-error\" id=\"\(id)-error\"><span hidden>Lỗi: </span>\(e($0.message))</p>" } ?? "")
            \(control(attributes))</div>
            """
    }

    static func options(_ choices: [(value: String, label: String)], selected: String, placeholder: String) -> String {
        "<option value=\"\">\(e(placeholder))</option>" + choices.map {
            "<option value=\"\(e($0.value))\"\($0.value == selected ? " selected" : "")>\(e($0.label))</option>"
        }.joined()
    }

    static func completeForm(_ t: Ticket, view: AgentCaseView, choices: CaseFormChoices, state: CaseFormState, base: String,
                             csrf: String) -> String {
        let mine = state.form == "complete"
        func value(_ id: String, _ stored: String) -> String { mine ? (state.values[id] ?? "") : stored }
        let summary = mine ? errorSummary(state.errors) : ""
        let categories = HotlineCore.Category.allCases.map { (value: $0.rawValue, label: $0.label) }
        let topics = Topic.allCases.map { (value: $0.rawValue, label: $0.label) }
        let wards = choices.wards.map { (value: $0, label: $0) }
        let units = choices.units.map { (value: $0.code, label: "\($0.name) (\($0.code))") }
        let confidential = mine ? state.values["bao_mat"] == "1" : t.confidential
        return """
            <div class="panel" id="hoan-tat">
            <h2>Hoàn tất phiếu và chuyển xử lý</h2>
            \(summary)
            <form class="case-form" method="post" action="\(e(base))/hoan-tat" novalidate>\(csrf)
            \(field("ten", "Họ tên người phản ánh", state: state, form: "complete") { "<input type=\"text\" \($0) value=\"\(e(value("ten", t.reporter.name)))\" autocomplete=\"off\">" })
            \(field("dia_chi", "Địa chỉ người phản ánh", state: state, form: "complete") { "<input type=\"text\" \($0) value=\"\(e(value("dia_chi", t.reporter.address)))\" autocomplete=\"off\">" })
            \(field("email", "Thư điện tử (nếu có)", state: state, form: "complete") { "<input type=\"email\" \($0) value=\"\(e(value("email", t.reporter.email)))\" autocomplete=\"off\">" })
            \(field("tom_tat", "Nội dung tóm tắt", state: state, form: "complete", hint: "Người dân và đơn vị đọc được nội dung này.") { "<textarea \($0)>\(e(value("tom_tat", t.summary)))</textarea>" })
            \(field("noi_dung", "Nội dung chi tiết (nếu khác tóm tắt)", state: state, form: "complete") { "<textarea \($0)>\(e(value("noi_dung", t.content == t.summary ? "" : t.content)))</textarea>" })
            \(field("linh_vuc", "Lĩnh vực (Điều 5)", state: state, form: "complete") { "<select \($0)>\(options(categories, selected: value("linh_vuc", t.category?.rawValue ?? ""), placeholder: "Chọn lĩnh vực"))</select>" })
            \(field("chuyen_muc", "Chuyên mục", state: state, form: "complete") { "<select \($0)>\(options(topics, selected: value("chuyen_muc", t.topic?.rawValue ?? ""), placeholder: "Chọn chuyên mục"))</select>" })
            \(field("dia_ban", "Địa bàn (phường, xã)", state: state, form: "complete") { "<select \($0)>\(options(wards, selected: value("dia_ban", t.ward), placeholder: "Chọn phường, xã"))</select>" })
            \(field("don_vi", "Đơn vị xử lý", state: state, form: "complete", hint: "Để trống: theo gợi ý — \(view.suggestion)") { "<select \($0)>\(options(units, selected: value("don_vi", ""), placeholder: "Theo gợi ý của hệ thống"))</select>" })
            <div class="field"><label class="inline"><input type="checkbox" id="bao_mat" name="bao_mat" value="1"\(confidential ? " checked" : "")> Người phản ánh yêu cầu giữ bí mật thông tin cá nhân (Điều 10)</label></div>
            <div class="actions"><button type="submit" class="primary">Hoàn tất và chuyển đơn vị</button></div>
            \(field("ly_do_huong_dan", "Lý do xin hướng dẫn (khi không xác định được một đơn vị)", state: state, form: "complete") { "<textarea \($0)>\(e(mine ? state.values["ly_do_huong_dan"] ?? "" : ""))</textarea>" })
            <div class="actions"><button type="submit" formaction="\(e(base))/huong-dan">Chuyển VP UBND thành phố xin hướng dẫn (Art. 7.4)</button></div>
            </form>
            </div>
            """
    }

    static func refuseForm(state: CaseFormState, base: String, csrf: String) -> String {
        let mine = state.form == "refuse"
        let chosen = mine ? state.values["ly_do_chon"] ?? "" : ""
        return """
            <div class="panel" id="tu-choi">
            <h2>Từ chối tiếp nhận</h2>
            \(mine ? errorSummary(state.errors) : "")
            <form method="post" action="\(e(base))/tu-choi" novalidate>\(csrf)
            \(field("ly_do_chon", "Lý do (người phản ánh được thông báo lý do, Điều 4.7)", state: state, form: "refuse") { "<select \($0)>\(options(refusalReasons.map { (value: $0, label: $0) }, selected: chosen, placeholder: "Chọn lý do thường gặp"))</select>" })
            \(field("ly_do_them", "Nói rõ thêm (hoặc lý do khác)", state: state, form: "refuse") { "<textarea \($0)>\(e(mine ? state.values["ly_do_them"] ?? "" : ""))</textarea>" })
            <div class="actions"><button type="submit" class="danger">Từ chối tiếp nhận</button></div>
            </form></div>
            """
    }

    static func linkForm(view: AgentCaseView, state: CaseFormState, base: String, csrf: String) -> String {
        let mine = state.form == "link"
        let kind = mine ? state.values["kieu"] ?? "duplicate" : "duplicate"
        let suggestions = view.duplicateCandidates.map { "<option value=\"\(e($0.trackingCode))\">" }.joined()
        return """
            <div class="panel" id="lien-ket">
            <h2>Liên kết với phản ánh trước</h2>
            \(mine ? errorSummary(state.errors) : "")
            <form method="post" action="\(e(base))/lien-ket" novalidate>\(csrf)
            <fieldset class="field"><legend>Loại liên kết</legend>
            <label class="inline"><input type="radio" name="kieu" value="duplicate"\(kind == "duplicate" ? " checked" : "")> Trùng: phản ánh trước còn đang xử lý (gộp, Điều 7.5)</label><br>
            <label class="inline"><input type="radio" name="kieu" value="recurrence"\(kind == "recurrence" ? " checked" : "")> Tái diễn: phản ánh trước đã hoàn thành, sự việc lặp lại</label>
            </fieldset>
            \(field("ma_goc", "Mã số phản ánh trước", state: state, form: "link") { "<input type=\"text\" \($0) list=\"ung-vien\" value=\"\(e(mine ? state.values["ma_goc"] ?? "" : ""))\" placeholder=\"20260610-0134036\" autocomplete=\"off\">" })
            <datalist id="ung-vien">\(suggestions)</datalist>
            <div class="actions"><button type="submit">Liên kết</button></div>
            </form></div>
            """
    }
}
