import DeskSecurity
import Foundation
import HotlineCore
import HotlineDesk
import Synchronization
import WebServer

// The supervisors' wallboard (issue 23 §6): one page, live over server-sent events, readable at 1366×768 and on a
// TV across the room. The server renders the board; each event carries the board again, rendered the same way.

extension Pages {
    /// "1:05" for 65 seconds, "1:02:05" past an hour.
    static func duration(_ seconds: Int) -> String {
        let s = max(0, seconds)
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    static func wallboard(_ w: Wallboard, message: (text: String, error: Bool)? = nil, user: User, session: Session) -> String {
        let notice = message.map { flash($0.text, error: $0.error) } ?? ""
        // Supervisors listen in silently on an agent's call (their own phone rings).
        let agents = w.stats.agentStates.map(\.name).sorted()
        let listen = user.role == .supervisor && !agents.isEmpty ? """
            <form method="post" action="/bang-tong-dai/nghe-kem" class="toolbar wb-listen">\(SessionGuard.csrfField(session))\
            <label for="nghe-kem">Nghe kèm cuộc gọi của</label>\
            <select id="nghe-kem" name="tong_dai_vien">\(agents.map { "<option>\(e($0))</option>" }.joined())</select>\
            <button type="submit" title="Điện thoại của bạn ở hàng chờ sẽ đổ chuông; bạn nghe được cả hai bên, không ai nghe thấy bạn.">Nghe kèm</button>\
            <span class="muted">điện thoại của bạn đổ chuông; không ai nghe thấy bạn</span></form>
            """ : ""
        return layout(title: "Bảng theo dõi", user: user, session: session, current: "wallboard", body: """
            <h1 class="wb-title">Bảng theo dõi tổng đài 1022 <span id="live" class="live">Đang kết nối…</span></h1>
            \(notice)
            <div id="wallboard" data-wallboard aria-live="off">\(wallboardBoard(w))</div>
            \(listen)
            """, bodyClass: "wallboard-page")
    }

    /// The board itself (the page's, and every event's). `data-at` is when it was computed (ms since 1970).
    static func wallboardBoard(_ w: Wallboard) -> String {
        let s = w.stats
        func tile(_ key: String, _ label: String, _ value: String, _ note: String = "", tone: String = "") -> String {
            """
            <div class="wb-tile\(tone.isEmpty ? "" : " " + tone)" data-k="\(key)"><span class="wb-label">\(e(label))</span>\
            <span class="wb-value">\(e(value))</span>\(note.isEmpty ? "" : "<span class=\"wb-note\">\(e(note))</span>")</div>
            """
        }
        let waitingTone = s.waiting == 0 ? "" : s.longestWaitSeconds > 60 ? "bad" : "warn"
        let levelTone = s.serviceLevel.map { $0 >= 0.8 ? "good" : $0 >= 0.6 ? "warn" : "bad" } ?? ""
        let deadline: String
        if let due = w.nearestDeadline, let code = w.nearestDeadlineCode {
            let left = Int(due.timeIntervalSince(w.at).rounded())
            deadline = tile("nearestDeadline", "Hạn gần nhất", duration(abs(left)),
                            (left < 0 ? "đã quá hạn · " : "còn lại · ") + code, tone: left < 0 ? "bad" : left < 900 ? "warn" : "")
        } else {
            deadline = tile("nearestDeadline", "Hạn gần nhất", "—", "không có phiếu chờ")
        }
        let rows = s.agentStates.sorted { $0.name < $1.name }.map { a in
            """
            <tr data-agent="\(e(a.name))" data-state="\(e(a.state))"><td>\(e(a.name))</td><td><span class="wb-state">\(e(a.label))</span></td>\
            <td class="num">\(duration(Int(w.at.timeIntervalSince(a.since))))</td></tr>
            """
        }.joined(separator: "\n")
        let hosts = s.hosts.isEmpty ? "Không có cổng thoại nào báo trạng thái trong \(Int(QueueSnapshot.freshSeconds)) giây qua." : "Cổng thoại: " + s.hosts.joined(separator: ", ")
        return """
            <div class="wb-grid" data-at="\(millis(w.at))">
            \(tile("waiting", "Đang chờ", "\(s.waiting)", "người gọi", tone: waitingTone))
            \(tile("longestWait", "Chờ lâu nhất", duration(s.longestWaitSeconds), "phút:giây", tone: waitingTone))
            \(tile("offered", "Cuộc gọi vào hàng chờ", "\(s.offered)", "hôm nay"))
            \(tile("answered", "Được nghe máy", "\(s.answered)", "hôm nay"))
            \(tile("abandoned", "Bỏ máy khi chờ", "\(s.abandoned)", "tỷ lệ \(ReportFormat.percent(s.abandonmentRate))"))
            \(tile("serviceLevel", "Mức phục vụ (≤ 20 giây)", ReportFormat.percent(s.serviceLevel),
                   "tính cả bỏ máy: \(ReportFormat.percent(s.serviceLevelWithAbandoned))", tone: levelTone))
            \(tile("asa", "Chờ trung bình tới khi nghe", s.asaSeconds.map { duration(Int($0.rounded())) } ?? "—", "phút:giây (ASA)"))
            \(tile("callbacksDue", "Cần gọi lại", "\(s.callbacksDue)", "trong 60 phút từ cuộc gọi", tone: s.callbacksDue > 0 ? "warn" : ""))
            \(tile("casesWaiting", "Phiếu chờ tổng đài", "\(w.casesWaiting)", "trong đó \(w.voiceReportsWaiting) ghi âm"))
            \(deadline)
            </div>
            <table class="wb-agents"><caption>Tổng đài viên: sẵn sàng \(s.agents.ready), đang nghe \(s.agents.onCall), \
            đổ chuông \(s.agents.ringing), hoàn tất \(s.agents.wrapUp), tạm nghỉ \(s.agents.break), không trực \(s.agents.offline)</caption>
            <thead><tr><th scope="col">Tổng đài viên</th><th scope="col">Trạng thái</th><th scope="col" class="num">Đã bao lâu</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"3\" class=\"muted\">Chưa có tổng đài viên nào trong hàng chờ.</td></tr>" : rows)</tbody></table>
            <p class="muted wb-foot">\(e(hosts)) · Cập nhật \(e(vietnamTime(w.at, year: false)))</p>
            """
    }
}

/// Who watches the wallboard: each stream with the user it was opened for (checked by the desk then).
final class WallboardViewers: Sendable {
    let events = EventBroadcaster(heartbeat: 15)
    private let viewers = Mutex([Int: User]())

