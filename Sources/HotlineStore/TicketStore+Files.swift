import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Personal data at rest: the store's folders are made 0750 and its files 0640 when it creates them, whatever
/// the process umask, so no other local user can read citizens' names, numbers, addresses or voices.
/// SQLite gives the WAL and shared-memory files the mode of the database file, so 0640 follows them.
public enum PrivateFiles {
    public static let folderMode: mode_t = 0o750
    public static let fileMode: mode_t = 0o640

    /// Creates `path` (and missing parents) with mode 0750; an existing folder is left as it is.
    public static func makeFolder(_ path: String) throws {
        guard !path.isEmpty, !FileManager.default.fileExists(atPath: path) else { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeFolder(parent) }
        if mkdir(path, folderMode) != 0 && errno != EEXIST {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path,
                NSLocalizedDescriptionKey: "cannot create \(path): \(String(cString: strerror(errno)))"])
        }
        chmod(path, folderMode)
    }

    /// Creates an empty file with mode 0640 unless one exists (SQLite then opens it as a new database, so the
    /// database is never readable by others, not even for a moment). True when it was created here.
    @discardableResult
    public static func createFile(_ path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard fd >= 0 else { return false }
        fchmod(fd, fileMode)
        close(fd)
        return true
    }

    /// Narrows a file the store just wrote (a copied evidence file, a backup) to 0640.
    public static func restrict(_ path: String) { chmod(path, fileMode) }
}
