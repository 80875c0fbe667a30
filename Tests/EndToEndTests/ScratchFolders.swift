import Foundation
import XCTest

/// The test folders of the current test: removed when it passes, kept and named when it fails.
/// Registered once with XCTest's observation centre, so every test class gets it without a tearDown.
final class ScratchFolders: NSObject, XCTestObservation, @unchecked Sendable {
    static let shared: ScratchFolders = {
        let folders = ScratchFolders()
        XCTestObservationCenter.shared.addTestObserver(folders)
        return folders
    }()

    private let lock = NSLock()
    private var current: [String] = []

    func register(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        current.append(path)
    }

    func testCaseDidFinish(_ testCase: XCTestCase) {
        lock.lock()
        let folders = current
        current = []
        lock.unlock()
        if (testCase.testRun?.totalFailureCount ?? 0) > 0 {
            for folder in folders { print("\(testCase.name): gateway log, database, recordings and SIPp logs kept in \(folder)") }
        } else {
            for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
        }
    }
}
