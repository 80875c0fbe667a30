import Foundation
import Gateway
import Operations

/// The production side of `serve` (issue 16), kept apart from the call path: personal data at rest.
extension Server {
    /// Everything serve creates from here on is 0640 / 0750 (the store also narrows its own files explicitly).
    static func restrictNewFiles() { umask(DataModes.umask) }

    /// One warning per path of personal data that others may read (or the group may write): the data folder,
    /// the database with its WAL and SHM, evidence, recordings, backups and the messages log.
    func warnAboutWideModes() {
        let paths = DataModes.personalDataPaths(database: settings.database, recordings: settings.recordings,
                                                messagesLog: settings.webhook.isEmpty ? settings.messagesLog : nil)
        let findings = DataModes.audit(paths, depth: 2)
        for finding in findings.prefix(50) {
            logger.log(.warning, "data-mode-too-wide", [
                ("path", finding.path), ("mode", DataModes.octal(finding.mode)),
                ("allowed", DataModes.octal(finding.allowed)), ("fix", finding.fix),
            ])
        }
        if findings.count > 50 {
            logger.log(.warning, "data-mode-too-wide-more", [("paths", "\(findings.count - 50)")])
        }
    }
}
