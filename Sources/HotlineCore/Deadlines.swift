import Foundation

/// Which deadline runs at each step, from the Regulation's table (DOMAIN.md). A pure function of the ticket's
/// state and the working-day calendar; the store calls it after every change and keeps the result for the
/// agent queue's index. Overdue is then `dueAt < now`, computed, never typed in.
public enum DeadlinePolicy {
    /// A step's deadline and the article it comes from.
    public struct Step: Equatable, Sendable {
        public var rule: DeadlineRule
        public var from: Date
        public var article: String
        public func due(_ calendar: WorkingCalendar) -> Date { rule.deadline(from: from, calendar: calendar) }
    }

    /// The hotline's step: receive, classify and forward (Art. 7.3: 60 minutes; Art. 8.3a: a suggestion within
    /// 1 working day). A ticket the unit returned starts the hotline's 60 minutes again from the return.
    public static func hotlineStep(category: Category?, receivedAt: Date, returnedAt: Date?) -> Step {
        if let returnedAt { return Step(rule: .minutes(60), from: returnedAt, article: "Art. 7.3") }
        if category == .suggestion { return Step(rule: .workingDays(1), from: receivedAt, article: "Art. 8.3a") }
        return Step(rule: .minutes(60), from: receivedAt, article: "Art. 7.3")
    }

    /// The City Office's guidance when no single unit can be named: 2 h in office hours, 4 h on days off (Art. 7.4).
    public static func guidanceStep(sentAt: Date) -> Step {
        Step(rule: .officeHoursOrDaysOff(inHours: 2, offHours: 4), from: sentAt, article: "Art. 7.4")
    }

    /// The unit's deadline to answer, counted from receipt (or, for infrastructure, the three steps of Art. 8.1:
    /// verify 2 h, dispatch 1 h, fix 4 h).
    public static func responseStep(category: Category?, receivedAt: Date) -> Step {
        switch category {
        case .infrastructure: Step(rule: .minutes((2 + 1 + 4) * 60), from: receivedAt, article: "Art. 8.1")
        case .suggestion: Step(rule: .calendarDays(10), from: receivedAt, article: "Art. 8.3")
        case .directive: Step(rule: .workingDays(10), from: receivedAt, article: "Art. 8.4")
        case .socioeconomic, nil: Step(rule: .workingDays(5), from: receivedAt, article: "Art. 8.2d")
        }
    }

    /// The deadline of the step a ticket is at; nil when no one owes anything (closed, or the hotline is
    /// reviewing a result, which the Regulation gives no clock).
    public static func due(status: TicketStatus, category: Category?, receivedAt: Date, stepStartedAt: Date,
                           awaitingGuidance: Bool, responseDueAt: Date?, calendar: WorkingCalendar) -> Date? {
        switch status {
        case .draft:
            return hotlineStep(category: category, receivedAt: receivedAt, returnedAt: nil).due(calendar)
        case .returned:
            return hotlineStep(category: category, receivedAt: receivedAt, returnedAt: stepStartedAt).due(calendar)
        case .forwarded where awaitingGuidance:
            return guidanceStep(sentAt: stepStartedAt).due(calendar)
        case .forwarded where category == .infrastructure:
            // Step 1 of Art. 8.1: verify within 2 h of receipt (the overall answer is due later).
            return min(DeadlineRule.minutes(120).deadline(from: receivedAt, calendar: calendar),
                       responseDueAt ?? .distantFuture)
        case .forwarded where category == .directive:
            // The City Office forwards a directive within 1 working day (Art. 8.4a).
            return min(DeadlineRule.workingDays(1).deadline(from: stepStartedAt, calendar: calendar),
                       responseDueAt ?? .distantFuture)
        case .forwarded, .accepted, .inProgress:
            return responseDueAt ?? responseStep(category: category, receivedAt: receivedAt).due(calendar)
        case .transferred:
            // The competent agency picks it up; the citizen's clock from receipt keeps running (Art. 8.2f).
            return responseDueAt ?? responseStep(category: category, receivedAt: receivedAt).due(calendar)
        case .resolved, .completed, .refused, .withdrawn, .merged:
            return nil
        }
    }

    /// A unit that finds a ticket is not its own has 1 working day from receipt to pass it on, 2 with a field
    /// check (Art. 8.2f).
    public static func transferWindow(receivedAt: Date, fieldCheck: Bool, calendar: WorkingCalendar) -> Date {
        DeadlineRule.workingDays(fieldCheck ? 2 : 1).deadline(from: receivedAt, calendar: calendar)
    }
}
