import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import HotlineStore
import XCTest

/// A clock the sign-in throttle reads; tests move it.
final class ThrottleClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)
    var now: Date { lock.lock(); defer { lock.unlock() }; return current }
    func advance(_ seconds: TimeInterval) { lock.lock(); current += seconds; lock.unlock() }
}

/// The desk operations the console needs: passwords, sign-in and its audit, the live queue, one search box.
final class ConsoleDeskTests: DeskTestCase {
    let clock = ThrottleClock()

    override func setUpWithError() throws {
        try super.setUpWithError()
        let clock = clock
        desk.signInGate = try SignInGate(throttle: SignInThrottle(now: { clock.now }),
                                         hasher: PasswordHasher(parameters: ScryptParameters(logN: 10)))
    }

    func audit() throws -> [AuditEntry] { try desk.systemAudit(limit: 500, as: admin) }

    func refusal(_ expression: @autoclosure () throws -> User, file: StaticString = #filePath, line: UInt = #line) -> SignInRefusal? {
        do {
            let user = try expression()
            XCTFail("signed in as \(user.name)", file: file, line: line)
            return nil
        } catch let refusal as SignInRefusal {
            return refusal
        } catch {
            XCTFail("not a SignInRefusal: \(error)", file: file, line: line)
            return nil
        }
    }

