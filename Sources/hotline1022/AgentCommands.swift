import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let agentCommands = Command.group("agent", "Việc của tổng đài viên: nhận phản ánh đã ghi âm, hoàn thiện thông tin và chuyển xử lý.", [
    agentQueueCommand,
    agentClaimCommand,
    agentShowCommand,
    agentListenCommand,
    agentCompleteCommand,
    agentRefuseCommand,
    agentLinkCommand,
    agentGuidanceCommand,
    agentReleaseCommand,
    agentStatusCommand,
    agentListenInCommand,
])

let agentQueueCommand = Command.leaf(
    "queue", "Danh sách phản ánh đang chờ Tổng đài (phản ánh mới ghi âm, phản ánh đơn vị trả lại), gấp nhất trước.",
    help: """
        [--json] \(CaseOptions.help)

        Mỗi dòng: mã số, thời gian còn lại của hạn 60 phút (Art. 7.3; đánh dấu nếu quá hạn), người đang nhận
        xử lý, số gọi đến, lĩnh vực người gọi đã chọn, yêu cầu bảo mật, ghi âm.
        --json in cùng nội dung dưới dạng mảng JSON cho các script.
        """
) { args in
    try onListing(&args) { w, json in
        let now = Date()
        let drafts = try w.desk.queue(as: w.user)
        if json { return try printJSON(drafts) }
        if drafts.isEmpty {
            print("Không có phản ánh nào đang chờ xử lý.")
            return
        }
        let rows = drafts.map { d in
            [d.trackingCode, timeLeft(d.dueAt, now: now), d.claimedBy ?? "",
             d.status == .returned ? "đơn vị trả lại" : "mới",
             d.callerNumber.isEmpty ? "(ẩn số)" : d.callerNumber, d.category?.label ?? "chưa phân loại",
             d.confidential ? "CÓ" : "không", vietnamTime(d.receivedAt), formatDuration(d.recordingDurationMs),
             (d.interrupted ? "[gián đoạn] " : "") + ((d.audioLossPercent ?? 0) > 0 ? "[ghi âm mất \(d.audioLossPercent!)%] " : "")
                + (d.recordingPath ?? "(không có ghi âm)")]
        }
        print(renderTable(["Mã hồ sơ", "Thời hạn", "Người nhận", "Loại", "Số gọi đến", "Lĩnh vực", "Bảo mật", "Tiếp nhận",
                           "Thời lượng", "Ghi âm"], rows))
        let overdue = drafts.filter { ($0.dueAt ?? .distantFuture) < now }.count
        print("\nTổng số: \(drafts.count) phản ánh đang chờ" + (overdue > 0 ? ", \(overdue) quá hạn." : "."))
    }
}

let agentClaimCommand = Command.leaf(
    "claim", "Nhận xử lý một phản ánh để tổng đài viên khác không làm trùng (nhận lại để gia hạn).",
    help: """
        CODE [--minutes N] \(CaseOptions.help)

        Việc nhận kéo dài --minutes phút (mặc định 15, tối đa 60). Trong thời gian đó chỉ bạn được hoàn thiện,
        từ chối, liên kết hoặc chuyển xin hướng dẫn phản ánh này; tổng đài viên khác nhận sau sẽ bị từ chối,
        kèm tên bạn. Việc nhận kết thúc khi bạn xử lý xong phản ánh hoặc trả lại bằng `agent release`.
        """
) { args in
    let minutes = try args.intOption("--minutes") ?? Int(Claim.defaultDuration / 60)
    try onTicket(&args) { w, code in
        let claim = try w.desk.claim(code, minutes: minutes, as: w.user)
        print("Đã nhận xử lý \(code) đến \(vietnamTime(claim.expiresAt)).")
    }
}

let agentReleaseCommand = Command.leaf(
    "release", "Trả phản ánh đang nhận về hàng chờ (giám sát viên được trả phản ánh do bất kỳ ai nhận).",
    help: "CODE \(CaseOptions.help)"
) { args in
    try onTicket(&args) { w, code in
        try w.desk.release(code, as: w.user)
        print("Đã trả \(code) về hàng chờ.")
    }
}

