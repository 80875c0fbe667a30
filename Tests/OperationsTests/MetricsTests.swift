import Foundation
import HotlineCore
import HotlineStore
import Operations
import WebServer
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Prometheus text format as `/metrics` prints it, the gateway's event tap, and the two routes over a
/// real loopback listener.
final class MetricsTests: XCTestCase {
    func testCountersGaugesAndHistogramsRenderInTheExpositionFormat() {
        let m = Metrics()
        m.declare("t_calls_total", .counter, help: "Calls.\nTwo lines \\ backslash")
        m.declare("t_in_progress", .gauge, help: "Now.")
        m.declare("t_seconds", .histogram, help: "Time.", buckets: [0.5, 0.1, 1])
        m.declare("t_refused_total", .counter, help: "By reason.")
        m.increment("t_calls_total")
        m.increment("t_calls_total", by: 2)
        m.add("t_in_progress", 3)
        m.add("t_in_progress", -1)
        for v in [0.05, 0.3, 0.7, 4] { m.observe("t_seconds", v) }
        m.increment("t_refused_total", labels: [("reason", "a \"quoted\"\\ne\nline")])
        XCTAssertEqual(m.render(), """
            # HELP t_calls_total Calls.\\nTwo lines \\\\ backslash
            # TYPE t_calls_total counter
            t_calls_total 3
            # HELP t_in_progress Now.
            # TYPE t_in_progress gauge
            t_in_progress 2
            # HELP t_seconds Time.
            # TYPE t_seconds histogram
            t_seconds_bucket{le="0.1"} 1
            t_seconds_bucket{le="0.5"} 2
            t_seconds_bucket{le="1"} 3
            t_seconds_bucket{le="+Inf"} 4
            t_seconds_sum 5.05
            t_seconds_count 4
            # HELP t_refused_total By reason.
            # TYPE t_refused_total counter
            t_refused_total{reason="a \\"quoted\\"\\\\ne\\nline"} 1

            """)
    }

    func testScrapeCollectorsRunOnEveryRender() {
        let m = Metrics()
        m.declare("t_queue", .gauge, help: "Queue.")
        final class Box: @unchecked Sendable { var n = 0 }
        let box = Box()
        m.onScrape { $0.set("t_queue", Double(box.n)) }
        box.n = 7
        XCTAssertTrue(m.render().contains("t_queue 7\n"))
        box.n = 2
        XCTAssertTrue(m.render().contains("t_queue 2\n"))
    }

    func testGatewayEventsBecomeCallMetrics() {
        let g = GatewayMetrics()
        for event in ["incoming", "answered", "incoming", "recording-finished", "hangup", "digit", "ready"] {
            g.observe(event: event, metadata: [("call", "x")])
        }
        g.observe(event: "rejected-draining", metadata: [("call", "y")])
        g.observe(event: "sip-refused", metadata: [("reason", "caller-limit"), ("code", "503")])
        g.observe(event: "sip-refused", metadata: [("reason", "caller-limit")])
        g.refused(reason: "stranger")
        g.draftStored(seconds: 0.004, interrupted: false, succeeded: true)
        g.draftStored(seconds: 0.002, interrupted: true, succeeded: true)
        g.draftStored(seconds: 7, interrupted: false, succeeded: false)
        let r = g.registry
        XCTAssertEqual(r.value(GatewayMetrics.calls), 2)
        XCTAssertEqual(r.value(GatewayMetrics.callsInProgress), 1)
        XCTAssertEqual(r.value(GatewayMetrics.answered), 1)
        XCTAssertEqual(r.value(GatewayMetrics.recordings), 1)
        XCTAssertEqual(r.value(GatewayMetrics.refused, labels: [("reason", "draining")]), 1)
        XCTAssertEqual(r.value(GatewayMetrics.refused, labels: [("reason", "caller-limit")]), 2)
        XCTAssertEqual(r.value(GatewayMetrics.refused, labels: [("reason", "stranger")]), 1)
        XCTAssertEqual(r.value(GatewayMetrics.drafts, labels: [("interrupted", "false")]), 1)
        XCTAssertEqual(r.value(GatewayMetrics.drafts, labels: [("interrupted", "true")]), 1)
        XCTAssertEqual(r.value(GatewayMetrics.draftFailures), 1)
        XCTAssertEqual(r.observations(GatewayMetrics.storeSeconds), 3)
        let text = r.render()
        XCTAssertTrue(text.contains("hotline1022_draft_store_seconds_bucket{le=\"0.005\"} 2\n"), text)
        XCTAssertTrue(text.contains("hotline1022_draft_store_seconds_bucket{le=\"10\"} 3\n"), text)
    }

