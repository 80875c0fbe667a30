import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import WebServer

/// What the menu editor shows besides the text: the check, the graph, a simulated call, what was done.
struct MenuEditorState {
    var text: String
    var check: DialplanCheck?
    var graph: String?
    var simulation: [String]?
    var keys = "1,,2,"
    var status = "waiting"
    var afterHours = false
    var message: String?
    var info: String?
}

extension Pages {
    static func menuEditor(_ s: MenuEditorState, history: [DialplanVersion], settings: DialplanSettings, user: User,
                           session: Session) -> String {
        let csrf = SessionGuard.csrfField(session)
        var checkBox = ""
        if let check = s.check {
            if check.isValid {
                checkBox = "<div class=\"notice\" role=\"status\" id=\"check-ok\"><p>Kịch bản hợp lệ: phiên bản \(e(check.version ?? "")), \(check.nodeCount) nút, \(check.promptCount) lời nhắc (đã kiểm tra tệp lời nhắc).</p></div>"
            } else {
                checkBox = """
                    <div class="error-summary" role="alert" id="problems" tabindex="-1"><h2>Có \(check.problems.count) lỗi; kịch bản chưa được cài</h2>
                    <ol class="problems">\(check.problems.map { p in
                        let at = p.line.map { line in
                            "<button type=\"button\" class=\"linelink\" data-line=\"\(line)\">dòng \(line), cột \(p.column ?? 1)</button>"
                        } ?? "<span class=\"where\">(không rõ dòng)</span>"
                        return "<li class=\"problem\" data-line=\"\(p.line ?? 0)\">\(at) · <span class=\"where\">\(e(p.path))</span>: \(e(p.message))</li>"
                    }.joined())</ol></div>
                    """
            }
        }
        let statuses = [("waiting", "chờ tiếp nhận"), ("forwarded", "đã chuyển xử lý"), ("in-progress", "đang xử lý"),
                        ("completed", "đã hoàn thành"), ("overdue", "quá hạn"), ("refused", "từ chối"), ("not-found", "không tìm thấy")]
            .map { (value: $0.0, label: $0.1) }
        let historyRows = history.map { v in
            """
            <tr\(v.isLive ? " class=\"live-plan\"" : "")><td>\(e(full(v.installedAt)))</td><td>\(e(v.version))</td><td><code>\(e(String(v.sha256.prefix(12))))</code></td>
            <td>\(v.isLive ? "<strong>đang dùng</strong>" : """
            <form method="post" action="/quan-tri/kich-ban/quay-lai">\(csrf)<input type="hidden" name="ban" value="\(e(v.id))"><button type="submit" class="rollback" data-id="\(e(v.id))">Quay lại bản này</button></form>
            """)</td></tr>
            """
        }.joined()
        return adminLayout("Kịch bản tổng đài", current: "menu", user: user, session: session, body: """
            <h1>Kịch bản tổng đài (menu thoại)</h1>
            \(s.message.map { "<div class=\"notice error\" role=\"alert\" id=\"admin-error\"><p>\(e($0))</p></div>" } ?? "")
            \(s.info.map { "<div class=\"notice\" role=\"status\" id=\"done\"><p>\(e($0))</p></div>" } ?? "")
            \(checkBox)
            <form class="panel" method="post" action="/quan-tri/kich-ban" id="editor-form">\(csrf)
            <div class="field"><label for="plan">Kịch bản JSON (tệp đang dùng: \(e(shortPath(settings.live))); lời nhắc: \(e(shortPath(settings.promptDirectory))))</label>
            <textarea id="plan" name="plan" class="code-editor" spellcheck="false" autocapitalize="none">\(e(s.text))</textarea></div>
            <div class="actions">
            <button type="submit" name="hanh_dong" value="kiem-tra" id="check">Kiểm tra</button>
            <button type="submit" name="hanh_dong" value="so-do" id="graph">Vẽ sơ đồ</button>
            <button type="submit" name="hanh_dong" value="cai-dat" id="install" class="primary">Kiểm tra và cài đặt</button>
            </div>
            <fieldset class="panel"><legend>Chạy thử một cuộc gọi</legend>
            <div class="toolbar">
            <label for="phim">Phím bấm lần lượt (phẩy ngăn cách; để trống một mục để lời nhắc hoặc thời gian chờ chạy hết)</label>
            <input type="text" id="phim" name="phim" value="\(e(s.keys))" placeholder="1,,2,#">
            <label for="trang_thai">Tra cứu trả về</label><select id="trang_thai" name="trang_thai">\(options(statuses, selected: s.status, placeholder: "Trạng thái"))</select>
            <label class="inline"><input type="checkbox" name="ngoai_gio" value="1"\(s.afterHours ? " checked" : "")> Ngoài giờ hành chính</label>
            <button type="submit" name="hanh_dong" value="chay-thu" id="simulate">Chạy thử</button>
            </div></fieldset>
            </form>
            \(s.simulation.map { "<div class=\"panel\"><h2>Người gọi nghe thấy</h2><pre class=\"simulation\" id=\"simulation\">\(e($0.joined(separator: "\n")))</pre></div>" } ?? "")
            \(s.graph.map { "<div class=\"panel\"><h2>Sơ đồ kịch bản</h2><div class=\"graph\"><img id=\"dialplan-graph\" alt=\"Sơ đồ các nút của kịch bản và đường đi giữa chúng\" src=\"data:image/svg+xml;base64,\(Data($0.utf8).base64EncodedString())\"></div></div>" } ?? "")
            <div class="panel"><h2>Các bản đã cài (mới nhất trước)</h2>
            \(history.isEmpty ? "<p class=\"muted\">Chưa có bản nào được cài từ khi có lịch sử.</p>" : "<div class=\"table-wrap\"><table id=\"history\"><thead><tr><th>Cài lúc</th><th>Phiên bản</th><th>SHA-256</th><th></th></tr></thead><tbody>\(historyRows)</tbody></table></div>")
            </div>
            """)
    }

