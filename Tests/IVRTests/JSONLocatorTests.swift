import Foundation
import XCTest

@testable import IVR

/// Where the validator's JSON paths are written in the text: the editor's line and column for each problem.
final class JSONLocatorTests: XCTestCase {
    func testPathsAreFoundOnTheirLinesAndColumns() {
        let text = """
            {
              "version": "v1",
              "unitPrompts": ["unit-a", "unit-b"],
              "nodes": {
                "main": { "type": "menu",
                  "options": { "1": "x", "*": "@repeat" } }
              }
            }
            """
        let locator = JSONLocator(Data(text.utf8))
        XCTAssertEqual(locator.position(of: "$.version"), .init(line: 2, column: 3))
        XCTAssertEqual(locator.position(of: "$.unitPrompts[1]"), .init(line: 3, column: 29))
        XCTAssertEqual(locator.position(of: "$.nodes.main.type"), .init(line: 5, column: 15))
        XCTAssertEqual(locator.position(of: "$.nodes.main.options.*"), .init(line: 6, column: 30))
        XCTAssertEqual(locator.position(of: "$.nodes.main.next"), .init(line: 5, column: 5), "a missing key: the object that lacks it")
        XCTAssertEqual(locator.position(of: "$"), .init(line: 1, column: 1))
    }

    func testColumnsCountCharactersAndCRLFLinesCountOnce() {
        let text = "{\r\n  \"mô tả\": \"Tổng đài\", \"start\": 1\r\n}"
        XCTAssertEqual(JSONLocator(Data(text.utf8)).position(of: "$.start"), .init(line: 2, column: 24))
        let broken = Data("{\r\n  \"a\": 1,\r\n  \"b\" :: 2\r\n}".utf8)
        let (position, message) = JSONLocator.syntaxError(in: broken)!
        XCTAssertEqual(position?.line, 3, message)
        XCTAssertNil(JSONLocator.syntaxError(in: Data("{}".utf8)))
    }
}
