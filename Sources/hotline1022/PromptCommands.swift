import Foundation
import PromptTools

let promptCommands = Command.group("prompts", "Administer the Vietnamese voice prompts (text and 8 kHz WAV).", [
    Command.leaf(
        "build", "Regenerate the WAV of every prompt whose text changed (espeak-ng + sox).",
        help: """
            [--dir Prompts/vi] [--force] [--voice vi]

            Each prompt is <dir>/<name>.txt (its Vietnamese words) and <name>.wav (8000 Hz mono 16-bit PCM).
            Only prompts whose text changed since the last build, or that have no WAV, are regenerated;
            <dir>/manifest.json keeps the SHA-256 of each text and of the WAV made from it.
            A WAV that is not the generated one (a studio recording put in its place) is kept and named;
            --force regenerates every WAV, studio recordings included. A text of exactly [beep] makes a
            0.4 s 1 kHz tone. Needs espeak-ng and sox on PATH.
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
        print("\(total) prompts in \(dir): \(report.generated.count) generated, \(report.unchanged.count) unchanged, "
              + "\(report.keptStudioRecordings.count) studio recording(s) kept.")
    },
    Command.leaf(
        "check", "Check that every prompt has its text and an 8 kHz mono 16-bit WAV.",
        help: """
            [--dir Prompts/vi]

            Exits 1 and lists every problem: a WAV that is not 8000 Hz mono 16-bit PCM or holds no samples,
            a text with no WAV, a WAV with no text.
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
            throw CommandFailure("\(problems.count) problem(s):\n  " + problems.joined(separator: "\n  "))
        }
        print("All prompts in \(dir) are in order.")
    },
])
