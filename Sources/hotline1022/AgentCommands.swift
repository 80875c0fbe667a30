import Foundation
import HotlineCore
import HotlineStore

let agentCommands = Command.group("agent", "Work for hotline agents: pick up recorded cases, complete and route them.", [
    agentQueueCommand,
    agentClaimCommand,
    agentShowCommand,
    agentListenCommand,
    agentCompleteCommand,
    agentRefuseCommand,
    agentLinkCommand,
    agentGuidanceCommand,
    agentReleaseCommand,
])

let agentQueueCommand = Command.leaf(
    "queue", "List what waits for the hotline (recorded drafts, returned tickets), most urgent first.",
    help: """
        [--json] \(CaseOptions.help)

        Each line: tracking code, time left on the 60-minute deadline (Art. 7.3; overdue flagged), who holds
        a claim on it, the caller's number, the category the caller chose, confidentiality, the recording.
        --json prints the same as a JSON array for scripts.
        """
) { args in
    try onListing(&args) { w, json in
        try Permissions.check(w.user, .hotlineWork)
        let now = Date()
        let drafts = try w.store.draftQueue(now: now)
        if json { return try printJSON(drafts) }
        if drafts.isEmpty {
            print("Không có phản ánh nào đang chờ xử lý.")
            return
        }
        let rows = drafts.map { d in
            [d.trackingCode, timeLeft(d.dueAt, now: now), d.claimedBy ?? "",
             d.status == .returned ? "đơn vị trả lại" : "mới",
             d.callerNumber.isEmpty ? "(ẩn số)" : d.callerNumber, d.category.map(categoryLabel) ?? "chưa phân loại",
             d.confidential ? "CÓ" : "không", vietnamTime(d.receivedAt), formatDuration(d.recordingDurationMs),
             (d.interrupted ? "[gián đoạn] " : "") + (d.recordingPath ?? "(không có ghi âm)")]
        }
        print(renderTable(["Mã hồ sơ", "Thời hạn", "Người nhận", "Loại", "Số gọi đến", "Lĩnh vực", "Bảo mật", "Tiếp nhận",
                           "Thời lượng", "Ghi âm"], rows))
        let overdue = drafts.filter { ($0.dueAt ?? .distantFuture) < now }.count
        print("\nTổng số: \(drafts.count) phản ánh đang chờ" + (overdue > 0 ? ", \(overdue) quá hạn." : "."))
    }
}

let agentClaimCommand = Command.leaf(
    "claim", "Take a case so no other agent works it (renew by claiming again).",
    help: """
        CODE [--minutes N] \(CaseOptions.help)

        The claim lasts --minutes (default 15, at most 60). While it lasts, only you can complete, refuse,
        link or send the case for guidance; a second agent's claim is refused with your name. The claim
        ends when you finish the case or `agent release` it.
        """
) { args in
    let minutes = try args.intOption("--minutes") ?? Int(Claim.defaultDuration / 60)
    guard (1...60).contains(minutes) else { throw UsageError("--minutes must be 1–60, got \(minutes)") }
    try onTicket(&args) { w, code in
        let claim = try w.store.claim(code, by: w.user, at: Date(), duration: TimeInterval(minutes * 60))
        print("Đã nhận xử lý \(code) đến \(vietnamTime(claim.expiresAt)).")
    }
}

let agentReleaseCommand = Command.leaf(
    "release", "Give a claimed case back to the queue (a supervisor may release anyone's).",
    help: "CODE \(CaseOptions.help)"
) { args in
    try onTicket(&args) { w, code in
        try w.store.release(code, by: w.user, at: Date())
        print("Đã trả \(code) về hàng chờ.")
    }
}

/// What `agent show --json` prints.
struct AgentView: Encodable {
    let ticket: Ticket
    let claim: Claim?
    let recordingVerified: Bool?
    let callerTickets: [CallerTicket]
    let duplicateCandidates: [DuplicateCandidate]
    let suggestedUnit: String?
    let suggestion: String
}

