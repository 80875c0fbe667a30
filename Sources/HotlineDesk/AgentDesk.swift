import Foundation
import HotlineCore
import HotlineStore

/// What an agent types in from a recording (Art. 6): to complete a case, or to send it for guidance.
public struct CaseDetails: Sendable, Equatable {
    public var name: String
    public var address: String
    public var summary: String
    public var category: HotlineCore.Category?
    public var topic: Topic?
    public var ward: String
    public var content: String?
    public var email: String?
    public var confidential: Bool?
    public init(name: String = "", address: String = "", summary: String = "", category: HotlineCore.Category? = nil,
                topic: Topic? = nil, ward: String = "", content: String? = nil, email: String? = nil,
                confidential: Bool? = nil) {
        (self.name, self.address, self.summary, self.category, self.topic) = (name, address, summary, category, topic)
        (self.ward, self.content, self.email, self.confidential) = (ward, content, email, confidential)
    }

    /// The fields Art. 6 needs and routing uses, missing from these details, in form order.
    public var missingFields: [DeskField] {
        var missing: [DeskField] = []
        if name.trimmingCharacters(in: .whitespaces).isEmpty { missing.append(.name) }
        if address.trimmingCharacters(in: .whitespaces).isEmpty { missing.append(.address) }
        if summary.trimmingCharacters(in: .whitespaces).isEmpty { missing.append(.summary) }
        if category == nil { missing.append(.category) }
        if topic == nil { missing.append(.topic) }
        if ward.trimmingCharacters(in: .whitespaces).isEmpty { missing.append(.ward) }
        return missing
    }
}

public struct CompleteRequest: Sendable {
    public var code: String
    public var details: CaseDetails
    /// nil: the router's suggestion.
    public var unit: String?
    public init(code: String, details: CaseDetails, unit: String? = nil) {
        (self.code, self.details, self.unit) = (code, details, unit)
    }
}

public struct GuidanceRequest: Sendable {
    public var code: String
    public var details: CaseDetails
    public var reason: String
    public init(code: String, details: CaseDetails, reason: String) {
        (self.code, self.details, self.reason) = (code, details, reason)
    }
}

/// Everything an agent sees about a case.
public struct AgentCaseView: Encodable, Sendable {
    public let ticket: Ticket
    public let claim: Claim?
    /// The recording's SHA-256 computed again and compared with the stored one; nil with no recording.
    public let recordingVerified: Bool?
    /// The same for each of the case's recordings, in the order they were added (a conversation picked for the
    /// case comes after its voice report).
    public let recordingsVerified: [Bool]
    public let callerTickets: [CallerTicket]
    public let duplicateCandidates: [DuplicateCandidate]
    public let suggestedUnit: String?
    public let suggestion: String
    /// Why the unit sent the case back, when it did (Art. 8.1a).
    public let returnReason: String?
    /// Progress, extension and result notes, oldest first.
    public let notes: [CaseNote]
    /// The messages sent to the citizen and where each stands with its carrier, oldest first.
    public let messages: [OutboxMessage]
}

/// A note a unit or the hotline wrote on a case's way (progress, extension, result, return, rejection).
public struct CaseNote: Codable, Sendable, Equatable {
    public var at: Date
    public var actor: String
    /// The step: progress, extend, resolve, return, reject, reopen, transfer, seek-guidance.
    public var step: String
    public var text: String
    /// The committed date of an extension.
    public var until: Date?
}

/// The recording of a case, checked against its SHA-256.
public struct VerifiedRecording: Sendable {
    public var path: String
    public var durationMs: Int
    public var sha256: String
}

extension Desk {
    // MARK: The queue and a case

    /// What waits for the hotline, most urgent first.
    public func queue(as user: User) throws -> [QueuedDraft] {
        try check(user, .hotlineWork)
        return try store.draftQueue(now: now())
    }

    public func claim(_ code: String, minutes: Int = Int(Claim.defaultDuration / 60), as user: User) throws -> Claim {
        try check(user, .hotlineWork)
        guard (1...60).contains(minutes) else { throw DeskError.invalidField(.minutes, reason: "từ 1 đến 60 phút, nhận được \(minutes)") }
        return try store.claim(code, by: user, at: now(), duration: TimeInterval(minutes * 60))
    }

