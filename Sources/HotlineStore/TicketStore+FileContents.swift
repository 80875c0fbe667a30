import Foundation

/// Recordings and evidence reachable from every host of a PostgreSQL store: each file's bytes are kept in
/// `file_contents` in the transaction that files it, and a host that does not have the file on its own disk
/// (the gateway that recorded it was another machine, or is gone) gets a copy under its data folder's
/// `replica/`. On SQLite the database and the files share one folder on one machine, so nothing is copied.
extension TicketStore {
    /// Keeps the bytes of the file at `path` with the store, inside the caller's transaction. A path with no
    /// file behind it is left to the checks that read it later (they say which file is missing).
    func keepContents(ofFileAt path: String, sha256: String?, at: Date) throws {
        guard db.isPostgres, let data = FileManager.default.contents(atPath: path) else { return }
        try db.prepare("""
            INSERT INTO file_contents (path, sha256, content, stored_at) VALUES (?, ?, ?, ?) ON CONFLICT (path) DO NOTHING
            """).run([.text(path), .optional(sha256), .blob(data), .double(at.timeIntervalSince1970)])
    }

    /// A path on this host where the attachment stored as `path` can be read: the path itself when the file is
    /// here, otherwise (PostgreSQL) a copy of the stored bytes written once under `replica/` in the data folder.
    /// When neither exists the stored path comes back, and reading it fails with the file's own name.
    /// Callers check the copy's SHA-256 against the attachment's, as they do for the original.
    public func localFile(for path: String, sha256: String?) throws -> String {
        let files = FileManager.default
        guard db.isPostgres, !files.fileExists(atPath: path) else { return path }
        let folder = (dataDirectory as NSString).appendingPathComponent("replica")
        let target = (folder as NSString).appendingPathComponent("\(sha256 ?? "unhashed")-\((path as NSString).lastPathComponent)")
        if files.fileExists(atPath: target) { return target }
        guard let data = try db.prepare("SELECT content FROM file_contents WHERE path = ?")
            .query([.text(path)], { $0.blob(0) }).first
        else { return path }
        try files.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let partial = target + ".partial-\(getpid())"
        guard files.createFile(atPath: partial, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw StoreFileError(message: "could not write \(partial) (a copy of \(path) from the store)")
        }
        if rename(partial, target) != 0 {
            let reason = String(cString: strerror(errno))
            try? files.removeItem(atPath: partial)
            throw StoreFileError(message: "could not move the copy of \(path) to \(target): \(reason)")
        }
        return target
    }
}

/// A file the store could not write on this host.
public struct StoreFileError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
