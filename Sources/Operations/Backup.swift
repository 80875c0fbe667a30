import Foundation
import HotlineCore
import HotlineStore
#if canImport(Glibc)
import Glibc
#endif

/// What a backup folder holds, in `manifest.json`: the database snapshot and every file its tickets point at,
/// each with its size, time and SHA-256.
///
/// Layout: `DIR/hotline.sqlite` (the snapshot), `DIR/files/<original absolute path>` (the copies),
/// `DIR/manifest.json`. All 0640 in 0750 folders: a backup is as personal as the data.
public struct BackupManifest: Codable, Sendable {
    public struct Database: Codable, Sendable {
        public var file: String
        public var size: Int
        public var sha256: String
        public var integrity: String
        public var tickets: Int
    }

    public struct File: Codable, Sendable, Equatable {
        /// Where the file was, as the database names it.
        public var path: String
        /// Where the copy is, relative to the backup folder.
        public var stored: String
        public var trackingCode: String
        public var kind: String
        public var size: Int
        /// Modification time of the original when copied (seconds since 1970): with the size, how an
        /// unchanged file is recognised and not copied again.
        public var modified: Double
        public var sha256: String
    }

    public var version = 1
    public var createdAt: Date
    /// The folder of the database that was backed up (evidence lives under it) and the recordings folder.
    public var dataDirectory: String
    public var recordingsDirectory: String
    public var database: Database
    public var files: [File]

    public static let fileName = "manifest.json"
    public static let databaseName = "hotline.sqlite"
    /// A PostgreSQL store's snapshot: `pg_dump`'s custom format.
    public static let postgresDumpName = "hotline.pgdump"

    static func load(_ dir: String) throws -> BackupManifest? {
        let path = (dir as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(BackupManifest.self, from: data)
    }
}

/// Why a backup or restore stopped, for the administrator (Vietnamese).
public struct BackupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Backups that can run while calls are taken, and their restore.
public enum Backup {
    public struct Report: Sendable {
        public var manifest: BackupManifest
        public var copied = 0
        public var unchanged = 0
        public var bytesCopied = 0
        /// Files the database names that are not on disk (the draft is kept; the file was lost before).
        public var missing: [String] = []
        /// Files whose content no longer has the SHA-256 the store recorded (copied anyway, and named here).
        public var altered: [String] = []
        public var seconds: Double = 0
    }