    func testAdministratorsSetPasswordsUsersChangeTheirOwnWithTheCurrentOne() throws {
        try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "mật khẩu đầu tiên"), as: admin)
        XCTAssertEqual(try desk.signIn(name: "lan", password: "mật khẩu đầu tiên", address: "127.0.0.1").name, "lan")

        assertDesk(try desk.setPassword(SetPasswordRequest(userName: "minh", newPassword: "không phải của lan"), as: lan),
                   isForbidden, "an agent does not set another's password")
        assertDesk(try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "mật khẩu thứ hai"), as: lan),
                   field(.password), "changing one's own needs the current one")
        assertDesk(try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "mật khẩu thứ hai",
                                                           currentPassword: "đoán sai rồi"), as: lan),
                   field(.password), "a wrong current password")
        assertDesk(try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "ngắn", currentPassword: "mật khẩu đầu tiên"),
                                        as: lan), field(.password), "too short")
        assertDesk(try desk.setPassword(SetPasswordRequest(userName: "ghost", newPassword: "đủ dài rồi đấy"), as: admin),
                   { if case .notFound(.user, "ghost") = $0 { true } else { false } })
        try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "mật khẩu thứ hai",
                                                currentPassword: "mật khẩu đầu tiên"), as: lan)
        XCTAssertNotNil(refusal(try desk.signIn(name: "lan", password: "mật khẩu đầu tiên", address: "127.0.0.1")))
        XCTAssertEqual(try desk.signIn(name: "lan", password: "mật khẩu thứ hai", address: "127.0.0.1").name, "lan")

        let changes = try audit().filter { $0.action.hasPrefix("password-") }
        XCTAssertEqual(changes.map(\.action), ["password-set", "password-change"])
        XCTAssertEqual(changes.map(\.actor), ["administrator:admin", "lan"])
        for entry in try audit() {
            XCTAssertFalse((entry.after ?? "").contains("scrypt") || (entry.after ?? "").contains("mật khẩu"),
                           "the audit never holds a password or its hash: \(entry)")
        }
    }

    func testEverySignInOutcomeIsAuditedWithItsAddress() throws {
        try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "mật khẩu của lan"), as: admin)
        try desk.setPassword(SetPasswordRequest(userName: "lc1", newPassword: "mật khẩu của lc1"), as: admin)
        try desk.setUserActive("lc1", false, as: admin)

        let wrong = refusal(try desk.signIn(name: "lan", password: "sai", address: "10.0.0.7"))
        let unknown = refusal(try desk.signIn(name: "ai-do", password: "sai", address: "10.0.0.7"))
        let disabled = refusal(try desk.signIn(name: "lc1", password: "mật khẩu của lc1", address: "10.0.0.8"))
        let noPassword = refusal(try desk.signIn(name: "minh", password: "bất cứ gì", address: "10.0.0.8"))
        XCTAssertEqual(wrong?.message, "Tên đăng nhập hoặc mật khẩu không đúng.")
        XCTAssertEqual(Set([wrong, unknown, disabled, noPassword].map { $0?.message }).count, 1,
                       "one message whatever the reason: no hint about which names exist")
        XCTAssertEqual(wrong?.throttled, false)
        XCTAssertEqual(try desk.signIn(name: " LAN ", password: "mật khẩu của lan", address: "10.0.0.9").name, "lan",
                       "the name is read as typed at any letter case, spaces trimmed")
        try desk.signedOut("lan", address: "10.0.0.9")

        let lines = try audit().filter { $0.action.hasPrefix("sign-") }
        XCTAssertEqual(lines.map(\.action), ["sign-in-failed", "sign-in-failed", "sign-in-failed", "sign-in-failed", "sign-in", "sign-out"])
        XCTAssertEqual(lines.map(\.actor), ["lan", "unknown", "lc1", "minh", "lan", "lan"])
        let reasons = lines.prefix(4).compactMap { line -> String? in
            guard let data = line.after?.data(using: .utf8),
                  let fields = try? JSONSerialization.jsonObject(with: data) as? [String: String] else { return nil }
            return "\(fields["reason"] ?? "?")@\(fields["address"] ?? "?")"
        }
        XCTAssertEqual(reasons, ["wrong-password@10.0.0.7", "unknown-user@10.0.0.7", "disabled@10.0.0.8", "no-password@10.0.0.8"])
        XCTAssertTrue(lines[4].after?.contains("10.0.0.9") ?? false)
    }

    func testRepeatedWrongPasswordsSlowDownThenLockEvenTheRightOneUntilAnAdministratorResets() throws {
        try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "mật khẩu của lan"), as: admin)
        for attempt in 1...3 {
            XCTAssertEqual(refusal(try desk.signIn(name: "lan", password: "sai \(attempt)", address: "10.1.0.\(attempt)"))?.throttled,
                           false)
        }
        XCTAssertEqual(refusal(try desk.signIn(name: "lan", password: "sai 4", address: "10.1.0.4"))?.throttled, false)
        let slowed = refusal(try desk.signIn(name: "lan", password: "mật khẩu của lan", address: "10.1.0.5"))
        XCTAssertEqual(slowed?.throttled, true, "the 5th attempt right after the 4th failure waits")
        XCTAssertTrue(slowed?.message.contains("thử lại sau") ?? false, slowed?.message ?? "")
        for attempt in 5...10 {
            clock.advance(61)
            XCTAssertEqual(refusal(try desk.signIn(name: "lan", password: "sai \(attempt)", address: "10.1.0.\(attempt)"))?.throttled,
                           false, "attempt \(attempt) reaches the password check")
        }
        clock.advance(61)
        let locked = refusal(try desk.signIn(name: "lan", password: "mật khẩu của lan", address: "10.1.0.99"))
        XCTAssertEqual(locked?.throttled, true)
        XCTAssertTrue(locked?.message.contains("tạm bị khoá") ?? false, locked?.message ?? "")
        XCTAssertTrue(try audit().contains { $0.action == "sign-in-throttled" && ($0.after ?? "").contains("\"locked\"") })

        try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "mật khẩu mới của lan"), as: admin)
        XCTAssertEqual(try desk.signIn(name: "lan", password: "mật khẩu mới của lan", address: "10.1.0.100").name, "lan",
                       "an administrator's reset lifts the lock")
    }

    func testASessionEndsWhenThePasswordChangesAfterItBegan() throws {
        try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "mật khẩu của lan"), as: admin)
        let signedIn = Date()
        XCTAssertEqual(try desk.sessionUser("lan", signedInAt: signedIn)?.name, "lan")
        desk.now = { signedIn.addingTimeInterval(60) }
        try desk.setPassword(SetPasswordRequest(userName: "lan", newPassword: "đặt lại bởi quản trị"), as: admin)
        XCTAssertNil(try desk.sessionUser("lan", signedInAt: signedIn))
        XCTAssertEqual(try desk.sessionUser("lan", signedInAt: signedIn.addingTimeInterval(120))?.name, "lan")
        try desk.setUserActive("lan", false, as: admin)
        assertDesk(try desk.sessionUser("lan", signedInAt: signedIn.addingTimeInterval(120)), isForbidden)
    }

    func testTheLiveQueueHasDraftsReturnedAndGuidanceCasesByDeadlineWithTheirHolders() throws {
        let t0 = vn("2026-06-10T09:00:00")
        let first = try store.createPhoneDraft(PhoneDraft(callID: "c1", callerNumber: "0912345678", category: .infrastructure,
                                                          confidential: true, receivedAt: t0, recordingPath: nil,
                                                          recordingDurationMs: 0, recordingSHA256: nil, dialplanVersion: "t",
                                                          interrupted: false))
        let suggestion = try store.createPhoneDraft(PhoneDraft(callID: "c2", callerNumber: "0987654321", category: .suggestion,
                                                               confidential: false, receivedAt: t0.addingTimeInterval(60),
                                                               recordingPath: nil, recordingDurationMs: 0, recordingSHA256: nil,
                                                               dialplanVersion: "t", interrupted: false))
        let guidance = try portalTicket(at: t0.addingTimeInterval(120))
        _ = try at(t0.addingTimeInterval(300)).seekGuidance(GuidanceRequest(code: guidance, details: details, reason: "nhiều đơn vị"),
                                                           as: lan)
        let returned = try forwardedAndAccepted(at: t0.addingTimeInterval(180))
        _ = try at(t0.addingTimeInterval(1200)).unitStep(UnitStepRequest(code: returned, step: .giveBack(reason: "không thuộc phường")),
                                                        as: giaVien)
        _ = try at(t0.addingTimeInterval(1300)).claim(first, as: lan)

        let queue = try at(t0.addingTimeInterval(1400)).liveQueue(as: minh)
        XCTAssertEqual(Set(queue.map(\.trackingCode)), [first, suggestion, guidance, returned])
        XCTAssertEqual(queue.map(\.dueAt), queue.map(\.dueAt).sorted { ($0 ?? .distantFuture) < ($1 ?? .distantFuture) },
                       "most urgent first")
        let byCode = Dictionary(uniqueKeysWithValues: queue.map { ($0.trackingCode, $0) })
        XCTAssertEqual(byCode[first]?.clock, .classify)
        XCTAssertEqual(byCode[first]?.dueAt, t0.addingTimeInterval(3600), "60 minutes (Art. 7.3)")
        XCTAssertEqual(byCode[first]?.claimedBy, "lan")
        XCTAssertEqual(byCode[first]?.confidential, true)
        XCTAssertEqual(byCode[suggestion]?.clock, .suggestion)
        XCTAssertEqual(byCode[guidance]?.clock, .guidance)
        XCTAssertEqual(byCode[returned]?.clock, .returned)
        XCTAssertEqual(byCode[returned]?.dueAt, t0.addingTimeInterval(1200 + 3600), "60 minutes again from the return")
        XCTAssertNotNil(byCode[returned]?.responseDueAt, "the unit's deadline is shown beside it")
        XCTAssertNil(byCode[suggestion]?.claimedBy)
        XCTAssertNil(try at(t0.addingTimeInterval(1300 + 16 * 60)).liveQueue(as: lan).first { $0.trackingCode == first }?.claimedBy,
                     "a claim not renewed runs out after 15 minutes")

        assertDesk(try desk.liveQueue(as: giaVien), isForbidden, "a unit member does not see the hotline's queue")
        assertDesk(try desk.checkQueueWatcher(leChan), isForbidden)
        assertDesk(try desk.liveQueue(as: admin), isForbidden)

        let before = try desk.changeStamp()
        _ = try store.createPhoneDraft(PhoneDraft(callID: "c3", callerNumber: "", category: nil, confidential: nil,
                                                  receivedAt: t0.addingTimeInterval(2000), recordingPath: nil, recordingDurationMs: 0,
                                                  recordingSHA256: nil, dialplanVersion: "t", interrupted: false))
        let after = try desk.changeStamp()
        XCTAssertEqual(after.newestTicketID, before.newestTicketID + 1)
        XCTAssertEqual(try desk.newTrackingCodes(after: before.newestTicketID).count, 1)
        try at(t0.addingTimeInterval(1400)).release(first, as: lan)
        XCTAssertGreaterThan(try desk.changeStamp().newestAuditID, after.newestAuditID, "a release moves the stamp")
    }

    func testOneSearchBoxFindsCodesPhonesAndTheirLastDigitsNamesAndWordsWithoutDiacritics() throws {
        let t0 = vn("2026-06-10T09:00:00")
        let lamp = try portalTicket(at: t0, phone: "0912345678", summary: "Đèn đường ngõ 12 không sáng")
        let smoke = try portalTicket(at: t0.addingTimeInterval(60), phone: "0987005678", summary: "Đốt rác gây khói")
        let other = try portalTicket(at: t0.addingTimeInterval(120), phone: "0900000001", summary: "Ổ gà trước cổng chợ")
        let intl = try store.createPhoneDraft(PhoneDraft(callID: "c1", callerNumber: "+84911222333", category: nil, confidential: nil,
                                                         receivedAt: t0.addingTimeInterval(180), recordingPath: nil,
                                                         recordingDurationMs: 0, recordingSHA256: nil, dialplanVersion: "t",
                                                         interrupted: false))
        _ = try at(t0.addingTimeInterval(600)).complete(CompleteRequest(code: other, details: CaseDetails(
            name: "Nguyễn Văn Đức", address: "3 Trần Phú", summary: "Ổ gà trước cổng chợ", category: .infrastructure,
            topic: .infrastructureIncident, ward: "Gia Viên")), as: lan)

        func codes(_ q: String) throws -> [String] { try desk.search(q, as: lan).hits.map(\.trackingCode) }
        XCTAssertEqual(try desk.search(lamp, as: lan).kind, "trackingCode")
        XCTAssertEqual(try codes(lamp), [lamp])
        XCTAssertEqual(try codes("20991231-0000001"), [])
        XCTAssertEqual(try codes("0912345678"), [lamp])
        XCTAssertEqual(try codes("0912 345 678"), [lamp])
        XCTAssertEqual(try codes("5678"), [smoke, lamp], "the last digits find both callers, newest first")
        XCTAssertEqual(try codes("0911222333"), [intl], "0911… finds a number stored as +84911…")
        XCTAssertEqual(try codes("+84 911 222 333"), [intl])
        XCTAssertEqual(try desk.search("5678", as: lan).kind, "phone")
        XCTAssertEqual(try codes("nguyen van duc"), [other], "a name without diacritics, đ typed as d")
        XCTAssertEqual(try codes("Nguyễn Đ"), [other], "the last word may be the start of one")
        XCTAssertEqual(try desk.search("nguyen van duc", as: lan).hits.first?.matchedIn, ["name"])
        XCTAssertEqual(try codes("den duong"), [lamp], "\"den duong\" finds \"đèn đường\"")
        XCTAssertEqual(try codes("khói"), [smoke])
        XCTAssertEqual(try codes("tran phu"), [other], "the address")
        assertDesk(try desk.search("   ", as: lan), field(.summary))
        assertDesk(try desk.search("den duong", as: giaVien), isForbidden, "search is the hotline's")
    }
}