    func testMetricsAndHealthzOverALoopbackListener() throws {
        let g = GatewayMetrics()
        g.observe(event: "incoming", metadata: [])
        let health = Health()
        final class Flag: @unchecked Sendable { var problem: String? }
        let flag = Flag()
        health.add("gateway") { flag.problem }
        let server = try OperationsRoutes.startListener(port: 0, metrics: g.registry, health: health, logger: SilentLogger())
        defer { server.stop() }
        XCTAssertNotEqual(server.port, 0)
        let base = "http://127.0.0.1:\(server.port)"
        let metrics = try get(base + "/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertEqual(metrics.contentType, OperationsRoutes.contentType)
        XCTAssertTrue(metrics.body.contains("hotline1022_calls_in_progress 1\n"), metrics.body)
        XCTAssertEqual(try get(base + "/healthz").status, 200)
        XCTAssertEqual(try get(base + "/healthz").body, "ok\n")
        flag.problem = "draining"
        let sick = try get(base + "/healthz")
        XCTAssertEqual(sick.status, 503)
        XCTAssertEqual(sick.body, "gateway: draining\n")
        XCTAssertEqual(try get(base + "/other").status, 404)
    }

    /// `/metrics` shows the queue's figures as `queue stats` computes them from the log and the live state, and
    /// leaves a ratio out (rather than print 0) until it has a base.
    func testTheQueueFiguresComeFromTheLogAndTheLiveState() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("hotline.sqlite").path
        let store = try TicketStore(path: path)
        defer { try? store.close() }
        let now = Date()
        let probe = StoreProbe(path: path)
        defer { probe.close() }
        let g = GatewayMetrics()
        g.collect(from: probe)
        var text = g.registry.render()
        XCTAssertTrue(text.contains("hotline1022_queue_offered_today 0\n"), text)
        XCTAssertFalse(text.contains("hotline1022_queue_service_level{"), "no answer yet, no service level: \(text)")

        let start = max(QueueStats.dayStart(of: now), now.addingTimeInterval(-600))
        let records = [
            QueueRecord(kind: .enter, call: "1", callerNumber: "0912000001", position: 1),
            QueueRecord(kind: .enter, call: "2", callerNumber: "0912000002", position: 2),
            QueueRecord(kind: .connect, call: "1", callerNumber: "0912000001", agent: "lan", waitSeconds: 12),
            QueueRecord(kind: .abandon, call: "2", callerNumber: "0912000002", position: 1, waitSeconds: 40),
            QueueRecord(kind: .enter, call: "3", callerNumber: "0912000003", position: 1),
            QueueRecord(kind: .connect, call: "3", callerNumber: "0912000003", agent: "minh", waitSeconds: 30),
        ]
        for (i, r) in records.enumerated() { try store.appendQueueRecord(r, at: start.addingTimeInterval(Double(i))) }
        try store.saveQueueSnapshot(QueueSnapshot(waiting: 4, longestWaitSeconds: 75, agents: [
            .init(name: "lan", state: "onCall", label: "Đang nghe máy", since: now),
            .init(name: "minh", state: "ready", label: "Sẵn sàng", since: now),
            .init(name: "hoa", state: "break", label: "Tạm nghỉ", since: now),
        ], host: "gw-a", at: now))
        let expected = QueueStats(today: try store.queueRecords(since: QueueStats.dayStart(of: now)),
                                  snapshots: try store.queueSnapshots(), now: now)
        XCTAssertEqual(expected.answered, 2)
        XCTAssertEqual(expected.serviceLevelWithAbandoned, 1.0 / 3.0)
        text = g.registry.render()
        for line in ["hotline1022_queue_waiting 4", "hotline1022_queue_longest_wait_seconds 75",
                     "hotline1022_queue_agents{state=\"onCall\"} 1", "hotline1022_queue_agents{state=\"ready\"} 1",
                     "hotline1022_queue_agents{state=\"break\"} 1", "hotline1022_queue_agents{state=\"offline\"} 0",
                     "hotline1022_queue_offered_today 3", "hotline1022_queue_answered_today 2",
                     "hotline1022_queue_abandoned_today 1", "hotline1022_queue_callbacks_due 1",
                     "hotline1022_queue_service_level{abandoned=\"ignored\"} 0.5",
                     "hotline1022_queue_service_level{abandoned=\"counted\"} \(1.0 / 3.0)",
                     "hotline1022_queue_asa_seconds 21",
                     "hotline1022_queue_abandonment_rate \(1.0 / 3.0)"] {
            XCTAssertTrue(text.contains(line + "\n"), "missing \(line) in:\n\(text)")
        }
    }

    private func get(_ url: String) throws -> (status: Int, contentType: String?, body: String) {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, String?, String)?
        nonisolated(unsafe) var failure: Error?
        URLSession.shared.dataTask(with: URL(string: url)!) { data, response, error in
            if let http = response as? HTTPURLResponse {
                result = (http.statusCode, http.value(forHTTPHeaderField: "Content-Type"), String(decoding: data ?? Data(), as: UTF8.self))
            } else {
                failure = error
            }
            done.signal()
        }.resume()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        if let failure { throw failure }
        let r = try XCTUnwrap(result)
        return (r.0, r.1, r.2)
    }
}
