import Foundation
import HotlineServices
import Gateway
import HotlineCore
import HotlineStore
import HotlineDesk
import Transcription

/// Speech-to-text of the voice reports (issue 14): the workers, their queue, and the transcript shown to agents.
let transcribeCommands = Command.group(
    "transcribe", "Chuyển lời nói thành chữ cho phản ánh bằng giọng nói: chạy bộ chuyển, xem hàng đợi, thử lại việc bị lỗi.", [
        transcribeRunCommand,
        transcribeStatusCommand,
        transcribeRetryCommand,
    ])

/// The serve/run options of the workers.
struct TranscriptionOptions {
    var workers = 1
    var library = VietASRLibrary.defaultPath

    static let help = "[--workers N] [--library PATH]"

    mutating func apply(_ args: inout Arguments, workersOption: String = "--workers", libraryOption: String = "--library") throws {
        if let v = try args.intOption(workersOption) { workers = v }
        if let v = try args.option(libraryOption) { library = v }
        guard (0...16).contains(workers) else { throw UsageError("\(workersOption) phải từ 0 đến 16 (0 = tắt chuyển lời nói)") }
    }
}

extension Server {
    /// Starts `serve`'s transcription workers; nil (logged once, here) when they are off or the engine is
    /// missing or broken: calls and drafts go on exactly as without them.
    func startTranscription() -> TranscriptionService? {
        guard settings.transcribeWorkers > 0 else {
            logger.log(.info, "transcription-off", [("reason", "--transcribe-workers 0")])
            return nil
        }
        let service = TranscriptionService(
            database: settings.database,
            settings: .init(libraryPath: settings.transcriptionLibrary, workers: settings.transcribeWorkers),
            logger: logger)
        do {
            let library = try service.start()
            logger.log(.info, "transcription-started", [("workers", "\(settings.transcribeWorkers)"),
                                                        ("engine", "vietasr \(library?.version ?? "?")")])
            return service
        } catch {
            logger.log(.warning, "transcription-off", [("reason", "\(error)"),
                ("effect", "voice reports are filed without transcripts; jobs stay queued until the engine is installed")])
            return nil
        }
    }
}

