import Foundation
import Gateway
import HotlineCore
import HotlineStore
import IVR

/// The gateway's way into the domain core: files a finished call as a draft ticket and answers status
/// questions, all on one serial queue that owns the store connection, so neither SQLite nor hashing ever
/// runs on the gateway's or PJSIP's threads.
public final class PhoneDesk: ReportDesk, @unchecked Sendable {
    private let store: TicketStore
    private let queue = DispatchQueue(label: "hotline1022.desk")
    private let logger: GatewayLogger

    /// "calendar", "always" or "never" (see `serve --office-hours`).
    private let officeHoursMode: String

    private let calendar: WorkingCalendar

    /// Told of each draft stored or not, with its commit time (metrics); set once, before the first call.
    public var onDraftStored: (@Sendable (_ seconds: Double, _ interrupted: Bool, _ succeeded: Bool) -> Void)?

    public init(store: TicketStore, logger: GatewayLogger, calendar: WorkingCalendar, officeHoursMode: String = "calendar") {
        self.store = store
        self.logger = logger
        self.calendar = calendar
        self.officeHoursMode = officeHoursMode
    }

    /// Pauses between attempts when the store fails (a locked or full database): about 7 s in all, then
    /// the call hears the apology and the recording's sidecar makes the next start-up file the draft.
    public static let retryDelays: [Double] = [0.5, 2, 4.5]

    public func submit(_ report: PhoneDraft, completion: @escaping @Sendable (Result<String, ReportDeskError>) -> Void) {
        queue.async { [self] in attempt(report, retriesLeft: PhoneDesk.retryDelays[...], completion: completion) }
    }

    private func attempt(_ report: PhoneDraft, retriesLeft: ArraySlice<Double>,
                         completion: @escaping @Sendable (Result<String, ReportDeskError>) -> Void) {
        let result = store(report)
        guard case .failure(let error) = result, let delay = retriesLeft.first else {
            completion(result)
            return
        }
        logger.log(.warning, "draft-store-retry", [("call", report.callID), ("error", error.message)])
        queue.asyncAfter(deadline: .now() + delay) { [self] in
            attempt(report, retriesLeft: retriesLeft.dropFirst(), completion: completion)
        }
    }

    /// Stores synchronously (on the desk's queue, or at start-up before calls are taken).
    public func store(_ report: PhoneDraft) -> Result<String, ReportDeskError> {
        var path = report.recordingPath
        var sha: String?
        if let p = path {
            do {
                sha = try SHA256.hexOfFile(atPath: p)
            } catch {
                logger.log(.error, "recording-unreadable", [("call", report.callID), ("error", "\(error)")])
                path = FileManager.default.fileExists(atPath: p) ? p : nil
            }
        }
        var draft = report
        draft.recordingPath = path
        draft.recordingSHA256 = sha
        let started = DispatchTime.now().uptimeNanoseconds
        let result: Result<String, ReportDeskError>
        do {
            result = .success(try store.createPhoneDraft(draft, calendar: calendar))
        } catch {
            result = .failure(ReportDeskError("\(error)"))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        onDraftStored?(seconds, report.interrupted, (try? result.get()) != nil)
        return result
    }

    public func lookup(_ query: StatusQuery, callerNumber: String, completion: @escaping @Sendable (SpokenStatus) -> Void) {
        queue.async { [self] in
            do {
                completion(try spokenStatus(query, callerNumber: callerNumber))
            } catch {
                logger.log(.error, "status-lookup-failed", [("error", "\(error)")])
                completion(.notFound)
            }
        }
    }

    /// The caller's rating, stored by the citizen (the store's `rate` with no agent), on the desk's queue. The
    /// store refuses a second rating of the same result; the caller is thanked either way, the log says which.
    public func rate(_ query: StatusQuery, score: Int, callerNumber: String, completion: @escaping @Sendable (Bool) -> Void) {
        queue.async { [self] in
            do {
                guard let code = try trackingCode(query, callerNumber: callerNumber) else {
                    completion(false)
                    return
                }
                try store.rate(code, score: score, comment: "", at: Date())
                completion(true)
            } catch {
                logger.log(.info, "rating-refused", [("error", "\(error)")])
                completion(false)
            }
        }
    }

    private func trackingCode(_ query: StatusQuery, callerNumber: String) throws -> String? {
        switch query {
        case .code(let c): c
        case .latestForCaller: callerNumber.isEmpty ? nil : try store.latestTrackingCode(callerNumber: callerNumber)
        }
    }

    private func spokenStatus(_ query: StatusQuery, callerNumber: String) throws -> SpokenStatus {
        guard let code = try trackingCode(query, callerNumber: callerNumber), let summary = try store.phoneStatus(trackingCode: code, now: Date()) else { return .notFound }
        return PhoneDesk.spoken(summary)
    }

    public func isOfficeHours(_ date: Date) -> Bool {
        switch officeHoursMode {
        case "always": true
        case "never": false
        default: calendar.isOfficeHours(date)
        }
    }

    /// The words a caller hears for a ticket's status: status, unit, date; never a person's data.
    public static func spoken(_ s: PhoneStatusSummary) -> SpokenStatus {
        let unit = s.unitCode.map { PromptName("unit-" + $0.lowercased()) }
        if s.overdue { return .overdue(unitPrompt: unit) }
        switch s.status {
        case .draft: return .waiting
        case .forwarded, .accepted, .transferred, .returned: return .forwarded(unitPrompt: unit)
        case .inProgress, .resolved: return .inProgress(unitPrompt: unit)
        case .completed:
            guard let at = s.completedAt else { return .inProgress(unitPrompt: unit) }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TrackingCode.timeZone
            let c = calendar.dateComponents([.year, .month, .day], from: at)
            return .completed(year: c.year!, month: c.month!, day: c.day!)
        case .refused: return .refused
        case .merged: return .forwarded(unitPrompt: unit)
        case .withdrawn: return .withdrawn
        }
    }
}
