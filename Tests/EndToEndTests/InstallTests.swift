import Foundation
import XCTest

/// Issue 16 §1–2: `make install` into a temporary root (DESTDIR), the layout and its modes, the systemd unit
/// checked by `systemd-analyze verify`, then the installed program run by hand on the installed configuration
/// (its paths moved under DESTDIR) taking one SIPp call to a draft; the data it made is not world-readable;
/// `make uninstall` keeps configuration and data, and a second install keeps the administrator's edits.
final class InstallTests: XCTestCase {
    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
    }

    func testInstallIntoDestdirRunsTheInstalledLayout() throws {
        let root = try E2E.tempDir("install")
        let dest = root + "/root"
        let install = try E2E.execute("/usr/bin/make", ["-C", E2E.repo, "install", "DESTDIR=\(dest)", "INSTALL_BIN=\(E2E.binary)"],
                                      timeout: 120)
        XCTAssertEqual(install.status, 0, "make install failed:\n\(install.stdout)\n\(install.stderr)")

        // The layout and its modes.
        let expected: [(String, Int)] = [
            ("/usr/local/bin/hotline1022", 0o755),
            ("/usr/local/share/hotline1022/prompts/vi/welcome.wav", 0o644),
            ("/usr/local/share/hotline1022/dialplans/hotline-1022.json", 0o644),
            ("/usr/local/share/hotline1022/config/units.json", 0o644),
            ("/usr/local/share/doc/hotline1022/README.md", 0o644),
            ("/usr/local/lib/systemd/system/hotline1022.service", 0o644),
            ("/usr/local/lib/systemd/system/hotline1022-backup.service", 0o644),
            ("/usr/local/lib/systemd/system/hotline1022-backup.timer", 0o644),
            ("/etc/hotline1022", 0o750),
            ("/etc/hotline1022/hotline1022.json", 0o640),
            ("/etc/hotline1022/calendar.json", 0o640),
            ("/etc/hotline1022/units.json", 0o640),
            ("/etc/hotline1022/templates.vi.json", 0o640),
            ("/etc/hotline1022/dialplans", 0o750),
            ("/etc/hotline1022/dialplans/hotline-1022.json", 0o640),
            ("/var/lib/hotline1022", 0o750),
            ("/var/lib/hotline1022/recordings", 0o750),
            ("/var/lib/hotline1022/backups", 0o750),
        ]
        for (path, mode) in expected {
            XCTAssertEqual(Ops.mode(dest + path), mode, "\(path): mode \(Ops.octal(Ops.mode(dest + path))), expected \(Ops.octal(mode))")
        }

        // The unit as installed, checked by systemd itself (its ExecStart pointed at the staged binary).
        let unit = try String(contentsOfFile: dest + "/usr/local/lib/systemd/system/hotline1022.service", encoding: .utf8)
        for directive in ["ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "PrivateTmp=yes",
                          "ProtectHome=yes", "ReadWritePaths=/var/lib/hotline1022 /etc/hotline1022", "LimitNOFILE=65536",
                          "ExecReload=/bin/kill -HUP $MAINPID", "StandardError=journal", "User=hotline1022",
                          "ExecStart=/usr/local/bin/hotline1022 serve --config /etc/hotline1022/hotline1022.json"] {
            XCTAssertTrue(unit.contains(directive), "the unit lacks \(directive)")
        }
        let verifyDir = root + "/verify"
        try FileManager.default.createDirectory(atPath: verifyDir, withIntermediateDirectories: true)
        let units = ["hotline1022.service", "hotline1022-backup.service", "hotline1022-backup.timer"]
        for name in units {
            try String(contentsOfFile: dest + "/usr/local/lib/systemd/system/" + name, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/hotline1022", with: dest + "/usr/local/bin/hotline1022")
                .write(toFile: verifyDir + "/" + name, atomically: true, encoding: .utf8)
        }
        let verify = try E2E.execute("/usr/bin/systemd-analyze", ["verify"] + units.map { verifyDir + "/" + $0 }, timeout: 60)
        XCTAssertEqual(verify.status, 0, "systemd-analyze verify: \(verify.stdout)\(verify.stderr)")
        XCTAssertFalse(verify.stderr.contains("hotline1022"), "systemd-analyze warned: \(verify.stderr)")

        // The installed configuration, its absolute paths moved under DESTDIR (the binary's own default of the
        // transcription engine is left: transcription is off here).
        let configPath = dest + "/etc/hotline1022/hotline1022.json"
        var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as? [String: Any])
        for key in ["database", "recordings", "messagesLog", "dialplan", "prompts", "calendar", "units"] {
            let value = try XCTUnwrap(config[key] as? String, "the installed config has no \(key)")
            XCTAssertTrue(value.hasPrefix("/etc/hotline1022/") || value.hasPrefix("/var/lib/hotline1022/")
                          || value.hasPrefix("/usr/local/share/hotline1022/"), "\(key) = \(value) is not an FHS path")
            XCTAssertTrue(FileManager.default.fileExists(atPath: dest + value) || key == "database" || key == "messagesLog",
                          "\(key) = \(value) was not installed")
            config[key] = dest + value
        }
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: configPath))

        // The installed program, run by hand as the unit runs it.
        let sipPort = try E2E.freePort()
        let metricsPort = try E2E.freePort(tcp: true)
        XCTAssertEqual(config["metricsPort"] as? Int, 9108)
        let state = dest + "/var/lib/hotline1022"
        let gateway = try ServiceProcess(
            name: "installed", binary: dest + "/usr/local/bin/hotline1022",
            arguments: ["serve", "--config", configPath, "--sip-port", "\(sipPort)",
                        "--rtp-port", "\(20000 + Int.random(in: 0..<400) * 100)", "--drain-seconds", "3",
                        "--transcribe-workers", "0", "--overload-tick-ms", "0", "--metrics-port", "\(metricsPort)"],
            directory: root, workingDirectory: state, environment: ["HOTLINE1022_CONFIG": dest + "/etc/hotline1022"])
        defer { gateway.stop() }
        XCTAssertTrue(gateway.waitForLog("event=ready", timeout: 20), "the installed gateway did not start:\n\(gateway.log)")
        XCTAssertTrue(gateway.waitForLog("event=metrics-listening", timeout: 10), gateway.log)
        XCTAssertEqual(try Ops.httpGet("http://127.0.0.1:\(metricsPort)/healthz").status, 200)
        let call = try Ops.sipp("voice-report.xml", port: sipPort, directory: root, caller: "0912000016")
        XCTAssertTrue(call.wait(timeout: 100), "sipp did not finish\n\(call.report)\n\(gateway.log)")
        XCTAssertEqual(call.process.terminationStatus, 0, "the call failed\n\(call.report)\n\(gateway.log)")
        XCTAssertTrue(gateway.waitForLog("event=draft-submitted", timeout: 10), gateway.log)

        // Personal data at rest (§2), while the gateway runs: folders 0750, files 0640, nothing for others.
        let database = state + "/hotline.sqlite"
        let drafts = try E2E.drafts(database: database)
        XCTAssertEqual(drafts.map(\.callerNumber), ["0912000016"], gateway.log)
        let recording = try XCTUnwrap(drafts.first?.recordingPath)
        XCTAssertTrue(recording.hasPrefix(state + "/recordings/"), "recording at \(recording)")
        var privatePaths: [(String, Int)] = [(state, 0o750), (database, 0o640), (database + "-wal", 0o640),
                                             (database + "-shm", 0o640), (recording, 0o640)]
        var folder = (recording as NSString).deletingLastPathComponent
        while folder.count > state.count {
            privatePaths.append((folder, 0o750))
            folder = (folder as NSString).deletingLastPathComponent
        }
        for (path, mode) in privatePaths {
            XCTAssertEqual(Ops.mode(path), mode, "\(path) is \(Ops.octal(Ops.mode(path))), expected \(Ops.octal(mode))")
        }
        XCTAssertTrue(gateway.lines(event: "data-mode-too-wide").isEmpty, "a fresh install warned:\n\(gateway.log)")
        XCTAssertEqual(Ops.sample(try Ops.httpGet("http://127.0.0.1:\(metricsPort)/metrics").body,
                                  "hotline1022_drafts_total{interrupted=\"false\"}"), 1)

        // The backup the timer runs, by hand, while the gateway runs: into backups/latest, private.
        let backup = try E2E.execute(dest + "/usr/local/bin/hotline1022",
                                     ["backup", state + "/backups/latest", "--config", configPath], timeout: 60)
        XCTAssertEqual(backup.status, 0, backup.stdout + backup.stderr)
        XCTAssertEqual(Ops.mode(state + "/backups/latest"), 0o750)
        XCTAssertEqual(Ops.mode(state + "/backups/latest/hotline.sqlite"), 0o640)
        XCTAssertEqual(Ops.mode(state + "/backups/latest/manifest.json"), 0o640)
        XCTAssertEqual(gateway.stop(), 0, "serve did not stop cleanly:\n\(gateway.log)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dest + "/etc/hotline1022/dialplans/.hotline-1022.json.last-good"),
                      "serve keeps the last good dialplan beside the live one, in the writable /etc/hotline1022/dialplans")

        // Uninstall keeps configuration and data; a second install keeps the administrator's configuration.
        let uninstall = try E2E.execute("/usr/bin/make", ["-C", E2E.repo, "uninstall", "DESTDIR=\(dest)"], timeout: 60)
        XCTAssertEqual(uninstall.status, 0, uninstall.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dest + "/usr/local/bin/hotline1022"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dest + "/usr/local/share/hotline1022"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dest + "/usr/local/lib/systemd/system/hotline1022.service"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: database), "uninstall removed the database")
        XCTAssertTrue(FileManager.default.fileExists(atPath: recording), "uninstall removed a recording")
        XCTAssertTrue(FileManager.default.fileExists(atPath: configPath), "uninstall removed the configuration")
        let again = try E2E.execute("/usr/bin/make", ["-C", E2E.repo, "install", "DESTDIR=\(dest)", "INSTALL_BIN=\(E2E.binary)"],
                                    timeout: 120)
        XCTAssertEqual(again.status, 0, again.stderr)
        let kept = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as? [String: Any])
        XCTAssertEqual(kept["database"] as? String, database, "a second install overwrote the administrator's configuration")
        XCTAssertEqual(try E2E.drafts(database: database).count, 1)

        // Data left readable by others (an old install, a careless copy) is named at start-up, one line a path.
        chmod(database, 0o644)
        chmod(state + "/recordings", 0o755)
        let warned = try ServiceProcess(
            name: "wide", binary: dest + "/usr/local/bin/hotline1022",
            arguments: ["serve", "--config", configPath, "--sip-port", "\(try E2E.freePort())", "--transcribe-workers", "0",
                        "--metrics-port", "0"],
            directory: root, workingDirectory: state)
        defer { warned.stop() }
        XCTAssertTrue(warned.waitForLog("event=ready", timeout: 20), warned.log)
        let warnings = warned.lines(event: "data-mode-too-wide")
        // SQLite gives the WAL and SHM the database's mode: they are named too.
        XCTAssertEqual(warnings.count, 4, warned.log)
        for path in [database + "-wal", database + "-shm"] {
            XCTAssertTrue(warnings.contains { $0.contains("path=\(path) ") && $0.contains("mode=0644") }, warned.log)
        }
        XCTAssertTrue(warnings.contains { $0.contains("path=\(database) ") && $0.contains("mode=0644") && $0.contains("fix=\"chmod 0640 \(database)\"") },
                      warned.log)
        XCTAssertTrue(warnings.contains { $0.contains("path=\(state)/recordings ") && $0.contains("mode=0755") }, warned.log)
        XCTAssertEqual(warned.stop(), 0)
    }
}
