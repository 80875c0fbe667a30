import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

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
    try onTicket(&args) { w, code in
        let claim = try w.desk.claim(code, minutes: minutes, as: w.user)
        print("Đã nhận xử lý \(code) đến \(vietnamTime(claim.expiresAt)).")
    }
}

let agentReleaseCommand = Command.leaf(
    "release", "Give a claimed case back to the queue (a supervisor may release anyone's).",
    help: "CODE \(CaseOptions.help)"
) { args in
    try onTicket(&args) { w, code in
        try w.desk.release(code, as: w.user)
        print("Đã trả \(code) về hàng chờ.")
    }
}

let agentShowCommand = Command.leaf(
    "show", "Everything about a case: fields, recording (checked), the caller's earlier tickets, duplicates.",
    help: """
        CODE [--json] \(CaseOptions.help)

        The recording's SHA-256 is computed again and compared with the one stored when the call ended.
        Earlier tickets come from the same phone number; duplicate candidates from the same caller, the
        same ward and topic within 30 days, or a similar summary; the router suggests a unit. A unit's
        return reason, progress and result notes are shown under the fields.
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
    Categories (Art. 5): \(HotlineCore.Category.choices).
    Topics: \(Topic.choices).
    A category or topic may be typed as its code or its Vietnamese name, with or without diacritics; the
    ward is stored as the unit directory spells it ("le chan" is "Lê Chân").
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
    "complete", "Fill in a case from its recording and forward it to the handling unit (acknowledgement sent).",
    help: """
        CODE \(caseDetailsHelp) [--unit UNIT] \(CaseOptions.help)

        \(caseDetailsExplanation)
        --unit defaults to the router's suggestion (see `agent show`); a directive always goes to the City
        Office. When no single unit can be named, use `agent guidance`. Received and forwarded within 60
        minutes of the call (Art. 7.3); the citizen's acknowledgement with the tracking code is queued in the
        same transaction. A case nobody claimed is claimed for you in the same step (recorded in its history).
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

let agentRefuseCommand = Command.leaf(
    "refuse", "Refuse a case; the citizen receives the reason (Art. 4.7).",
    help: """
        CODE --reason TEXT \(CaseOptions.help)

        Only content the Regulation lets the hotline refuse: distorting or attacking the State, vulgar or
        abusive, or out of scope (complaints and denunciations go to the competent agency; say where). A repeat
        of an earlier report is never refused: link it (`agent link`).
        """
) { args in
    let reason = try args.requiredOption("--reason")
    try onTicket(&args) { w, code in
        _ = try w.desk.refuse(code, reason: reason, as: w.user)
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
        throw UsageError("cần đúng một trong --duplicate-of FIRST (trùng) hoặc --recurrence-of FIRST (tái diễn)")
    }
    guard TrackingCode.isValid(first) else { throw UsageError("'\(first)' không phải mã số phản ánh (dạng 20260610-0134036)") }
    let w = try options.open()
    defer { w.close() }
    let kind = try w.desk.link(code, to: first, as: duplicateOf != nil ? .duplicate : .recurrence, user: w.user)
    switch kind {
    case .duplicate: print("Đã gộp \(code) vào \(first) (trùng); người phản ánh được báo phản ánh đang được xử lý.")
    case .recurrence: print("Đã liên kết \(code) là tái diễn của \(first); hoàn thiện và chuyển xử lý bằng `agent complete`.")
    }
}

let agentGuidanceCommand = Command.leaf(
    "guidance", "Send a case to the City Office when no single unit can be named (2 h / 4 h clock, Art. 7.4).",
    help: """
        CODE --reason TEXT \(caseDetailsHelp) \(CaseOptions.help)

        The City Office needs the same details as a completion, except the unit, to say who handles the case.
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