    /// The last two components of a path ("Dialplans/hotline-1022.json"): enough to recognise it.
    static func shortPath(_ path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.suffix(2).joined(separator: "/")
    }

    static func promptsPage(_ prompts: [PromptInfo], state: StepFormState, user: User, session: Session) -> String {
        let csrf = SessionGuard.csrfField(session)
        let rows = prompts.map { p -> String in
            let base = "/quan-tri/loi-nhac/\(p.name)"
            let status = p.problem.map { "<span class=\"badge secret\">\(e($0))</span>" }
                ?? (p.isStudioRecording ? "<span class=\"badge held\">bản thu phòng thu</span>" : "<span class=\"badge status\">giọng đọc máy</span>")
            return """
                <tr id="p-\(e(p.name))"><td><code>\(e(p.name))</code><br>\(status)\(p.textChanged ? "<br><span class=\"badge\">lời đã đổi, cần tạo lại</span>" : "")</td>
                <td><form method="post" action="\(e(base))/loi">\(csrf)<label for="txt-\(e(p.name))" hidden>Lời của \(e(p.name))</label>
                <textarea id="txt-\(e(p.name))" name="loi" rows="2">\(e(p.text))</textarea><button type="submit">Lưu lời</button></form></td>
                <td>\(p.durationMs.map { "<audio controls preload=\"none\" src=\"\(e(base))/am-thanh\"></audio><br><span class=\"muted\">\(String(format: "%.1f", Double($0) / 1000).replacingOccurrences(of: ".", with: ",")) giây</span>" } ?? "")</td>
                <td><form method="post" action="\(e(base))/thu-am" enctype="multipart/form-data">\(csrf)
                <label for="wav-\(e(p.name))" hidden>Bản thu phòng thu cho \(e(p.name))</label>
                <input type="file" id="wav-\(e(p.name))" name="tep" accept="audio/wav,.wav"><button type="submit">Tải lên</button></form></td></tr>
                """
        }.joined(separator: "\n")
        return adminLayout("Lời nhắc", current: "prompts", user: user, session: session, body: """
            <h1>Lời nhắc (\(prompts.count))</h1>
            \(notices(state))
            <p class="muted">Bản thu phòng thu (WAV) được kiểm tra và chuyển sang 8 kHz, đơn kênh, 16 bit bằng sox; lần tạo lại sau vẫn giữ nó. Tạo lại chỉ đọc lại những lời đã đổi.</p>
            <form method="post" action="/quan-tri/loi-nhac/tao-lai" class="panel">\(csrf)<button type="submit" class="primary" id="rebuild">Tạo lại lời nhắc đã đổi (espeak-ng)</button></form>
            <div class="table-wrap"><table class="prompts"><thead><tr><th>Tên</th><th>Lời</th><th>Nghe</th><th>Bản thu phòng thu</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """)
    }
}
