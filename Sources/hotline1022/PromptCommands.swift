import Foundation
import PromptTools

let promptCommands = Command.group("prompts", "Administer the Vietnamese voice prompts (text and 8 kHz WAV).", [
    Command.leaf(
        "build", "Regenerate the WAV of every prompt whose text changed (espeak-ng + sox).",
        help: """
            [--dir Prompts/vi] [--force] [--voice vi]

            Each prompt is Prompts/vi/<name>.txt (its Vietnamese words) and <name>.wav (8 kHz mono 16-bit).
            Only prompts whose text changed since the last build are regenerated (manifest.json keeps the hashes).
            A WAV that is not the generated one (a studio recording put in its place) is kept; --force replaces
            every WAV. A text of exactly [beep] makes a 1 kHz tone.
            """
    ) { args in
        let dir = try args.option("--dir") ?? "Prompts/vi"
        let force = args.flag("--force")
        let voice = try args.option("--voice") ?? "vi"
        try args.finish()
        let builder = PromptBuilder(directory: dir, voice: voice)
        let outcomes: [String: PromptBuilder.Outcome]
        do {
            outcomes = try builder.build(force: force) { print($0) }
        } catch {
            throw CommandFailure("\(error)")
        }
        let generated = outcomes.values.filter { $0 == .generated }.count
        let kept = outcomes.values.filter { $0 == .keptStudioRecording }.count
        print("\(outcomes.count) prompts: \(generated) generated, \(outcomes.count - generated - kept) unchanged, \(kept) studio recordings kept.")
    },
    Command.leaf(
        "check", "Check that every prompt has its text and an 8 kHz mono 16-bit WAV.",
        help: "[--dir Prompts/vi]"
    ) { args in
        let dir = try args.option("--dir") ?? "Prompts/vi"
        try args.finish()
        let problems = try PromptBuilder(directory: dir).check()
        if problems.isEmpty {
            print("All prompts in \(dir) are in order.")
        } else {
            throw CommandFailure("\(problems.count) problem(s):\n  " + problems.joined(separator: "\n  "))
        }
    },
])
