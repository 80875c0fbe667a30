import Foundation
import XCTest

@testable import HotlineCore

final class TicketLifecycleTests: XCTestCase {
    let received = Date(timeIntervalSince1970: 1_800_000_000)

    func step(_ s: TicketStatus, _ a: TicketAction, _ r: Role) throws -> TicketStatus {
        try TicketLifecycle.next(s, a, by: r, receivedAt: received)
    }

    func assertRefused(_ s: TicketStatus, _ a: TicketAction, _ r: Role, article: String, file: StaticString = #filePath,
                       line: UInt = #line) {
        XCTAssertThrowsError(try step(s, a, r), file: file, line: line) { error in
            guard case .invalidStep(_, let from, _, let a)? = error as? DeskError else {
                return XCTFail("\(error)", file: file, line: line)
            }
            XCTAssertEqual(a, article, "\(error)", file: file, line: line)
            XCTAssertEqual(from, s, file: file, line: line)
        }
    }

    func testTheHappyPathFromDraftToCompleted() throws {
        var s = TicketStatus.draft
        s = try step(s, .forward(unit: "SXD"), .hotline)
        XCTAssertEqual(s, .forwarded)
        s = try step(s, .accept, .unit)
        s = try step(s, .progress(note: "Đã cử đội sửa chữa"), .unit)
        XCTAssertEqual(s, .inProgress)
        s = try step(s, .extend(until: received.addingTimeInterval(10 * 86400), note: "Chờ vật tư", evidenceCount: 1), .unit)
        s = try step(s, .resolve(result: "Đã thay bóng đèn", evidenceCount: 2), .unit)
        XCTAssertEqual(s, .resolved)
        s = try step(s, .confirm, .hotline)
        XCTAssertEqual(s, .completed)
        assertRefused(s, .withdraw, .citizen, article: "Art. 8.5")
    }

    func testEvidenceRuleAndOnlyTheHotlineCompletes() {
        assertRefused(.inProgress, .resolve(result: "Đã thay bóng đèn", evidenceCount: 0), .unit, article: "Art. 8.1c")
        assertRefused(.resolved, .confirm, .unit, article: "Art. 8.5")
        assertRefused(.inProgress, .confirm, .hotline, article: "Art. 8.5")
        XCTAssertEqual(try step(.resolved, .reject(reason: "Ảnh không đúng địa điểm"), .hotline), .inProgress)
        assertRefused(.resolved, .reject(reason: ""), .hotline, article: "Art. 8.5")
    }

    func testExtensionsNeedAReportEvidenceAndAtMost15Days() {
        let fine = received.addingTimeInterval(15 * 86400)
        XCTAssertNoThrow(try step(.inProgress, .extend(until: fine, note: "x", evidenceCount: 1), .unit))
        assertRefused(.inProgress, .extend(until: fine.addingTimeInterval(60), note: "x", evidenceCount: 1), .unit, article: "Art. 8.2e")
        assertRefused(.inProgress, .extend(until: fine, note: " ", evidenceCount: 1), .unit, article: "Art. 8.2e")
        assertRefused(.inProgress, .extend(until: fine, note: "x", evidenceCount: 0), .unit, article: "Art. 8.2e")
    }

    func testRefusalsReturnsTransfersAndWithdrawals() throws {
        XCTAssertEqual(try step(.draft, .refuse(reason: "Nội dung khiếu nại, không thuộc phạm vi"), .hotline), .refused)
        assertRefused(.draft, .refuse(reason: ""), .hotline, article: "Art. 4.7")
        assertRefused(.forwarded, .refuse(reason: "x"), .hotline, article: "Art. 4.7")
        XCTAssertEqual(try step(.forwarded, .giveBack(reason: "Không thuộc địa bàn"), .unit), .returned)
        XCTAssertEqual(try step(.returned, .forward(unit: "PLC"), .hotline), .forwarded)
        XCTAssertEqual(try step(.accepted, .transfer(to: "CATP", reason: "Thuộc thẩm quyền công an"), .unit), .transferred)
        XCTAssertEqual(try step(.transferred, .accept, .unit), .accepted)
        assertRefused(.inProgress, .transfer(to: "CATP", reason: "x"), .unit, article: "Art. 8.2f")
        XCTAssertEqual(try step(.inProgress, .withdraw, .citizen), .withdrawn)
        assertRefused(.withdrawn, .forward(unit: "X"), .hotline, article: "Art. 8.5")
    }

    func testRolesAreChecked() {
        assertRefused(.draft, .forward(unit: "SXD"), .unit, article: "Art. 7.1")
        assertRefused(.forwarded, .accept, .hotline, article: "Art. 8")
        assertRefused(.inProgress, .resolve(result: "Đã thay bóng đèn", evidenceCount: 1), .hotline, article: "Art. 8.1c")
        assertRefused(.draft, .forward(unit: " "), .hotline, article: "Art. 7.3")
        assertRefused(.inProgress, .forward(unit: "SXD"), .hotline, article: "Art. 7.1")
    }
}