let agentShowCommand = Command.leaf(
    "show", "Toàn bộ thông tin một phản ánh: các trường, ghi âm (đã kiểm tra), phản ánh trước của người gọi, phản ánh có thể trùng.",
    help: """
        CODE [--json] \(CaseOptions.help)

        SHA-256 của ghi âm được tính lại và so với giá trị lưu khi cuộc gọi kết thúc. Phản ánh trước là
        phản ánh của cùng số điện thoại; phản ánh có thể trùng là của cùng người gọi, cùng địa bàn và chuyên
        mục trong 30 ngày, hoặc có tóm tắt tương tự; bộ phân luồng đề xuất đơn vị xử lý. Lý do đơn vị trả
        lại, ghi chú tiến độ và kết quả hiện dưới các trường.
        """
) { args in
    let json = args.flag("--json")
    try onTicket(&args) { w, code in
        let view = try w.desk.show(code, as: w.user)
        let t = view.ticket
        let now = Date()
        let recording = t.attachments.first { $0.kind == .recording }
        let verified = view.recordingVerified
        let suggestion = view.suggestion
        let transcript = try w.desk.transcript(code, as: w.user)
        if json { return try printJSON(view, transcript: transcript, similar: true) }
        printFields([
            ("Mã số", t.trackingCode),
            ("Trạng thái", t.status.label + (t.awaitingGuidance ? " (chờ hướng dẫn)" : "")),
            ("Thời hạn", t.dueAt.map { "\(vietnamTime($0)) (\(timeLeft($0, now: now)))" } ?? "không có"),
            ("Người nhận xử lý", view.claim.map { "\($0.userName) đến \(vietnamTime($0.expiresAt))" } ?? "chưa ai nhận"),
            ("Kênh", t.channel.label),
            ("Số gọi đến", t.reporter.phone.isEmpty ? "(ẩn số)" : t.reporter.phone),
            ("Yêu cầu bảo mật", t.confidential ? "CÓ — không công khai thông tin người phản ánh và nội dung" : "không"),
            ("Lĩnh vực", t.category?.label ?? "chưa phân loại"),
            ("Chuyên mục", t.topic?.label ?? ""),
            ("Người phản ánh", t.reporter.name),
            ("Địa chỉ", t.reporter.address),
            ("Địa bàn", t.ward),
            ("Nội dung tóm tắt", t.summary),
            ("Tiếp nhận", vietnamTime(t.receivedAt)),
            ("Đề xuất chuyển", suggestion),
            ("Đơn vị trả lại vì", view.returnReason ?? ""),
        ])
        printNotes(view.notes)
        if let r = recording {
            print("\nGhi âm: \(r.path)")
            print("  thời lượng \(formatDuration(r.durationMs ?? 0)), SHA-256 \(r.sha256 ?? "?") — "
                  + (verified == true ? "đã kiểm tra, khớp" : "KHÔNG KHỚP hoặc không đọc được tệp"))
            if let loss = r.audioLossPercent {
                print(loss > 0 ? "  CẢNH BÁO: ghi âm mất \(loss)% (gói RTP mất hoặc đến trễ khi ghi)" : "  ghi âm đầy đủ (mất 0%)")
            }
        } else {
            print("\nKhông có ghi âm.")
        }
        printTranscriptSection(transcript)
        if !view.callerTickets.isEmpty {
            print("\nPhản ánh trước của cùng số điện thoại:")
            print(renderTable(["Mã số", "Trạng thái", "Tiếp nhận", "Tóm tắt"], view.callerTickets.map {
                [$0.trackingCode, $0.status.label, vietnamTime($0.receivedAt), $0.summary]
            }))
        }
        if !view.duplicateCandidates.isEmpty {
            print("\nCó thể trùng hoặc tái diễn:")
            print(renderTable(["Mã số", "Trạng thái", "Lý do", "Nếu liên kết"], view.duplicateCandidates.map { c in
                [c.trackingCode, c.status.label, c.reasons.map(candidateReason).joined(separator: ", "),
                 c.link.map { $0 == .duplicate ? "trùng (--duplicate-of)" : "tái diễn (--recurrence-of)" } ?? "xử lý riêng"]
            }))
        }
    }
}

