import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import WebServer

extension Console {
    /// The live dialplan's settings, or the desk's refusal when the console was started without them.
    func dialplanSettings() throws -> DialplanSettings {
        guard let d = configuration.dialplan else {
            throw DeskError.failed("bảng điều khiển chưa được cấu hình kịch bản tổng đài (--dialplan, --prompts)")
        }
        return d
    }

    /// Runs an administrator's change: the page again with what was done, or with the desk's refusal (422).
    func adminAct(_ c: PageContext, _ render: (StepFormState) throws -> String, form: String = "", values: [String: String] = [:],
                  _ step: () throws -> String) throws -> HTTPResponse {
        var state = StepFormState(form: form, values: values)
        var status = 200
        do {
            state.info = try step()
            state.values = [:]
        } catch let error as DeskError where !error.isForbidden {
            state.message = error.rendered()
            status = 422
        }
        return .html(try render(state), status: status)
    }

    func adminRoutes(_ router: inout HTTPRouter) {
        router.get("/quan-tri", page { c in
            .html(Pages.adminHome(try c.desk.systemAudit(limit: 30, as: c.user), user: c.user, session: c.session))
        })

        // Users.
        let usersPage: @Sendable (PageContext, StepFormState) throws -> String = { c, state in
            Pages.users(try c.desk.usersToAdminister(as: c.user), phones: try c.desk.agentPhones(as: c.user),
                        units: try c.desk.unitDirectory().units, state: state, user: c.user, session: c.session)
        }
        router.get("/quan-tri/nguoi-dung", page { c in .html(try usersPage(c, StepFormState())) })
        router.post("/quan-tri/nguoi-dung/them", page { [self] c in
            let f = try c.request.form()
            let values = ["ten": f["ten"] ?? "", "ho_ten": f["ho_ten"] ?? "", "vai_tro": f["vai_tro"] ?? "", "don_vi": f["don_vi"] ?? ""]
            return try adminAct(c, { try usersPage(c, $0) }, form: "add", values: values) {
                guard let role = UserRole(rawValue: values["vai_tro"]!) else { throw DeskError.invalidField(.role, reason: "chọn vai trò") }
                let name = values["ten"]!.trimmingCharacters(in: .whitespaces)
                let unit = role == .unit ? (values["don_vi"]!.isEmpty ? nil : values["don_vi"]) : nil
                try c.desk.addUser(User(name: name, displayName: values["ho_ten"]!.trimmingCharacters(in: .whitespaces), role: role,
                                        unitCode: unit), password: f["mat_khau"] ?? "", as: c.user)
                return "Đã thêm \(name) (\(role.label)) với mật khẩu ban đầu."
            }
        })
        router.post("/quan-tri/nguoi-dung/:name/vai-tro", page { [self] c in
            let name = c.request.pathParameters["name"] ?? ""
            let f = try c.request.form()
            return try adminAct(c, { try usersPage(c, $0) }) {
                guard let role = UserRole(rawValue: f["vai_tro"] ?? "") else { throw DeskError.invalidField(.role, reason: "chọn vai trò") }
                let unit = f["don_vi"].flatMap { $0.isEmpty ? nil : $0 }
                try c.desk.setUserRole(name, role: role, unit: unit, as: c.user)
                sessions.endAll(userID: name)
                return "Đã đổi vai trò của \(name) thành \(role.label)\(role == .unit ? " (\(unit ?? ""))" : ""); phiên đăng nhập của người này đã kết thúc."
            }
        })
        router.post("/quan-tri/nguoi-dung/:name/khoa", page { [self] c in
            let name = c.request.pathParameters["name"] ?? ""
            let active = try c.request.form()["bat"] == "1"
            return try adminAct(c, { try usersPage(c, $0) }) {
                try c.desk.setUserActive(name, active, as: c.user)
                if !active { sessions.endAll(userID: name) }
                return active ? "Đã mở khóa \(name)." : "Đã khóa \(name); các phiên đăng nhập của người này đã kết thúc."
            }
        })
        router.post("/quan-tri/nguoi-dung/:name/mat-khau", page { [self] c in
            let name = c.request.pathParameters["name"] ?? ""
            let password = try c.request.form()["mat_khau"] ?? ""
            return try adminAct(c, { try usersPage(c, $0) }) {
                try c.desk.setPassword(SetPasswordRequest(userName: name, newPassword: password), as: c.user)
                sessions.endAll(userID: name)
                return "Đã đặt lại mật khẩu của \(name); người này đăng nhập lại bằng mật khẩu mới."
            }
        })

        router.post("/quan-tri/nguoi-dung/:name/dien-thoai", page { [self] c in
            let name = c.request.pathParameters["name"] ?? ""
            let f = try c.request.form()
            let password = f["mat_khau_sip"].flatMap { $0.isEmpty ? nil : $0 }
            let uri = f["uri"].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            let remove = f["go"] == "1"
            return try adminAct(c, { try usersPage(c, $0) }) {
                if remove {
                    guard password == nil && uri == nil else {
                        throw DeskError.invalidField(.phone, reason: "gỡ điện thoại thì để trống mật khẩu SIP và URI")
                    }
                    try c.desk.setPhone(SetPhoneRequest(userName: name), as: c.user)
                    return "Đã gỡ điện thoại của \(name): người này không còn nhận cuộc gọi ở hàng chờ."
                }
                guard password != nil || uri != nil else {
                    throw DeskError.invalidField(.phone, reason: "nhập mật khẩu SIP (điện thoại đăng ký vào cổng) hoặc URI bên ngoài")
                }
                try c.desk.setPhone(SetPhoneRequest(userName: name, password: password, uri: uri), as: c.user)
                return uri.map { "Đã đặt điện thoại của \(name): cổng gọi tới \($0)." }
                    ?? "Đã đặt mật khẩu SIP của \(name): điện thoại đăng ký vào cổng với tên SIP \(name)."
            }
        })

        // The unit directory and routing rules.
        router.get("/quan-tri/don-vi", page { c in
            let config = try c.desk.adminConfiguration(as: c.user)
            return .html(Pages.unitsPage(text: config.unitsText, directory: try c.desk.unitDirectory(), state: StepFormState(),
                                         user: c.user, session: c.session))
        })
        router.post("/quan-tri/don-vi", page { [self] c in
            let text = (try c.request.form(limits: FormLimits(maxFieldBytes: 2 * 1024 * 1024))["noi_dung"] ?? "")
                .replacingOccurrences(of: "\r\n", with: "\n")
            var shown = text
            return try adminAct(c, { state in
                Pages.unitsPage(text: shown, directory: try c.desk.unitDirectory(), state: state, user: c.user, session: c.session)
            }) {
                let d = try c.desk.saveUnitDirectory(text, as: c.user)
                shown = try c.desk.adminConfiguration(as: c.user).unitsText
                return "Đã lưu danh mục: \(d.units.count) đơn vị, \(d.rules.count) quy tắc chuyển."
            }
        })

        // The working calendar.
        router.get("/quan-tri/lich", page { c in
            .html(Pages.calendarPage(try c.desk.adminConfiguration(as: c.user).calendar, state: StepFormState(), user: c.user,
                                     session: c.session, now: c.desk.now()))
        })
        router.post("/quan-tri/lich", page { [self] c in
            let f = try c.request.form()
            let off = f["ngay_nghi"] ?? "", working = f["ngay_lam_bu"] ?? ""
            var typed: (String?, String?) = (off, working)
            return try adminAct(c, { state in
                Pages.calendarPage(try c.desk.adminConfiguration(as: c.user).calendar, daysOff: typed.0, workingDays: typed.1, state: state,
                                   user: c.user, session: c.session, now: c.desk.now())
            }) {
                let a = try c.desk.saveCalendar(daysOff: off.components(separatedBy: .newlines),
                                                workingWeekendDays: working.components(separatedBy: .newlines), as: c.user)
                pool.reloadContexts()
                typed = (nil, nil)
                return "Đã lưu lịch: \(a.extraDaysOff.count) ngày nghỉ thêm, \(a.workingWeekendDays.count) ngày làm bù."
            }
        })

        // The message templates.
        router.get("/quan-tri/mau-tin", page { c in
            .html(Pages.templatesPage(try c.desk.adminConfiguration(as: c.user).templates, state: StepFormState(), user: c.user,
                                      session: c.session))
        })
        router.post("/quan-tri/mau-tin", page { [self] c in
            let f = try c.request.form()
            var texts: [NotificationKind: String] = [:]
            for k in NotificationKind.allCases { texts[k] = f[k.rawValue] ?? "" }
            var shown = texts
            return try adminAct(c, { state in
                Pages.templatesPage(shown, state: state, user: c.user, session: c.session)
            }) {
                try c.desk.saveTemplates(texts, as: c.user)
                pool.reloadContexts()
                shown = try c.desk.adminConfiguration(as: c.user).templates
                return "Đã lưu các mẫu tin nhắn."
            }
        })

        // The menu editor.
        router.get("/quan-tri/kich-ban", page { [self] c in
            let settings = try dialplanSettings()
            let state = MenuEditorState(text: try c.desk.liveDialplan(settings, as: c.user))
            return .html(Pages.menuEditor(state, history: try c.desk.dialplanHistory(settings, as: c.user), settings: settings,
                                          user: c.user, session: c.session))
        })
        router.post("/quan-tri/kich-ban", page { [self] c in
            let settings = try dialplanSettings()
            let f = try c.request.form(limits: FormLimits(maxFieldBytes: 1024 * 1024))
            // Browsers send a textarea's lines with CRLF; the plan is kept with LF.
            var state = MenuEditorState(text: (f["plan"] ?? "").replacingOccurrences(of: "\r\n", with: "\n"))
            state.keys = f["phim"] ?? state.keys
            state.status = f["trang_thai"].flatMap { $0.isEmpty ? nil : $0 } ?? "waiting"
            state.afterHours = f["ngoai_gio"] == "1"
            var status = 200
            let action = f["hanh_dong"] ?? "kiem-tra"
            state.check = try c.desk.checkDialplan(state.text, settings, as: c.user)
            do {
                switch action {
                case "so-do":
                    if state.check?.isValid == true { state.graph = try c.desk.dialplanGraph(state.text, settings, as: c.user) }
                case "chay-thu":
                    if state.check?.isValid == true {
                        state.simulation = try c.desk.simulateDialplan(state.text, settings, keys: state.keys, status: state.status,
                                                                       afterHours: state.afterHours, as: c.user)
                        // The run beside the picture of the plan it ran through.
                        state.graph = try? c.desk.dialplanGraph(state.text, settings, as: c.user)
                    }
                case "cai-dat":
                    if state.check?.isValid == true {
                        let done = try c.desk.installDialplan(text: state.text, settings, as: c.user)
                        state.info = "Đã cài kịch bản \(done.version) (\(done.nodeCount) nút); tổng đài đang chạy tự nạp lại trong vòng một giây."
                        state.check = nil
                    }
                default: break
                }
            } catch let error as DeskError where !error.isForbidden {
                state.message = error.rendered()
                status = 422
            }
            if state.check?.isValid == false { status = 422 }
            return .html(Pages.menuEditor(state, history: try c.desk.dialplanHistory(settings, as: c.user), settings: settings,
                                          user: c.user, session: c.session), status: status)
        })
        router.post("/quan-tri/kich-ban/quay-lai", page { [self] c in
            let settings = try dialplanSettings()
            let id = try c.request.form()["ban"] ?? ""
            var state = MenuEditorState(text: "")
            var status = 200
            do {
                let done = try c.desk.rollbackDialplan(to: id, settings, as: c.user)
                state.info = "Đã quay lại kịch bản \(done.version) (bản \(id)); tổng đài đang chạy tự nạp lại."
            } catch let error as DeskError where !error.isForbidden {
                state.message = error.rendered()
                status = 422
            }
            state.text = try c.desk.liveDialplan(settings, as: c.user)
            return .html(Pages.menuEditor(state, history: try c.desk.dialplanHistory(settings, as: c.user), settings: settings,
                                          user: c.user, session: c.session), status: status)
        })

        // Prompts.
        let promptsPage: @Sendable (PageContext, DialplanSettings, StepFormState) throws -> String = { c, settings, state in
            Pages.promptsPage(try c.desk.prompts(settings, as: c.user), state: state, user: c.user, session: c.session)
        }
        router.get("/quan-tri/loi-nhac", page { [self] c in
            .html(try promptsPage(c, try dialplanSettings(), StepFormState()))
        })
        router.get("/quan-tri/loi-nhac/:name/am-thanh", page { [self] c in
            let path = try c.desk.promptAudio(c.request.pathParameters["name"] ?? "", try dialplanSettings(), as: c.user)
            var response = HTTPResponse.file(path: path, contentType: "audio/wav")
            response.headers.set("Cache-Control", "private, no-cache")
            return response
        })
        router.post("/quan-tri/loi-nhac/:name/loi", page { [self] c in
            let settings = try dialplanSettings()
            let name = c.request.pathParameters["name"] ?? ""
            let text = try c.request.form()["loi"] ?? ""
            return try adminAct(c, { try promptsPage(c, settings, $0) }) {
                try c.desk.setPromptText(name, text: text, settings, as: c.user)
                return "Đã lưu lời của \(name); bấm «Tạo lại» để đọc lại bằng giọng máy."
            }
        })
        router.post("/quan-tri/loi-nhac/:name/thu-am", page { [self] c in
            let settings = try dialplanSettings()
            let name = c.request.pathParameters["name"] ?? ""
            let f = try c.request.form(limits: FormLimits(maxFiles: 1, maxFileBytes: UploadPolicy.studioRecording.maxBytes))
            return try adminAct(c, { try promptsPage(c, settings, $0) }) {
                guard let file = f.file("tep"), !file.data.isEmpty else { throw DeskError.invalidField(.evidence, reason: "chọn tệp WAV") }
                let ms = try c.desk.installStudioPrompt(name, upload: Upload(filename: file.filename, bytes: file.data), settings, as: c.user)
                return "Đã thay \(name).wav bằng bản thu phòng thu (\(String(format: "%.1f", Double(ms) / 1000)) giây, 8 kHz đơn kênh 16 bit)."
            }
        })
        router.post("/quan-tri/loi-nhac/tao-lai", page { [self] c in
            let settings = try dialplanSettings()
            return try adminAct(c, { try promptsPage(c, settings, $0) }) {
                let done = try c.desk.rebuildPrompts(settings, as: c.user)
                return done.generated.isEmpty ? "Không có lời nhắc nào cần tạo lại."
                    : "Đã tạo lại \(done.generated.count) lời nhắc: \(done.generated.joined(separator: ", "))."
                    + (done.kept.isEmpty ? "" : " Giữ nguyên bản thu phòng thu: \(done.kept.joined(separator: ", ")).")
            }
        })

        // The app's API keys.
        router.get("/quan-tri/ung-dung", page { c in
            .html(Pages.apps(try c.desk.apiClients(as: c.user), newKey: nil, state: StepFormState(), user: c.user, session: c.session))
        })
        router.post("/quan-tri/ung-dung/them", page { [self] c in
            let name = (try c.request.form()["ten"] ?? "").trimmingCharacters(in: .whitespaces)
            var key: (String, String)?
            return try adminAct(c, { state in
                Pages.apps(try c.desk.apiClients(as: c.user), newKey: key, state: state, user: c.user, session: c.session)
            }) {
                key = (name, try c.desk.addAPIClient(name, as: c.user))
                return "Đã tạo khóa cho \(name)."
            }
        })
        router.post("/quan-tri/ung-dung/:name/khoa", page { [self] c in
            let name = c.request.pathParameters["name"] ?? ""
            let active = try c.request.form()["bat"] == "1"
            return try adminAct(c, { state in
                Pages.apps(try c.desk.apiClients(as: c.user), newKey: nil, state: state, user: c.user, session: c.session)
            }) {
                try c.desk.setAPIClientActive(name, active, as: c.user)
                return active ? "Đã mở lại khóa của \(name)." : "Đã khóa khóa API của \(name); yêu cầu của ứng dụng này bị từ chối (401)."
            }
        })
    }
}