let transcribeRunCommand = Command.leaf(
    "run", "Chuyển lời nói các bản ghi âm trong hàng đợi cho đến khi bị dừng (SIGINT/SIGTERM), hoặc chỉ các bản đến lượt ngay lúc này với --once.",
    help: """
        [--once] \(TranscriptionOptions.help) [--db PATH]

        `serve` chạy cùng các bộ chuyển này (--transcribe-workers, --transcription-library); chỉ chạy riêng lệnh
        này khi cổng điện thoại chạy ở máy khác hoặc chạy với --transcribe-workers 0. Mỗi bộ chuyển là một luồng
        có mức ưu tiên CPU thấp nhất (nice 19), với bản mô hình riêng (khoảng 150 MB). --library là tệp
        libvietasr.so của bộ nhận dạng
        (mặc định \(VietASRLibrary.defaultPath), do scripts/bootstrap cài).
        Việc bị lỗi được thử lại sau 1 phút, 5 phút, 30 phút và 2 giờ, sau đó giữ ở trạng thái lỗi
        (`transcribe status`, `transcribe retry`).
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let once = args.flag("--once")
    var options = TranscriptionOptions()
    try options.apply(&args)
    try args.finish()
    guard FileManager.default.fileExists(atPath: db) else { throw CommandFailure("không có cơ sở dữ liệu tại \(db) (dùng --db PATH)") }
    let logger = StderrLogger(minimum: .info)
    if once {
        let library: VietASRLibrary
        let recognizer: VietASRRecognizer
        do {
            library = try VietASRLibrary.load(path: options.library)
            recognizer = try library.makeRecognizer()
        } catch {
            throw CommandFailure("chưa chạy được bộ nhận dạng tiếng nói: \(error)")
        }
        let store = try openStore(db)
        defer { try? store.close() }
        let worker = TranscriptionWorker(store: store, recognizer: recognizer, name: "once")
        var done = 0, failed = 0, audioMs = 0, processingMs = 0
        while let outcome = try worker.runOnce() {
            switch outcome {
            case .done(let code, let a, let p, _):
                done += 1
                audioMs += a
                processingMs += p
                print("\(code)  xong  \(formatDuration(a))  xử lý \(p) ms")
            case .failed(let code, let reason, let retryAt):
                failed += 1
                print("\(code)  LỖI  \(reason)  " + (retryAt.map { "thử lại lúc \(vietnamTime($0))" } ?? "không thử lại nữa"))
            }
        }
        let factor = audioMs > 0 ? String(format: "%.2f", Double(processingMs) / Double(audioMs)) : "-"
        print("Đã chuyển \(done) bản ghi (\(formatDuration(audioMs)) âm thanh, hệ số thời gian thực \(factor)), lỗi \(failed).")
        return
    }
    let stop = StopSignal()
    let service = TranscriptionService(database: db, settings: .init(libraryPath: options.library, workers: options.workers),
                                       logger: logger)
    do {
        guard try service.start() != nil else { throw CommandFailure("--workers 0: không có gì để chạy") }
    } catch let e as TranscriptionUnavailable {
        throw CommandFailure("chưa chạy được bộ nhận dạng tiếng nói: \(e)")
    }
    logger.log(.info, "transcription-started", [("workers", "\(options.workers)")])
    stop.wait()
    service.stop(waitSeconds: 30)
}

let transcribeStatusCommand = Command.leaf(
    "status", "Hàng đợi chuyển lời nói: số việc đang chờ, đang chạy, đã xong hoặc bị lỗi, và lý do lỗi.",
    help: """
        [--limit N] [--json] \(CaseOptions.help)

        Liệt kê các việc chưa xong (đang chờ, đang chạy, bị lỗi), việc mới thay đổi gần nhất trước, kèm lỗi cuối.
        Dành cho Tổng đài và quản trị hệ thống.
        """
) { args in
    let limit = try args.intOption("--limit") ?? 50
    try onListing(&args) { w, json in
        let status = try w.desk.transcriptionStatus(limit: limit, as: w.user)
        let (counts, jobs) = (status.counts, status.jobs)
        if json { return try printJSON(status) }
        printFields([
            ("Chờ chuyển", "\(counts.queued)"), ("Đang chuyển", "\(counts.running)"), ("Đã xong", "\(counts.done)"),
            ("Lỗi, sẽ thử lại", "\(counts.retrying)"), ("Lỗi, đã ngừng thử", "\(counts.failed)"),
            ("Việc chờ lâu nhất từ", counts.oldestWaitingSince.map(vietnamTime) ?? ""),
        ])
        guard !jobs.isEmpty else { return }
        print("")
        print(renderTable(["Mã số", "Trạng thái", "Lần thử", "Thử lại lúc", "Lỗi cuối"], jobs.map { j in
            [j.trackingCode, transcriptionStatusLabel(j), String(j.attempts), j.nextAttemptAt.map(vietnamTime) ?? "",
             j.lastError ?? ""]
        }))
    }
}

let transcribeRetryCommand = Command.leaf(
    "retry", "Xếp lại ngay các việc chuyển lời nói bị lỗi vào hàng đợi (sau khi đã sửa bộ nhận dạng hoặc bản ghi âm).",
    help: """
        [CODE] \(CaseOptions.help)

        Không có CODE: xếp lại mọi việc bị lỗi; có mã số phản ánh: chỉ việc của phản ánh đó. Số lần thử được
        đếm lại từ đầu. Dành cho Tổng đài và quản trị hệ thống.
        """
) { args in
    let options = try CaseOptions(&args)
    let code = args.positional()
    try args.finish()
    if let code { try checkTrackingCode(code) }
    let w = try options.open()
    defer { w.close() }
    let n = try w.desk.retryTranscriptions(code: code, as: w.user)
    print(n == 0 ? "Không có việc chuyển lời nói nào bị lỗi\(code.map { " cho \($0)" } ?? "")."
                 : "Đã xếp lại \(n) việc vào hàng đợi.")
}

func transcriptionStatusLabel(_ j: TranscriptionJobInfo) -> String {
    switch j.status {
    case .queued: "chờ chuyển"
    case .running: "đang chuyển"
    case .done: "đã xong"
    case .failed: j.nextAttemptAt == nil ? "lỗi, đã ngừng thử" : "lỗi, sẽ thử lại"
    }
}

// MARK: The transcript beside the case

/// The transcript section of `agent show`: the text the engine heard (or where its job stands), and what it
/// suggests: the ward named, the topic its words point to (Config/topic-keywords.json), earlier tickets that
/// sound alike. The console's case page shows the same `Desk.transcript(_:as:)` beside the player.
func printTranscriptSection(_ c: CaseTranscript) {
    if let t = c.transcript {
        print("\nBản chuyển lời nói (máy nghe, chưa kiểm tra; \(t.engineVersion), \(formatDuration(t.audioMs)) âm thanh, "
              + "xử lý \(String(format: "%.1f", Double(t.processingMs) / 1000)) s):")
        print(t.text.isEmpty ? "  (không nghe thấy lời nói)" : wrapped(t.text, width: 100, indent: "  "))
        var hints: [String] = []
        if !c.heardWards.isEmpty { hints.append("địa bàn: " + c.heardWards.joined(separator: ", ") + " (nghe thấy tên)") }
        if let topic = c.suggestedTopic {
            hints.append("chuyên mục: \(topic.label) (--topic \(topic.rawValue); từ khóa: \(c.topicWords.joined(separator: ", ")))")
        }
        for m in c.similar {
            hints.append("có thể trùng: \(m.trackingCode) (\(m.status.label), giống \(Int((m.similarity * 100).rounded()))%) \(m.summary)")
        }
        if !hints.isEmpty {
            print("Gợi ý từ lời nói (tổng đài viên xác nhận):")
            for line in hints { print("  " + line) }
        }
    } else if let job = c.job {
        print("\nBản chuyển lời nói: \(transcriptionStatusLabel(job))" + (job.lastError.map { " — \($0)" } ?? ""))
    }
}

/// A `--json` value with the ticket's transcript added under "transcript" (null when none), keys sorted as
/// `printJSON` sorts them; with `similar`, also "transcriptDuplicateCandidates" (earlier tickets that sound alike).
func printJSON<T: Encodable>(_ value: T, transcript: CaseTranscript, similar: Bool = false) throws {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    guard var object = try JSONSerialization.jsonObject(with: encoder.encode(value)) as? [String: Any] else {
        return try printJSON(value)
    }
    object["transcript"] = try transcript.transcript.map { try JSONSerialization.jsonObject(with: encoder.encode($0)) } ?? NSNull()
    if similar {
        object["transcriptDuplicateCandidates"] = try JSONSerialization.jsonObject(with: encoder.encode(transcript.similar))
    }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// Words wrapped at `width` characters, each line indented.
func wrapped(_ text: String, width: Int, indent: String) -> String {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
        if !line.isEmpty, line.count + 1 + word.count > width {
            lines.append(indent + line)
            line = ""
        }
        line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(indent + line) }
    return lines.joined(separator: "\n")
}
