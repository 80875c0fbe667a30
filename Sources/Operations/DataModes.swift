import Foundation
import HotlineStore
#if canImport(Glibc)
import Glibc
#endif

/// Personal data at rest: the modes the gateway's data must have, and a check of what is on disk.
///
/// Citizens' names, numbers, addresses and voices live in the database (and its WAL and shared-memory files),
/// the recordings, the evidence files and the backups. Folders are 0750 and files 0640: the service user reads
/// and writes, its group (administrators added to it) reads, nobody else has any access.
public enum DataModes {
    public static let folder: mode_t = 0o750
    public static let file: mode_t = 0o640
    /// The process umask that gives those modes to everything created afterwards.
    public static let umask: mode_t = 0o027

    /// A path whose mode grants more than it should.
    public struct Finding: Equatable, Sendable, CustomStringConvertible {
        public let path: String
        public let mode: mode_t
        public let allowed: mode_t
        public let isFolder: Bool

        public var description: String { "\(path) is \(DataModes.octal(mode)), at most \(DataModes.octal(allowed))" }
        /// The command that narrows it to the allowed mode.
        public var fix: String { "chmod \(DataModes.octal(mode & allowed)) \(path)" }
    }

    public static func octal(_ mode: mode_t) -> String { "0" + String(mode, radix: 8) }

    /// The permission bits of `path` and whether it is a folder; nil when it does not exist.
    public static func mode(of path: String) -> (mode: mode_t, isFolder: Bool)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (st.st_mode & 0o7777, (st.st_mode & S_IFMT) == S_IFDIR)
    }

    /// Each existing path (and, for a folder, the entries directly in it, to `depth` levels) with a mode wider
    /// than 0750 for a folder or 0640 for a file. Missing paths are skipped. Bounded: at most `limit` entries are
    /// looked at under each root, so a start-up never walks an archive of a million recordings.
    public static func audit(_ roots: [String], depth: Int = 1, limit: Int = 2000) -> [Finding] {
        var findings: [Finding] = []
        var seen = Set<String>()
        func check(_ path: String, level: Int, budget: inout Int) {
            guard budget > 0, seen.insert(path).inserted, let (mode, isFolder) = mode(of: path) else { return }
            budget -= 1
            let allowed = isFolder ? folder : file
            if mode & ~allowed != 0 { findings.append(Finding(path: path, mode: mode, allowed: allowed, isFolder: isFolder)) }
            guard isFolder, level < depth,
                  let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
            for entry in entries.sorted() where budget > 0 {
                check((path as NSString).appendingPathComponent(entry), level: level + 1, budget: &budget)
            }
        }
        for root in roots {
            var budget = limit
            check(root, level: 0, budget: &budget)
        }
        return findings
    }

    /// The paths of the gateway's personal data, from its settings: the data folder (the database's), the
    /// database with its WAL and SHM, the evidence folder beside it, the recordings, a backups folder beside the
    /// database if there is one, and the messages log.
    public static func personalDataPaths(database: String, recordings: String, messagesLog: String?) -> [String] {
        let dataFolder = TicketStore.defaultDataDirectory(for: database)
        var paths: [String] = []
        if !dataFolder.isEmpty { paths.append(dataFolder) }
        // A PostgreSQL database's files are the server's, under its own data directory's modes.
        if !TicketStore.isPostgres(database) { paths += [database, database + "-wal", database + "-shm"] }
        let base = dataFolder.isEmpty ? "." : dataFolder
        paths += [(base as NSString).appendingPathComponent("evidence"), recordings,
                  (base as NSString).appendingPathComponent("backups")]
        if let messagesLog { paths.append(messagesLog) }
        return paths
    }
}
