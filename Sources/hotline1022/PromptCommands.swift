import Foundation
import PromptTools

let promptCommands = Command.group("prompts", "Quản lý lời nhắc thoại tiếng Việt (văn bản và WAV 8 kHz).", [
    Command.leaf(
        "build", "Tạo lại WAV của mọi lời nhắc có văn bản thay đổi (espeak-ng + sox).",
        help: """
            [--dir Prompts/vi] [--force] [--voice vi]

            Mỗi lời nhắc gồm <dir>/<name>.txt (lời tiếng Việt) và <name>.wav (8000 Hz mono 16-bit PCM).
            Chỉ tạo lại lời nhắc có văn bản thay đổi từ lần tạo trước, hoặc chưa có WAV; <dir>/manifest.json
            lưu SHA-256 của từng văn bản và của WAV tạo từ văn bản đó.
            WAV không phải bản máy tạo (bản thu âm phòng thu đặt vào thay) được giữ nguyên và nêu tên;
            --force tạo lại mọi WAV, kể cả bản thu âm phòng thu. Văn bản đúng bằng [beep] tạo tiếng bíp 1 kHz
            dài 0,4 giây. Cần có espeak-ng và sox trong PATH.
            """
    ) { args in
        let dir = try args.option("--dir") ?? "Prompts/vi"
        let force = args.flag("--force")
        let voice = try args.option("--voice") ?? "vi"
        try args.finish()
        let report: PromptBuilder.Report
        do {
            report = try PromptBuilder(directory: dir, voice: voice).build(force: force) { print($0) }
        } catch {
            throw CommandFailure("\(error)")
        }
        let total = report.generated.count + report.unchanged.count + report.keptStudioRecordings.count
        print("\(dir) có \(total) lời nhắc: tạo mới \(report.generated.count), không đổi \(report.unchanged.count), "
              + "giữ nguyên \(report.keptStudioRecordings.count) bản thu âm phòng thu.")
    },
    Command.leaf(
        "check", "Kiểm tra mọi lời nhắc đều có văn bản và WAV 8 kHz mono 16-bit.",
        help: """
            [--dir Prompts/vi]

            Thoát với mã 1 và liệt kê mọi lỗi: WAV không phải 8000 Hz mono 16-bit PCM hoặc không có mẫu âm
            thanh nào, văn bản không có WAV, WAV không có văn bản.
            """
    ) { args in
        let dir = try args.option("--dir") ?? "Prompts/vi"
        try args.finish()
        let problems: [String]
        do {
            problems = try PromptBuilder(directory: dir).check()
        } catch {
            throw CommandFailure("\(error)")
        }
        guard problems.isEmpty else {
            throw CommandFailure("\(problems.count) lỗi:\n  " + problems.joined(separator: "\n  "))
        }
        print("Mọi lời nhắc trong \(dir) đều hợp lệ.")
    },
])
