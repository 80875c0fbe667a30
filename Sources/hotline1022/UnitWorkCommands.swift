import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

let unitWorkCommands = Command.group("unit", "Work for handling units: the inbox, and each step to a result with evidence.", [
    unitInboxCommand,
    unitStepCommand("accept", "Accept a ticket forwarded or transferred to your unit.", help: "CODE") { _ in .accept },
    unitStepCommand("progress", "Report progress on a ticket (the note shows in `ticket show` and in review).",
                    help: "CODE --note TEXT [--evidence FILE]...") { args in
        .progress(note: try args.requiredOption("--note"))
    },
    unitStepCommand("extend", "Commit to a later date: progress report, evidence and the date (after now, ≤ 15 days from receipt, Art. 8.2e).",
                    help: "CODE --until DATE[THH:MM] --note TEXT --evidence FILE...") { args in
        let until = try parseCommitment(try args.requiredOption("--until"), option: "--until")
        return .extend(until: until, note: try args.requiredOption("--note"))
    },
    unitStepCommand("resolve", "Report the result: what was done (sent to the citizen) and at least one evidence file (Art. 8.1c).",
                    help: "CODE --note TEXT --evidence FILE...") { args in
        .resolve(result: try args.requiredOption("--note"))
    },
    unitStepCommand("transfer", "Pass a ticket that is not yours to the competent unit (within 1 working day, 2 with --field-check; Art. 8.2f).",
                    help: "CODE --to UNIT --reason TEXT [--field-check]") { args in
        .transfer(to: try args.requiredOption("--to"), reason: try args.requiredOption("--reason"),
                  fieldCheck: args.flag("--field-check"))
    },
    unitStepCommand("return", "Send a ticket back to the hotline, with the reason and the verification (Art. 8.1a).",
                    help: "CODE --reason TEXT [--evidence FILE]...") { args in
        .giveBack(reason: try args.requiredOption("--reason"))
    },
])

let unitInboxCommand = Command.leaf(
    "inbox", "Your unit's open tickets by deadline, and those waiting for the hotline's confirmation.",
    help: """
        [UNIT] [--json] \(CaseOptions.help)

        With no UNIT, your own unit's. The code may be typed in any letter case. A unit member sees only
        their own unit's tickets. Each line: code, status, time left on the current
        step (overdue flagged), the unit's answer deadline, category, ward, summary, evidence attached.
        """
) { args in
    // Options first: a positional is the first word no option took.
    let options = try CaseOptions(&args)
    let json = args.flag("--json")
    let unit = args.positional()
    try args.finish()
    let w = try options.open()
    defer { w.close() }
    let items = try w.desk.inbox(unit, as: w.user)
    if json { return try printJSON(items) }
    guard !items.isEmpty else {
        print("Đơn vị \(unit ?? w.user.unitCode ?? "") không có phản ánh nào đang xử lý.")
        return
    }
    let now = Date()
    print(renderTable(["Mã số", "Trạng thái", "Thời hạn", "Hạn trả lời", "Lĩnh vực", "Địa bàn", "Minh chứng", "Tóm tắt"],
                      items.map(workRow(now))))
    print("\nTổng số: \(items.count) phản ánh.")
}

func workRow(_ now: Date) -> (WorkItem) -> [String] {
    { i in
        [i.trackingCode, i.status.label + (i.awaitingGuidance ? " (chờ hướng dẫn)" : ""),
         i.status == .resolved ? "chờ Tổng đài xác nhận" : timeLeft(i.dueAt, now: now),
         i.responseDueAt.map(vietnamTime) ?? "", i.category.map(\.label) ?? "", i.confidential ? "(bảo mật)" : i.ward,
         String(i.evidenceCount), i.confidential ? "(bảo mật)" : i.summary]
    }
}

/// One step a unit member takes on a ticket: parses the step's own options with `make`; the desk copies the
/// evidence files into the store's folder and takes the step in one transaction.
func unitStepCommand(_ name: String, _ summary: String, help: String,
                     make: @escaping @Sendable (inout Arguments) throws -> UnitStep) -> Command {
    Command.leaf(name, summary, help: """
        \(help) \(CaseOptions.help)

        Runs as a member of the ticket's unit. Evidence files are copied next to the database
        (evidence/CODE/) with their SHA-256; pictures and video count as photos, anything else as documents.
        A step the Regulation does not allow is refused with the article that forbids it.
        """
    ) { args in
        let options = try CaseOptions(&args)
        let evidence = try args.options("--evidence")
        // The step's own options before the code: a positional is the first word no option took.
        let step = try make(&args)
        let code = try trackingCodeArgument(&args)
        try args.finish()
        let w = try options.open()
        defer { w.close() }
        let t = try w.desk.unitStep(UnitStepRequest(code: code, step: step, evidence: evidence), as: w.user)
        print("\(code): \(t.status.label)" + (t.dueAt.map { "; hạn \(vietnamTime($0))" } ?? "") + ".")
    }
}
