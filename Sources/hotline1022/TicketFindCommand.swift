import Foundation
import HotlineCore
import HotlineStore
import HotlineDesk

/// `ticket find WORDS`: tickets by words of their transcript, summary, content or address (issue 14).
let ticketFindCommand = Command.leaf(
    "find", "Tìm phản ánh theo từ trong bản chuyển lời nói, tóm tắt, nội dung hoặc địa chỉ (có dấu hay không dấu đều được).",
    help: """
        WORDS... [--limit N] [--json] \(CaseOptions.help)

        Phải có đủ mọi từ; không phân biệt dấu và chữ hoa, chữ thường ("den duong" tìm được "đèn đường").
        Kết quả khớp nhất đứng trước (từ có trong tóm tắt được tính cao nhất), sau đó đến phản ánh mới nhất.
        Dành cho Tổng đài.
        """
) { args in
    let limit = try args.intOption("--limit") ?? 20
    let options = try CaseOptions(&args)
    let json = args.flag("--json")
    var words: [String] = []
    while let w = args.positional() { words.append(w) }
    try args.finish()
    guard !words.isEmpty else { throw UsageError("thiếu từ cần tìm, ví dụ `ticket find den duong`") }
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