    public func release(_ code: String, as user: User) throws {
        try check(user, .hotlineWork)
        try store.release(code, by: user, at: now()) { held in
            if held.userName != user.name { try self.check(user, .releaseOthersClaim) }
        }
    }

    /// The whole case as an agent sees it.
    public func show(_ code: String, as user: User) throws -> AgentCaseView {
        try check(user, .hotlineWork)
        let t = try ticket(code)
        let checked = t.recordings.map { r in
            (try? SHA256.hexOfFile(atPath: store.localFile(for: r.path, sha256: r.sha256))).map { $0 == r.sha256 } ?? false
        }
        let verified = checked.first
        let (suggestedUnit, suggestion): (String?, String) = switch try store.suggestRoute(code) {
        case .unit(let u, let why): (u, "\(u) (\(why))")
        case .guidance(let office, let reason): (nil, "chuyển \(office) hướng dẫn: \(reason) (Art. 7.4)")
        }
        let notes = try caseNotes(code)
        return AgentCaseView(
            ticket: t, claim: try store.claim(of: code, at: now()), recordingVerified: verified, recordingsVerified: checked,
            callerTickets: try store.callerTickets(t.reporter.phone, except: code),
            duplicateCandidates: try store.duplicateCandidates(for: code), suggestedUnit: suggestedUnit,
            suggestion: suggestion,
            returnReason: t.status == .returned ? notes.last(where: { $0.step == "return" })?.text : nil, notes: notes,
            messages: try store.outboxMessages(trackingCode: code))
    }

