import Foundation

/// A moment in a ticket's life the store keeps in a column of its own.
public enum TicketTimestamp: String, Sendable, CaseIterable {
    case forwardedAt = "forwarded_at", resolvedAt = "resolved_at", completedAt = "completed_at"
}

/// One line the audit log gets for a step.
public struct AuditRecord: Sendable, Equatable {
    public var action: String
    public var before: [String: String?]?
    public var after: [String: String?]?
    public init(action: String, before: [String: String?]?, after: [String: String?]?) {
        (self.action, self.before, self.after) = (action, before, after)
    }
}

/// A message to the citizen the step queues (rendered from the administrators' templates by the store).
public struct CitizenMessage: Sendable, Equatable {
    public var kind: NotificationKind
    public var values: [String: String]
    public init(_ kind: NotificationKind, _ values: [String: String] = [:]) {
        (self.kind, self.values) = (kind, values)
    }
}

/// What one step decides: the ticket's new state and the step's effects. The store persists all of it in one
/// transaction and decides nothing.
public struct WorkflowDecision: Sendable, Equatable {
    public var status: TicketStatus
    public var unitCode: String?
    public var awaitingGuidance: Bool
    public var responseDueAt: Date?
    /// The deadline of the new step (Art. 7–8), computed, never typed in.
    public var dueAt: Date?
    public var stepStartedAt: Date
    /// Timestamps the step sets (a date) or clears (nil); those not named stay as they are.
    public var timestamps: [TicketTimestamp: Date?]
    /// Set on a refusal: the reason the citizen receives.
    public var refusalReason: String?
    /// Set on a result: what the unit did, in the words the citizen receives.
    public var resultText: String??
    /// A reopened ticket's rating belongs to the result the citizen rejected; the next result is rated anew.
    public var clearsRating: Bool
    public var audit: AuditRecord
    public var message: CitizenMessage?
}

/// The ticket lifecycle with its effects, as a pure function: the ticket, the step, who takes it, the unit
/// directory, the calendar and now in; the decision out, or a `DeskError` naming the rule.
public enum TicketWorkflow {
    /// Decides one step. `evidenceSinceStep` counts the evidence files attached since the ticket's current step
    /// began: a result or an extension brings evidence of its own (seed 000, 6b: results "done" on the strength
    /// of nothing, or of an older photo).
    public static func decide(_ t: Ticket, _ action: TicketAction, by role: Role, at now: Date,
                              evidenceSinceStep: Int, directory: UnitDirectory, calendar: WorkingCalendar)
        throws -> WorkflowDecision
    {
        var checked = action
        switch action {
        case .resolve(let result, _): checked = .resolve(result: result, evidenceCount: evidenceSinceStep)
        case .extend(let until, let note, _):
            checked = .extend(until: until, note: note, evidenceCount: evidenceSinceStep)
            guard until > now else {
                throw DeskError.invalidField(.until, reason: "ngày cam kết \(DeskClock.text(until)) đã qua; chọn một ngày sau hôm nay "
                                                 + "và không quá 15 ngày kể từ khi tiếp nhận (Art. 8.2e)")
            }
        default: break
        }
        let next = try TicketLifecycle.next(t.status, checked, by: role, receivedAt: t.receivedAt)

        var unit = t.unitCode
        var guidance = t.awaitingGuidance
        var responseDue = t.responseDueAt
        var timestamps: [TicketTimestamp: Date?] = [:]
        var refusal: String?
        var result: String??
        var message: CitizenMessage?
        var after: [String: String?] = ["status": next.rawValue]

        func knownUnit(_ code: String) throws -> String {
            let c = code.trimmingCharacters(in: .whitespaces)
            if directory.units.isEmpty { return c }
            guard let u = directory.unit(c) else { throw DeskError.notFound(.unit, c) }
            return u.code
        }
        func unitName(_ code: String?) -> String { code.flatMap { directory.unit($0)?.name } ?? code ?? "" }
        func acknowledgement(_ to: String?) -> CitizenMessage {
            CitizenMessage(t.recurrenceOf == nil ? .acknowledgement : .recurrence,
                           ["unit": unitName(to), "original": t.recurrenceOf ?? ""])
        }

        switch checked {
        case .forward(let to):
            unit = try knownUnit(to)
            // Whoever forwards (an agent, the portal), a directive goes to the City Office (Art. 7.2).
            if t.category == .directive, let office = directory.cityOffice?.code, unit != office {
                throw DeskError.invalidStep(step: action.name, status: t.status,
                                            reason: "nội dung đã có chỉ đạo chuyển Văn phòng UBND TP (\(office)), không chuyển \(to)",
                                            article: "Art. 7.2")
            }
            guidance = false
            timestamps[.forwardedAt] = now
            if responseDue == nil {
                responseDue = DeadlinePolicy.responseStep(category: t.category, receivedAt: t.receivedAt).due(calendar)
            }
            message = acknowledgement(unit)
        case .seekGuidance(let reason):
            guard let office = directory.cityOffice?.code ?? (directory.units.isEmpty ? "VPUBND" : nil) else {
                throw DeskError.notFound(.unit, "Văn phòng UBND TP (kind city_office)")
            }
            unit = office
            guidance = true
            timestamps[.forwardedAt] = now
            after["reason"] = reason
            message = acknowledgement(office)
        case .extend(let until, let note, _):
            responseDue = until
            after["note"] = note
            after["until"] = ISO8601DateFormatter().string(from: until)
        case .progress(let note): after["note"] = note
        case .resolve(let text, _):
            timestamps[.resolvedAt] = now
            result = .some(text.trimmingCharacters(in: .whitespacesAndNewlines))
            after["result"] = text
        case .confirm:
            timestamps[.completedAt] = now
            // The unit's own words, as one sentence of the message.
            let result = (t.resultText ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            message = CitizenMessage(.result, ["result": result.isEmpty || ".!?".contains(result.last!) ? result : result + "."])
        case .reject(let reason):
            timestamps[.resolvedAt] = .some(nil)
            after["reason"] = reason
        case .reopen(let reason):
            timestamps[.resolvedAt] = .some(nil)
            timestamps[.completedAt] = .some(nil)
            after["reason"] = reason
        case .giveBack(let reason):
            after["reason"] = reason
            after["from_unit"] = unit
            unit = nil
            guidance = false
        case .transfer(let to, let reason):
            unit = try knownUnit(to)
            // The City Office answering a guidance request forwards the case to the competent unit: the
            // case no longer waits for guidance (Art. 7.4).
            guidance = false
            after["reason"] = reason
            timestamps[.forwardedAt] = now
        case .refuse(let reason):
            refusal = reason
            message = CitizenMessage(.refusal, ["reason": reason])
        case .accept, .withdraw, .markDuplicate: break
        }
        if unit != t.unitCode { after["unit"] = unit }
        let due = DeadlinePolicy.due(status: next, category: t.category, receivedAt: t.receivedAt, stepStartedAt: now,
                                     awaitingGuidance: guidance, responseDueAt: responseDue, calendar: calendar)
        return WorkflowDecision(
            status: next, unitCode: unit, awaitingGuidance: guidance, responseDueAt: responseDue, dueAt: due,
            stepStartedAt: now, timestamps: timestamps, refusalReason: refusal, resultText: result,
            clearsRating: { if case .reopen = action { return true } else { return false } }(),
            audit: AuditRecord(action: action.name, before: ["status": t.status.rawValue, "unit": t.unitCode], after: after),
            message: message)
    }
}
