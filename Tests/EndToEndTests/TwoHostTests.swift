import Foundation
import StoreTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Issue 24 §5: two hosts for real, each in a network namespace of its own, made by the test. A bridge joins them
/// (10.x.y.0/24; nothing leaves the machine). Namespaces:
/// - `p` and `s`: PostgreSQL 15, a primary and a streaming standby (`pg_basebackup -R`);
/// - `a` and `b`: host A and host B, each a gateway with its console. Each has its own recordings folder, so no
///   disk is shared: the recordings reach the other host through the database.
///
/// Kamailio (deploy/kamailio/kamailio.cfg) and the SIPp callers run in the test's own namespace, on the bridge.
/// The gateways connect with libpq's multi-host string (`host=P,S target_session_attrs=read-write`).
///
/// Run 1: 100 calls over 60 s; host A is killed with SIGKILL 25 s in, and started again 6 s later. New calls go to
/// host B within 4 s; only host A's calls in progress are lost, each one that was recording filed as an interrupted
/// draft, with its audio, when host A is back; no tracking code twice; with host A's recordings folder gone, every
/// report plays from host B (its bytes are in the database).
///
/// Run 2: 40 calls over 30 s; PostgreSQL's primary is stopped 30 s in, while drafts are being filed, and the
/// standby promoted (`pg_ctl promote`) 2 s later. The gateways write again by themselves; meanwhile the callers
/// hear the hold prompt, every call completes and every report is filed (none fails, no code twice).
final class TwoHostTests: XCTestCase {
    /// Kamailio's OPTIONS probe interval and INVITE timeout (seconds), as in FailoverTests.
    static let probeInterval = 2.0

    override func setUpWithError() throws {
        continueAfterFailure = false
        try E2E.requireTools()
        for tool in ["/usr/sbin/kamailio", "/usr/sbin/ip", "/usr/lib/postgresql/15/bin/pg_basebackup"] {
            guard FileManager.default.isExecutableFile(atPath: tool) else {
                XCTFail("\(tool) is missing: run scripts/bootstrap (these tests are never skipped)")
                throw CancellationError()
            }
        }
        guard getuid() == 0 else {
            XCTFail("network namespaces need root (CI runs as root)")
            throw CancellationError()
        }
    }

