import Foundation

/// Advisory locks (`flock`) on lock files (`.hotline1022.lock` by default), held until the process ends.
public enum FileLock {
    nonisolated(unsafe) private static var held: [String: Int32] = [:]
    private static let lock = NSLock()

    /// Takes the lock of `folder` (created 0750 if missing) without waiting; false if another process holds
    /// it. Taking a lock this process already holds succeeds. A folder that cannot be locked (no permission
    /// to create the file) counts as free: the lock protects, it must not stop a gateway.
    public static func acquire(in folder: String, name: String = ".hotline1022.lock", exclusive: Bool) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let path = (folder as NSString).appendingPathComponent(name)
        if held[path] != nil { return true }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o750])
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return true }
        guard flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
            close(fd)
            return false
        }
        held[path] = fd
        return true
    }
}
