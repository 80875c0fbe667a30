import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import WebServer

/// The citizens' channels into the same desk: the public form ("Trang tin 1022"), the lookup with its rating,
/// and the Open311 GeoReport v2 API for the city's app ("Smart Hải Phòng").
extension Console {
    static let reportPurpose = "phan-anh"
    static let ratingPurpose = "danh-gia"
    static let citizenFormLimits = FormLimits(maxFields: 40, maxFieldBytes: 16 * 1024, maxFiles: 2,
                                              maxFileBytes: UploadPolicy.citizenPhoto.maxBytes)

    func tooMany(_ limiter: RateLimiter, _ key: String) -> HTTPResponse {
        var response = Pages.publicError(429, "Quá nhiều yêu cầu",
                                         "Bạn đã gửi quá nhiều yêu cầu từ địa chỉ này. Hãy thử lại sau \(limiter.retryAfter(key)) giây.")
        response.headers.set("Retry-After", String(limiter.retryAfter(key)))
        return response
    }

    func citizenRoutes(_ router: inout HTTPRouter) {
        router.get("/phan-anh") { [self] _ in
            let wards = try pool.with { try $0.citizenFormChoices().wards }
            return .html(Pages.reportForm(token: try formSigner.issue(purpose: Self.reportPurpose), wards: wards))
        }
        router.post("/phan-anh") { [self] request in
            let address = request.remoteAddress
            guard citizenReports.allow(address) else { return tooMany(citizenReports, address) }
            let form = try request.form(limits: Self.citizenFormLimits)
            var values: [String: String] = [:]
            for k in ["linh_vuc", "mo_ta", "dia_ban", "dia_diem", "ho_ten", "dien_thoai", "email", "bao_mat"] { values[k] = form[k] ?? "" }
            return try pool.with { desk in
                func again(_ message: String, _ status: Int) throws -> HTTPResponse {
                    .html(Pages.reportForm(token: try formSigner.issue(purpose: Self.reportPurpose), wards: try desk.citizenFormChoices().wards,
                                           values: values, message: message), status: status)
                }
                // A robot fills every field it finds, the hidden one too.
                guard (form["website"] ?? "").isEmpty else { return try again(FormTokenProblem.invalid.description, 400) }
                do {
                    try formSigner.verify(form["form_token"], purpose: Self.reportPurpose)
                } catch let problem as FormTokenProblem {
                    return try again(problem.description, 400)
                }
                let photo = form.file("anh").flatMap { $0.data.isEmpty ? nil : Upload(filename: $0.filename, bytes: $0.data) }
                do {
                    let code = try desk.fileReport(CitizenReport(
                        channel: .portal, category: HotlineCore.Category(rawValue: values["linh_vuc"]!), description: values["mo_ta"]!,
                        ward: values["dia_ban"]!, place: values["dia_diem"]!, name: values["ho_ten"]!, phone: values["dien_thoai"]!,
                        email: values["email"]!, confidential: values["bao_mat"] == "1", photo: photo))
                    return .html(Pages.reportFiled(code), status: 201)
                } catch let error as DeskError {
                    return try again(error.rendered(), 422)
                }
            }
        }
        router.get("/tra-cuu") { [self] request in
            let code = (request.query("ma") ?? "").trimmingCharacters(in: .whitespaces)
            guard !code.isEmpty else { return .html(Pages.lookup(code: "", view: nil, rating: nil)) }
            let address = request.remoteAddress
            guard citizenLookups.allow(address) else { return tooMany(citizenLookups, address) }
            return try lookupPage(code: code)
        }
        router.post("/tra-cuu/danh-gia") { [self] request in
            let address = request.remoteAddress
            guard citizenLookups.allow(address) else { return tooMany(citizenLookups, address) }
            let form = try request.form(limits: Self.citizenFormLimits)
            let code = (form["ma"] ?? "").trimmingCharacters(in: .whitespaces)
            do {
                try formSigner.verify(form["form_token"], purpose: Self.ratingPurpose)
            } catch let problem as FormTokenProblem {
                return try lookupPage(code: code, message: problem.description, status: 400)
            }
            do {
                guard let score = Int(form["diem"] ?? ""), (1...5).contains(score) else {
                    throw DeskError.invalidField(.score, reason: "chọn mức hài lòng từ 1 đến 5")
                }
                try pool.with { try $0.rateAsCitizen(code, score: score, comment: form["nhan_xet"] ?? "", phoneDigits: form["so_cuoi"] ?? "") }
                return try lookupPage(code: code, info: "Cảm ơn bạn đã đánh giá \(score)/5.")
            } catch let error as DeskError {
                return try lookupPage(code: code, message: error.rendered(), status: 422)
            }
        }

        open311Routes(&router)
    }

