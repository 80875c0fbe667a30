import Foundation
import XCTest

@testable import HotlineCore

final class SMSTextTests: XCTestCase {
    func testUnaccentedTextIsGSM7At160And153PerPart() {
        let one = String(repeating: "a", count: 160)
        XCTAssertEqual(SMSText.measure(one), SMSMeasure(encoding: .gsm7, characters: 160, units: 160, parts: 1))
        XCTAssertEqual(SMSText.measure(one + "b").parts, 2)
        XCTAssertEqual(SMSText.measure(String(repeating: "a", count: 306)).parts, 2)
        XCTAssertEqual(SMSText.measure(String(repeating: "a", count: 307)).parts, 3)
        XCTAssertEqual(SMSText.measure(String(repeating: "a", count: 159) + "€").units, 161, "the euro sign takes two septets")
        XCTAssertEqual(SMSText.measure(String(repeating: "a", count: 159) + "€").parts, 2)
        XCTAssertEqual(SMSText.measure("").parts, 1)
    }

    func testOneVietnameseLetterMakesItUCS2At70And67PerPart() {
        let base = String(repeating: "a", count: 69)
        XCTAssertEqual(SMSText.measure(base + "đ"), SMSMeasure(encoding: .ucs2, characters: 70, units: 70, parts: 1))
        XCTAssertEqual(SMSText.measure(base + "đa").parts, 2)
        XCTAssertEqual(SMSText.measure("ạ" + String(repeating: "a", count: 133)).parts, 2, "134 = 2 × 67")
        XCTAssertEqual(SMSText.measure("ạ" + String(repeating: "a", count: 134)).parts, 3)
        // Decomposed input (a letter and its combining marks) counts as the precomposed letter a phone shows.
        XCTAssertEqual(SMSText.measure("Vie\u{0323}\u{0302}t").units, 4)
        XCTAssertEqual(SMSText.measure("é").encoding, .gsm7, "é is in the GSM alphabet")
        XCTAssertEqual(SMSText.measure("ệ").encoding, .ucs2)
    }

    func testWithoutDiacriticsStripsEveryMarkAndD() {
        XCTAssertEqual(SMSText.withoutDiacritics("Đường Lạch Tray, quận Ngô Quyền: đã xử lý xong."),
                       "Duong Lach Tray, quan Ngo Quyen: da xu ly xong.")
        XCTAssertEqual(SMSText.measure(SMSText.withoutDiacritics("Tổng đài 1022 Hải Phòng đã tiếp nhận")).encoding, .gsm7)
    }

    func testTheShippedAcknowledgementCostsFewerPartsWithoutDiacritics() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let templates = try NotificationTemplates.load(path: root.appendingPathComponent("Config/templates.vi.json").path)
        let text = templates.render(.acknowledgement, NotificationTemplates.sampleValues)
        let accented = SMSText.measure(SMSText.prepare(text, policy: .keep))
        let plain = SMSText.measure(SMSText.prepare(text, policy: .strip))
        XCTAssertEqual(accented.encoding, .ucs2)
        XCTAssertEqual(plain.encoding, .gsm7)
        XCTAssertLessThan(plain.parts, accented.parts)
        XCTAssertEqual(SMSText.prepare(text, policy: .stripWhenShorter), SMSText.prepare(text, policy: .strip))
        XCTAssertEqual(SMSText.prepare("Đã nhận.", policy: .stripWhenShorter), "Đã nhận.", "one part either way: kept accented")
    }

    func testACodeOrALinkIsNeverCutAcrossParts() {
        // The code would start at unit 60 of the first 67-unit part and straddle the boundary.
        let code = "20261205-0134036"
        let text = "Phản ánh của Quý vị đã được tiếp nhận và chuyển xử lý, mã số " + code + ", tra cứu tại 1022.haiphong.gov.vn/tra-cuu hoặc gọi 0225.1022 để biết thêm chi tiết về kết quả."
        XCTAssertTrue(SMSText.parts(text).contains { $0.contains(code) } == false, "unprepared, the carrier's cut splits it")
        let laid = SMSText.laidOut(text)
        let parts = SMSText.parts(laid)
        XCTAssertGreaterThan(parts.count, 1)
        for token in [code, "1022.haiphong.gov.vn/tra-cuu", "0225.1022"] {
            XCTAssertEqual(parts.filter { $0.contains(token) }.count, 1, "\(token) whole in one part: \(parts)")
        }
        XCTAssertTrue(parts.dropLast().allSatisfy { SMSText.measure($0).units == 67 }, "full parts, padded with spaces")
        XCTAssertEqual(laid.replacingOccurrences(of: " +", with: " ", options: .regularExpression), text, "only spaces were added")
        XCTAssertEqual(SMSText.laidOut("Ngắn, mã số " + code), "Ngắn, mã số " + code, "one part: unchanged")
    }
}

final class VietnamPhoneTests: XCTestCase {
    func testEveryWayOfWritingAMobileIsOneE164Number() throws {
        for typed in ["0912345678", "0912 345 678", "+84 912 345 678", "84912345678", "0084912345678", "091-234-5678"] {
            let phone = try XCTUnwrap(VietnamPhone(typed), typed)
            XCTAssertEqual(phone.e164, "84912345678", typed)
            XCTAssertEqual(phone.national, "0912345678", typed)
            XCTAssertEqual(phone.kind, .mobile)
        }
        XCTAssertEqual(VietnamPhone("0386123456")?.kind, .mobile)
        XCTAssertEqual(VietnamPhone("0786123456")?.kind, .mobile)
    }

    func testLandlinesForeignAndMalformedNumbersGetNoSMSWithAReason() {
        XCTAssertEqual(VietnamPhone("02253842000")?.kind, .landline)
        guard case .failure(let landline) = VietnamPhone.textable("0225 3842 000") else { return XCTFail() }
        XCTAssertEqual(landline.code, "landline")
        XCTAssertTrue(landline.reason.contains("số cố định"), landline.reason)
        for bad in ["+14155550123", "1900561022", "091234567", "09123456789", "0912abc678", "", "0112345678"] {
            guard case .failure(let why) = VietnamPhone.textable(bad) else { return XCTFail("\(bad) is not a Vietnamese mobile") }
            XCTAssertEqual(why.code, "not-vietnamese-mobile", bad)
        }
    }
}
