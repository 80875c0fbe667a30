import Foundation
import HotlineCore
import HotlineDesk
import WebServer

/// The citizens' own pages ("Trang tin 1022"): no sign-in, no personal data shown back.
extension Pages {
    static func publicLayout(_ title: String, current: String, body: String) -> String {
        func link(_ href: String, _ text: String, _ key: String) -> String {
            "<a href=\"\(href)\"\(current == key ? " class=\"current\" aria-current=\"page\"" : "")>\(e(text))</a>"
        }
        return """
            <!DOCTYPE html>
            <html lang="vi"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title)) · Trang tin 1022 Hải Phòng</title>
            <link rel="stylesheet" href="/tai-nguyen/console.css">
            <script src="/tai-nguyen/console.js" defer></script>
            </head><body class="public-page">
            <header class="top"><span class="brand">Trang tin 1022 Hải Phòng</span>
            <nav aria-label="Chính">\(link("/phan-anh", "Gửi phản ánh", "report"))\(link("/tra-cuu", "Tra cứu", "lookup"))</nav></header>
            <main id="main">
            \(body)
            </main>
            <footer class="muted"><p>Khẩn cấp: gọi 113 (công an), 114 (cứu hỏa), 115 (cấp cứu). Tổng đài 1022: 0225.1022.</p></footer>
            </body></html>
            """
    }

    static func publicError(_ status: Int, _ title: String, _ message: String) -> HTTPResponse {
        .html(publicLayout(title, current: "", body: """
            <h1>\(e(title))</h1><div class="notice error" role="alert"><p>\(e(message))</p></div>
            <p><a href="/phan-anh">Gửi phản ánh</a> · <a href="/tra-cuu">Tra cứu</a></p>
            """), status: status)
    }

    static func reportForm(token: String, wards: [String], values: [String: String] = [:], message: String? = nil) -> String {
        func v(_ k: String) -> String { values[k] ?? "" }
        let categories = HotlineCore.Category.allCases.map { (value: $0.rawValue, label: $0.label) }
        return publicLayout("Gửi phản ánh", current: "report", body: """
            <h1>Gửi phản ánh, kiến nghị</h1>
            <p>Phản ánh được Tổng đài 1022 tiếp nhận, phân loại và chuyển đơn vị có thẩm quyền xử lý. Bạn nhận mã số để tra cứu kết quả.</p>
            \(message.map { "<div class=\"notice error\" role=\"alert\" id=\"form-error\"><p>\(e($0))</p></div>" } ?? "")
            <form class="panel" method="post" action="/phan-anh" enctype="multipart/form-data" id="report-form">
            <input type="hidden" name="form_token" value="\(e(token))">
            <div class="field"><label for="linh_vuc">Lĩnh vực</label>
            <select id="linh_vuc" name="linh_vuc" required>\(options(categories, selected: v("linh_vuc"), placeholder: "Chọn lĩnh vực"))</select></div>
            <div class="field"><label for="mo_ta">Nội dung phản ánh: việc gì, ở đâu, từ khi nào</label>
            <textarea id="mo_ta" name="mo_ta" rows="6" required minlength="10" maxlength="4000">\(e(v("mo_ta")))</textarea></div>
            <div class="field"><label for="dia_ban">Phường, xã nơi xảy ra</label>
            <select id="dia_ban" name="dia_ban" required>\(options(wards.map { (value: $0, label: $0) }, selected: v("dia_ban"), placeholder: "Chọn phường, xã"))</select></div>
            <div class="field"><label for="dia_diem">Địa điểm cụ thể (số nhà, đường, mốc) — không bắt buộc</label>
            <input type="text" id="dia_diem" name="dia_diem" value="\(e(v("dia_diem")))" maxlength="300"></div>
            <div class="field"><label for="anh">Ảnh hiện trường — không bắt buộc (JPEG, PNG, tối đa \(UploadPolicy.citizenPhoto.maxBytes / 1048576) MB)</label>
            <input type="file" id="anh" name="anh" accept="image/*" capture="environment"></div>
            <fieldset class="field"><legend>Thông tin của bạn — không bắt buộc, để nhận tin nhắn kết quả</legend>
            <div class="field"><label for="ho_ten">Họ tên</label><input type="text" id="ho_ten" name="ho_ten" value="\(e(v("ho_ten")))" autocomplete="name" maxlength="100"></div>
            <div class="field"><label for="dien_thoai">Số điện thoại</label><input type="tel" id="dien_thoai" name="dien_thoai" value="\(e(v("dien_thoai")))" autocomplete="tel" inputmode="tel"></div>
            <div class="field"><label for="email">Thư điện tử</label><input type="email" id="email" name="email" value="\(e(v("email")))" autocomplete="email"></div>
            <div class="field"><label class="inline"><input type="checkbox" name="bao_mat" value="1"\(v("bao_mat") == "1" ? " checked" : "")> Giữ bí mật thông tin cá nhân của tôi (Điều 10): đơn vị xử lý không thấy họ tên, số điện thoại.</label></div>
            </fieldset>
            <div class="hp" aria-hidden="true"><label for="website">Không điền ô này</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>
            <div class="actions"><button type="submit" class="primary big">Gửi phản ánh</button></div>
            </form>
            """)
    }

    static func reportFiled(_ code: String) -> String {
        publicLayout("Đã gửi phản ánh", current: "report", body: """
            <h1>Đã gửi phản ánh</h1>
            <div class="notice" role="status"><p>Tổng đài 1022 đã nhận phản ánh của bạn. Mã số tra cứu:</p>
            <p class="tracking-code" id="tracking-code">\(e(code))</p>
            <p>Hãy ghi lại mã số này. Bạn tra cứu tình trạng xử lý và đánh giá kết quả tại trang Tra cứu.</p></div>
            <p><a class="button" href="/tra-cuu?ma=\(e(code))" id="lookup-link">Tra cứu phản ánh này</a> <a href="/phan-anh">Gửi phản ánh khác</a></p>
            """)
    }

    static func lookup(code: String, view: PublicTicket?, rating: (token: String, needsPhone: Bool)?, message: String? = nil,
                       info: String? = nil) -> String {
        var result = ""
        if let v = view {
            result = """
                <div class="panel" id="public-view">
                <h2>Phản ánh \(e(v.trackingCode))</h2>
                <dl class="facts">
                <dt>Tình trạng</dt><dd id="public-status">\(e(v.statusLabel))\(v.overdue ? " <span class=\"badge secret\">quá hạn</span>" : "")</dd>
                <dt>Tiếp nhận</dt><dd>\(e(full(v.receivedAt))) · \(e(v.channel.label))</dd>
                <dt>Lĩnh vực</dt><dd>\(e(v.category?.label ?? "Đang phân loại"))\(v.topic.map { " · " + e($0.label) } ?? "")</dd>
                \(v.ward.map { "<dt>Địa bàn</dt><dd>\(e($0))</dd>" } ?? "")
                \(v.summary.map { "<dt>Nội dung</dt><dd>\(e($0))</dd>" } ?? "")
                \(v.unitCode.map { "<dt>Đơn vị xử lý</dt><dd>\(e($0))</dd>" } ?? "")
                \(v.completedAt.map { "<dt>Hoàn thành</dt><dd>\(e(full($0)))</dd>" } ?? "")
                \(v.refusalReason.map { "<dt>Lý do không tiếp nhận</dt><dd>\(e($0))</dd>" } ?? "")
                \(v.rating.map { "<dt>Đánh giá của người dân</dt><dd>\($0)/5</dd>" } ?? "")
                </dl></div>
                """
        }
        var ratingForm = ""
        if let rating, let v = view {
            let stars = (1...5).reversed().map {
                "<label><input type=\"radio\" name=\"diem\" value=\"\($0)\" required> \($0) — \(e(ratingLabel($0)))</label>"
            }.joined()
            ratingForm = """
                <form class="panel" method="post" action="/tra-cuu/danh-gia" id="rating-form">
                <input type="hidden" name="form_token" value="\(e(rating.token))"><input type="hidden" name="ma" value="\(e(v.trackingCode))">
                <h2>Đánh giá kết quả xử lý (Điều 8.5b)</h2>
                <fieldset class="field"><legend>Bạn hài lòng với kết quả đến đâu?</legend><div class="stars">\(stars)</div></fieldset>
                \(rating.needsPhone ? "<div class=\"field\"><label for=\"so_cuoi\">4 số cuối số điện thoại bạn đã dùng khi phản ánh</label><input type=\"text\" id=\"so_cuoi\" name=\"so_cuoi\" inputmode=\"numeric\" maxlength=\"4\" size=\"6\" autocomplete=\"off\"></div>" : "")
                <div class="field"><label for="nhan_xet">Nhận xét (không bắt buộc)</label><textarea id="nhan_xet" name="nhan_xet" rows="2" maxlength="1000"></textarea></div>
                <button type="submit" class="primary">Gửi đánh giá</button></form>
                """
        }
        return publicLayout("Tra cứu", current: "lookup", body: """
            <h1>Tra cứu phản ánh</h1>
            \(message.map { "<div class=\"notice error\" role=\"alert\" id=\"lookup-error\"><p>\(e($0))</p></div>" } ?? "")
            \(info.map { "<div class=\"notice\" role=\"status\" id=\"done\"><p>\(e($0))</p></div>" } ?? "")
            <form class="panel toolbar" method="get" action="/tra-cuu">
            <label for="ma">Mã số phản ánh</label><input type="text" id="ma" name="ma" value="\(e(code))" placeholder="20260610-0134036" inputmode="numeric">
            <button type="submit" class="primary">Tra cứu</button></form>
            \(result)
            \(ratingForm)
            <p class="muted">Trang này chỉ hiện thông tin công khai của phản ánh (Điều 9.2); không hiện họ tên, số điện thoại hay địa chỉ của người phản ánh.</p>
            """)
    }
}
