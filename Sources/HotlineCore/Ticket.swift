import Foundation

/// Who reported (Art. 6). Personal data: never logged, never published.
public struct Reporter: Codable, Sendable, Equatable {
    public var name: String
    public var phone: String
    public var address: String
    public var email: String
    public init(name: String = "", phone: String = "", address: String = "", email: String = "") {
        (self.name, self.phone, self.address, self.email) = (name, phone, address, email)
    }
}

public enum AttachmentKind: String, Codable, Sendable, CaseIterable {
    /// The caller's voice report.
    case recording
    /// A photo or video of the site; evidence.
    case photo
    /// A document, report or minutes (biên bản); evidence.
    case document

    /// Counts as evidence of a result (Art. 8.1c, 8.2c).
    public var isEvidence: Bool { self != .recording }
}

public struct Attachment: Codable, Sendable, Equatable {
    public var kind: AttachmentKind
    public var path: String
    public var sha256: String?
    public var durationMs: Int?
    public var addedAt: Date
    /// A call recording's RTP loss, percent (`PhoneDraft.audioLossPercent`); nil for other attachments.
    public var audioLossPercent: Int?
    public init(kind: AttachmentKind, path: String, sha256: String?, durationMs: Int? = nil, addedAt: Date,
                audioLossPercent: Int? = nil) {
        (self.kind, self.path, self.sha256, self.durationMs, self.addedAt) = (kind, path, sha256, durationMs, addedAt)
        self.audioLossPercent = audioLossPercent
    }
}

extension AttachmentKind {
    /// What kind of evidence a file is, from its extension: pictures and video are photos, the rest documents.
    public static func evidence(forFile file: String) -> AttachmentKind {
        let ext = (file as NSString).pathExtension.lowercased()
        return ["jpg", "jpeg", "png", "heic", "webp", "gif", "bmp", "tif", "tiff", "mp4", "mov", "3gp"].contains(ext) ? .photo : .document
    }
}

/// Who acts: a role and the person's or system's name, as the audit log records it.
public struct Actor: Codable, Sendable, Equatable {
    public var role: Role
    public var name: String
    public init(_ role: Role, _ name: String) {
        (self.role, self.name) = (role, name)
    }
}

/// A ticket (PAKN) with everything the Regulation asks for.
public struct Ticket: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var channel: Channel
    public var status: TicketStatus
    public var category: Category?
    public var topic: Topic?
    public var reporter: Reporter
    /// The reporter asked for confidentiality (Art. 6.2).
    public var confidential: Bool
    public var content: String
    public var summary: String
    public var ward: String
    public var unitCode: String?
    public var receivedAt: Date
    /// The deadline of the current step (computed from the Regulation's table, never typed in).
    public var dueAt: Date?
    /// The unit's deadline to answer (from receipt), or the committed date of an extension.
    public var responseDueAt: Date?
    public var resolvedAt: Date?
    public var completedAt: Date?
    /// Forwarded to the City Office for guidance (Art. 7.4).
    public var awaitingGuidance: Bool
    public var duplicateOf: String?
    public var recurrenceOf: String?
    public var refusalReason: String?
    public var rating: Int?
    public var ratingComment: String?
    /// The unit's last result: what was done, in the words the citizen receives (Art. 8.1c, 8.5).
    public var resultText: String?
    public var attachments: [Attachment]
    /// The case's recordings in the order they were added: the voice report, then conversations of calls picked
    /// for the case (issue 23 §4).
    public var recordings: [Attachment] { attachments.filter { $0.kind == .recording } }

    public init(trackingCode: String, channel: Channel, status: TicketStatus, category: Category? = nil,
                topic: Topic? = nil, reporter: Reporter = Reporter(), confidential: Bool = false, content: String = "",
                summary: String = "", ward: String = "", unitCode: String? = nil, receivedAt: Date, dueAt: Date? = nil,
                responseDueAt: Date? = nil, resolvedAt: Date? = nil, completedAt: Date? = nil,
                awaitingGuidance: Bool = false, duplicateOf: String? = nil, recurrenceOf: String? = nil,
                refusalReason: String? = nil, rating: Int? = nil, ratingComment: String? = nil,
                resultText: String? = nil, attachments: [Attachment] = []) {
        (self.trackingCode, self.channel, self.status, self.category) = (trackingCode, channel, status, category)
        (self.topic, self.reporter, self.confidential, self.content) = (topic, reporter, confidential, content)
        (self.summary, self.ward, self.unitCode, self.receivedAt) = (summary, ward, unitCode, receivedAt)
        (self.dueAt, self.responseDueAt, self.resolvedAt) = (dueAt, responseDueAt, resolvedAt)
        (self.completedAt, self.awaitingGuidance, self.duplicateOf) = (completedAt, awaitingGuidance, duplicateOf)
        (self.recurrenceOf, self.refusalReason, self.rating) = (recurrenceOf, refusalReason, rating)
        (self.ratingComment, self.resultText, self.attachments) = (ratingComment, resultText, attachments)
    }

    public var evidenceCount: Int { attachments.filter(\.kind.isEvidence).count }

    /// Overdue is computed: an open ticket past the deadline of its step.
    public func isOverdue(at now: Date) -> Bool {
        guard status.isOpen, let dueAt else { return false }
        return dueAt < now
    }

    /// Completed within the unit's deadline (or the committed date of an extension).
    public var completedOnTime: Bool? {
        guard status == .completed, let resolved = resolvedAt ?? completedAt else { return nil }
        guard let due = responseDueAt else { return true }
        return resolved <= due
    }

    /// What the public may read (Art. 9.2): never the reporter; with a confidentiality request, not the place
    /// or the wording either, since a street and a story can name a person (Art. 10.2).
    public func publicView(at now: Date) -> PublicTicket {
        PublicTicket(
            trackingCode: trackingCode, channel: channel, status: status, statusLabel: status.label,
            category: category, topic: topic, ward: confidential ? nil : (ward.isEmpty ? nil : ward),
            summary: confidential ? nil : (summary.isEmpty ? nil : summary), unitCode: unitCode,
            receivedAt: receivedAt, completedAt: completedAt, overdue: isOverdue(at: now),
            refusalReason: refusalReason, rating: rating)
    }
}

/// A ticket as published: no personal data.
public struct PublicTicket: Codable, Sendable, Equatable {
    public var trackingCode: String
    public var channel: Channel
    public var status: TicketStatus
    public var statusLabel: String
    public var category: Category?
    public var topic: Topic?
    public var ward: String?
    public var summary: String?
    public var unitCode: String?
    public var receivedAt: Date
    public var completedAt: Date?
    public var overdue: Bool
    public var refusalReason: String?
    public var rating: Int?
}

/// One line of the append-only audit log: who, when, what, before and after.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var at: Date
    public var actor: String
    public var action: String
    public var before: String?
    public var after: String?
    public init(at: Date, actor: String, action: String, before: String?, after: String?) {
        (self.at, self.actor, self.action, self.before, self.after) = (at, actor, action, before, after)
    }
}