    func add(_ client: EventStreamClient, user: User) { viewers.withLock { $0[client.id] = user } }

    /// A user still watching (the streams that ended are forgotten), nil when nobody watches.
    func anyViewer() -> User? {
        let live = Set(events.clients.map(\.id))
        return viewers.withLock { viewers in
            viewers = viewers.filter { live.contains($0.key) }
            return viewers.values.first
        }
    }
}

extension Console {
    /// How often the board is sent to its watchers.
    static let wallboardInterval: TimeInterval = 1

    func wallboardRoutes(_ router: inout HTTPRouter) {
        router.get("/bang-tong-dai", page { c in
            let asked = c.request.query("nghe").map { ("Đã yêu cầu nghe kèm cuộc gọi của \($0): điện thoại của bạn sẽ đổ chuông trong vài giây.", false) }
            return .html(Pages.wallboard(try c.desk.wallboard(as: c.user), message: asked, user: c.user, session: c.session))
        })
        router.post("/bang-tong-dai/nghe-kem", page { c in
            let agent = try c.request.form()["tong_dai_vien"] ?? ""
            do {
                try c.desk.listenIn(to: agent, as: c.user)
                return .redirect(to: "/bang-tong-dai?nghe=" + (agent.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            } catch let error as DeskError where !error.isForbidden {
                return .html(Pages.wallboard(try c.desk.wallboard(as: c.user), message: (error.rendered(), true), user: c.user,
                                             session: c.session), status: 422)
            }
        })
        router.get("/bang-tong-dai/su-kien", page { [self] c in
            let board = try c.desk.wallboard(as: c.user)  // the desk decides who may watch
            let client = wallboard.events.subscribe(tag: c.user.name)
            wallboard.add(client, user: c.user)
            client.send(Self.wallboardEvent(board))
            return .eventStream(client)
        })
    }

    static func wallboardEvent(_ board: Wallboard) -> ServerSentEvent {
        ServerSentEvent(event: "wallboard", data: Pages.wallboardBoard(board), id: Pages.millis(board.at))
    }

    /// On the watcher's thread: the board again for everyone watching, at most once a `wallboardInterval`.
    func pushWallboard(_ desk: Desk) {
        guard let viewer = wallboard.anyViewer() else { return }
        do {
            wallboard.events.broadcast(Self.wallboardEvent(try desk.wallboard(as: viewer)))
        } catch {
            logger.log(.warning, "wallboard-failed", [("error", "\(error)")])
        }
    }
}
