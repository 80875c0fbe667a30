import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import WebServer

// The hotline's callback list (issue 23 §5): callers who hung up after waiting at least 5 s, or asked to be
// called back, one item per number per day, each with its 60-minute clock (Art. 7.3) and its attempts.

extension Pages {
    static func callbacks(_ items: [QueueCallback], message: (text: String, error: Bool)? = nil, user: User, session: Session,
                          now: Date) -> String {
        let open = items.filter { !$0.isDone }
        let notice = message.map { flash($0.text, error: $0.error) } ?? ""
        return layout(title: "Gọi lại", user: user, session: session, current: "callbacks", body: """
            <h1>Cần gọi lại hôm nay (<span id="callback-count">\(open.count)</span>)</h1>
            \(notice)
            <p class="muted">Người gọi bỏ máy sau khi chờ từ \(QueueFigures.shortAbandonSeconds) giây, hoặc bấm phím 2 đề nghị gọi lại. \
            Mỗi số một mục trong ngày. "Gọi lại" đổ chuông điện thoại của bạn; nhấc máy, tổng đài gọi người dân, \
            nối hai bên, ghi âm và tự ghi kết quả. Gọi bằng máy khác thì ghi kết quả ở đây. Mục xong khi đã gặp người dân, \
            khi sai số, hoặc sau \(QueueCallback.maxAttempts) lần gọi.</p>
            <p class="muted">Danh sách tự cập nhật khi có người bỏ máy hay một lần gọi lại xong. <span id="live" class="live" role="status" aria-live="polite">Đang kết nối…</span></p>
            <div class="table-wrap"><table>
            <thead><tr><th>Số điện thoại</th><th>Lý do</th><th>Thời hạn</th><th class="num">Đã gọi</th><th>Lần gần nhất</th><th>Kết quả lần này</th></tr></thead>
            <tbody id="callback-body" data-callbacks>\(callbackRows(items, session: session, now: now))</tbody>
            </table></div>
            """)
    }

    /// The list's rows: the page's table body, and what the page fetches again when the queue log moves.
    static func callbackRows(_ items: [QueueCallback], session: Session, now: Date) -> String {
        let outcomes = CallbackOutcome.allCases.map { "<option value=\"\($0.rawValue)\">\(e($0.label))</option>" }.joined()
        func row(_ item: QueueCallback) -> String {
            let why = item.requested ? "Đề nghị gọi lại (phím 2)" : "Bỏ máy khi đang chờ"
            let last = item.lastOutcome.map { o in
                (CallbackOutcome(rawValue: o)?.label ?? o) + (item.lastAgent.map { " · \($0)" } ?? "")
            } ?? "—"
            let action = item.isDone ? "<span class=\"muted\">Đã xong</span>" : """
                <form method="post" action="/goi-lai" class="inline-form">\(SessionGuard.csrfField(session))\
                <input type="hidden" name="so" value="\(e(item.callerNumber))">\
                <label class="inline" for="kq-\(e(item.callerNumber))" hidden>Kết quả gọi lại \(e(item.callerNumber))</label>\
                <select id="kq-\(e(item.callerNumber))" name="ket_qua" aria-label="Kết quả gọi lại \(e(item.callerNumber))">\(outcomes)</select>\
                <button type="submit">Ghi kết quả</button></form>\
                <form method="post" action="/goi-lai/goi" class="inline-form">\(SessionGuard.csrfField(session))\
                <input type="hidden" name="so" value="\(e(item.callerNumber))">\
                <button type="submit" class="call-back" aria-label="Gọi lại \(e(item.callerNumber)) qua tổng đài">Gọi lại</button></form>
                """
            return """
                <tr class="callback-row\(item.isDone ? " done" : "")" data-number="\(e(item.callerNumber))">\
                <td><a href="tel:\(e(item.callerNumber))">\(e(item.callerNumber))</a></td><td>\(e(why))</td>\
                <td>\(item.isDone ? e(short(item.since)) : clock(item.dueAt, label: "Gọi lại trong 60 phút (Art. 7.3)", now: now, main: true))</td>\
                <td class="num">\(item.attempts)/\(QueueCallback.maxAttempts)</td><td>\(e(last))</td><td>\(action)</td></tr>
                """
        }
        return items.isEmpty
            ? "<tr><td colspan=\"6\" class=\"muted\">Chưa có ai cần gọi lại hôm nay.</td></tr>"
            : items.map(row).joined(separator: "\n")
    }
}

extension Console {
    func callbackRoutes(_ router: inout HTTPRouter) {
        router.get("/goi-lai", page { c in
            let items = try c.desk.callbacks(as: c.user)
            // After a recorded attempt (POST, then this page: a reload does not record it twice).
            let done = c.request.query("da").flatMap { number in items.first { $0.callerNumber == number } }
            let message = done.map { item in
                ("Đã ghi lần gọi lại thứ \(item.attempts) cho \(item.callerNumber): "
                 + (CallbackOutcome(rawValue: item.lastOutcome ?? "")?.label ?? "") + ".", false)
            }
            let calling = c.request.query("goi").map { number in
                ("Điện thoại của bạn sẽ đổ chuông trong vài giây: nhấc máy, tổng đài gọi \(number) và nối hai bên. "
                 + "Kết quả được ghi tự động và hiện ở đây khi cuộc gọi xong.", false)
            }
            return .html(Pages.callbacks(items, message: message ?? calling, user: c.user, session: c.session, now: c.desk.now()))
        })
        router.get("/goi-lai/danh-sach", page { c in
            .html(Pages.callbackRows(try c.desk.callbacks(as: c.user), session: c.session, now: c.desk.now()))
        })
        router.post("/goi-lai/goi", page { c in
            let form = try c.request.form()
            let number = form["so"] ?? ""
            do {
                try c.desk.placeCallback(to: number, as: c.user)
                return .redirect(to: "/goi-lai?goi=" + (number.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            } catch let error as DeskError where !error.isForbidden {
                return .html(Pages.callbacks(try c.desk.callbacks(as: c.user), message: (error.rendered(), true), user: c.user,
                                             session: c.session, now: c.desk.now()), status: 422)
            }
        })
        router.post("/goi-lai", page { c in
            let form = try c.request.form()
            let number = form["so"] ?? ""
            do {
                guard let outcome = CallbackOutcome(rawValue: form["ket_qua"] ?? "") else {
                    throw DeskError.invalidField(.phone, reason: "kết quả là: " + CallbackOutcome.allCases.map(\.label).joined(separator: ", "))
                }
                try c.desk.recordCallbackAttempt(number: number, outcome: outcome, as: c.user)
                return .redirect(to: "/goi-lai?da=" + (number.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            } catch let error as DeskError where !error.isForbidden {
                return .html(Pages.callbacks(try c.desk.callbacks(as: c.user), message: (error.rendered(), true), user: c.user,
                                             session: c.session, now: c.desk.now()), status: 422)
            }
        })
    }
}
