import Foundation
import XCTest

/// The README's quick start works as written, in the order written (a new user ran `agent queue` right after
/// the first call and got "who are you?" because no user existed yet). The lines are read from the README
/// itself; only the port, the database and the binary's path are pointed at this test's gateway.
final class QuickStartTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testTheREADMEsQuickStartRunsInOrder() throws {
        let readme = try String(contentsOfFile: E2E.repo + "/README.md", encoding: .utf8)
        let start = try XCTUnwrap(readme.range(of: "Place a call by hand"), "the README has its quick start")
        let block = readme[start.upperBound...].components(separatedBy: "```sh\n")[1].components(separatedBy: "```")[0]
        let lines = block.split(separator: "\n").map { $0.components(separatedBy: "  #")[0].trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        XCTAssertGreaterThanOrEqual(lines.count, 4, block)

        let gateway = try GatewayProcess.start(name: "quick-start")
        defer { gateway.stop() }
        var last = E2E.Output(status: -1, stdout: "", stderr: "", timedOut: false)
        for line in lines {
            var words = line.split(separator: " ").map(String.init)
            switch words[0] {
            case "scripts/make-test-audio":
                words = ["/bin/bash", E2E.repo + "/" + words[0]] + words.dropFirst()
            case "sipp":
                words[1] = "127.0.0.1:\(gateway.sipPort)"
                if let i = words.firstIndex(of: "-sf") { words[i + 1] = E2E.repo + "/" + words[i + 1] }
                if let i = words.firstIndex(of: "-p") { words[i + 1] = String(try E2E.freePort()) }
                words = ["/usr/bin/sipp"] + words.dropFirst() + ["-timeout", "60s", "-timeout_error"]
            case ".build/debug/hotline1022":
                words[0] = E2E.binary
                words += ["--db", gateway.database]
            default:
                XCTFail("the quick start has a line this test does not know: \(line)")
            }
            // In the gateway's folder, as a person runs them in one folder: sipp reads the speech made there.
            last = try E2E.execute(words[0], Array(words.dropFirst()), timeout: 90, in: gateway.dir)
            XCTAssertEqual(last.status, 0, "\(line)\n\(last.stdout)\n\(last.stderr)")
        }
        XCTAssertTrue(last.stdout.contains("0912345678"), "the agent's queue lists the call's draft:\n\(last.stdout)")
    }
}
