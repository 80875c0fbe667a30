import Foundation
import HotlineCore
import HotlineStore

/// A step a unit member takes on a ticket their unit handles (Art. 8).
public enum UnitStep: Sendable, Equatable {
    case accept
    case progress(note: String)
    /// A committed date after now, within 15 days of receipt, with a progress report and evidence (Art. 8.2e).
    case extend(until: Date, note: String)
    /// What was done, in words the citizen receives, with evidence of this step (Art. 8.1c).
    case resolve(result: String)
    case transfer(to: String, reason: String, fieldCheck: Bool)
    case giveBack(reason: String)
}

public struct UnitStepRequest: Sendable {
    public var code: String
    public var step: UnitStep
    /// Evidence files: copied into the store's folder with their SHA-256 and attached in the step's transaction.
    public var evidence: [String]
    public init(code: String, step: UnitStep, evidence: [String] = []) {
        (self.code, self.step, self.evidence) = (code, step, evidence)
    }
}

/// A ticket as a unit member reads it: with a confidentiality request (Art. 10), the content but not who
/// reported it.
public struct UnitCaseView: Encodable, Sendable {
    public let ticket: Ticket
    public let notes: [CaseNote]
    /// True when the reporter's name, phone, address and email were withheld.
    public let reporterWithheld: Bool
}

extension Desk {
    /// A unit's open tickets by deadline; with no unit given, the member's own.
    public func inbox(_ unit: String?, as user: User) throws -> [WorkItem] {
        guard let typed = unit ?? user.unitCode else {
            // Only a unit's members have an inbox of their own: anyone else is refused as such.
            if user.role != .unit { try check(user, .unitWork(unit: "của đơn vị")) }
            throw DeskError.invalidField(.unit, reason: "cần mã đơn vị (chỉ cán bộ đơn vị có đơn vị của mình)")
        }
        let code = try unitCode(typed)
        try check(user, .unitWork(unit: code))
        return try store.unitInbox(code)
    }

    /// One step by a member of the ticket's unit; evidence copies a refused step made are removed again.
    public func unitStep(_ r: UnitStepRequest, as user: User) throws -> Ticket {
        for file in r.evidence {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw DeskError.notFound(.file, file)
            }
        }
        let action: TicketAction
        var fieldCheck = false
        switch r.step {
        case .accept: action = .accept
        case .progress(let note):
            action = .progress(note: try required(note, .note, "nội dung tiến độ (Art. 8.2e)"))
        case .extend(let until, let note):
            action = .extend(until: until, note: try required(note, .note, "báo cáo tiến độ (Art. 8.2e)"), evidenceCount: 0)
        case .resolve(let result):
            action = .resolve(result: try required(result, .result, "đã làm gì, cụ thể; nội dung này được gửi tới người phản ánh (Art. 8.1c)"),
                              evidenceCount: 0)
        case .transfer(let to, let reason, let check):
            fieldCheck = check
            action = .transfer(to: try unitCode(to), reason: try required(reason, .reason, "vì sao chuyển (Art. 8.2f)"))
        case .giveBack(let reason):
            action = .giveBack(reason: try required(reason, .reason, "lý do và kết quả xác minh (Art. 8.1a)"))
        }
        // The ticket's unit is checked before any file is copied, and again inside the step's transaction.
        try check(user, .unitWork(unit: try ticket(r.code).unitCode ?? "(chưa có đơn vị)"))
        var copies: [(path: String, isNew: Bool)] = []
        do {
            for file in r.evidence { copies.append(try store.importEvidence(file, for: r.code)) }
            return try store.unitStep(action, on: r.code, evidence: copies.map(\.path), fieldCheck: fieldCheck, by: user,
                                      at: now(), context: try context()) { t in
                try self.check(user, .unitWork(unit: t.unitCode ?? "(chưa có đơn vị)"))
            }
        } catch {
            for copy in copies where copy.isNew { try? FileManager.default.removeItem(atPath: copy.path) }
            throw error
        }
    }

    /// A ticket as its reader may see it: the hotline whole; a member of the ticket's unit whole unless the
    /// citizen asked for confidentiality, then without who reported it (Art. 10).
    public func readTicket(_ code: String, as user: User) throws -> UnitCaseView {
        let t = try ticket(code)
        try check(user, .readTicket(unit: t.unitCode))
        let withhold = user.role == .unit && t.confidential
        var shown = t
        if withhold { shown.reporter = Reporter(name: "(bảo mật)", phone: "", address: "(bảo mật)", email: "") }
        return UnitCaseView(ticket: shown, notes: try caseNotes(code), reporterWithheld: withhold)
    }

    /// A ticket's audit log, for those who may read the ticket.
    public func history(_ code: String, as user: User) throws -> [AuditEntry] {
        let t = try ticket(code)
        try check(user, .readTicket(unit: t.unitCode))
        return try store.history(code)
    }

    /// What anyone may read of a ticket (Art. 9.2): no user needed.
    public func publicView(_ code: String) throws -> PublicTicket {
        guard let v = try store.publicView(code, now: now()) else { throw DeskError.notFound(.ticket, code) }
        return v
    }
}