let agentShowCommand = Command.leaf(
    "show", "Everything about a case: fields, recording (checked), the caller's earlier tickets, duplicates.",
    help: """
        CODE [--json] \(CaseOptions.help)

        The recording's SHA-256 is computed again and compared with the one stored when the call ended.
        Earlier tickets come from the same phone number; duplicate candidates from the same caller, the
        same ward and topic within 30 days, or a similar summary; the router suggests a unit.
        """
) { args in
    let json = args.flag("--json")
    try onTicket(&args) { w, code in
        try Permissions.check(w.user, .hotlineWork)
        let t = try w.ticket(code)
        let now = Date()
        let recording = t.attachments.first { $0.kind == .recording }
        let verified: Bool? = recording.map { r in (try? SHA256.hexOfFile(atPath: r.path)).map { $0 == r.sha256 } ?? false }
        let route = try w.store.suggestRoute(code)
        let (suggestedUnit, suggestion): (String?, String) = switch route {
        case .unit(let u, let why): (u, "\(u) (\(why))")
        case .guidance(let office, let reason): (nil, "chuyển \(office) hướng dẫn: \(reason) (Art. 7.4)")
        }
        let view = AgentView(ticket: t, claim: try w.store.claim(of: code, at: now), recordingVerified: verified,
                             callerTickets: try w.store.callerTickets(t.reporter.phone, except: code),
                             duplicateCandidates: try w.store.duplicateCandidates(for: code),
                             suggestedUnit: suggestedUnit, suggestion: suggestion)
        if json { return try printJSON(view, withTranscriptOf: code, from: w.store, suggestions: true) }
        printFields([
            ("Mã số", t.trackingCode),
            ("Trạng thái", t.status.label),
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
        ])
        if let r = recording {
            print("\nGhi âm: \(r.path)")
            print("  thời lượng \(formatDuration(r.durationMs ?? 0)), SHA-256 \(r.sha256 ?? "?") — "
                  + (verified == true ? "đã kiểm tra, khớp" : "KHÔNG KHỚP hoặc không đọc được tệp"))
        } else {
            print("\nKhông có ghi âm.")
        }
        printTranscriptSection(w, code: code)
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
    "listen", "Export a case's recording (WAV), and play it when asked.",
    help: """
        CODE [--out FILE] [--play] \(CaseOptions.help)

        Checks the recording's SHA-256 first; a file that does not match is refused. --out copies the WAV
        there (default: prints the path only); --play plays it with aplay or play (sox). An export or a
        playback is recorded in the ticket's audit log with your name: the recording is personal data.
        """
) { args in
    let out = try args.option("--out")
    let play = args.flag("--play")
    try onTicket(&args) { w, code in
        try Permissions.check(w.user, .hotlineWork)
        let t = try w.ticket(code)
        guard let r = t.attachments.first(where: { $0.kind == .recording }) else {
            throw CommandFailure("\(code) không có ghi âm")
        }
        let actual: String
        do {
            actual = try SHA256.hexOfFile(atPath: r.path)
        } catch {
            throw CommandFailure("không đọc được tệp ghi âm \(r.path): \(error)")
        }
        guard actual == r.sha256 else {
            throw CommandFailure("tệp ghi âm \(r.path) không khớp mã SHA-256 đã lưu (\(r.sha256 ?? "không có")): "
                                 + "tệp đã bị thay đổi sau cuộc gọi; báo giám sát viên")
        }
        var file = r.path
        if out != nil || play {
            try w.store.recordAccess(code, out != nil ? "export-recording" : "listen",
                                     ["file": out.map { ($0 as NSString).lastPathComponent }], by: w.user, at: Date())
        }
        if let out {
            if FileManager.default.fileExists(atPath: out) { throw CommandFailure("\(out) đã tồn tại; chọn --out khác") }
            do {
                try FileManager.default.copyItem(atPath: r.path, toPath: out)
            } catch {
                throw CommandFailure("không ghi được \(out): \(error)")
            }
            file = out
            print("Đã xuất ghi âm \(code) ra \(out) (\(formatDuration(r.durationMs ?? 0)), SHA-256 khớp).")
        } else {
            print(r.path)
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
            guard p.terminationStatus == 0 else { throw CommandFailure("\(player) exited \(p.terminationStatus)") }
        }
    }
}

let agentCompleteCommand = Command.leaf(
    "complete", "Fill in a case from its recording and forward it to the handling unit (acknowledgement sent).",
    help: """
        CODE --name NAME --address ADDRESS --summary TEXT --category C --topic T --ward WARD [--unit UNIT]
             [--content TEXT] [--email EMAIL] [--confidential yes|no] \(CaseOptions.help)

        Categories (Art. 5): infrastructure, socioeconomic, suggestion, directive.
        Topics: \(Topic.allCases.map(\.rawValue).joined(separator: ", ")).
        --unit defaults to the router's suggestion (see `agent show`); a directive always goes to the City
        Office. When no single unit can be named, use `agent guidance`. Received and forwarded within 60
        minutes of the call (Art. 7.3); the citizen's acknowledgement with the tracking code is queued in the
        same transaction.
        """
) { args in
    let options = try CaseOptions(&args)
    var fields: [String: String] = [:]
    for name in ["--name", "--address", "--summary", "--category", "--topic", "--ward", "--unit", "--content", "--email",
                 "--confidential"] {
        if let v = try args.option(name) { fields[name] = v.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
    let code = try trackingCodeArgument(&args)
    try args.finish()
    let required = ["--name", "--address", "--summary", "--category", "--topic", "--ward"]
    let missing = required.filter { (fields[$0] ?? "").isEmpty }
    guard missing.isEmpty else {
        throw UsageError("missing \(missing.joined(separator: ", ")) (Art. 6: the reporter's name and address, the content; "
                         + "the category, topic and ward route it)")
    }
    guard let category = HotlineCore.Category(rawValue: fields["--category"]!) else {
        throw UsageError("--category must be one of \(HotlineCore.Category.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard let topic = Topic(rawValue: fields["--topic"]!) else {
        throw UsageError("--topic must be one of \(Topic.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    var confidential: Bool?
    if let c = fields["--confidential"] {
        guard ["yes", "no"].contains(c) else { throw UsageError("--confidential must be yes or no") }
        confidential = c == "yes"
    }
    let details = TicketDetails(category: category, topic: topic, reporterName: fields["--name"],
                                reporterAddress: fields["--address"], reporterEmail: fields["--email"],
                                confidential: confidential, content: fields["--content"] ?? fields["--summary"],
                                summary: fields["--summary"], ward: fields["--ward"])
    let w = try options.open()
    defer { w.close() }
    let t = try w.store.completeDraft(code, details: details, unit: fields["--unit"], by: w.user, at: Date(),
                                      context: try w.context())
    print("Đã tiếp nhận \(code) và chuyển \(t.unitCode ?? "") xử lý; hạn trả lời \(t.responseDueAt.map(vietnamTime) ?? "").")
}

let agentRefuseCommand = Command.leaf(
    "refuse", "Refuse a case; the citizen receives the reason (Art. 4.7).",
    help: """
        CODE --reason TEXT \(CaseOptions.help)

        Only content the Regulation lets the hotline refuse: distorting or attacking the State, vulgar or
        abusive, or out of scope (complaints and denunciations go to the competent agency; say where). A repeat
        of an earlier report is never refused: link it (`agent link`).
        """
) { args in
    let reason = try reasonOption(&args, "the citizen must be told why (Art. 4.7)")
    try onTicket(&args) { w, code in
        try w.store.refuse(code, reason: reason, by: w.user, at: Date(), context: try w.context())
        print("Đã từ chối \(code); lý do sẽ được gửi tới người phản ánh.")
    }
}

let agentLinkCommand = Command.leaf(
    "link", "Link a repeat to the first report: a duplicate of an open one, a recurrence of a completed one.",
    help: """
        CODE (--duplicate-of FIRST | --recurrence-of FIRST) \(CaseOptions.help)

        A duplicate of a ticket still open is closed as merged into it and the citizen told it is being handled
        (Art. 7.5). A repeat of a ticket already completed means the fix did not hold: it stays a new ticket,
        linked to the old one, for you to complete and forward (seed 000, 6a). The database checks which it is.
        """
) { args in
    let options = try CaseOptions(&args)
    let duplicateOf = try args.option("--duplicate-of")
    let recurrenceOf = try args.option("--recurrence-of")
    let code = try trackingCodeArgument(&args)
    try args.finish()
    guard (duplicateOf == nil) != (recurrenceOf == nil), let first = duplicateOf ?? recurrenceOf else {
        throw UsageError("give exactly one of --duplicate-of FIRST or --recurrence-of FIRST")
    }
    guard TrackingCode.isValid(first) else { throw UsageError("'\(first)' is not a tracking code") }
    let w = try options.open()
    defer { w.close() }
    let kind = try w.store.linkDraft(code, to: first, as: duplicateOf != nil ? .duplicate : .recurrence, by: w.user,
                                     at: Date(), context: try w.context())
    switch kind {
    case .duplicate: print("Đã gộp \(code) vào \(first) (trùng); người phản ánh được báo phản ánh đang được xử lý.")
    case .recurrence: print("Đã liên kết \(code) là tái diễn của \(first); hoàn thiện và chuyển xử lý bằng `agent complete`.")
    }
}

let agentGuidanceCommand = Command.leaf(
    "guidance", "Send a case to the City Office when no single unit can be named (2 h / 4 h clock, Art. 7.4).",
    help: "CODE --reason TEXT \(CaseOptions.help)"
) { args in
    let reason = try reasonOption(&args, "say why no single unit can be named (Art. 7.4)")
    try onTicket(&args) { w, code in
        let t = try w.store.seekGuidance(code, reason: reason, by: w.user, at: Date(), context: try w.context())
        print("Đã chuyển \(code) tới \(t.unitCode ?? "Văn phòng UBND TP") xin hướng dẫn; hạn \(t.dueAt.map(vietnamTime) ?? "").")
    }
}

/// Opens the store for a command, with an error that says what to do when the file is missing.
func openStore(_ path: String) throws -> TicketStore {
    guard FileManager.default.fileExists(atPath: path) else {
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

func categoryLabel(_ c: HotlineCore.Category) -> String {
    switch c {
    case .infrastructure: "Hạ tầng đô thị"
    case .socioeconomic: "Kinh tế - xã hội"
    case .suggestion: "Kiến nghị, đề xuất"
    case .directive: "Chỉ đạo, điều hành"
    }
}

func vietnamTime(_ date: Date) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "vi_VN")
    f.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
    f.dateFormat = "dd/MM/yyyy HH:mm"
    return f.string(from: date)
}

func formatDuration(_ ms: Int) -> String {
    let s = (ms + 500) / 1000
    return String(format: "%d:%02d", s / 60, s % 60)
}