    /// Backs up `database` and every file its tickets point at into `dir`.
    ///
    /// The database first, with SQLite's online backup API (a consistent snapshot while calls go on); then the
    /// files *that snapshot* names, so the folder is consistent: every ticket in the copy has its files. Files
    /// already in the folder's previous manifest with the same size and time are not read again (incremental);
    /// the others are copied and hashed in one pass and compared with the SHA-256 the store recorded.
    /// A PostgreSQL store is dumped with `pg_dump` in its custom format, inside an exported REPEATABLE READ
    /// snapshot from which the files are listed too: the same consistency, while calls go on.
    /// `dataDirectory` is the store's data folder (evidence) when not the one the database implies.
    public static func run(database: String, recordings: String, to dir: String,
                           dataDirectory given: String? = nil) throws -> Report {
        let started = Date()
        let dir = absolute(dir)
        let folder = given ?? TicketStore.defaultDataDirectory(for: database)
        let dataDirectory = absolute(folder.isEmpty ? "." : folder)
        try PrivateFiles.makeFolder(dir)
        try PrivateFiles.makeFolder(dir + "/files")
        let previous = (try? BackupManifest.load(dir)) ?? nil
        var known: [String: BackupManifest.File] = [:]
        for file in previous?.files ?? [] { known[file.path] = file }

        // 1. The snapshot, under a temporary name until everything it names is copied.
        let onPostgres = TicketStore.isPostgres(database)
        let snapshot = dir + "/" + (onPostgres ? BackupManifest.postgresDumpName : BackupManifest.databaseName)
        let pending = snapshot + ".new"
        let files: [StoredFile]
        let tickets: Int
        if onPostgres {
            do {
                let source = try TicketStore(path: database)
                defer { try? source.close() }
                (files, tickets) = try source.withExportedSnapshot { id, files, tickets in
                    try PostgresTools.run("pg_dump", ["--format=custom", "--snapshot=" + id, "--file=" + pending,
                                                      "--dbname=" + database])
                    return (files, tickets)
                }
                PrivateFiles.restrict(pending)
                // The archive reads back whole: its table of contents lists every table.
                try PostgresTools.run("pg_restore", ["--list", pending])
            } catch {
                throw BackupError("không sao lưu được cơ sở dữ liệu \(database): \(error)")
            }
        } else {
            (files, tickets) = try sqliteSnapshot(database, to: pending)
        }

        // 2. The files the snapshot names.
        var report = Report(manifest: BackupManifest(
            createdAt: started, dataDirectory: dataDirectory, recordingsDirectory: absolute(recordings),
            database: .init(file: (snapshot as NSString).lastPathComponent, size: 0, sha256: "", integrity: "ok", tickets: tickets),
            files: []))
        for file in files {
            let path = absolute(file.path)
            guard let st = status(path) else {
                report.missing.append(file.path)
                continue
            }
            let stored = "files" + (path.hasPrefix("/") ? path : "/" + path)
            if let old = known[file.path], old.size == st.size, old.modified == st.modified,
               status(dir + "/" + old.stored)?.size == st.size {
                report.manifest.files.append(old)
                report.unchanged += 1
                continue
            }
            let sha = try copyHashing(path, to: dir + "/" + stored)
            report.copied += 1
            report.bytesCopied += st.size
            if let recorded = file.sha256, recorded != sha { report.altered.append(file.path) }
            report.manifest.files.append(.init(path: file.path, stored: stored, trackingCode: file.trackingCode,
                                               kind: file.kind.rawValue, size: st.size, modified: st.modified, sha256: sha))
        }

        // 3. The snapshot takes its place, then the manifest that describes it.
        try? FileManager.default.removeItem(atPath: pending + "-wal")
        try? FileManager.default.removeItem(atPath: pending + "-shm")
        report.manifest.database.sha256 = try SHA256.hexOfFile(atPath: pending)
        report.manifest.database.size = status(pending)?.size ?? 0
        guard rename(pending, snapshot) == 0 else {
            throw BackupError("không đổi tên được \(pending): \(String(cString: strerror(errno)))")
        }
        try writeManifest(report.manifest, to: dir)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// SQLite's snapshot with its online backup API, checked (`integrity_check`); the files and tickets it holds.
    static func sqliteSnapshot(_ database: String, to pending: String) throws -> ([StoredFile], Int) {
        do {
            let source = try TicketStore(path: database)
            defer { try? source.close() }
            try source.backup(to: pending)
        } catch {
            throw BackupError("không sao lưu được cơ sở dữ liệu \(database): \(error)")
        }
        let copy = try TicketStore(path: pending)
        let integrity = try copy.integrityCheck()
        let files = try copy.storedFiles()
        let tickets = try copy.ticketCount()
        try copy.close()
        guard integrity == ["ok"] else {
            throw BackupError("bản sao cơ sở dữ liệu không toàn vẹn: \(integrity.prefix(5).joined(separator: "; "))")
        }
        return (files, tickets)
    }

    public struct RestoreReport: Sendable {
        public var database: String
        public var recordings: String
        public var files = 0
        public var integrity: [String] = []
        /// Copies in the backup whose SHA-256 differs from the manifest's (not restored).
        public var damaged: [String] = []
    }

    /// Restores a backup folder into `dataDirectory` (which must not hold a database yet): the snapshot as
    /// `hotline.sqlite`, recordings under `recordings/` (same sub-folders), evidence under `evidence/`, each copy
    /// checked against the manifest's SHA-256; the database's file paths are moved to the new places, and
    /// `integrity_check` is run on the result.
    /// A PostgreSQL backup (`hotline.pgdump`) is restored with `pg_restore`, in one transaction, into `database`:
    /// an empty PostgreSQL database made for it (a database that holds anything makes it fail, changing nothing);
    /// its files go to `dataDirectory` as above.
    public static func restore(from dir: String, to dataDirectory: String, database postgres: String? = nil) throws -> RestoreReport {
        let dir = absolute(dir)
        let target = absolute(dataDirectory)
        guard let manifest = try BackupManifest.load(dir) else {
            throw BackupError("\(dir) không phải thư mục sao lưu (không có \(BackupManifest.fileName))")
        }
        let snapshot = dir + "/" + manifest.database.file
        guard try SHA256.hexOfFile(atPath: snapshot) == manifest.database.sha256 else {
            throw BackupError("bản sao cơ sở dữ liệu \(snapshot) không khớp SHA-256 trong \(BackupManifest.fileName)")
        }
        let fromPostgres = manifest.database.file == BackupManifest.postgresDumpName
        if fromPostgres, postgres.map(TicketStore.isPostgres) != true {
            throw BackupError("bản sao lưu từ PostgreSQL: nêu --db postgresql://… của một cơ sở dữ liệu trống để khôi phục vào")
        }
        let database = fromPostgres ? postgres! : target + "/" + BackupManifest.databaseName
        guard fromPostgres || !FileManager.default.fileExists(atPath: database) else {
            throw BackupError("\(database) đã tồn tại: khôi phục vào một thư mục mới (không ghi đè dữ liệu đang có)")
        }
        try PrivateFiles.makeFolder(target)
        let recordings = target + "/recordings"
        try PrivateFiles.makeFolder(recordings)
        var report = RestoreReport(database: database, recordings: recordings)
        if fromPostgres {
            try PostgresTools.run("pg_restore", ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
                                                 "--dbname=" + database, snapshot])
        } else {
            _ = try copyHashing(snapshot, to: database)
        }

        var moves: [String: String] = [:]
        for file in manifest.files {
            let original = absolute(file.path)
            let destination: String
            if let rest = relative(original, to: manifest.recordingsDirectory) {
                destination = recordings + "/" + rest
            } else if let rest = relative(original, to: manifest.dataDirectory) {
                destination = target + "/" + rest
            } else {
                destination = target + "/external" + (original.hasPrefix("/") ? original : "/" + original)
            }
            let sha = try copyHashing(dir + "/" + file.stored, to: destination)
            guard sha == file.sha256 else {
                try? FileManager.default.removeItem(atPath: destination)
                report.damaged.append(file.stored)
                continue
            }
            moves[file.path] = destination
            report.files += 1
        }
        let store = try TicketStore(path: database, dataDirectory: target)
        defer { try? store.close() }
        try store.relocateFiles(moves)
        report.integrity = try store.integrityCheck()
        return report
    }

