import Foundation

/// Watches files for changes (polling their modification time once a second: cheap, and it survives editors
/// that replace the file).
public final class DialplanWatcher: @unchecked Sendable {
    private let timer: DispatchSourceTimer
    public init(paths: [String], queue: DispatchQueue, changed: @escaping @Sendable () -> Void) {
        func stamp() -> [Date?] {
            paths.map { (try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate]) as? Date }
        }
        var last = stamp()
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler {
            let now = stamp()
            if now != last {
                last = now
                changed()
            }
        }
        timer.resume()
    }

    public func stop() { timer.cancel() }
}
