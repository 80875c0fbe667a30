import Foundation
import XCTest

@testable import DeskSecurity

/// Cheap scrypt parameters for tests that only need *a* hash; one test uses the standard set.
private let fast = ScryptParameters(logN: 10, r: 8, p: 1)

final class PasswordTests: XCTestCase {
    func testScryptMatchesTheRFC7914TestVector() throws {
        // RFC 7914 §12: scrypt(P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64).
        let key = try Scrypt.derive(password: Array("password".utf8), salt: Array("NaCl".utf8), logN: 10, r: 8,
                                    p: 16, keyLength: 64)
        XCTAssertEqual(Hex.encode(key),
                       "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    func testStandardHashVerifiesTheRightPasswordOnly() throws {
        let hasher = PasswordHasher()
        let stored = try hasher.hash("Mật khẩu đúng 2026")
        XCTAssertTrue(stored.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
        XCTAssertTrue(hasher.verify("Mật khẩu đúng 2026", against: stored))
        XCTAssertFalse(hasher.verify("Mật khẩu đúng 2027", against: stored))
        XCTAssertFalse(hasher.verify("", against: stored))
        XCTAssertFalse(hasher.needsRehash(stored))
    }

    func testSaltsDifferAndMalformedHashesNeverMatch() throws {
        let hasher = PasswordHasher(parameters: fast)
        let first = try hasher.hash("secret")
        let second = try hasher.hash("secret")
        XCTAssertNotEqual(first, second, "each hash has its own salt")
        XCTAssertTrue(hasher.verify("secret", against: second))
        XCTAssertTrue(PasswordHasher().needsRehash(first), "weaker parameters than the standard set")

        let parts = first.split(separator: "$", omittingEmptySubsequences: false)
        let hugeCost = "$scrypt$ln=30,r=8,p=1$\(parts[3])$\(parts[4])"
        XCTAssertFalse(hasher.verify("secret", against: hugeCost), "out-of-bounds cost is refused, not computed")
        XCTAssertFalse(hasher.verify("secret", against: "secret"))
        XCTAssertFalse(hasher.verify("secret", against: "$scrypt$ln=10,r=8,p=1$!!$!!"))
        XCTAssertFalse(hasher.verify("secret", against: ""))
        var tamperedHash = Array(Data(base64Encoded: String(parts[4]))!)
        tamperedHash[0] ^= 1
        XCTAssertFalse(hasher.verify("secret", against: "$scrypt$ln=10,r=8,p=1$\(parts[3])$"
            + Data(tamperedHash).base64EncodedString()))
    }

    func testPrecomposedAndDecomposedVietnameseAreTheSamePassword() throws {
        let hasher = PasswordHasher(parameters: fast)
        let precomposed = "Hải Phòng"
        let decomposed = precomposed.decomposedStringWithCanonicalMapping
        XCTAssertNotEqual(Array(precomposed.utf8), Array(decomposed.utf8))
        let stored = try hasher.hash(precomposed)
        XCTAssertTrue(hasher.verify(decomposed, against: stored))
    }

    func testVerificationComparesThroughTheConstantTimeFunction() throws {
        final class Probe: @unchecked Sendable {
            let lock = NSLock()
            var calls: [(Int, Int)] = []
        }
        let probe = Probe()
        let hasher = PasswordHasher(parameters: fast) { lhs, rhs in
            probe.lock.lock()
            probe.calls.append((lhs.count, rhs.count))
            probe.lock.unlock()
            return ConstantTime.equals(lhs, rhs)
        }
        let stored = try hasher.hash("pw")
        XCTAssertTrue(hasher.verify("pw", against: stored))
        XCTAssertFalse(hasher.verify("px", against: stored))
        XCTAssertEqual(probe.calls.count, 2, "every verification goes through the injected comparison")
        XCTAssertTrue(probe.calls.allSatisfy { $0 == (32, 32) })
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(ConstantTime.equals([0, 2, 3], [1, 2, 3]))
        XCTAssertFalse(ConstantTime.equals([1, 2, 3], [1, 2]))
        XCTAssertTrue(ConstantTime.equals([UInt8](), []))
        XCTAssertTrue(ConstantTime.equals("token", "token"))
        XCTAssertFalse(ConstantTime.equals("token", "tokem"))
    }

    func testRandomTokensAre256BitsAndDistinct() throws {
        let tokens = try (0..<100).map { _ in try SecureRandom.hexToken() }
        XCTAssertEqual(Set(tokens).count, 100)
        XCTAssertTrue(tokens.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
    }
}

final class SessionTests: XCTestCase {
    private let clock = TestClock()
    private lazy var table = SessionTable(policy: SessionPolicy(idleTimeout: 30 * 60, absoluteLifetime: 12 * 3600),
                                          now: clock.function)

    func testSessionLivesWhileUsedAndEndsWhenIdle() throws {
        let session = try table.create(userID: "an.nguyen", remoteAddress: "10.0.0.5")
        XCTAssertEqual(session.id.count, 64)
        clock.advance(by: 29 * 60)
        XCTAssertEqual(try table.validate(id: session.id).get().userID, "an.nguyen")
        clock.advance(by: 29 * 60)
        XCTAssertNotNil(table.session(id: session.id), "each use restarts the idle clock")
        clock.advance(by: 30 * 60)
        XCTAssertEqual(table.validate(id: session.id), .failure(.idleTimeout))
        XCTAssertEqual(table.validate(id: session.id), .failure(.unknown), "an ended session stays ended")
    }

    func testSessionEndsAtTheAbsoluteExpiryEvenWhenActive() throws {
        let session = try table.create(userID: "binh")
        XCTAssertEqual(session.expiresAt, clock.now.addingTimeInterval(12 * 3600))
        for _ in 0..<71 {
            clock.advance(by: 10 * 60)
            XCTAssertNotNil(table.session(id: session.id))
        }
        clock.advance(by: 10 * 60)  // 12 h after sign-in
        XCTAssertEqual(table.validate(id: session.id), .failure(.expired))
    }

    func testLogoutAndEndAll() throws {
        let first = try table.create(userID: "chi")
        let second = try table.create(userID: "chi")
        let other = try table.create(userID: "dung")
        XCTAssertNotEqual(first.id, second.id)
        XCTAssertEqual(table.end(id: first.id)?.userID, "chi")
        XCTAssertNil(table.session(id: first.id))
        XCTAssertNil(table.end(id: first.id))
        XCTAssertEqual(table.endAll(userID: "chi"), 1)
        XCTAssertNil(table.session(id: second.id))
        XCTAssertNotNil(table.session(id: other.id))
        XCTAssertNil(table.session(id: "not-a-session"))
    }

    func testPurgeDropsOnlyStaleSessions() throws {
        _ = try table.create(userID: "old")
        clock.advance(by: 20 * 60)
        let fresh = try table.create(userID: "fresh")
        clock.advance(by: 15 * 60)
        XCTAssertEqual(table.purgeExpired(), 1)
        XCTAssertEqual(table.count, 1)
        XCTAssertNotNil(table.session(id: fresh.id))
    }

    func testCSRFTokenIsBoundToItsSession() throws {
        let mine = try table.create(userID: "em")
        let theirs = try table.create(userID: "giang")
        XCTAssertNotEqual(mine.csrfToken, theirs.csrfToken)
        XCTAssertEqual(mine.csrfToken.count, 64)
        XCTAssertTrue(table.verifyCSRF(sessionID: mine.id, submitted: mine.csrfToken))
        XCTAssertFalse(table.verifyCSRF(sessionID: mine.id, submitted: theirs.csrfToken), "another session's token")
        let lastDigit = mine.csrfToken.last!
        let oneCharacterOff = String(mine.csrfToken.dropLast()) + (lastDigit == "0" ? "1" : "0")
        XCTAssertFalse(table.verifyCSRF(sessionID: mine.id, submitted: oneCharacterOff))
        XCTAssertFalse(table.verifyCSRF(sessionID: mine.id, submitted: nil))
        XCTAssertFalse(table.verifyCSRF(sessionID: mine.id, submitted: ""))
        XCTAssertFalse(table.verifyCSRF(sessionID: "unknown", submitted: mine.csrfToken))
        table.end(id: mine.id)
        XCTAssertFalse(table.verifyCSRF(sessionID: mine.id, submitted: mine.csrfToken), "no session, no token")
    }

    func testCookieAttributes() throws {
        let session = try table.create(userID: "ha")
        let plain = SessionCookie.setCookie(for: session, secure: false, now: clock.now)
        XCTAssertEqual(plain, "hotline_session=\(session.id); Path=/; Max-Age=43200; HttpOnly; SameSite=Strict")
        let secure = SessionCookie.setCookie(for: session, secure: true, now: clock.now)
        XCTAssertTrue(secure.hasSuffix("; HttpOnly; SameSite=Strict; Secure"))
        XCTAssertEqual(SessionCookie.clearCookie(secure: true),
                       "hotline_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure")
    }
}

final class ThrottleTests: XCTestCase {
    private let clock = TestClock()
    private lazy var throttle = SignInThrottle(now: clock.function)

    func testDelayGrowsAfterThreeFailuresThenLocksFor15MinutesAfterTen() {
        for _ in 0..<3 { throttle.recordFailure(user: "an", address: "10.0.0.1") }
        XCTAssertEqual(throttle.check(user: "an", address: "10.0.0.1"), .allowed, "three free failures")

        var delays: [TimeInterval] = []
        for _ in 3..<9 {
            let decision = throttle.recordFailure(user: "an", address: "10.0.0.1")
            guard case .wait(let until, .user) = decision else { return XCTFail("expected a wait, got \(decision)") }
            XCTAssertEqual(throttle.check(user: "An ", address: "10.0.0.1"), decision, "user names are normalized")
            delays.append(until.timeIntervalSince(clock.now))
            clock.advance(by: until.timeIntervalSince(clock.now))
            XCTAssertEqual(throttle.check(user: "an", address: "10.0.0.1"), .allowed)
        }
        XCTAssertEqual(delays, [2, 4, 8, 16, 32, 60])

        throttle.recordFailure(user: "an", address: "10.0.0.1")  // 10th
        let locked = throttle.check(user: "an", address: "10.0.0.1")
        XCTAssertEqual(locked, .locked(until: clock.now.addingTimeInterval(15 * 60), scope: .user))
        XCTAssertEqual(locked.message(now: clock.now),
                       "Tài khoản hoặc máy này tạm bị khoá do đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.")
        XCTAssertTrue(throttle.check(user: "an", address: "10.0.0.2").isAllowed == false, "locked from anywhere")
        clock.advance(by: 15 * 60 - 1)
        XCTAssertFalse(throttle.check(user: "an", address: "10.0.0.3").isAllowed)
        clock.advance(by: 1)
        XCTAssertEqual(throttle.check(user: "an", address: "10.0.0.3"), .allowed, "the lock runs out")
        XCTAssertEqual(throttle.failures(user: "an"), 0)
    }

    func testSuccessClearsTheUserButNotTheAddress() {
        for _ in 0..<5 { throttle.recordFailure(user: "binh", address: "10.0.0.9") }
        XCTAssertEqual(throttle.failures(user: "binh"), 5)
        clock.advance(by: 120)
        throttle.recordSuccess(user: "binh", address: "10.0.0.9")
        XCTAssertEqual(throttle.failures(user: "binh"), 0)
        // The address still carries its 5 failures toward its own limit (10 free, lock at 50).
        for index in 0..<5 { throttle.recordFailure(user: "user\(index)", address: "10.0.0.9") }
        let decision = throttle.recordFailure(user: "user5", address: "10.0.0.9")
        guard case .wait(_, .address) = decision else { return XCTFail("expected an address wait, got \(decision)") }
    }

    func testOneAddressGuessingManyUsersIsLocked() {
        for index in 0..<50 {
            clock.advance(by: 31)  // past the longest wait, so every attempt is counted
            throttle.recordFailure(user: "user\(index)", address: "203.0.113.7")
        }
        guard case .locked(_, .address) = throttle.check(user: "fresh-user", address: "203.0.113.7") else {
            return XCTFail("the address should be locked")
        }
        XCTAssertEqual(throttle.check(user: "fresh-user", address: "203.0.113.8"), .allowed)
    }

    func testIPv6AddressesCountPerSlash64() {
        XCTAssertEqual(SignInThrottle.addressKey("2001:db8:1:2:aaaa::1"), "2001:0db8:0001:0002::/64")
        XCTAssertEqual(SignInThrottle.addressKey("2001:db8:1:2:bbbb::9"), SignInThrottle.addressKey("2001:db8:1:2::5"))
        XCTAssertEqual(SignInThrottle.addressKey("10.1.2.3"), "10.1.2.3")
        for index in 0..<50 {
            clock.advance(by: 31)
            throttle.recordFailure(user: "user\(index)", address: "2001:db8:1:2::\(String(index, radix: 16))")
        }
        XCTAssertFalse(throttle.check(user: "x", address: "2001:db8:1:2:ffff::1").isAllowed)
        XCTAssertTrue(throttle.check(user: "x", address: "2001:db8:1:3::1").isAllowed)
    }

    func testOldFailuresAreForgottenAndAdminCanUnlock() {
        for _ in 0..<5 { throttle.recordFailure(user: "chi", address: "a") }
        clock.advance(by: 3600)
        XCTAssertEqual(throttle.failures(user: "chi"), 0)
        XCTAssertEqual(throttle.check(user: "chi", address: "a"), .allowed)
        for _ in 0..<10 { throttle.recordFailure(user: "dung", address: "b\(Int.random(in: 0...1_000_000))") }
        XCTAssertFalse(throttle.check(user: "dung", address: "c").isAllowed)
        throttle.unlock(user: "dung")
        XCTAssertEqual(throttle.check(user: "dung", address: "c"), .allowed)
    }

    func testMemoryIsBounded() {
        let small = SignInThrottle(maxKeys: 10, now: clock.function)
        for index in 0..<100 {
            clock.advance(by: 1)
            small.recordFailure(user: "u\(index)", address: "x")
        }
        XCTAssertEqual(small.failures(user: "u99"), 1)
        XCTAssertEqual(small.failures(user: "u0"), 0, "the oldest key made room")
    }
}
