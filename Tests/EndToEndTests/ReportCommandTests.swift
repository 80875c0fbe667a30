import Foundation
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `report … --format docx|csv`, `--letter`, `--out` and `report chart` through the real command line.
final class ReportCommandTests: XCTestCase {
    func hl(_ args: [String]) throws -> E2E.Output { try E2E.execute(E2E.binary, args, timeout: 60) }

    /// The bytes a command writes to standard output (a pipe: not a terminal), as is (no decoding, which
    /// would drop a byte order mark).
    func bytes(_ args: [String]) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: E2E.binary)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "\(args)")
        return [UInt8](data)
    }

    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testReportFilesFromTheCommandLine() throws {
        let dir = try E2E.tempDir("reports")
        let db = dir + "/h.sqlite"
        XCTAssertEqual(try hl(["users", "add", "admin", "--role", "administrator", "--db", db]).status, 0)

        // The weekly letter, with the office's own signer and section 6 from --letter.
        let letter = dir + "/thu.json"
        try #"{"signerName": "Nguyễn Thanh Hùng", "difficulties": ["a) Phần mềm còn lỗi & chậm."], "issued": "2026-06-11"}"#
            .write(toFile: letter, atomically: true, encoding: .utf8)
        let docx = dir + "/bao-cao-tuan.docx"
        let w = try hl(["report", "weekly", "--to", "2026-06-11T10:00", "--format", "docx", "--letter", letter, "--out", docx, "--db", db])
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssertTrue(w.stdout.contains("Đã ghi \(docx)"), w.stdout)
        let test = try E2E.execute("/usr/bin/unzip", ["-t", docx])
        XCTAssertEqual(test.status, 0, test.stdout)
        let body = try E2E.execute("/usr/bin/unzip", ["-p", docx, "word/document.xml"]).stdout
        for text in ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Hải Phòng, ngày 11 tháng 6 năm 2026", "1. Chỉ số tổng quan",
                     "7. Đề xuất, kiến nghị phương án khắc phục", "Nguyễn Thanh Hùng", "a) Phần mềm còn lỗi &amp; chậm."] {
            XCTAssertTrue(body.contains(text), text)
        }
        // Without --out, a Word file goes to standard output only when that is not a terminal.
        let piped = try bytes(["report", "monthly", "--month", "2026-06", "--format", "docx", "--db", db])
        XCTAssertEqual(Array(piped.prefix(4)), [0x50, 0x4B, 0x03, 0x04], "a ZIP")
        let tty = try E2E.execute("/usr/bin/script", ["-qec", "\(E2E.binary) report quarterly --format docx --db \(db)", "/dev/null"])
        XCTAssertNotEqual(tty.status, 0, tty.stdout)
        XCTAssertTrue(tty.stdout.contains("--out"), tty.stdout)
        // A letter that is not JSON is refused and named.
        try "không phải JSON".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try hl(["report", "weekly", "--format", "docx", "--letter", dir + "/bad.json", "--out", dir + "/x.docx", "--db", db])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("bad.json"), bad.stderr)

        // CSV for Excel: the byte order mark first.
        let csv = try bytes(["report", "weekly", "--to", "2026-06-11T10:00", "--format", "csv", "--db", db])
        XCTAssertEqual(Array(csv.prefix(3)), [0xEF, 0xBB, 0xBF])
        XCTAssertEqual(String(decoding: csv.dropFirst(3).prefix(9), as: UTF8.self), "bang,muc,")

        // Charts: well-formed SVG, to a file or to standard output.
        for kind in ["trend", "topics", "units"] {
            let out = dir + "/\(kind).svg"
            let r = try hl(["report", "chart", kind, "--to", "2026-06-11T10:00", "--out", out, "--db", db])
            XCTAssertEqual(r.status, 0, r.stderr)
            let parser = XMLParser(contentsOf: URL(fileURLWithPath: out))!
            XCTAssertTrue(parser.parse(), "\(kind).svg: \(String(describing: parser.parserError))")
        }
        let trend = try hl(["report", "chart", "trend", "--weeks", "4", "--to", "2026-06-11T10:00", "--db", db])
        XCTAssertTrue(trend.stdout.hasPrefix("<svg"), trend.stdout)
        XCTAssertEqual(trend.stdout.components(separatedBy: "<title>Tuần ").count - 1, 8, "4 weeks, 2 bars each")
        let wrong = try hl(["report", "chart", "pie", "--db", db])
        XCTAssertEqual(wrong.status, 64, wrong.stderr)
        let since = try hl(["report", "weekly", "--to", "2026-06-11", "--since", "2026-07-01", "--db", db])
        XCTAssertNotEqual(since.status, 0)
        XCTAssertTrue(since.stderr.contains("--since"), since.stderr)
    }
}
