import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

/// `ticket find WORDS`: tickets by words of their transcript, summary, content or address (issue 14).
let ticketFindCommand = Command.leaf(
    "find", "Find tickets by words of their transcript, summary, content or address (diacritics optional).",
    help: """
        WORDS... [--limit N] [--json] \(CaseOptions.help)

        Every word must appear; diacritics and case do not matter ("den duong" finds "đèn đường").
        Best matches first (a word in the summary counts most), then the newest. For the hotline.
        """
) { args in
    let limit = try args.intOption("--limit") ?? 20
    let options = try CaseOptions(&args)
    let json = args.flag("--json")
    var words: [String] = []
    while let w = args.positional() { words.append(w) }
    try args.finish()
    guard !words.isEmpty else { throw UsageError("missing words to look for, e.g. `ticket find den duong`") }
    let w = try options.open()
    defer { w.close() }
    let hits = try w.desk.find(words.joined(separator: " "), limit: limit, as: w.user)
    if json { return try printJSON(hits) }
    guard !hits.isEmpty else { return print("Không tìm thấy phản ánh nào có: \(words.joined(separator: " ")).") }
    let fields = ["transcript": "lời nói", "summary": "tóm tắt", "content": "nội dung", "address": "địa chỉ"]
    print(renderTable(["Mã số", "Trạng thái", "Tiếp nhận", "Khớp ở", "Tóm tắt"], hits.map { h in
        [h.trackingCode, h.status.label, vietnamTime(h.receivedAt), h.matchedIn.compactMap { fields[$0] }.joined(separator: ", "),
         h.summary]
    }))
}
