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

    /// Issue 23 §4: the agent whose phone rings sees who calls and what the hotline has from that number; another
    /// agent's call pops nothing on theirs.
    func testTheScreenPopShowsTheRingingCallersEarlierTickets() throws {
        let t0 = Date().addingTimeInterval(-3600)
        func draft(_ id: String, _ number: String, confidential: Bool, at: Date) throws -> String {
            try store.createPhoneDraft(PhoneDraft(callID: id, callerNumber: number, category: .infrastructure,
                                                  confidential: confidential, receivedAt: at, recordingPath: nil,
                                                  recordingDurationMs: 0, recordingSHA256: nil, dialplanVersion: "t",
                                                  interrupted: false))
        }
        let older = try draft("c1", "0912345678", confidential: true, at: t0)
        let newer = try draft("c2", "0912345678", confidential: false, at: t0.addingTimeInterval(60))
        _ = try draft("c3", "0987654321", confidential: false, at: t0)
        try desk.setPhone(SetPhoneRequest(userName: "lan", password: "mật khẩu SIP của lan"), as: admin)
        try desk.setPhone(SetPhoneRequest(userName: "minh", password: "mật khẩu SIP của minh"), as: admin)
        let now = Date()
        func publish(_ agents: [QueueSnapshot.Agent]) throws {
            try store.saveQueueSnapshot(QueueSnapshot(waiting: 1, longestWaitSeconds: 3, agents: agents, host: "a", at: now))
        }
        try publish([QueueSnapshot.Agent(name: "lan", state: "ringing", label: "Đang đổ chuông", since: now,
                                         callerNumber: "0912345678", call: "42"),
                     QueueSnapshot.Agent(name: "minh", state: "ready", label: "Sẵn sàng", since: now)])
        let pop = try XCTUnwrap(try at(now).ownPresence(as: lan).caller, "lan's phone rings: a pop")
        XCTAssertEqual(pop.number, "0912345678")
        XCTAssertEqual(pop.call, "42")
        XCTAssertEqual(pop.tickets.map(\.trackingCode), [newer, older], "newest first, only this number's")
        XCTAssertEqual(pop.tickets.map(\.confidential), [false, true], "the confidential one is marked so")
        XCTAssertEqual(pop.openCount, 2)
        XCTAssertTrue(pop.repeatCaller)
        XCTAssertNil(try at(now).ownPresence(as: minh).caller, "minh's phone does not ring")

        try publish([QueueSnapshot.Agent(name: "lan", state: "onCall", label: "Đang nghe máy", since: now,
                                         callerNumber: "", call: "43")])
        let withheld = try XCTUnwrap(try at(now).ownPresence(as: lan).caller)
        XCTAssertEqual(withheld.tickets, [], "a withheld number has no history")
        XCTAssertFalse(withheld.repeatCaller)

        try publish([QueueSnapshot.Agent(name: "lan", state: "wrapUp", label: "Hoàn tất cuộc gọi", since: now)])
        XCTAssertNil(try at(now).ownPresence(as: lan).caller, "the call over, the pop goes")
        XCTAssertNil(try at(now.addingTimeInterval(60)).ownPresence(as: lan).live, "a stale live state is not shown")
    }
}