    // MARK: Files

    /// Copies `source` to `destination` (folders 0750, file 0640, written under a temporary name and renamed),
    /// hashing the bytes as they pass; returns the SHA-256.
    static func copyHashing(_ source: String, to destination: String) throws -> String {
        try PrivateFiles.makeFolder((destination as NSString).deletingLastPathComponent)
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw BackupError("không đọc được \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let temporary = destination + ".partial"
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, PrivateFiles.fileMode)
        guard output >= 0 else { throw BackupError("không ghi được \(temporary): \(String(cString: strerror(errno)))") }
        var hash = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var failure: String?
        while failure == nil {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                failure = "không đọc được \(source): \(String(cString: strerror(errno)))"
                break
            }
            hash.update(buffer[0..<n])
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, n - written) }
                if w < 0 {
                    if errno == EINTR { continue }
                    failure = "không ghi được \(temporary): \(String(cString: strerror(errno)))"
                    break
                }
                written += w
            }
        }
        if failure == nil, fsync(output) != 0 { failure = "fsync \(temporary): \(String(cString: strerror(errno)))" }
        fchmod(output, PrivateFiles.fileMode)
        close(output)
        if let failure {
            unlink(temporary)
            throw BackupError(failure)
        }
        guard rename(temporary, destination) == 0 else {
            unlink(temporary)
            throw BackupError("không đổi tên được \(temporary): \(String(cString: strerror(errno)))")
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func writeManifest(_ manifest: BackupManifest, to dir: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let path = dir + "/" + BackupManifest.fileName
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, PrivateFiles.fileMode)
        guard fd >= 0 else { throw BackupError("không ghi được \(temporary)") }
        let data = try encoder.encode(manifest)
        let ok = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == data.count && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else { throw BackupError("không ghi được \(path)") }
    }

    static func status(_ path: String) -> (size: Int, modified: Double)? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return (Int(st.st_size), Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }

    /// `path` relative to `folder` when it lies inside it.
    static func relative(_ path: String, to folder: String) -> String? {
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : nil
    }
}
