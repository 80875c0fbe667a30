import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import WebServer

/// The units' pages (a phone in the field as well as a desk), the hotline's review, evidence files.
extension Console {
    /// Forms that carry photos and documents: a few files, each at most the evidence policy's size.
    static let uploadLimits = FormLimits(maxFields: 50, maxFieldBytes: 64 * 1024, maxFiles: 8,
                                         maxFileBytes: UploadPolicy.evidence.maxBytes)

    static func uploads(_ form: FormData, _ fields: [String]) -> [Upload] {
        form.files.filter { fields.contains($0.fieldName) && !$0.data.isEmpty }
            .map { Upload(filename: $0.filename.isEmpty ? "tep" : $0.filename, bytes: $0.data) }
    }

    func workRoutes(_ router: inout HTTPRouter) {
        // The unit's inbox and a case.
        router.get("/don-vi", page { c in
            .html(Pages.unitInbox(try c.desk.inbox(nil, as: c.user), user: c.user, session: c.session, now: c.desk.now()))
        })
        router.get("/don-vi/phieu/:code", page { [self] c in
            try unitCase(c, code: c.request.pathParameters["code"] ?? "", state: StepFormState())
        })
        router.post("/don-vi/phieu/:code/tiep-nhan", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            return try unitAct(c, code: code, form: "accept", values: [:], success: "Đơn vị đã tiếp nhận \(code).") {
                _ = try c.desk.unitStep(UnitStepRequest(code: code, step: .accept), as: c.user)
            }
        })
        router.post("/don-vi/phieu/:code/tien-do", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form()
            let note = form["tien_do"] ?? ""
            return try unitAct(c, code: code, form: "progress", values: ["tien_do": note], success: "Đã gửi báo cáo tiến độ của \(code).") {
                _ = try c.desk.unitStep(UnitStepRequest(code: code, step: .progress(note: note)), as: c.user)
            }
        })
        router.post("/don-vi/phieu/:code/gia-han", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form(limits: Self.uploadLimits)
            let day = (form["ngay"] ?? "").trimmingCharacters(in: .whitespaces)
            let note = form["bao_cao"] ?? ""
            let values = ["ngay": day, "bao_cao": note]
            return try unitAct(c, code: code, form: "extend", values: values, success: nil) {
                guard let d = Day(day), d.description == day else {
                    throw DeskError.invalidField(.until, reason: "chọn ngày cam kết hoàn thành")
                }
                // A committed date means the end of that working day.
                let until = d.at(minutes: 17 * 60)
                let t = try c.desk.unitStep(UnitStepRequest(code: code, step: .extend(until: until, note: note)),
                                            uploads: Self.uploads(form, ["minh_chung"]), as: c.user)
                return "Đã gia hạn \(code) đến \(Pages.full(t.responseDueAt ?? until))."
            }
        })
        router.post("/don-vi/phieu/:code/ket-qua", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form(limits: Self.uploadLimits)
            let result = form["ket_qua"] ?? ""
            return try unitAct(c, code: code, form: "resolve", values: ["ket_qua": result],
                               success: "Đã gửi kết quả xử lý \(code); Tổng đài sẽ xem xét và báo người phản ánh.") {
                _ = try c.desk.unitStep(UnitStepRequest(code: code, step: .resolve(result: result)),
                                        uploads: Self.uploads(form, ["anh", "tai_lieu"]), as: c.user)
            }
        })
        router.post("/don-vi/phieu/:code/chuyen", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form()
            let to = form["den_don_vi"] ?? "", reason = form["ly_do_chuyen"] ?? ""
            return try unitAct(c, code: code, form: "transfer", values: ["den_don_vi": to, "ly_do_chuyen": reason], success: nil) {
                if to.isEmpty { throw DeskError.invalidField(.unit, reason: "chọn đơn vị nhận") }
                let t = try c.desk.unitStep(UnitStepRequest(code: code, step: .transfer(to: to, reason: reason, fieldCheck: form["thuc_dia"] == "1")),
                                            as: c.user)
                return "Đã chuyển \(code) tới \(t.unitCode ?? to)."
            }
        })
        router.post("/don-vi/phieu/:code/tra-lai", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form()
            let reason = form["ly_do_tra"] ?? ""
            return try unitAct(c, code: code, form: "giveBack", values: ["ly_do_tra": reason],
                               success: "Đã chuyển trả \(code) về Tổng đài 1022.") {
                _ = try c.desk.unitStep(UnitStepRequest(code: code, step: .giveBack(reason: reason)), as: c.user)
            }
        })

        // Evidence files, for whoever may read the case (the desk decides).
        router.get("/phieu/:code/minh-chung/:n", page { c in
            let code = c.request.pathParameters["code"] ?? ""
            guard TrackingCode.isValid(code), let n = Int(c.request.pathParameters["n"] ?? ""), n >= 1 else {
                throw DeskError.notFound(.file, c.request.path)
            }
            let file = try c.desk.evidenceFile(code: code, index: n - 1, as: c.user)
            let inline = file.type?.isInlineImage == true || file.type == .pdf
            var response = HTTPResponse.file(path: file.path, contentType: inline ? file.contentType : "application/octet-stream")
            let ascii = String(file.filename.unicodeScalars.filter { $0.isASCII && $0 != "\"" && $0 != "\\" }.map(Character.init))
            response.headers.set("Content-Disposition", "\(inline ? "inline" : "attachment"); filename=\"\(ascii)\"")
            response.headers.set("Cache-Control", "private, no-store")
            return response
        })

        // Review.
        router.get("/duyet", page { c in
            .html(Pages.review(try c.desk.pendingReview(as: c.user), state: StepFormState(), user: c.user, session: c.session,
                               now: c.desk.now()))
        })
        router.post("/duyet/:code/xac-nhan", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            return try reviewAct(c, code: code, values: [:]) {
                _ = try c.desk.confirm(code, as: c.user)
                return "Đã xác nhận kết quả \(code): phản ánh hoàn thành, tin nhắn kết quả đã được xếp gửi người phản ánh."
            }
        })
        router.post("/duyet/:code/tra-lai", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let reason = try c.request.form()["ly_do"] ?? ""
            return try reviewAct(c, code: code, values: ["ly_do": reason]) {
                _ = try c.desk.reject(code, reason: reason, as: c.user)
                return "Đã trả lại kết quả \(code) cho đơn vị."
            }
        })
        router.post("/phieu/:code/danh-gia", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let form = try c.request.form()
            do {
                guard let score = Int(form["diem"] ?? "") else { throw DeskError.invalidField(.score, reason: "chọn mức hài lòng từ 1 đến 5") }
                try c.desk.rate(code, score: score, comment: form["nhan_xet"] ?? "", as: c.user)
                return .redirect(to: "/phieu/\(code)#sau-hoan-thanh")
            } catch let error as DeskError where !error.isForbidden && !Self.isMissingCase(error, code) {
                return try casePage(c, code: code, state: CaseFormState(),
                                    after: StepFormState(form: "rate", values: ["diem": form["diem"] ?? ""], message: error.rendered()),
                                    status: 422)
            }
        })
        router.post("/phieu/:code/mo-lai", page { [self] c in
            let code = c.request.pathParameters["code"] ?? ""
            let reason = try c.request.form()["ly_do"] ?? ""
            do {
                let t = try c.desk.reopen(code, reason: reason, as: c.user)
                return .html(Pages.done("Đã mở lại \(code); \(t.unitCode ?? "đơn vị") xử lý tiếp.",
                                        links: [("/phieu/\(code)", "Xem phản ánh"), ("/duyet", "Duyệt kết quả")], user: c.user, session: c.session))
            } catch let error as DeskError where !error.isForbidden && !Self.isMissingCase(error, code) {
                return try casePage(c, code: code, state: CaseFormState(),
                                    after: StepFormState(form: "reopen", values: ["ly_do_mo_lai": reason], message: error.rendered()),
                                    status: 422)
            }
        })
    }

    static func isMissingCase(_ error: DeskError, _ code: String) -> Bool {
        if case .notFound(.ticket, _) = error { return true }
        return false
    }

    func unitCase(_ c: PageContext, code: String, state: StepFormState, status: Int = 200) throws -> HTTPResponse {
        guard TrackingCode.isValid(code) else { throw DeskError.notFound(.ticket, code) }
        let view = try c.desk.readTicket(code, as: c.user)
        return .html(Pages.unitCase(view, units: try c.desk.unitDirectory().units, state: state, user: c.user, session: c.session,
                                    now: c.desk.now()), status: status)
    }

    /// A unit's step: done, or the case again with the desk's message above its forms (and the typed values kept).
    func unitAct(_ c: PageContext, code: String, form: String, values: [String: String], success: String?,
                 _ step: () throws -> String?) throws -> HTTPResponse {
        guard TrackingCode.isValid(code) else { throw DeskError.notFound(.ticket, code) }
        do {
            let message = try step() ?? success ?? "Đã xong."
            return .html(Pages.done(message, links: [("/don-vi", "← Việc của đơn vị"), ("/don-vi/phieu/\(code)", "Xem lại phản ánh")],
                                    user: c.user, session: c.session, current: "unit"))
        } catch let error as DeskError where !error.isForbidden && !Self.isMissingCase(error, code) {
            let status: Int
            if case .invalidStep = error { status = 409 } else { status = 422 }
            return try unitCase(c, code: code, state: StepFormState(form: form, values: values, message: error.rendered()), status: status)
        }
    }

    func unitAct(_ c: PageContext, code: String, form: String, values: [String: String], success: String?,
                 _ step: () throws -> Void) throws -> HTTPResponse {
        try unitAct(c, code: code, form: form, values: values, success: success) { () throws -> String? in
            try step()
            return nil
        }
    }

    func reviewAct(_ c: PageContext, code: String, values: [String: String], _ step: () throws -> String) throws -> HTTPResponse {
        guard TrackingCode.isValid(code) else { throw DeskError.notFound(.ticket, code) }
        var state = StepFormState(form: code, values: values)
        var status = 200
        do {
            state.info = try step()
        } catch let error as DeskError where !error.isForbidden && !Self.isMissingCase(error, code) {
            state.message = error.rendered()
            status = 422
        }
        return .html(Pages.review(try c.desk.pendingReview(as: c.user), state: state, user: c.user, session: c.session,
                                  now: c.desk.now()), status: status)
    }
}