let agentListenCommand = Command.leaf(
    "listen", "Xuất ghi âm của phản ánh (WAV), và phát khi được yêu cầu.",
    help: """
        CODE [--out FILE] [--play] \(CaseOptions.help)

        Kiểm tra SHA-256 của ghi âm trước; tệp không khớp bị từ chối. --out chép tệp WAV ra FILE (mặc định:
        chỉ in đường dẫn); --play phát bằng aplay hoặc play (sox). Mỗi lần xuất hoặc phát được ghi vào nhật
        ký thao tác của phản ánh kèm tên bạn: ghi âm là dữ liệu cá nhân.
        """
) { args in
    let out = try args.option("--out")
    let play = args.flag("--play")
    try onTicket(&args) { w, code in
        var file: String
        if let out {
            let r = try w.desk.exportRecording(code, to: out, as: w.user)
            file = out
            print("Đã xuất ghi âm \(code) ra \(out) (\(formatDuration(r.durationMs)), SHA-256 khớp).")
        } else {
            // Printing the path is no access; playing it is, and is audited.
            file = try w.desk.recording(code, as: w.user, access: play ? "listen" : nil).path
            if !play { print(file) }
        }
        if play {
            guard let player = ["/usr/bin/aplay", "/usr/bin/play"].first(where: FileManager.default.isExecutableFile) else {
                throw CommandFailure("không có trình phát: cài alsa-utils (aplay) hoặc sox (play)")
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: player)
            p.arguments = [file]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw CommandFailure("\(player) kết thúc với mã \(p.terminationStatus)") }
            file = ""
        }
    }
}

/// The case details an agent types in (`agent complete`, `agent guidance`): read once, checked by the desk.
let caseDetailsHelp = """
    --name NAME --address ADDRESS --summary TEXT --category C --topic T --ward WARD
         [--content TEXT] [--email EMAIL] [--confidential yes|no]
    """
let caseDetailsExplanation = """
    Lĩnh vực (Art. 5): \(HotlineCore.Category.choices).
    Chuyên mục: \(Topic.choices).
    Lĩnh vực và chuyên mục gõ bằng mã hoặc tên tiếng Việt, có dấu hay không dấu đều được; địa bàn được
    lưu đúng như danh mục đơn vị viết ("le chan" là "Lê Chân").
    """

func caseDetails(_ args: inout Arguments) throws -> CaseDetails {
    func text(_ name: String) throws -> String? { try args.option(name)?.trimmingCharacters(in: .whitespacesAndNewlines) }
    var d = CaseDetails(name: try text("--name") ?? "", address: try text("--address") ?? "",
                        summary: try text("--summary") ?? "", ward: try text("--ward") ?? "",
                        content: try text("--content"), email: try text("--email"))
    if let c = try text("--category") {
        guard let category = HotlineCore.Category.named(c) else {
            throw UsageError("--category phải là một trong: \(HotlineCore.Category.choices); nhận được '\(c)'")
        }
        d.category = category
    }
    if let t = try text("--topic") {
        guard let topic = Topic.named(t) else { throw UsageError("--topic phải là một trong: \(Topic.choices); nhận được '\(t)'") }
        d.topic = topic
    }
    if let c = try text("--confidential") {
        guard ["yes", "no", "có", "không"].contains(c) else { throw UsageError("--confidential là yes (có) hoặc no (không)") }
        d.confidential = c == "yes" || c == "có"
    }
    let missing = d.missingFields.map(CLI.flag)
    guard missing.isEmpty else {
        throw UsageError("thiếu \(missing.joined(separator: ", ")) (Art. 6: họ tên và địa chỉ người phản ánh, nội dung; "
                         + "lĩnh vực, chuyên mục và địa bàn để chuyển đúng đơn vị)")
    }
    return d
}

let agentCompleteCommand = Command.leaf(
    "complete", "Hoàn thiện phản ánh từ ghi âm và chuyển đơn vị xử lý (gửi tin báo đã tiếp nhận).",
    help: """
        CODE \(caseDetailsHelp) [--unit UNIT] \(CaseOptions.help)

        \(caseDetailsExplanation)
        --unit mặc định là đơn vị bộ phân luồng đề xuất (xem `agent show`); nội dung đã có chỉ đạo luôn chuyển
        Văn phòng UBND TP. Khi không xác định được một đơn vị xử lý, dùng `agent guidance`. Tiếp nhận và chuyển
        trong 60 phút kể từ cuộc gọi (Art. 7.3); tin báo đã tiếp nhận kèm mã số gửi người phản ánh được xếp
        vào hàng gửi trong cùng giao dịch. Phản ánh chưa ai nhận được nhận cho bạn ngay trong bước này (ghi
        vào lịch sử của phản ánh).
        """
) { args in
    let options = try CaseOptions(&args)
    let unit = try args.option("--unit")
    let details = try caseDetails(&args)
    let code = try trackingCodeArgument(&args)
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    let t = try w.desk.complete(CompleteRequest(code: code, details: details, unit: unit), as: w.user)
    print("Đã tiếp nhận \(code) và chuyển \(t.unitCode ?? "") xử lý; hạn trả lời \(t.responseDueAt.map(vietnamTime) ?? "").")
}