    func testTwoHostsSurviveTheLossOfOne() throws {
        let dir = try E2E.tempDir("two-hosts")
        let net = try Namespaces(dir: dir)
        defer { net.remove() }
        let pg = try ReplicatedPostgres(net: net, dir: dir)
        defer { pg.stop() }
        let url = "postgresql://hotline@\(net.ip("p")):\(pg.port),\(net.ip("s")):\(pg.port)/hotline"
            + "?target_session_attrs=read-write&connect_timeout=2"

        func gatewayArguments(_ host: String) -> [String] {
            [
                "netns", "exec", net.name(host), E2E.binary,
                "serve", "--sip-address", net.ip(host), "--sip-port", "5060", "--rtp-port", "40000", "--max-calls", "200",
                "--db", url, "--recordings", dir + "/host-\(host)/recordings",
                "--dialplan", E2E.repo + "/Dialplans/hotline-1022.json", "--prompts", E2E.repo + "/Prompts/vi",
                "--drain-seconds", "3", "--office-hours", "always", "--units", E2E.repo + "/Config/units.json",
                "--calendar", E2E.repo + "/Config/calendar.json", "--messages-log", dir + "/host-\(host)/messages.log",
                "--metrics-port", "0", "--transcribe-workers", "0", "--overload-tick-ms", "0",
                "--allow", net.subnet, "--agents-uri", "none",
            ]
        }
        for host in ["a", "b"] { try FileManager.default.createDirectory(atPath: dir + "/host-\(host)", withIntermediateDirectories: true) }
        var gatewayA = try ServiceProcess(name: "gateway-a", binary: "/usr/sbin/ip", arguments: gatewayArguments("a"), directory: dir)
        XCTAssertTrue(gatewayA.waitForLog("event=ready", timeout: 30), gatewayA.log)
        let gatewayB = try ServiceProcess(name: "gateway-b", binary: "/usr/sbin/ip", arguments: gatewayArguments("b"), directory: dir)
        XCTAssertTrue(gatewayB.waitForLog("event=ready", timeout: 30), gatewayB.log)
        defer {
            gatewayA.stop()
            gatewayB.stop()
        }

        let uriA = "sip:\(net.ip("a")):5060", uriB = "sip:\(net.ip("b")):5060"
        let proxyPort = try E2E.freePort()
        let kamailio = try Ops.kamailio(listen: "\(net.bridgeIP):\(proxyPort)", gateways: [uriA, uriB],
                                        probeInterval: Int(Self.probeInterval), directory: dir)
        defer { kamailio.stop() }
        XCTAssertTrue(kamailio.waitForLog("Listening on", timeout: 10), kamailio.log)
        Thread.sleep(forTimeInterval: Self.probeInterval + 1)

        // Run 1: host A dies.
        let load = try callers(count: 100, overMs: 60_000, proxy: "\(net.bridgeIP):\(proxyPort)", net: net, dir: dir,
                               caller: "0912240001")
        defer { load.process.kill() }
        Thread.sleep(forTimeInterval: 25)
        gatewayA.kill9()
        let killedAt = Date()
        let heldByA = gatewayA.lines(event: "incoming").count - gatewayA.lines(event: "hangup").count
        Thread.sleep(forTimeInterval: 6)
        let firstA = gatewayA
        gatewayA = try ServiceProcess(name: "gateway-a-restarted", binary: "/usr/sbin/ip", arguments: gatewayArguments("a"),
                                      directory: dir)
        XCTAssertTrue(gatewayA.waitForLog("event=ready", timeout: 30), gatewayA.log)
        XCTAssertTrue(load.wait(timeout: 170), "the SIPp load did not finish\n\(load.report)")
        Thread.sleep(forTimeInterval: 2)

        let routes = kamailioRoutes(kamailio.log)
        XCTAssertGreaterThanOrEqual(routes.count, 100, kamailio.log)
        let downAt = try XCTUnwrap(kamailio.log.split(separator: "\n")
            .first { $0.contains("hotline1022-gateway-down") && $0.contains(uriA) }.flatMap(Self.at),
            "Kamailio never marked host A down\n\(kamailio.log.suffix(4000))")
        let failover = downAt.timeIntervalSince(killedAt)
        XCTAssertLessThanOrEqual(failover, 4, "new calls go to host B within 4 s of the kill")
        let completed = Set(load.completedCalls)
        let lost = routes.filter { !completed.contains($0.call) }
        for route in routes where route.at > killedAt {
            XCTAssertTrue(completed.contains(route.call), "a call that arrived after the kill was lost: \(route)")
        }
        for call in lost {
            XCTAssertEqual(call.to, uriA, "call \(call.call) was lost on host B")
            XCTAssertLessThan(call.at, killedAt, "call \(call.call) was lost though it came after the kill")
        }
        XCTAssertEqual(lost.count, heldByA, "the calls lost are exactly those host A held when it was killed")

        let rows = try tickets(pg, url: url)
        let codes = rows.map(\.code)
        XCTAssertEqual(Set(codes).count, codes.count, "a tracking code was given twice")
        let interrupted = rows.filter(\.interrupted)
        let whole = Set(rows.filter { !$0.interrupted }.map(\.call))
        XCTAssertTrue(completed.isSubset(of: whole), "a completed call has no draft: \(completed.subtracting(whole))")
        XCTAssertGreaterThan(interrupted.count, 0, "host A held calls that were recording: \(firstA.log.suffix(2000))")
        let recovered = Set(gatewayA.lines(event: "recovered-interrupted-recording").compactMap(Self.callID))
        XCTAssertTrue(Set(interrupted.map(\.call)).isSubset(of: recovered), "the interrupted drafts are those host A recovered")
        XCTAssertTrue(Set(interrupted.map(\.call)).isSubset(of: Set(lost.map(\.call))))
        XCTAssertEqual(E2E.files(under: dir + "/host-a/recordings", suffix: ".call.json"), [], "a sidecar was left unrecovered")

        // Host A's disk is gone: every report, whichever host recorded it, plays from host B.
        try FileManager.default.moveItem(atPath: dir + "/host-a/recordings", toPath: dir + "/host-a/recordings.gone")
        try E2E.ensureAgent(database: url)
        var played = 0
        for row in rows where row.hasRecording {
            let out = dir + "/played-\(row.code).wav"
            let listen = try E2E.execute("/usr/sbin/ip", ["netns", "exec", net.name("b"), E2E.binary, "agent", "listen", row.code,
                                                         "--out", out, "--db", url, "--as", "e2e-agent"], timeout: 30)
            XCTAssertEqual(listen.status, 0, "\(row.code) does not play from host B: \(listen.stderr)")
            XCTAssertGreaterThan(try WAVInfo(path: out).durationMs, 500, row.code)
            played += 1
        }
        let onA = routes.filter { $0.to == uriA }.count
        print("""
            two-host figures, run 1: 100 calls through Kamailio to hosts A and B (network namespaces, PostgreSQL primary \
            and streaming standby); host A killed (SIGKILL) at +25 s, back 6 s later; new calls on host B \
            \(String(format: "%.2f", failover)) s after the kill; calls lost \(lost.count) (all held by A: \(heldByA)); \
            completed \(completed.count); drafts \(rows.count) (\(interrupted.count) interrupted, recovered by A with their \
            audio); routed first to A \(onA), to B \(routes.count - onA); duplicate codes 0; \(played) recordings played \
            from host B with host A's recordings folder gone
            """)


        // Run 2: the database's primary stops while drafts are being filed; the standby is promoted 2 s later. The
        // gateways find it by themselves (libpq's multi-host string); callers hear the hold prompt meanwhile, and
        // every report is filed, none lost.
        let load2 = try callers(count: 40, overMs: 30_000, proxy: "\(net.bridgeIP):\(proxyPort)", net: net, dir: dir,
                                caller: "0912240002")
        defer { load2.process.kill() }
        Thread.sleep(forTimeInterval: 30)
        try pg.stopPrimary()
        let stoppedAt = Date()
        Thread.sleep(forTimeInterval: 2)
        try pg.promoteStandby()
        let promotedAt = Date()
        XCTAssertTrue(load2.wait(timeout: 170), "the SIPp load did not finish\n\(load2.report)")
        Thread.sleep(forTimeInterval: 2)
        let gateways = [gatewayA, gatewayB]
        func events(_ name: String) -> [(Date, String)] {
            gateways.flatMap { $0.lines(event: name) }.compactMap { line in Self.at(Substring(line)).map { ($0, line) } }
        }
        let completed2 = Set(load2.completedCalls)
        let run1 = Set(routes.map(\.call))
        let routes2 = kamailioRoutes(kamailio.log).filter { !run1.contains($0.call) }
        XCTAssertEqual(routes2.count, 40, "every call of run 2 reached a gateway")
        XCTAssertEqual(completed2.count, 40, "no call of run 2 failed\n\(load2.report)")
        XCTAssertEqual(events("draft-failed").map(\.1), [], "a report was not filed")
        let rows2 = try tickets(pg, url: url, onStandby: true)
        let codes2 = rows2.map(\.code)
        XCTAssertEqual(Set(codes2).count, codes2.count, "a tracking code was given twice")
        XCTAssertTrue(Set(codes).isSubset(of: Set(codes2)), "run 1's tickets are on the promoted standby")
        let whole2 = Set(rows2.filter { !$0.interrupted }.map(\.call))
        XCTAssertTrue(completed2.isSubset(of: whole2), "a completed call has no draft: \(completed2.subtracting(whole2))")
        let waited = events("draft-store-retry").filter { $0.0 > stoppedAt }
        XCTAssertGreaterThan(waited.count, 0, "no draft was being filed when the primary stopped: move the stop")
        let writes = events("draft-submitted").map(\.0).filter { $0 > stoppedAt }.sorted()
        let firstWrite = try XCTUnwrap(writes.first, "nothing was written after the primary stopped")
        let holds = events("draft-hold-prompt").filter { $0.0 > stoppedAt && $0.0 < firstWrite }
        let heldCalls = Set(holds.compactMap { Self.callID($0.1) })
        print("""
            two-host figures, run 2: 40 calls over 30 s; PostgreSQL's primary stopped (pg_ctl stop -m fast) at +30 s, \
            the standby promoted \(String(format: "%.1f", promotedAt.timeIntervalSince(stoppedAt))) s later; first draft \
            written \(String(format: "%.1f", firstWrite.timeIntervalSince(stoppedAt))) s after the stop \
            (\(String(format: "%.1f", firstWrite.timeIntervalSince(promotedAt))) s after the promotion); \
            \(Set(waited.compactMap { Self.callID($0.1) }).count) drafts waited (\(waited.count) retries); \
            \(heldCalls.count) callers heard the hold prompt (\(holds.count) times); calls completed \(completed2.count)/40; \
            drafts failed 0; duplicate codes 0
            """)

        XCTAssertEqual(gatewayA.stop(), 0, gatewayA.log.suffix(3000).description)
        XCTAssertEqual(gatewayB.stop(), 0, gatewayB.log.suffix(3000).description)
    }

