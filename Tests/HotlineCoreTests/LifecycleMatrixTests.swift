import Foundation
import XCTest

@testable import HotlineCore

/// Every status × step × role: the legal edges give exactly the expected status; every other combination is
/// refused with an error naming the step, the status it was tried from, and an article.
final class LifecycleMatrixTests: XCTestCase {
    let received = Date(timeIntervalSince1970: 1_800_000_000)

    var actions: [TicketAction] {
        [.forward(unit: "SXD"), .accept, .progress(note: "Đang xử lý"),
         .extend(until: received.addingTimeInterval(7 * 86400), note: "Chờ vật tư", evidenceCount: 1),
         .resolve(result: "Đã sửa xong", evidenceCount: 1), .confirm, .reject(reason: "Thiếu ảnh"), .giveBack(reason: "Không thuộc địa bàn"),
         .transfer(to: "CATP", reason: "Thẩm quyền công an"), .refuse(reason: "Khiếu nại"), .withdraw,
         .seekGuidance(reason: "Nhiều đơn vị"), .markDuplicate(of: "20260610-0000001"), .reopen(reason: "Chưa dứt điểm")]
    }

    /// The legal edges: "status action role" → next status.
    let legal: [String: TicketStatus] = [
        "draft forward hotline": .forwarded, "returned forward hotline": .forwarded,
        "draft seek-guidance hotline": .forwarded, "returned seek-guidance hotline": .forwarded,
        "draft refuse hotline": .refused, "draft mark-duplicate hotline": .merged,
        "forwarded accept unit": .accepted, "transferred accept unit": .accepted,
        "accepted progress unit": .inProgress, "in_progress progress unit": .inProgress,
        "accepted extend unit": .inProgress, "in_progress extend unit": .inProgress,
        "accepted resolve unit": .resolved, "in_progress resolve unit": .resolved,
        "resolved confirm hotline": .completed, "resolved reject hotline": .inProgress,
        "forwarded return unit": .returned, "accepted return unit": .returned, "transferred return unit": .returned,
        "forwarded transfer unit": .transferred, "accepted transfer unit": .transferred,
        "completed reopen hotline": .inProgress,
    ]

    func testEveryEdge() {
        var legalSeen = 0
        for status in TicketStatus.allCases {
            for action in actions {
                for role in Role.allCases {
                    let key = "\(status.rawValue) \(action.name) \(role.rawValue)"
                    var expected = legal[key]
                    if action == .withdraw, role == .citizen, status.isOpen { expected = .withdrawn }
                    do {
                        let next = try TicketLifecycle.next(status, action, by: role, receivedAt: received)
                        XCTAssertEqual(next, expected, key)
                        legalSeen += 1
                    } catch let e as DeskError {
                        guard case .invalidStep(let step, let from, _, let article) = e else { return XCTFail("\(key): \(e)") }
                        XCTAssertNil(expected, "\(key) should be legal: \(e)")
                        XCTAssertEqual(step, action.name, key)
                        XCTAssertEqual(from, status, key)
                        XCTAssertTrue(article.hasPrefix("Art. "), key)
                        XCTAssertTrue(e.description.contains(status.rawValue), key)
                    } catch {
                        XCTFail("\(key): \(error)")
                    }
                }
            }
        }
        XCTAssertEqual(legalSeen, legal.count + TicketStatus.allCases.filter(\.isOpen).count)
    }
}