let agentRefuseCommand = reasonStepCommand(
    "refuse", "Từ chối phản ánh; người phản ánh nhận được lý do (Art. 4.7).",
    help: """
        CODE --reason TEXT \(CaseOptions.help)

        Chỉ từ chối nội dung mà Quy chế cho phép Tổng đài từ chối: xuyên tạc, chống phá Nhà nước; thô tục, xúc
        phạm; hoặc không thuộc phạm vi (khiếu nại, tố cáo gửi cơ quan có thẩm quyền; ghi rõ cơ quan nào). Phản
        ánh lặp lại một phản ánh trước không bao giờ bị từ chối: hãy liên kết (`agent link`).
        """
) { w, code, reason in
    _ = try w.desk.refuse(code, reason: reason, as: w.user)
    return "Đã từ chối \(code); lý do sẽ được gửi tới người phản ánh."
}

let agentLinkCommand = Command.leaf(
    "link", "Liên kết phản ánh lặp lại với phản ánh đầu tiên: trùng nếu phản ánh đầu đang xử lý, tái diễn nếu đã hoàn thành.",
    help: """
        CODE (--duplicate-of FIRST | --recurrence-of FIRST) \(CaseOptions.help)

        Phản ánh trùng với một phản ánh còn đang xử lý được đóng, gộp vào phản ánh đó, và người phản ánh được
        báo là phản ánh đang được xử lý (Art. 7.5). Phản ánh lặp lại một phản ánh đã hoàn thành nghĩa là việc
        khắc phục không bền: nó vẫn là phản ánh mới, liên kết với phản ánh cũ, để bạn hoàn thiện và chuyển xử
        lý (seed 000, 6a). Cơ sở dữ liệu kiểm tra đó là trường hợp nào.
        """
) { args in
    let options = try CaseOptions(&args)
    let duplicateOf = try args.option("--duplicate-of")
    let recurrenceOf = try args.option("--recurrence-of")
    let code = try trackingCodeArgument(&args)
    try args.finish()
    guard (duplicateOf == nil) != (recurrenceOf == nil), let first = duplicateOf ?? recurrenceOf else {
        throw UsageError("cần đúng một trong --duplicate-of FIRST (trùng) hoặc --recurrence-of FIRST (tái diễn)")
    }
    try checkTrackingCode(first)
    let w = try options.open()
    defer { w.close() }
    let kind = try w.desk.link(code, to: first, as: duplicateOf != nil ? .duplicate : .recurrence, user: w.user)
    switch kind {
    case .duplicate: print("Đã gộp \(code) vào \(first) (trùng); người phản ánh được báo phản ánh đang được xử lý.")
    case .recurrence: print("Đã liên kết \(code) là tái diễn của \(first); hoàn thiện và chuyển xử lý bằng `agent complete`.")
    }
}

let agentGuidanceCommand = Command.leaf(
    "guidance", "Chuyển phản ánh tới Văn phòng UBND TP xin hướng dẫn khi không xác định được một đơn vị xử lý (hạn 2 giờ / 4 giờ, Art. 7.4).",
    help: """
        CODE --reason TEXT \(caseDetailsHelp) \(CaseOptions.help)

        Văn phòng UBND TP cần đủ thông tin như khi hoàn thiện phản ánh, trừ đơn vị, để chỉ định nơi xử lý.
        \(caseDetailsExplanation)
        """
) { args in
    let options = try CaseOptions(&args)
    let reason = try args.requiredOption("--reason")
    let details = try caseDetails(&args)
    let code = try trackingCodeArgument(&args)
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    let t = try w.desk.seekGuidance(GuidanceRequest(code: code, details: details, reason: reason), as: w.user)
    print("Đã chuyển \(code) tới \(t.unitCode ?? "Văn phòng UBND TP") xin hướng dẫn; hạn \(t.dueAt.map(vietnamTime) ?? "").")
}

/// A case's notes (progress, extension, result, return), oldest first.
func printNotes(_ notes: [CaseNote]) {
    guard !notes.isEmpty else { return }
    print("\nGhi chú xử lý:")
    print(renderTable(["Thời điểm", "Người viết", "Bước", "Nội dung"], notes.map { n in
        [vietnamTime(n.at), n.actor, TicketAction.label(of: n.step),
         n.text + (n.until.map { " (cam kết đến \(vietnamTime($0)))" } ?? "")]
    }))
}

