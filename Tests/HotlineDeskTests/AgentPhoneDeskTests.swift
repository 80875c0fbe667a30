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

    /// Issue 23 §6–7: the wallboard's figures are the queue log's: computed again by hand from `queueLog`, they
    /// agree; a host whose live state went stale is not counted; the hotline's waiting cases and their nearest
    /// deadline come with them.
    func testTheWallboardAgreesWithTheQueueLog() throws {
        let now = Date()
        let start = max(QueueStats.dayStart(of: now), now.addingTimeInterval(-1800))
        let kinds: [(QueueEventKind, String, Int?)] = [
            (.enter, "1", nil), (.enter, "2", nil), (.enter, "3", nil), (.connect, "1", 8), (.abandon, "2", 3),
            (.connect, "3", 45), (.completeByAgent, "1", nil), (.enter, "4", nil), (.abandon, "4", 70),
            (.callbackRequested, "5", nil), (.callbackAttempted, "5", nil),
        ]
        for (i, (kind, call, wait)) in kinds.enumerated() {
            try store.appendQueueRecord(QueueRecord(kind: kind, call: call, callerNumber: "09120000\(call)0", agent: "lan",
                                                    position: 1, waitSeconds: wait,
                                                    outcome: kind == .callbackAttempted ? "no-answer" : nil),
                                        at: start.addingTimeInterval(Double(i)))
        }
        try store.appendQueueRecord(QueueRecord(kind: .enter, call: "y", callerNumber: "0912999999"),
                                    at: QueueStats.dayStart(of: now).addingTimeInterval(-60))  // yesterday's
        try store.saveQueueSnapshot(QueueSnapshot(waiting: 2, longestWaitSeconds: 31, agents: [
            .init(name: "lan", state: "onCall", label: "Đang nghe máy", since: now.addingTimeInterval(-20)),
        ], host: "a", at: now))
        try store.saveQueueSnapshot(QueueSnapshot(waiting: 5, longestWaitSeconds: 300, agents: [
            .init(name: "minh", state: "ready", label: "Sẵn sàng", since: now),
        ], host: "b", at: now.addingTimeInterval(-30)))
        let wav = try evidenceFile("report.wav")
        let voice = try store.createPhoneDraft(PhoneDraft(callID: "w1", callerNumber: "0912000111", category: .infrastructure,
                                                          confidential: false, receivedAt: now.addingTimeInterval(-600),
                                                          recordingPath: wav, recordingDurationMs: 9000,
                                                          recordingSHA256: try SHA256.hexOfFile(atPath: wav),
                                                          dialplanVersion: "t", interrupted: false))
        _ = try store.liveCallDraft(PhoneDraft(callID: "queue:a:9", callerNumber: "0912000222", category: nil, confidential: nil,
                                               receivedAt: now, recordingPath: nil, recordingDurationMs: 0, recordingSHA256: nil,
                                               dialplanVersion: "live-call", interrupted: false))

        let board = try at(now).wallboard(as: minh)
        let log = try at(now).queueLog(since: QueueStats.dayStart(of: now), as: minh).map(\.record)
        let byHand = QueueFigures(records: log)
        XCTAssertEqual(log.count, kinds.count, "today's records only")
        XCTAssertEqual([board.stats.offered, board.stats.answered, board.stats.abandoned], [byHand.offered, byHand.answered, byHand.abandoned])
        XCTAssertEqual([board.stats.offered, board.stats.answered, board.stats.abandoned], [4, 2, 2])
        XCTAssertEqual(board.stats.serviceLevel, 0.5, "one of two answered within 20 s")
        XCTAssertEqual(board.stats.serviceLevelWithAbandoned, 1.0 / 3.0, "the 3 s abandon does not count, the 70 s one does")
        XCTAssertEqual(board.stats.asaSeconds, 26.5)
        XCTAssertEqual(board.stats.abandonmentRate, 0.5)
        XCTAssertEqual(board.stats.callbacksDue, 2, "the 70 s abandon and the request (one attempt of three)")
        XCTAssertEqual(board.stats, try at(now).queueStats(as: minh), "the wallboard and queue stats are one computation")
        XCTAssertEqual([board.stats.waiting, board.stats.longestWaitSeconds], [2, 31], "host b is stale: not counted")
        XCTAssertEqual(board.stats.agentStates.map(\.name), ["lan"])
        XCTAssertEqual(board.casesWaiting, 2)
        XCTAssertEqual(board.voiceReportsWaiting, 1, "the case opened from a live call has no recording: not a voice report")
        XCTAssertEqual(board.nearestDeadlineCode, voice)
        XCTAssertNotNil(board.nearestDeadline)
        assertDesk(try desk.wallboard(as: giaVien), isForbidden, "a unit's staff does not watch the hotline")
    }

    /// Issue 23 §5: the callback list has one item per number per day (an abandon after 5 s, or key 2), nearest
    /// deadline first; an agent records up to 3 attempts, and an item is done when reached or a wrong number.
    func testTheCallbackListAndItsAttempts() throws {
        let now = Date()
        let start = max(QueueStats.dayStart(of: now), now.addingTimeInterval(-1800))
        let records: [QueueRecord] = [
            QueueRecord(kind: .abandon, call: "1", callerNumber: "0912000001", position: 2, waitSeconds: 40),
            QueueRecord(kind: .abandon, call: "2", callerNumber: "0912000002", position: 1, waitSeconds: 3),  // too short
            QueueRecord(kind: .callbackRequested, call: "3", callerNumber: "0912000003"),
            QueueRecord(kind: .abandon, call: "4", callerNumber: "0912000001", position: 1, waitSeconds: 20),  // same number
            QueueRecord(kind: .abandon, call: "5", callerNumber: "", position: 1, waitSeconds: 60),  // withheld
        ]
        for (i, r) in records.enumerated() { try store.appendQueueRecord(r, at: start.addingTimeInterval(Double(i) * 60)) }
        let desk = at(now)
        var list = try desk.callbacks(as: lan)
        XCTAssertEqual(list.map(\.callerNumber), ["0912000001", "0912000003"], "one item a number, nearest deadline first")
        XCTAssertEqual(list[0].dueAt.timeIntervalSince1970, start.addingTimeInterval(3600).timeIntervalSince1970, accuracy: 0.001,
                       "the clock runs from the first call")
        XCTAssertEqual(list.map(\.requested), [false, true])

        try desk.recordCallbackAttempt(number: "0912000003", outcome: .reached, as: lan)
        list = try desk.callbacks(as: lan)
        XCTAssertEqual(list.map(\.callerNumber), ["0912000001", "0912000003"], "the done item goes last")
        XCTAssertTrue(list[1].isDone)
        XCTAssertEqual(list[1].lastAgent, "lan")
        assertDesk(try desk.recordCallbackAttempt(number: "0912000003", outcome: .noAnswer, as: lan), field(.phone), "done")

        for attempt in 1...3 {
            let item = try desk.recordCallbackAttempt(number: "0912000001", outcome: .noAnswer, as: minh)
            XCTAssertEqual(item.attempts, attempt)
            XCTAssertEqual(item.isDone, attempt == 3)
        }
        assertDesk(try desk.recordCallbackAttempt(number: "0912000001", outcome: .reached, as: lan), field(.phone), "a fourth attempt")
        assertDesk(try desk.recordCallbackAttempt(number: "0912000002", outcome: .reached, as: lan), field(.phone), "not on the list")
        assertDesk(try desk.callbacks(as: giaVien), isForbidden)
        let logged = try desk.queueLog(since: start, as: minh).filter { $0.record.kind == .callbackAttempted }
        XCTAssertEqual(logged.count, 4)
        XCTAssertEqual(logged.map(\.record.outcome), ["reached", "no-answer", "no-answer", "no-answer"])
        XCTAssertEqual(try desk.queueStats(as: minh).callbacksDue, 0, "both done: nothing due on the wallboard")
    }

    /// Issue 23 §5, "Gọi lại": an agent with a phone asks the gateway to call a number due a callback; the request is
    /// taken up once across hosts; a number not on the list, done, or not a phone number, or an agent with no phone,
    /// is refused. The gateway's outcome from SIP: answered is reached, a number that does not exist a wrong number.
    func testGoiLaiIsAskedOfTheGatewayHoldingTheAgentsPhone() throws {
        let now = Date()
        let start = max(QueueStats.dayStart(of: now), now.addingTimeInterval(-1800))
        try store.appendQueueRecord(QueueRecord(kind: .abandon, call: "1", callerNumber: "0912000001", position: 1,
                                                waitSeconds: 40), at: start)
        try store.appendQueueRecord(QueueRecord(kind: .callbackRequested, call: "2", callerNumber: "anonymous"),
                                    at: start.addingTimeInterval(60))
        let desk = at(now)
        assertDesk(try desk.placeCallback(to: "0912000001", as: lan), field(.phone), "no phone yet")
        try desk.setPhone(SetPhoneRequest(userName: "lan", password: "mật khẩu SIP của lan"), as: admin)
        assertDesk(try desk.placeCallback(to: "0912000002", as: lan), field(.phone), "not on the list")
        assertDesk(try desk.placeCallback(to: "anonymous", as: lan), field(.phone), "not a phone number")
        assertDesk(try desk.placeCallback(to: "0912000001", as: giaVien), isForbidden)
        try desk.placeCallback(to: "0912000001", as: lan)
        let open = try store.openCallbackRequests(since: now.addingTimeInterval(-30))
        XCTAssertEqual(open.map(\.agent), ["lan"])
        XCTAssertEqual(open.map(\.number), ["0912000001"])
        XCTAssertTrue(try store.takeCallbackRequest(open[0].id, host: "a", at: now))
        XCTAssertFalse(try store.takeCallbackRequest(open[0].id, host: "b", at: now), "one host places it")
        XCTAssertEqual(try store.openCallbackRequests(since: now.addingTimeInterval(-30)), [])

        // The gateway records the outcome by the same rule as an agent.
        let records = try store.queueRecords(since: start)
        let attempt = try QueueCallback.attempt(to: "0912000001", by: "lan", outcome: .reached, call: "7", records: records)
        XCTAssertEqual([attempt.kind.rawValue, attempt.agent, attempt.outcome, attempt.call], ["callback-attempted", "lan", "reached", "7"])
        try desk.recordCallbackAttempt(number: "0912000001", outcome: .reached, as: lan)
        assertDesk(try desk.placeCallback(to: "0912000001", as: lan), field(.phone), "reached: done")
        XCTAssertEqual(CallbackRequest.outcome(answered: true, status: 200), .reached)
        XCTAssertEqual(CallbackRequest.outcome(answered: false, status: 404), .wrongNumber)
        XCTAssertEqual(CallbackRequest.outcome(answered: false, status: 486), .noAnswer)
        XCTAssertEqual(CallbackRequest.outcome(answered: false, status: 487), .noAnswer, "the gateway gave up ringing")
        XCTAssertEqual(["0912000001", "+84912000001", "113", "anonymous", "09120000011234567", "0912;x=1", ""].map(CallbackRequest.isDiallable),
                       [true, true, true, false, false, false, false])
    }

    /// Issue 23 §4: "new case from this call" makes the call's draft once, with the number the gateway saw, claimed
    /// by the agent whose phone has the call; nobody else's, and not once the call has left their phone.
    func testANewCaseFromTheCallIsMadeOnceAndBoundToIt() throws {
        try desk.setPhone(SetPhoneRequest(userName: "lan", password: "mật khẩu SIP của lan"), as: admin)
        let now = Date()
        try store.saveQueueSnapshot(QueueSnapshot(waiting: 0, longestWaitSeconds: 0, agents: [
            .init(name: "lan", state: "onCall", label: "Đang nghe máy", since: now, callerNumber: "0912555666", call: "77"),
        ], host: "gw-a", at: now))
        let code = try at(now).caseFromCall("77", as: lan)
        XCTAssertEqual(try at(now.addingTimeInterval(5)).caseFromCall("77", as: lan), code, "a second click: the same case")
        let ticket = try XCTUnwrap(try store.ticket(code))
        XCTAssertEqual(ticket.reporter.phone, "0912555666")
        XCTAssertEqual(ticket.status, .draft)
        XCTAssertEqual(ticket.channel, .phone)
        XCTAssertEqual(try store.claim(of: code, at: now)?.userName, "lan", "claimed by the agent on the call")
        XCTAssertEqual(try store.hotlineQueue(now: now).filter { $0.callerNumber == "0912555666" }.count, 1)
        assertDesk(try at(now).caseFromCall("78", as: lan), field(.phone), "not a call on lan's phone")
        assertDesk(try at(now).caseFromCall("77", as: minh), field(.phone), "not on minh's phone")
        assertDesk(try at(now.addingTimeInterval(60)).caseFromCall("77", as: lan), field(.phone), "a stale live state")
        assertDesk(try at(now).caseFromCall("77", as: giaVien), isForbidden)
    }

    /// Issue 23 §4: the conversation's recording goes with the case made from the call, also in wrap-up after
    /// the gateway filed it; or with an open case of the same caller the agent picks, and with one case only.
    func testTheConversationGoesWithTheCaseMadeFromTheCallOrPicked() throws {
        try desk.setPhone(SetPhoneRequest(userName: "lan", password: "mật khẩu SIP của lan"), as: admin)
        let now = Date()
        func live(_ state: String, call: String, number: String = "0912555666") throws {
            try store.saveQueueSnapshot(QueueSnapshot(waiting: 0, longestWaitSeconds: 0, agents: [
                .init(name: "lan", state: state, label: state, since: now, callerNumber: number, call: call),
            ], host: "gw-a", at: now))
        }
        func talk(_ call: String) throws -> ConversationRecording {
            let path = try evidenceFile("talk-\(call).wav")
            return ConversationRecording(call: ConversationRecording.reference(host: "gw-a", call: call),
                                         callerNumber: "0912555666", agent: "lan", path: path, durationMs: 9000,
                                         lossPercent: 0, startedAt: now)
        }
        // The call ended and its recording is filed; lan, in wrap-up, makes the case: the recording is on it.
        try live("wrapUp", call: "90")
        XCTAssertNil(try store.fileConversation(try talk("90"), at: now))
        let code = try at(now).caseFromCall("90", as: lan)
        XCTAssertEqual(try XCTUnwrap(try store.ticket(code)).attachments.filter { $0.kind == .recording }.count, 1)
        XCTAssertEqual(try at(now).ownPresence(as: lan).caller?.linkedCode, code, "the pop says where it went")

        // The next call: the same citizen rings about that open case, and lan picks it.
        try live("onCall", call: "91")
        XCTAssertNil(try at(now).ownPresence(as: lan).caller?.linkedCode)
        try at(now).attachCall("91", toCase: code, as: lan)
        XCTAssertEqual(try store.fileConversation(try talk("91"), at: now), code, "attached as soon as it is filed")
        XCTAssertEqual(try XCTUnwrap(try store.ticket(code)).attachments.filter { $0.kind == .recording }.count, 2)
        // Not another caller's case, not twice to two cases, not on someone else's call.
        let other = try store.createPhoneDraft(PhoneDraft(
            callID: "sip-x", callerNumber: "0988000111", category: nil, confidential: nil, receivedAt: now, recordingPath: nil,
            recordingDurationMs: 0, recordingSHA256: nil, dialplanVersion: "t", interrupted: false))
        assertDesk(try at(now).attachCall("91", toCase: other, as: lan), field(.trackingCode), "another caller's case")
        let second = try at(now).caseFromCall("91", as: lan)
        XCTAssertNotEqual(second, code)
        XCTAssertEqual(try XCTUnwrap(try store.ticket(second)).attachments.count, 0, "the conversation stays with the case picked")
        assertDesk(try at(now).attachCall("91", toCase: code, as: minh), field(.phone), "not minh's call")
        assertDesk(try at(now).attachCall("91", toCase: code, as: giaVien), isForbidden)
    }

    /// Issue 23 §6: only a supervisor with a phone asks to listen in, only on an agent on a call; the request is
    /// audited and taken up by one gateway host only.
    func testAListenInRequestIsASupervisorsAndIsTakenUpOnce() throws {
        let now = Date()
        try store.saveQueueSnapshot(QueueSnapshot(waiting: 0, longestWaitSeconds: 0, agents: [
            .init(name: "lan", state: "onCall", label: "Đang nghe máy", since: now, callerNumber: "0912000333", call: "5"),
        ], host: "gw-a", at: now))
        assertDesk(try at(now).listenIn(to: "lan", as: minh), field(.phone), "minh has no phone yet")
        try desk.setPhone(SetPhoneRequest(userName: "minh", password: "mật khẩu SIP của minh"), as: admin)
        try desk.setPhone(SetPhoneRequest(userName: "lan", password: "mật khẩu SIP của lan"), as: admin)
        assertDesk(try at(now).listenIn(to: "lan", as: lan), isForbidden, "an agent does not listen in")
        assertDesk(try at(now).listenIn(to: "minh", as: minh), field(.phone), "minh is not on a call")
        try at(now).listenIn(to: "lan", as: minh)
        let open = try store.openListenRequests(since: now.addingTimeInterval(-30))
        XCTAssertEqual(open.map(\.agent), ["lan"])
        XCTAssertEqual(open.map(\.supervisor), ["minh"])
        XCTAssertTrue(try store.takeListenRequest(open[0].id, host: "gw-a", at: now))
        XCTAssertFalse(try store.takeListenRequest(open[0].id, host: "gw-b", at: now), "one host takes it up")
        XCTAssertTrue(try store.openListenRequests(since: now.addingTimeInterval(-30)).isEmpty)
        XCTAssertTrue(try store.systemAudit().contains { $0.action == "listen-in-requested" && $0.actor == "supervisor:minh" })
    }
}
