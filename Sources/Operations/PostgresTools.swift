import Foundation

/// PostgreSQL's own client tools (`pg_dump`, `pg_restore`), which back up and restore a PostgreSQL store:
/// Debian's version-15 binaries, or `HOTLINE1022_PG_BIN`'s.
enum PostgresTools {
    static func binary(_ name: String) -> String {
        let folders = [ProcessInfo.processInfo.environment["HOTLINE1022_PG_BIN"], "/usr/lib/postgresql/15/bin", "/usr/bin"]
        for folder in folders.compactMap({ $0 }) where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
            return folder + "/" + name
        }
        return "/usr/bin/" + name
    }

    /// Runs a tool to its end; a failure is a `BackupError` with what the tool said.
    static func run(_ name: String, _ arguments: [String]) throws {
        let errors = NSTemporaryDirectory() + "hotline1022-\(name)-\(UUID().uuidString.prefix(8)).err"
        FileManager.default.createFile(atPath: errors, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errors) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary(name))
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: errors)
        do {
            try process.run()
        } catch {
            throw BackupError("không chạy được \(binary(name)) (cài postgresql-client 15: scripts/bootstrap): \(error)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let said = ((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            throw BackupError("\(name) thoát với mã \(process.terminationStatus): \(said.suffix(600))")
        }
    }
}
