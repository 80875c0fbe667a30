import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import HotlineStore
import XCTest

/// Issue 23 §1–2 at the desk: who sets agents' phones, what is kept of a SIP password, and who sets whose state.
final class AgentPhoneDeskTests: DeskTestCase {
    func testAdministratorsSetPhonesAndOnlyTheHA1IsKept() throws {
        try desk.setPhone(SetPhoneRequest(userName: "lan", password: "mật khẩu SIP của lan"), as: admin)
        let stored = try XCTUnwrap(try store.agentPhones().first { $0.name == "lan" })
        XCTAssertEqual(stored.digestHA1, SIPDigest.ha1(user: "lan", realm: AgentPhone.realm, password: "mật khẩu SIP của lan"))
        XCTAssertEqual(stored.digestHA1?.count, 32, "MD5 in hex")
        XCTAssertEqual(stored.requested, .ready, "a new phone is ready")
        // RFC 2617 §3.5's example: HA1 of Mufasa:testrealm@host.com:Circle Of Life.
        XCTAssertEqual(SIPDigest.ha1(user: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life"),
                       "939e7578ed9e3c518a452acee763bce9")
        XCTAssertEqual(try desk.agentPhones(as: lan).first?.digestHA1, "", "the HA1 is never shown")

        assertDesk(try desk.setPhone(SetPhoneRequest(userName: "minh", uri: "sip:minh@10.0.0.5"), as: lan), isForbidden,
                   "only administrators set phones")
        assertDesk(try desk.setPhone(SetPhoneRequest(userName: "gv1", password: "đủ dài rồi đấy"), as: admin), field(.phone),
                   "a unit's member answers no queue")
        assertDesk(try desk.setPhone(SetPhoneRequest(userName: "minh", uri: "http://minh"), as: admin), field(.phone))
        assertDesk(try desk.setPhone(SetPhoneRequest(userName: "minh", password: "ngắn"), as: admin), field(.password))
        assertDesk(try desk.setPhone(SetPhoneRequest(userName: "minh", password: "đủ dài rồi đấy", uri: "sip:minh@10.0.0.5"), as: admin),
                   field(.phone), "one or the other")

        try desk.setPhone(SetPhoneRequest(userName: "minh", uri: "sip:minh@10.0.0.5:5060"), as: admin)
        XCTAssertEqual(try store.agentPhones().map(\.name), ["lan", "minh"])
        XCTAssertEqual(try store.agentPhones().last?.uri, "sip:minh@10.0.0.5:5060")
        let audit = try desk.systemAudit(limit: 50, as: admin)
        XCTAssertEqual(audit.filter { $0.action == "phone-set" }.count, 2)
        XCTAssertFalse(audit.contains { ($0.after ?? "").contains(stored.digestHA1 ?? "-") }, "the HA1 is not in the audit log")
        try desk.setPhone(SetPhoneRequest(userName: "minh"), as: admin)
        XCTAssertEqual(try store.agentPhones().map(\.name), ["lan"], "neither password nor URI removes the phone")
    }

    func testAgentsSetTheirOwnStateSupervisorsAnyones() throws {
        assertDesk(try desk.setAgentStatus("lan", .ready, reason: nil, as: lan), field(.phone), "no phone yet")
        try desk.setPhone(SetPhoneRequest(userName: "lan", password: "mật khẩu SIP của lan"), as: admin)
        let before = try XCTUnwrap(try store.agentPhones().first).changedAt
        try at(before.addingTimeInterval(60)).setAgentStatus("lan", .break, reason: "  Họp giao ban ", as: lan)
        var phone = try XCTUnwrap(try store.agentPhones().first)
        XCTAssertEqual(phone.requested, .break)
        XCTAssertEqual(phone.reason, "Họp giao ban")
        XCTAssertGreaterThan(phone.changedAt, before, "a new request is seen as new")
        try at(before.addingTimeInterval(120)).setAgentStatus("lan", .break, reason: nil, as: minh)
        phone = try XCTUnwrap(try store.agentPhones().first)
        XCTAssertEqual(phone.reason, "Tạm nghỉ", "a break without a reason says so")
        try desk.setAgentStatus("lan", .offline, reason: nil, as: lan)
        XCTAssertNil(try store.agentPhones().first?.reason)
        try desk.setPhone(SetPhoneRequest(userName: "minh", password: "mật khẩu SIP của minh"), as: admin)
        assertDesk(try desk.setAgentStatus("minh", .ready, reason: nil, as: lan), isForbidden, "an agent sets only their own")
        assertDesk(try desk.setAgentStatus("lan", .break, reason: String(repeating: "x", count: 201), as: lan), field(.reason))
    }
}