    // MARK: Helpers

    private func callers(count: Int, overMs: Int, proxy: String, net: Namespaces, dir: String, caller: String) throws -> SIPpRun {
        let local = dir + "/speech.al"
        if !FileManager.default.fileExists(atPath: local) { try FileManager.default.copyItem(atPath: try SIPp.speech(), toPath: local) }
        return try SIPpRun.onFreePorts(scenario: "voice-report-proxy.xml", directory: dir) { sipPort, mediaPort in [
            proxy, "-sf", E2E.repo + "/Tests/sipp/voice-report-proxy.xml", "-i", net.bridgeIP,
            "-p", "\(sipPort)", "-mp", "\(mediaPort)", "-s", "1022", "-key", "caller", caller, "-timeout", "200s",
            "-timeout_error", "-m", "\(count)", "-r", "\(count)", "-rp", "\(overMs)", "-l", "\(count)",
        ] }
    }

    private struct Row {
        let code: String, call: String, interrupted: Bool, hasRecording: Bool
    }

    /// Every ticket, read with psql on the server that is the primary now.
    private func tickets(_ pg: ReplicatedPostgres, url: String, onStandby: Bool = false) throws -> [Row] {
        let out = try pg.psql(onStandby ? "s" : "p", "SELECT tracking_code || '|' || sip_call_id || '|' || interrupted::int || '|' || "
                              + "(EXISTS (SELECT 1 FROM attachments a WHERE a.ticket_id = tickets.id AND a.kind = 'recording'))::int FROM tickets")
        return out.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count == 4 }.map { Row(code: $0[0], call: $0[1], interrupted: $0[2] == "1", hasRecording: $0[3] == "1") }
    }

    private func kamailioRoutes(_ log: String) -> [(call: String, to: String, at: Date)] {
        log.split(separator: "\n").filter { $0.contains("hotline1022-route ") }.compactMap { line in
            guard let call = Self.field(line, "call"), let to = Self.field(line, "to"), let time = Self.at(line) else { return nil }
            return (call, to, time)
        }
    }

    private static func at(_ line: Substring) -> Date? {
        if line.contains(" at=") {
            return line.components(separatedBy: " at=").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                .map { Date(timeIntervalSince1970: $0) }
        }
        // A gateway's line starts with its ISO 8601 time.
        let stamp = line.split(separator: " ").first.map(String.init) ?? ""
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return format.date(from: stamp)
    }

    private static func field(_ line: Substring, _ name: String) -> String? {
        line.components(separatedBy: " \(name)=").dropFirst().first?.split(separator: " ").first.map(String.init)
    }

    private static func callID(_ line: String) -> String? {
        line.components(separatedBy: "call=").dropFirst().first?.split(separator: " ").first.map(String.init)
    }
}

