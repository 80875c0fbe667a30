import Foundation
import HotlineCore
import HotlineStore

let agentCommands = Command.group("agent", "Work for hotline agents: the recorded cases waiting, and picking them up.", [
    agentQueueCommand,
])

let agentQueueCommand = Command.leaf(
    "queue", "List the recorded drafts waiting for an agent, oldest first.",
    help: """
        [--db PATH] [--json]

        Each draft shows its tracking code, the caller's number, the category the caller chose (or none),
        when it was received, the recording and its length. --json prints the same as a JSON array for scripts.
        """
) { args in
    let db = try args.option("--db") ?? "./var/hotline.sqlite"
    let json = args.flag("--json")
    try args.finish()
    let store = try openStore(db)
    defer { try? store.close() }
    let drafts = try store.draftQueue()
    if json {
        try printJSON(drafts)
        return
    }
    if drafts.isEmpty {
        print("Không có phản ánh nào đang chờ xử lý.")
        return
    }
    let rows = drafts.map { d in
        [d.trackingCode, d.callerNumber.isEmpty ? "(ẩn số)" : d.callerNumber, d.category.map(categoryLabel) ?? "chưa phân loại",
         d.confidential ? "có" : "không", vietnamTime(d.receivedAt), formatDuration(d.recordingDurationMs),
         (d.interrupted ? "[gián đoạn] " : "") + (d.recordingPath ?? "(không có ghi âm)")]
    }
    print(renderTable(["Mã hồ sơ", "Số gọi đến", "Lĩnh vực", "Bảo mật", "Tiếp nhận", "Thời lượng", "Ghi âm"], rows))
    print("\nTổng số: \(drafts.count) phản ánh đang chờ.")
}

/// Opens the store for a command, with an error that says what to do when the file is missing.
func openStore(_ path: String) throws -> TicketStore {
    guard FileManager.default.fileExists(atPath: path) else {
        throw CommandFailure("no database at \(path) (run `hotline1022 serve` once, or pass --db PATH)")
    }
    do {
        return try TicketStore(path: path)
    } catch {
        throw CommandFailure("cannot open the database \(path): \(error)")
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
