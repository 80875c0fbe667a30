import Foundation
import XCTest

/// Art. 8.5b by phone, end to end: a caller's report is completed at the desk (agent, unit, review, through
/// the command line), then the caller looks it up and rates it with a key; a second rating is refused by the
/// store and the caller is thanked all the same.
final class PhoneRatingCallTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testACompletedTicketIsRatedByPhoneOnce() throws {
        let gateway = try GatewayProcess.start(name: "rating")
        defer { gateway.stop() }
        let cli = CaseCLI(database: gateway.database)
        try SIPp.voiceReport(gateway: gateway, caller: "0955000555")
        let code = try XCTUnwrap(gateway.drafts().first?.trackingCode)

        try cli.ok(["users", "add", "lan", "--role", "agent"], as: "e2e-admin")
        try cli.ok(["users", "add", "hoa", "--role", "unit", "--unit", "P-LECHAN"], as: "e2e-admin")
        try cli.ok(["users", "add", "sup", "--role", "supervisor"], as: "e2e-admin")
        try cli.ok(["agent", "claim", code], as: "lan")
        try cli.ok(["agent", "complete", code, "--name", "Trần Văn Bình", "--address", "3 Lạch Tray",
                    "--summary", "Đèn đường không sáng", "--category", "infrastructure", "--topic", "infrastructure_incident",
                    "--ward", "Lê Chân"], as: "lan")
        try cli.ok(["unit", "accept", code], as: "hoa")
        let photo = gateway.dir + "/anh.jpg"
        try Data("JPEG ảnh hiện trường".utf8).write(to: URL(fileURLWithPath: photo))
        try cli.ok(["unit", "resolve", code, "--note", "Đã thay bóng đèn", "--evidence", photo], as: "hoa")
        try cli.ok(["review", "confirm", code], as: "sup")

        var keys = ["rating": "4"]
        for (i, digit) in code.filter(\.isNumber).enumerated() { keys["code\(i)"] = String(digit) }
        try SIPp.call("status-rate.xml", gateway: gateway, caller: "0955000555", keys: keys)
        XCTAssertTrue(gateway.waitForLog("event=rating-stored", count: 1, timeout: 10), gateway.log)
        XCTAssertTrue(gateway.log.contains("event=status-spoken status=completed"), gateway.log)
        XCTAssertTrue(gateway.log.contains("accepted=true"), gateway.log)
        let ticket = try cli.json(["ticket", "show", code, "--json"], as: "sup")
        XCTAssertEqual(ticket["rating"] as? Int, 4, "\(ticket)")
        let history = try cli.ok(["ticket", "history", code], as: "sup")
        XCTAssertTrue(history.contains("citizen"), "rated by the citizen\n\(history)")

        // Once more, another score: the store keeps the first; the caller still hears the thanks.
        keys["rating"] = "1"
        try SIPp.call("status-rate.xml", gateway: gateway, caller: "0955000555", keys: keys)
        XCTAssertTrue(gateway.waitForLog("event=rating-stored", count: 2, timeout: 10), gateway.log)
        XCTAssertTrue(gateway.log.contains("accepted=false"), gateway.log)
        XCTAssertEqual(try cli.json(["ticket", "show", code, "--json"], as: "sup")["rating"] as? Int, 4)
        XCTAssertEqual(gateway.stop(), 0, gateway.log)
    }
}