/// The test's network: a bridge in the test's namespace and one namespace per host, each on the bridge with a
/// veth pair. Names carry a random tag, so runs side by side do not meet; `remove()` takes it all down.
final class Namespaces {
    let tag = String(UInt32.random(in: 0..<0xFFFFFF), radix: 16)
    let octet = Int.random(in: 20..<250)
    let hosts = ["a": 11, "b": 12, "p": 21, "s": 22]
    var bridge: String { "hlbr\(tag)" }
    var bridgeIP: String { "10.224.\(octet).1" }
    var subnet: String { "10.224.\(octet).0/24" }
    func name(_ host: String) -> String { "hl\(tag)\(host)" }
    func ip(_ host: String) -> String { "10.224.\(octet).\(hosts[host]!)" }

    init(dir: String) throws {
        try Self.ip(["link", "add", bridge, "type", "bridge"])
        try Self.ip(["addr", "add", bridgeIP + "/24", "dev", bridge])
        try Self.ip(["link", "set", bridge, "up"])
        for (host, _) in hosts.sorted(by: { $0.key < $1.key }) {
            let ns = name(host), inside = "hv\(tag)\(host)", outside = "hp\(tag)\(host)"
            try Self.ip(["netns", "add", ns])
            try Self.ip(["link", "add", inside, "type", "veth", "peer", "name", outside])
            try Self.ip(["link", "set", outside, "master", bridge, "up"])
            try Self.ip(["link", "set", inside, "netns", ns])
            try Self.ip(["netns", "exec", ns, "ip", "addr", "add", ip(host) + "/24", "dev", inside])
            try Self.ip(["netns", "exec", ns, "ip", "link", "set", inside, "up"])
            try Self.ip(["netns", "exec", ns, "ip", "link", "set", "lo", "up"])
        }
    }

