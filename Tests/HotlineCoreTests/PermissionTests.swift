import HotlineCore
import XCTest

final class PermissionTests: XCTestCase {
    let agent = User(name: "lan", role: .agent)
    let supervisor = User(name: "minh", role: .supervisor)
    let unit = User(name: "gv1", role: .unit, unitCode: "P-GIAVIEN")
    let admin = User(name: "admin", role: .administrator)

    func allowed(_ u: User, _ op: Activity) -> Bool { (try? Permissions.check(u, op)) != nil }

    func testEachRoleDoesItsOwnWork() {
        let ops: [(Activity, [Bool])] = [
            // agent, supervisor, unit member, administrator
            (.hotlineWork, [true, true, false, false]),
            (.review, [true, true, false, false]),
            (.releaseOthersClaim, [false, true, false, false]),
            (.unitWork(unit: "P-GIAVIEN"), [false, false, true, false]),
            (.unitWork(unit: "SXD"), [false, false, false, false]),
            (.readTicket(unit: "P-GIAVIEN"), [true, true, true, false]),
            (.readTicket(unit: "SXD"), [true, true, false, false]),
            (.oversee, [true, true, false, true]),
            (.administer, [false, false, false, true]),
        ]
        for (op, expected) in ops {
            XCTAssertEqual([agent, supervisor, unit, admin].map { allowed($0, op) }, expected, "\(op)")
        }
    }

    func testADeniedStepSaysWhoMay() {
        XCTAssertThrowsError(try Permissions.check(agent, .unitWork(unit: "P-GIAVIEN"))) { error in
            let e = error as? DeskError
            guard case .forbidden(let user, _, _)? = e else { return XCTFail("\(error)") }
            XCTAssertEqual(user, "lan")
            XCTAssertTrue(e?.description.contains("tổng đài viên không xử lý thay đơn vị") == true, "\(error)")
        }
        XCTAssertThrowsError(try Permissions.check(unit, .unitWork(unit: "SXD"))) {
            XCTAssertTrue("\($0)".contains("P-GIAVIEN") && "\($0)".contains("SXD"), "\($0)")
        }
    }

    func testADisabledUserMayDoNothing() {
        var off = supervisor
        off.active = false
        XCTAssertFalse(allowed(off, .hotlineWork))
        XCTAssertFalse(allowed(off, .oversee))
    }

    func testRolesMapOntoTheLifecycle() {
        XCTAssertEqual(agent.lifecycleRole, .hotline)
        XCTAssertEqual(supervisor.lifecycleRole, .hotline)
        XCTAssertEqual(unit.lifecycleRole, .unit)
        XCTAssertNil(admin.lifecycleRole)
        XCTAssertTrue(User.isValidName("nguyen.van-a_2"))
        XCTAssertFalse(User.isValidName("Nguyễn"))
        XCTAssertFalse(User.isValidName(""))
    }
}
