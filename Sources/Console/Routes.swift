import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import WebServer

/// What a signed-in page works with: the request, the session, a desk borrowed for the request, the user.
struct PageContext {
    let request: HTTPRequest
    let session: Session
    let desk: Desk
    let user: User
}

extension Console {
    func routes() -> HTTPRouter {
        var router = HTTPRouter()
        let guardian = guardian
        // Server time of every answer, for the benchmark and the browser's network panel.
        router.use { request, next in
            let started = DispatchTime.now().uptimeNanoseconds
            var response = try next(request)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            response.headers.set("Server-Timing", String(format: "app;dur=%.2f", ms))
            return response
        }

        router.get("/tai-nguyen/console.css") { _ in Self.asset(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/tai-nguyen/console.js") { _ in Self.asset(Assets.js, type: "text/javascript; charset=utf-8") }
        router.get("/", page { c in .redirect(to: Pages.home(c.user)) })

        // Sign-in, sign-out, password.
        router.get("/dang-nhap") { request in
            if guardian.session(for: request) != nil { return .redirect(to: "/") }
            let (token, setCookie) = try guardian.signInFormToken(for: request)
            let info: String? = request.query("ra") != nil ? "Bạn đã đăng xuất."
                : request.query("doi") != nil ? "Đã đổi mật khẩu. Hãy đăng nhập bằng mật khẩu mới." : nil
            var response = HTTPResponse.html(Pages.signIn(token: token, info: info))
            if let setCookie { response.addCookie(setCookie) }
            return response
        }
        router.post("/dang-nhap") { [self] request in
            let form = try request.form()
            try guardian.checkSignInToken(request, form: form)
            let (token, _) = try guardian.signInFormToken(for: request)
            let name = form["ten"] ?? ""
            do {
                let user = try pool.with { desk in
                    try desk.signIn(name: name, password: form["mat_khau"] ?? "", address: request.remoteAddress)
                }
                return try guardian.signIn(userID: user.name, request: request, response: .redirect(to: Pages.home(user))).1
            } catch let refusal as SignInRefusal {
                return .html(Pages.signIn(token: token, name: name, message: refusal.message), status: refusal.throttled ? 429 : 401)
            } catch let error as DeskError {
                return .html(Pages.signIn(token: token, name: name, message: error.rendered()), status: error.isForbidden ? 403 : 401)
            }
        }
        router.post("/dang-xuat", guardian.require { [self] request, session in
            let (ended, response) = guardian.signOut(request: request, response: .redirect(to: "/dang-nhap?ra=1"))
            if let ended { try pool.with { try $0.signedOut(ended.userID, address: request.remoteAddress) } }
            return response
        })
        router.get("/mat-khau", page { c in .html(Pages.password(user: c.user, session: c.session)) })
        // The agent's own state in the live queue (the header's control; console.js reads and sets it).
        router.get("/trang-thai", page { c in
            let view = try c.desk.ownPresence(as: c.user)
            var body: [String: Any] = ["hasPhone": view.hasPhone, "requested": view.requested.rawValue,
                                       "requestedLabel": view.requested.label]
            if let reason = view.reason { body["reason"] = reason }
            if let live = view.live { body["live"] = live.state; body["liveLabel"] = live.label }
            if let pop = view.caller { body["caller"] = Self.screenPop(pop) }
            var response = Self.json(body)
            response.headers.remove("Access-Control-Allow-Origin")  // the console's own pages only
            response.headers.set("Cache-Control", "no-store")
            return response
        })
        router.post("/trang-thai", page { c in
            let form = try c.request.form()
            guard let request = AgentStatusRequest(rawValue: form["trang_thai"] ?? "") else {
                throw DeskError.invalidField(.phone, reason: "trạng thái phải là sẵn sàng, tạm nghỉ hoặc ngoại tuyến")
            }
            let reason = request == .break ? form["ly_do"].flatMap { $0.isEmpty ? nil : $0 } : nil
            try c.desk.setAgentStatus(c.user.name, request, reason: reason, as: c.user)
            let back = form["ve"] ?? ""
            return .redirect(to: back.hasPrefix("/") && !back.hasPrefix("//") ? back : "/hang-doi")
        })
        // "New case from this call": the call's draft, claimed by the agent, opened on its case page.
        router.post("/cuoc-goi/phieu", page { c in
            let code = try c.desk.caseFromCall(try c.request.form()["cuoc_goi"] ?? "", as: c.user)
            return .redirect(to: "/phieu/\(code)")
        })
        // The call's conversation goes with an open case of the same caller (its recording attached to it).
        router.post("/cuoc-goi/gan", page { c in
            let form = try c.request.form()
            let code = form["ma"] ?? ""
            try c.desk.attachCall(form["cuoc_goi"] ?? "", toCase: code, as: c.user)
            return .redirect(to: "/phieu/\(code)")
        })
        router.post("/mat-khau", page { [self] c in
            let form = try c.request.form()
            let new = form["mat_khau_moi"] ?? ""
            if new != (form["nhap_lai"] ?? "") {
                return .html(Pages.password(user: c.user, session: c.session,
                                            errors: [("nhap_lai", "Mật khẩu nhập lại không khớp mật khẩu mới.")]), status: 422)
            }
            do {
                try c.desk.setPassword(SetPasswordRequest(userName: c.user.name, newPassword: new,
                                                          currentPassword: form["mat_khau_cu"] ?? ""), as: c.user)
            } catch let error as DeskError where !error.isForbidden {
                let id = (form["mat_khau_cu"] ?? "").isEmpty || error.rendered().contains("hiện tại") ? "mat_khau_cu" : "mat_khau_moi"
                return .html(Pages.password(user: c.user, session: c.session, errors: [(id, error.rendered())]), status: 422)
            }
            sessions.endAll(userID: c.user.name)
            return HTTPResponse.redirect(to: "/dang-nhap?doi=1").addingCookie(SessionCookie.clearCookie(secure: c.request.isSecure))
        })

        // The live queue.
        router.get("/hang-doi", page { c in
            .html(Pages.queue(try c.desk.liveQueue(as: c.user), user: c.user, session: c.session, now: c.desk.now()))
        })
        router.get("/hang-doi/danh-sach", page { c in
            .html(Pages.queueRows(try c.desk.liveQueue(as: c.user), user: c.user, session: c.session, now: c.desk.now()))
        })
        router.get("/su-kien", page { [self] c in
            try c.desk.checkQueueWatcher(c.user)
            return .eventStream(events.subscribe(tag: c.user.name))
        })

        // Search.
        router.get("/tim-kiem", page { c in
            let q = c.request.query("q") ?? ""
            guard !q.trimmingCharacters(in: .whitespaces).isEmpty else {
                try c.desk.checkQueueWatcher(c.user)  // the page itself is for the hotline
                return .html(Pages.search(query: "", result: nil, error: nil, user: c.user, session: c.session))
            }
            do {
                let result = try c.desk.search(q, as: c.user)
                if result.kind == "trackingCode", let hit = result.hits.first { return .redirect(to: "/phieu/\(hit.trackingCode)") }
                return .html(Pages.search(query: q, result: result, error: nil, user: c.user, session: c.session))
            } catch let error as DeskError where !error.isForbidden {
                return .html(Pages.search(query: q, result: nil, error: error.rendered(), user: c.user, session: c.session), status: 422)
            }
        })

        // A case.
        router.get("/phieu/:code", page { [self] c in
            try casePage(c, code: c.request.pathParameters["code"] ?? "", state: CaseFormState())
        })
        router.get("/phieu/:code/ghi-am", page { c in
            let code = c.request.pathParameters["code"] ?? ""
            // The first request of a listen is audited; the player's further range requests (seeking) are not.
            let range = c.request.headers["Range"]?.replacingOccurrences(of: " ", with: "")
            let listening = range == nil || range == "bytes=0-"
            let take = c.request.query("ban").flatMap { Int($0) } ?? 1
            let recording = try c.desk.recording(code, as: c.user, access: listening ? "listen" : nil,
                                                 details: ["via": "console", "address": c.request.remoteAddress], take: take)
            var response = HTTPResponse.file(path: recording.path, contentType: "audio/wav")
            response.headers.set("Cache-Control", "private, no-store")
            return response
        })
        router.post("/phieu/:code/nhan", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            return try act(c, code: code, form: "claim", success: "Bạn đã nhận xử lý phản ánh này trong 15 phút.") {
                _ = try c.desk.claim(code, as: c.user)
                return nil
            }
        })
        router.post("/phieu/:code/da-bao", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form()
            return try act(c, code: code, form: "informed", values: form,
                           success: "Đã ghi nhận: người dân đã được báo qua điện thoại. Phản ánh rời hàng đợi \"chưa báo được\".") {
                try c.desk.recordCitizenInformed(code, note: form["ghi_chu"] ?? "", as: c.user)
                return nil
            }
        })
        router.post("/phieu/:code/tra", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            return try act(c, code: code, form: "release", success: "Đã trả hồ sơ.") {
                try c.desk.release(code, as: c.user)
                return nil
            }
        })
        router.post("/phieu/:code/hoan-tat", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form()
            let details = Self.details(form)
            let unit = (form["don_vi"] ?? "").isEmpty ? nil : form["don_vi"]
            return try act(c, code: code, form: "complete", values: form, details: details, success: nil) {
                let t = try c.desk.complete(CompleteRequest(code: code, details: details, unit: unit), as: c.user)
                return "Đã hoàn tất \(code) và chuyển \(t.unitCode ?? "đơn vị"); tin nhắn xác nhận đã được xếp gửi người phản ánh."
            }
        })
        router.post("/phieu/:code/huong-dan", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form()
            let details = Self.details(form)
            return try act(c, code: code, form: "complete", values: form, details: details, success: nil) {
                _ = try c.desk.seekGuidance(GuidanceRequest(code: code, details: details, reason: form["ly_do_huong_dan"] ?? ""),
                                            as: c.user)
                return "Đã chuyển \(code) xin Văn phòng UBND thành phố hướng dẫn (Art. 7.4)."
            }
        })
        router.post("/phieu/:code/tu-choi", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form()
            let reason = [form["ly_do_chon"] ?? "", form["ly_do_them"] ?? ""]
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }.joined(separator: ". ")
            return try act(c, code: code, form: "refuse", values: form, success: nil) {
                _ = try c.desk.refuse(code, reason: reason, as: c.user)
                return "Đã từ chối tiếp nhận \(code); người phản ánh được báo lý do."
            }
        })
        router.post("/phieu/:code/lien-ket", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form()
            let original = (form["ma_goc"] ?? "").trimmingCharacters(in: .whitespaces)
            let kind: LinkKind = form["kieu"] == "recurrence" ? .recurrence : .duplicate
            return try act(c, code: code, form: "link", values: form, success: nil) {
                let made = try c.desk.link(code, to: original, as: kind, user: c.user)
                return made == .duplicate ? "Đã gộp \(code) vào \(original) (trùng)." : "Đã liên kết \(code) là tái diễn của \(original)."
            }
        })
        workRoutes(&router)
        reportRoutes(&router)
        wallboardRoutes(&router)
        callbackRoutes(&router)
        adminRoutes(&router)
        citizenRoutes(&router)
        return router
    }

    static func asset(_ text: String, type: String) -> HTTPResponse {
        var response = HTTPResponse.bytes(Array(text.utf8), contentType: type)
        response.headers.set("Cache-Control", "public, max-age=3600")
        return response
    }

    static func details(_ form: FormData) -> CaseDetails {
        func text(_ name: String) -> String { (form[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        let content = text("noi_dung")
        let email = text("email")
        return CaseDetails(name: text("ten"), address: text("dia_chi"), summary: text("tom_tat"),
                           category: HotlineCore.Category(rawValue: text("linh_vuc")), topic: Topic(rawValue: text("chuyen_muc")),
                           ward: text("dia_ban"), content: content.isEmpty ? nil : content, email: email.isEmpty ? nil : email,
                           confidential: form["bao_mat"] == "1")
    }

    /// A signed-in page: a desk is borrowed, the session's user read through it, and every `DeskError` the
    /// handler lets through is answered here, the console's one place for that: forbidden 403, not found 404,
    /// anything else 409 (shown with the desk's Vietnamese message).
    func page(_ body: @escaping @Sendable (PageContext) throws -> HTTPResponse) -> HTTPHandler {
        guardian.require { [self] request, session in
            var user: User?
            do {
                return try pool.with { desk in
                    guard let u = try desk.sessionUser(session.userID, signedInAt: session.createdAt) else {
                        // The password changed since this session began: it is over.
                        return guardian.signOut(request: request, response: .redirect(to: "/dang-nhap")).1
                    }
                    user = u
                    return try body(PageContext(request: request, session: session, desk: desk, user: u))
                }
            } catch let error as DeskError {
                switch error {
                case .forbidden:
                    return Pages.errorPage(status: 403, title: "Không có quyền truy cập", message: error.rendered(), user: user,
                                           session: session)
                case .notFound:
                    return Pages.errorPage(status: 404, title: "Không tìm thấy", message: error.rendered(), user: user, session: session)
                default:
                    return Pages.errorPage(status: 409, title: "Không thực hiện được", message: error.rendered(), user: user,
                                           session: session)
                }
            }
        }
    }

    /// The case page; the transcript's absence (or its engine's trouble) never hides the case.
    func casePage(_ c: PageContext, code: String, state: CaseFormState, after: StepFormState = StepFormState(),
                  status: Int = 200) throws -> HTTPResponse {
        guard TrackingCode.isValid(code) else { throw DeskError.notFound(.ticket, code) }
        let view = try c.desk.show(code, as: c.user)
        let transcript = try? c.desk.transcript(code, as: c.user)
        let choices = try c.desk.caseFormChoices(as: c.user)
        return .html(Pages.casePage(view, transcript: transcript, choices: choices, state: state, after: after, user: c.user,
                                    session: c.session, now: c.desk.now()), status: status)
    }

    /// A step from the case page. Success: back to the queue when the case left it, else to the case (303).
    /// A refusal other than `forbidden` shows the case again with the message beside the field it concerns
    /// and, for the complete form, every missing field listed (the GOV.UK error summary).
    func act(_ c: PageContext, code: String, form: String, values: FormData = FormData(), details: CaseDetails? = nil,
             success: String?, _ step: () throws -> String?) throws -> HTTPResponse {
        guard TrackingCode.isValid(code) else { throw DeskError.notFound(.ticket, code) }
        do {
            let message = try step() ?? success
            if form == "claim" || form == "release" { return .redirect(to: "/phieu/\(code)") }
            return .html(Pages.layout(title: "Đã xong", user: c.user, session: c.session, body: """
                <div class="notice" role="status"><p>\(Pages.e(message ?? "Đã xong."))</p></div>
                <p><a href="/hang-doi" autofocus>← Về hàng đợi</a> · <a href="/phieu/\(Pages.e(code))">Xem lại phản ánh</a></p>
                """))
        } catch let error as DeskError where !error.isForbidden {
            var state = CaseFormState(form: form)
            for (name, value) in values.fields { state.values[name] = value }
            switch error {
            case .invalidField(let field, _):
                var errors: [(String, String)] = []
                let missing = form == "complete" ? details?.missingFields ?? [] : []
                for f in missing { errors.append((CaseFormState.fieldID(f, form: form), "Cần nhập \(f.label).")) }
                if !missing.contains(field) { errors.append((CaseFormState.fieldID(field, form: form), error.rendered())) }
                // In form order.
                let order = ["ten", "dia_chi", "email", "tom_tat", "noi_dung", "linh_vuc", "chuyen_muc", "dia_ban", "don_vi",
                             "ly_do_huong_dan", "ly_do_chon", "ma_goc"]
                state.errors = errors.sorted { (order.firstIndex(of: $0.0) ?? 99) < (order.firstIndex(of: $1.0) ?? 99) }
                return try casePage(c, code: code, state: state, status: 422)
            case .notFound(.ticket, let key) where key != code:
                state.errors = [(CaseFormState.fieldID(.trackingCode, form: form), error.rendered())]
                return try casePage(c, code: code, state: state, status: 422)
            case .notFound:
                throw error
            default:
                state.banner = error.rendered()
                state.bannerIsError = true
                return try casePage(c, code: code, state: state, status: 409)
            }
        }
    }
}

extension Console {
    /// The screen pop as `/trang-thai` sends it: every text already in Vietnamese, set with `textContent` by the
    /// script (never as HTML).
    static func screenPop(_ pop: ScreenPop) -> [String: Any] {
        let number = pop.number.isEmpty ? "Số ẩn" : pop.number
        let summary = pop.tickets.isEmpty ? "Số này chưa gọi lần nào trước đây."
            : "Phiếu gần nhất của số này: \(pop.tickets.count), \(pop.openCount) trong số đó đang mở."
        var body: [String: Any] = ["number": number, "call": pop.call, "repeat": pop.repeatCaller,
                "summary": summary, "search": "/tim-kiem?q=" + (pop.number.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                "tickets": pop.tickets.map { t -> [String: Any] in
                    var item: [String: Any] = ["code": t.trackingCode, "href": "/phieu/" + t.trackingCode,
                                               "status": t.status.label, "received": Pages.short(t.receivedAt),
                                               "summary": t.summary.isEmpty ? "(chưa có nội dung)" : t.summary,
                                               "confidential": t.confidential]
                    if t.status.isOpen, let due = t.responseDueAt { item["due"] = "hạn " + Pages.short(due) }
                    if t.status.isOpen { item["open"] = true }
                    return item
                }]
        if let linked = pop.linkedCode { body["linked"] = linked }
        return body
    }
}