    func remove() {
        for host in hosts.keys { _ = try? Self.ip(["netns", "del", name(host)]) }
        _ = try? Self.ip(["link", "del", bridge])
    }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        let out = try E2E.execute("/usr/sbin/ip", arguments, timeout: 20)
        guard out.status == 0 else { throw E2E.CommandFailed(description: "ip \(arguments.joined(separator: " ")): \(out.stderr)") }
        return out.stdout
    }
}

/// PostgreSQL 15 in namespaces `p` (the primary) and `s` (a streaming standby made with `pg_basebackup -R`), both
/// on port 5432 of their own address, trust authentication for the test's subnet only.
final class ReplicatedPostgres {
    let port = 5432
    let net: Namespaces
    let folder: String
    let bin = "/usr/lib/postgresql/15/bin"

    init(net: Namespaces, dir: String) throws {
        self.net = net
        // Outside the test's folder, which the postgres user may not enter.
        folder = NSTemporaryDirectory() + "hotline-pg-two-hosts-\(net.tag)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try PostgresServer.run("/usr/bin/chown", ["postgres", folder], as: nil)
        try as_postgres(nil, bin + "/initdb", ["-D", folder + "/p", "-A", "trust", "-U", "hotline", "-E", "UTF8",
                                               "--locale=C.UTF-8", "--no-sync"])
        let hba = "host all all \(net.subnet) trust\nhost replication all \(net.subnet) trust\n"
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: folder + "/p/pg_hba.conf"))
        handle.seekToEndOfFile()
        handle.write(Data(hba.utf8))
        handle.closeFile()
        try start("p")
        try as_postgres("p", bin + "/createdb", ["-h", net.ip("p"), "-p", "\(port)", "-U", "hotline", "hotline"])
        try as_postgres("s", bin + "/pg_basebackup", ["-h", net.ip("p"), "-p", "\(port)", "-U", "hotline", "-D", folder + "/s",
                                                      "-R", "-X", "stream", "-c", "fast", "--no-sync"])
        try start("s")
    }

    private func start(_ host: String) throws {
        // Each server its own socket folder: they share the port number, on two addresses.
        let sockets = folder + "/\(host)-socket"
        try FileManager.default.createDirectory(atPath: sockets, withIntermediateDirectories: true)
        try PostgresServer.run("/usr/bin/chown", ["postgres", sockets], as: nil)
        try as_postgres(host, bin + "/pg_ctl", ["-D", folder + "/\(host)", "-l", folder + "/\(host).log", "-w", "-t", "60", "-o",
                                                "-c listen_addresses=\(net.ip(host)) -p \(port) -k \(sockets) -c fsync=off "
                                                    + "-c max_connections=200 -c wal_level=replica -c hot_standby=on",
                                                "start"])
    }

    func stopPrimary() throws {
        try as_postgres("p", bin + "/pg_ctl", ["-D", folder + "/p", "-m", "fast", "-w", "stop"])
    }

    func promoteStandby() throws {
        try as_postgres("s", bin + "/pg_ctl", ["-D", folder + "/s", "-w", "promote"])
    }

    func stop() {
        for host in ["p", "s"] { _ = try? as_postgres(host, bin + "/pg_ctl", ["-D", folder + "/\(host)", "-m", "immediate", "-w", "stop"]) }
    }

    /// `psql -At -c SQL` against the server in `host`'s namespace.
    func psql(_ host: String, _ sql: String) throws -> String {
        let out = try E2E.execute("/usr/sbin/ip", ["netns", "exec", net.name(host), "/usr/sbin/runuser", "-u", "postgres", "--",
                                                   "/usr/bin/psql", "-h", net.ip(host), "-p", "\(port)", "-U", "hotline",
                                                   "-d", "hotline", "-At", "-c", sql], timeout: 30)
        guard out.status == 0 else { throw E2E.CommandFailed(description: "psql on \(host): \(out.stderr)") }
        return out.stdout
    }

    @discardableResult
    private func as_postgres(_ host: String?, _ tool: String, _ arguments: [String]) throws -> Int32 {
        let runuser = ["/usr/sbin/runuser", "-u", "postgres", "--", tool] + arguments
        let argv = host.map { ["/usr/sbin/ip", "netns", "exec", net.name($0)] + runuser } ?? runuser
        return try PostgresServer.run(argv[0], Array(argv.dropFirst()), as: nil, log: folder + "/tools.log")
    }
}