    /// The agent told the citizen by phone what a message could not (a landline, a failed or expired SMS): the
    /// case leaves the "not told" queue, the note goes in its history.
    public func recordCitizenInformed(_ code: String, note: String, as user: User) throws {
        try check(user, .hotlineWork)
        let text = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw DeskError.invalidField(.note, reason: "ghi lại đã báo gì cho người dân, qua số nào") }
        _ = try ticket(code)
        guard try store.markCitizenInformed(trackingCode: code, by: user.actor, note: text, at: now()) else {
            throw DeskError.failed("phản ánh \(code) không có tin nhắn nào chưa đến người dân")
        }
    }

    /// The notes written on a case's way, from its audit log.
    func caseNotes(_ code: String) throws -> [CaseNote] {
        let steps: Set<String> = ["progress", "extend", "resolve", "return", "reject", "reopen", "transfer", "seek-guidance"]
        return try store.history(code).compactMap { e in
            guard steps.contains(e.action), let after = e.after, let data = after.data(using: .utf8),
                  let fields = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
            let text = (fields["note"] as? String) ?? (fields["result"] as? String) ?? (fields["reason"] as? String) ?? ""
            guard !text.isEmpty else { return nil }
            let until = (fields["until"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) }
            return CaseNote(at: e.at, actor: e.actor, step: e.action, text: text, until: until)
        }
    }

    // MARK: The recording

    /// The case's recording, checked against its SHA-256, for a person allowed to hear it: the hotline, or a
    /// member of the unit that handles the case. Hearing it is audited: the recording is personal data
    /// (Art. 10.2). `access` names the access in the audit log ("listen"); nil when only the file's place is
    /// asked for, and nothing is heard.
    /// `take` counts the case's recordings from 1 in the order they were added: the voice report, then the
    /// conversations of calls picked for the case (issue 23 §4).
    public func recording(_ code: String, as user: User, access: String? = "listen",
                          details: [String: String?] = [:], take: Int = 1) throws -> VerifiedRecording {
        let t = try ticket(code)
        try check(user, .readTicket(unit: t.unitCode))
        let r = try verifiedRecording(t, take: take)
        var details = details
        if take != 1 { details["take"] = "\(take)" }
        if let access { try store.recordAccess(code, access, details, by: user, at: now()) }
        return r
    }

    /// The recording, unaudited: only to check it before an access that is audited when it succeeds.
    func verifiedRecording(_ t: Ticket, take: Int = 1) throws -> VerifiedRecording {
        let recordings = t.recordings
        guard take >= 1, take <= recordings.count else {
            throw DeskError.notFound(.recording, t.trackingCode)
        }
        let r = recordings[take - 1]
        // The gateway that recorded it may be another host of a PostgreSQL store: read this host's copy.
        let path: String
        let actual: String
        do {
            path = try store.localFile(for: r.path, sha256: r.sha256)
            actual = try SHA256.hexOfFile(atPath: path)
        } catch {
            throw DeskError.failed("không đọc được tệp ghi âm \(r.path)")
        }
        guard actual == r.sha256 else {
            throw DeskError.failed("tệp ghi âm \(r.path) không khớp mã SHA-256 đã lưu (\(r.sha256 ?? "không có")): "
                                   + "tệp đã bị thay đổi sau cuộc gọi; báo giám sát viên")
        }
        return VerifiedRecording(path: path, durationMs: r.durationMs ?? 0, sha256: actual)
    }

    /// Copies a case's recording out to `destination` (a new file). Audited only once the copy exists: a failed
    /// export is no export.
    public func exportRecording(_ code: String, to destination: String, as user: User) throws -> VerifiedRecording {
        let t = try ticket(code)
        try check(user, .readTicket(unit: t.unitCode))
        let r = try verifiedRecording(t)
        let folder = (destination as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !folder.isEmpty, !(FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) && isDirectory.boolValue) {
            throw DeskError.invalidField(.output, reason: "không có thư mục \(folder); tạo thư mục trước hoặc chọn nơi khác")
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw DeskError.invalidField(.output, reason: "\(destination) đã tồn tại; chọn tên khác")
        }
        do {
            try FileManager.default.copyItem(atPath: r.path, toPath: destination)
        } catch {
            throw DeskError.failed("không ghi được \(destination) (\((error as NSError).localizedDescription))")
        }
        try store.recordAccess(code, "export-recording", ["file": (destination as NSString).lastPathComponent], by: user, at: now())
        return r
    }

    // MARK: Steps

    /// Fills in a draft from its recording and forwards it (the acknowledgement queued), in one transaction.
    public func complete(_ r: CompleteRequest, as user: User) throws -> Ticket {
        try check(user, .hotlineWork)
        let details = try validated(r.details, of: r.code)
        let unit = try r.unit.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try unitCode($0) }
        return try store.completeDraft(r.code, details: details, unit: unit, by: user, at: now(), context: try context())
    }

    /// Sends a case to the City Office for guidance (Art. 7.4), with the same details as a completion: the
    /// Office must know what the case is to say who handles it.
    public func seekGuidance(_ r: GuidanceRequest, as user: User) throws -> Ticket {
        try check(user, .hotlineWork)
        let reason = try required(r.reason, .reason, "vì sao không xác định được một đơn vị (Art. 7.4)")
        let details = try validated(r.details, of: r.code)
        return try store.seekGuidance(r.code, details: details, reason: reason, by: user, at: now(), context: try context())
    }

    public func refuse(_ code: String, reason: String, as user: User) throws -> Ticket {
        try check(user, .hotlineWork)
        let reason = try required(reason, .reason, "người phản ánh được báo lý do (Art. 4.7)")
        return try store.refuse(code, reason: reason, by: user, at: now(), context: try context())
    }

    public func link(_ code: String, to first: String, as kind: LinkKind, user: User) throws -> LinkKind {
        try check(user, .hotlineWork)
        return try store.linkDraft(code, to: first, as: kind, by: user, at: now(), context: try context())
    }

    /// The details checked and normalised: every field Art. 6 needs, the ward in the directory's spelling.
    /// Without a content, the case keeps the one it has (a citizen's own words from the web or the app), and a
    /// phone draft, which has none, takes the summary.
    func validated(_ d: CaseDetails, of code: String) throws -> TicketDetails {
        if let first = d.missingFields.first {
            throw DeskError.invalidField(first, reason: "cần có (Art. 6: họ tên và địa chỉ người phản ánh, nội dung; "
                                         + "lĩnh vực, chuyên mục và địa bàn để chuyển đúng đơn vị)")
        }
        let ward = try store.unitDirectory().canonicalWard(d.ward) ?? d.ward.trimmingCharacters(in: .whitespaces)
        return TicketDetails(category: d.category, topic: d.topic, reporterName: d.name, reporterAddress: d.address,
                             reporterEmail: d.email, confidential: d.confidential, content: try content(d, of: code),
                             summary: d.summary, ward: ward)
    }

    private func content(_ d: CaseDetails, of code: String) throws -> String {
        if let content = d.content, !content.isEmpty { return content }
        if let kept = try store.ticket(code)?.content.trimmingCharacters(in: .whitespacesAndNewlines), !kept.isEmpty {
            return kept
        }
        return d.summary
    }
}
