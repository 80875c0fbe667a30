import Foundation
import XCTest

/// The command line as a new user meets it: every command's --help, and the error for a wrong code, a wrong
/// role, a missing field, an unknown user.
final class CLIUsabilityTests: XCTestCase {
    func hl(_ args: [String]) throws -> E2E.Output { try E2E.execute(E2E.binary, args, timeout: 30) }

    /// The subcommands a group's help lists (the lines under "Lệnh:").
    func subcommands(_ path: [String]) throws -> [String] {
        let out = try hl(path + ["--help"])
        XCTAssertEqual(out.status, 0, "\(path) --help: \(out.stderr)")
        guard let start = out.stdout.range(of: "Lệnh:\n") else { return [] }
        return out.stdout[start.upperBound...].split(separator: "\n").prefix { $0.hasPrefix("  ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    func testEveryCommandHasHelp() throws {
        var leaves: [[String]] = []
        var groups: [[String]] = [[]]
        while let path = groups.popLast() {
            let children = try subcommands(path)
            if children.isEmpty { leaves.append(path) } else { groups += children.map { path + [$0] } }
        }
        let expected: Set<String> = [
            "agent queue", "agent claim", "agent show", "agent listen", "agent complete", "agent refuse", "agent link",
            "agent guidance", "agent release", "review reopen", "review rate", "unit inbox", "unit accept", "unit progress", "unit extend", "unit resolve",
            "unit transfer", "unit return", "review pending", "review confirm", "review reject", "overdue", "outbox run",
            "outbox list", "users add", "users list", "users disable", "users enable", "ticket show", "units import",
            "dialplan install", "ticket find", "transcribe run", "transcribe status", "transcribe retry",
        ]
        let found = Set(leaves.map { $0.joined(separator: " ") })
        XCTAssertTrue(expected.isSubset(of: found), "missing: \(expected.subtracting(found).sorted())")
        for leaf in leaves {
            let out = try hl(leaf + ["--help"])
            XCTAssertEqual(out.status, 0, "\(leaf) --help")
            XCTAssertTrue(out.stdout.hasPrefix("Cách dùng: hotline1022 \(leaf.joined(separator: " "))"), "\(leaf): \(out.stdout)")
            if out.stdout.contains("[--as USER]") {
                XCTAssertTrue(out.stdout.contains("Tùy chọn chung: --as USER"), "\(leaf) explains the shared options: \(out.stdout)")
            }
            XCTAssertGreaterThan(out.stdout.count, 40, "\(leaf) --help says more than its name")
        }
        XCTAssertEqual(try hl(["agent", "nonsense"]).status, 64)
        let unknown = try hl(["agent", "nonsense"])
        XCTAssertTrue(unknown.stderr.contains("không có lệnh 'nonsense'. Các lệnh có: queue"), "an unknown command lists the known ones\n\(unknown.stderr)")
    }

    func testOnlyAnAdministratorInstallsADialplanAndOnlyAValidOne() throws {
        let dir = try E2E.tempDir("install")
        let db = dir + "/h.sqlite"
        let live = dir + "/live.json"
        let original = try String(contentsOfFile: E2E.repo + "/Dialplans/hotline-1022.json", encoding: .utf8)
        try "{}".write(toFile: live, atomically: true, encoding: .utf8)
        XCTAssertEqual(try hl(["users", "add", "admin", "--role", "administrator", "--db", db]).status, 0)
        XCTAssertEqual(try hl(["users", "add", "lan", "--role", "agent", "--db", db, "--as", "admin"]).status, 0)
        let edited = dir + "/edited.json"
        try original.replacingOccurrences(of: "hotline-1022/2026-12-06.1", with: "hotline-1022/install-test")
            .write(toFile: edited, atomically: true, encoding: .utf8)
        let broken = dir + "/broken.json"
        try original.replacingOccurrences(of: #""type": "hangup""#, with: #""type": "hangupp""#)
            .write(toFile: broken, atomically: true, encoding: .utf8)
        func install(_ file: String, as user: String) throws -> E2E.Output {
            try hl(["dialplan", "install", file, "--to", live, "--prompts", E2E.repo + "/Prompts/vi", "--db", db, "--as", user])
        }
        let agent = try install(edited, as: "lan")
        XCTAssertEqual(agent.status, 77, "a permission denial, like every other")
        XCTAssertTrue(agent.stderr.contains("chỉ quản trị hệ thống"), agent.stderr)
        let refused = try install(broken, as: "admin")
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("hangupp") && refused.stderr.contains("giữ nguyên"), refused.stdout + refused.stderr)
        XCTAssertEqual(try String(contentsOfFile: live, encoding: .utf8), "{}", "a refused plan leaves the live file alone")
        let done = try install(edited, as: "admin")
        XCTAssertEqual(done.status, 0, done.stderr)
        XCTAssertTrue(try String(contentsOfFile: live, encoding: .utf8).contains("hotline-1022/install-test"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: live + ".installing"))
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testErrorsSayWhatIsWrongAndWhatToDo() throws {
        let dir = try E2E.tempDir("cli")
        let db = dir + "/h.sqlite"
        let config = ["--config-dir", E2E.repo + "/Config"]
        func expect(_ args: [String], status: Int32, saying needle: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let out = try hl(args + ["--db", db])
            XCTAssertEqual(out.status, status, "\(args): \(out.stderr)", file: file, line: line)
            XCTAssertTrue(out.stderr.contains(needle), "\(args) should say '\(needle)': \(out.stderr)", file: file, line: line)
        }
        try expect(["agent", "queue", "--as", "lan"], status: 1, saying: "không có cơ sở dữ liệu tại")
        try expect(["users", "add", "lan", "--role", "agent"], status: 1, saying: "người dùng đầu tiên phải là quản trị hệ thống")
        XCTAssertEqual(try hl(["users", "add", "admin", "--role", "administrator", "--db", db]).status, 0)
        try expect(["agent", "queue"], status: 64, saying: "--as USER")
        try expect(["agent", "queue", "--as", "nobody"], status: 1, saying: "Không có người dùng «nobody»")
        try expect(["users", "add", "lan", "--role", "boss", "--as", "admin"], status: 64,
                   saying: "--role phải là một trong: agent, unit, supervisor, administrator; nhận được 'boss'")
        try expect(["users", "add", "hoa", "--role", "unit", "--unit", "P-LECHAN", "--as", "admin"], status: 1,
                   saying: "Không có đơn vị P-LECHAN")
        XCTAssertEqual(try hl(["units", "import", E2E.repo + "/Config/units.json", "--db", db, "--as", "admin"]).status, 0)
        XCTAssertEqual(try hl(["users", "add", "lan", "--role", "agent", "--db", db, "--as", "admin"]).status, 0)
        XCTAssertEqual(try hl(["users", "add", "hoa", "--role", "unit", "--unit", "P-LECHAN", "--db", db, "--as", "admin"]).status, 0)

        // A wrong code: malformed, or well-formed and unknown.
        try expect(["agent", "claim", "12345", "--as", "lan"], status: 64, saying: "có dạng 20260610-0134036")
        try expect(["agent", "claim", "20260101-0000001", "--as", "lan"], status: 1, saying: "Không tìm thấy phản ánh mã số 20260101-0000001")
        try expect(["agent", "show", "20260101-0000001", "--as", "lan"], status: 1, saying: "Không tìm thấy")
        try expect(["unit", "accept", "20260101-0000001", "--as", "hoa"] + config, status: 1, saying: "Không tìm thấy phản ánh mã số")
        // Options may come before the code.
        try expect(["unit", "progress", "--as", "hoa", "--note", "Đã kiểm tra", "20260101-0000001"] + config, status: 1,
                   saying: "Không tìm thấy phản ánh mã số 20260101-0000001")
        try expect(["unit", "inbox", "--as", "hoa", "--json", "SXD"], status: 77, saying: "không phải của SXD")
        // A wrong role.
        try expect(["agent", "queue", "--as", "hoa"], status: 77, saying: "chỉ tổng đài viên và giám sát viên")
        try expect(["unit", "inbox", "SXD", "--as", "hoa"], status: 77, saying: "không phải của SXD")
        try expect(["units", "import", E2E.repo + "/Config/units.json", "--as", "lan"], status: 77, saying: "chỉ quản trị hệ thống")
        try expect(["users", "add", "x", "--role", "agent", "--as", "lan"], status: 77, saying: "chỉ quản trị hệ thống")
        try expect(["overdue", "--as", "hoa"], status: 77, saying: "không được làm việc này")
        // A missing field.
        try expect(["agent", "complete", "20260101-0000001", "--name", "An", "--as", "lan"] + config, status: 64,
                   saying: "thiếu --address (địa chỉ), --summary (nội dung tóm tắt), --category (lĩnh vực), --topic (chuyên mục), --ward")
        try expect(["agent", "complete", "20260101-0000001", "--name", "An", "--address", "x", "--summary", "y", "--category",
                    "roads", "--topic", "field_report", "--ward", "Lê Chân", "--as", "lan"] + config, status: 64,
                   saying: "--category phải là một trong")
        try expect(["agent", "refuse", "20260101-0000001", "--as", "lan"], status: 64, saying: "thiếu tùy chọn bắt buộc --reason")
        try expect(["agent", "link", "20260101-0000001", "--as", "lan"], status: 64, saying: "cần đúng một trong --duplicate-of")
        try expect(["unit", "extend", "20260101-0000001", "--note", "x", "--as", "hoa"], status: 64,
                   saying: "thiếu tùy chọn bắt buộc --until")
        try expect(["unit", "extend", "20260101-0000001", "--until", "next week", "--note", "x", "--as", "hoa"], status: 64,
                   saying: "--until cần một ngày dạng 2026-06-11")
        try expect(["unit", "resolve", "20260101-0000001", "--note", "Đã xử lý", "--evidence", dir + "/nothing.jpg", "--as", "hoa"] + config, status: 1,
                   saying: "Không có tệp")
        try expect(["agent", "queue", "--as", "lan", "--colour"], status: 64, saying: "không có tùy chọn --colour")
        try expect(["agent", "queue", "--as", "lan", "--colour"], status: 64, saying: "Xem 'hotline1022 agent queue --help'")
        try expect(["agent", "queue", "today", "--as", "lan"], status: 64, saying: "thừa tham số 'today'")
        try expect(["agent", "claim", "20260101-0000001", "--minutes", "ten", "--as", "lan"], status: 64,
                   saying: "tùy chọn --minutes cần một số nguyên, nhận được 'ten'")
        try expect(["agent", "refuse", "20260101-0000001", "--reason", "--as", "lan"], status: 64,
                   saying: "tùy chọn --reason cần có giá trị")
        try expect(["agent", "claim", "--as", "lan"], status: 64, saying: "thiếu mã số phản ánh")
        try expect(["agent", "complete", "20260101-0000001", "--as", "lan", "--config-dir", dir] + ["--name", "An", "--address",
                    "x", "--summary", "y", "--category", "infrastructure", "--topic", "field_report", "--ward", "Lê Chân"],
                   status: 1, saying: "dùng --config-dir DIR")
        try? FileManager.default.removeItem(atPath: dir)
    }
}