/// Opens the store for a command, with an error that says what to do when the file is missing.
func openStore(_ path: String) throws -> TicketStore {
    guard TicketStore.isPostgres(path) || FileManager.default.fileExists(atPath: path) else {
        throw CommandFailure("không có cơ sở dữ liệu tại \(path) (chạy `hotline1022 serve` một lần, hoặc dùng --db PATH)")
    }
    do {
        return try TicketStore(path: path)
    } catch {
        throw CommandFailure("không mở được cơ sở dữ liệu \(path): \(error)")
    }
}

func candidateReason(_ r: DuplicateCandidate.Reason) -> String {
    switch r {
    case .sameCaller: "cùng số gọi"
    case .sameWardAndTopic: "cùng địa bàn và chuyên mục"
    case .similarText: "nội dung tương tự"
    }
}

/// A moment as the CLI prints it: Vietnam time with its offset (`15/06/2026 17:00 +07`), the clock serve's
/// log uses too.
func vietnamTime(_ date: Date) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "vi_VN")
    f.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
    f.dateFormat = "dd/MM/yyyy HH:mm"
    return f.string(from: date) + " +07"
}

func formatDuration(_ ms: Int) -> String {
    let s = (ms + 500) / 1000
    return String(format: "%d:%02d", s / 60, s % 60)
}

let agentStatusCommand = Command.leaf(
    "status", "Đặt trạng thái của mình ở hàng chờ gọi trực tiếp: sẵn sàng, tạm nghỉ (kèm lý do) hoặc ngoại tuyến.",
    help: """
        ready|break|offline [--reason TEXT] [--agent NAME] \(CaseOptions.help)

        ready: sẵn sàng nhận cuộc gọi (cũng kết thúc sớm thời gian hoàn tất sau cuộc gọi); break: tạm nghỉ, với
        --reason (mặc định "Tạm nghỉ"); offline: không nhận cuộc gọi. Cổng thoại áp dụng trong vòng vài giây; một
        cuộc gọi đang diễn ra vẫn tiếp tục. Chỉ người đã có điện thoại ở hàng chờ (`users phone`) mới đặt được.
        Giám sát viên và quản trị hệ thống đặt được trạng thái của người khác với --agent NAME.
        Không có trạng thái: in trạng thái mọi người đã yêu cầu.
        """
) { args in
    let options = try CaseOptions(&args)
    let reason = try args.option("--reason")
    let agent = try args.option("--agent")
    let state = args.positional()
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    guard let state else {
        let phones = try w.desk.agentPhones(as: w.user)
        print(renderTable(["Tên", "Điện thoại", "Trạng thái yêu cầu", "Lý do"], phones.map {
            [$0.name, $0.uri ?? "đăng ký vào cổng", $0.requested.label, $0.reason ?? ""]
        }))
        return
    }
    guard let request = AgentStatusRequest(rawValue: state) else {
        throw UsageError("trạng thái là ready, break hoặc offline, không phải '\(state)'")
    }
    if reason != nil && request != .break { throw UsageError("--reason chỉ đi với break") }
    let name = agent ?? w.user.name
    try w.desk.setAgentStatus(name, request, reason: reason, as: w.user)
    print("\(name): \(request.label)\(request == .break ? " (\(reason ?? "Tạm nghỉ"))" : "").")
}

let agentListenInCommand = Command.leaf(
    "listen-in", "Giám sát viên nghe kèm (im lặng) cuộc gọi tổng đài viên đang nghe.",
    help: """
        NAME --as SUPERVISOR \(CaseOptions.help)

        Cổng thoại đang giữ cuộc gọi của NAME gọi tới điện thoại ở hàng chờ của giám sát viên trong vài giây; nhấc
        máy là nghe được cả người dân và tổng đài viên, còn tiếng của giám sát viên không tới ai. Kết thúc khi cuộc
        gọi kết thúc hoặc khi giám sát viên gác máy. Chỉ khi NAME đang nghe máy; yêu cầu hết hiệu lực sau 30 giây.
        """
) { args in
    let options = try CaseOptions(&args)
    let agent = try args.requiredPositional("tên của tổng đài viên đang nghe máy")
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    try w.desk.listenIn(to: agent, as: w.user)
    print("Đã yêu cầu nghe kèm cuộc gọi của \(agent): điện thoại của \(w.user.name) sẽ đổ chuông trong vài giây.")
}