    func lookupPage(code: String, message: String? = nil, info: String? = nil, status: Int = 200) throws -> HTTPResponse {
        guard TrackingCode.isValid(code) else {
            return .html(Pages.lookup(code: code, view: nil, rating: nil,
                                      message: message ?? "Mã số có dạng 20260610-0134036 (ngày, gạch ngang, 7 chữ số)."), status: 400)
        }
        return try pool.with { desk in
            do {
                let view = try desk.publicView(code)
                let rating = view.status == .completed && view.rating == nil
                    ? (token: try formSigner.issue(purpose: Self.ratingPurpose), needsPhone: try desk.ratingNeedsPhone(code)) : nil
                return .html(Pages.lookup(code: code, view: view, rating: rating, message: message, info: info), status: status)
            } catch let error as DeskError {
                return .html(Pages.lookup(code: code, view: nil, rating: nil, message: error.rendered()), status: 404)
            }
        }
    }

    // MARK: Open311 GeoReport v2

    static func json(_ value: Any, status: Int = 200) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        var response = HTTPResponse.bytes([UInt8](data), contentType: "application/json; charset=utf-8", status: status)
        response.headers.set("Access-Control-Allow-Origin", "*")
        return response
    }

    static func apiError(_ status: Int, _ description: String) -> HTTPResponse {
        json([["code": status, "description": description]], status: status)
    }

    static func iso8601(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TrackingCode.timeZone
        return f.string(from: date)
    }

    func open311Routes(_ router: inout HTTPRouter) {
        router.get("/open311/v2/services.json") { _ in
            Self.json(CitizenService.all.map { s -> [String: Any] in
                ["service_code": s.code, "service_name": s.name, "description": "\(s.name) (\(s.group))", "metadata": false,
                 "type": "realtime", "keywords": s.topic.category.rawValue, "group": s.group]
            })
        }
        router.post("/open311/v2/requests.json") { [self] request in
            let form: FormData
            do {
                form = try request.form(limits: Self.citizenFormLimits)
            } catch let problem as FormError {
                return Self.apiError(problem.status, problem.description)
            }
            let key = form["api_key"] ?? request.headers["X-API-Key"]
            let limiterKey = key.map { "key:" + String($0.suffix(8)) } ?? request.remoteAddress
            guard apiRequests.allow(limiterKey) else { return Self.apiError(429, "Quá nhiều yêu cầu; thử lại sau \(apiRequests.retryAfter(limiterKey)) giây") }
            return try pool.with { desk in
                guard let client = try desk.apiClient(key: key) else {
                    return Self.apiError(401, "api_key không hợp lệ hoặc đã bị khóa")
                }
                guard let code = form["service_code"], let topic = Topic(rawValue: code) else {
                    return Self.apiError(400, "service_code không hợp lệ; xem /open311/v2/services.json")
                }
                var place = form["address_string"] ?? ""
                if let lat = form["lat"].flatMap(Double.init), let long = form["long"].flatMap(Double.init),
                   (-90...90).contains(lat), (-180...180).contains(long) {
                    place += (place.isEmpty ? "" : "; ") + String(format: "tọa độ %.6f, %.6f", lat, long)
                }
                let name = [form["first_name"], form["last_name"]].compactMap { $0 }.joined(separator: " ")
                let photo = form.file("media").flatMap { $0.data.isEmpty ? nil : Upload(filename: $0.filename, bytes: $0.data) }
                do {
                    let ticket = try desk.fileReport(CitizenReport(
                        channel: .app, topic: topic, description: form["description"] ?? "", ward: form["attribute[ward]"] ?? "",
                        place: place, name: name, phone: form["phone"] ?? "", email: form["email"] ?? "", photo: photo, client: client))
                    return Self.json([["service_request_id": ticket, "service_notice": "Tổng đài 1022 đã nhận; tra cứu bằng mã số \(ticket).",
                                       "account_id": NSNull()]], status: 201)
                } catch let error as DeskError {
                    return Self.apiError(400, error.rendered())
                }
            }
        }
        router.get("/open311/v2/requests/:file") { [self] request in
            let file = request.pathParameters["file"] ?? ""
            guard file.hasSuffix(".json") else { return Self.apiError(404, "chỉ hỗ trợ định dạng .json") }
            let code = String(file.dropLast(5))
            guard TrackingCode.isValid(code) else { return Self.apiError(404, "không có yêu cầu \(code)") }
            let limiterKey = request.remoteAddress
            guard apiRequests.allow(limiterKey) else { return Self.apiError(429, "Quá nhiều yêu cầu") }
            return try pool.with { desk in
                do {
                    let v = try desk.publicView(code)
                    let closed = [.completed, .refused, .withdrawn, .merged].contains(v.status)
                    var item: [String: Any] = [
                        "service_request_id": v.trackingCode, "status": closed ? "closed" : "open", "status_notes": v.statusLabel,
                        "requested_datetime": Self.iso8601(v.receivedAt), "channel": v.channel.rawValue,
                    ]
                    if let t = v.topic { item["service_code"] = t.rawValue; item["service_name"] = t.label }
                    if let s = v.summary { item["description"] = s }
                    if let u = v.unitCode { item["agency_responsible"] = u }
                    if let w = v.ward { item["address"] = w }
                    if let d = v.completedAt { item["updated_datetime"] = Self.iso8601(d) }
                    if let r = v.refusalReason { item["status_notes"] = "\(v.statusLabel): \(r)" }
                    return Self.json([item])
                } catch let error as DeskError {
                    return Self.apiError(404, error.rendered())
                }
            }
        }
    }
}
