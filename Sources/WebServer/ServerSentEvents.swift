import Foundation
import Synchronization

/// One server-sent event (HTML Living Standard §9.2, "event stream" format).
public struct ServerSentEvent: Sendable, Equatable {
    public var event: String?
    public var data: String
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        (self.event, self.data, self.id) = (event, data, id)
    }

    /// `event:`/`id:` lines, one `data:` line per line of data, then a blank line. Line breaks inside
    /// `event` and `id` are dropped so a value can never inject a field.
    public var encoded: [UInt8] {
        var text = ""
        if let event { text += "event: \(Self.oneLine(event))\n" }
        if let id { text += "id: \(Self.oneLine(id))\n" }
        let lines = data.replacingOccurrences(of: "\r\n", with: "\n").split(
            omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" })
        for line in lines { text += "data: \(line)\n" }
        text += "\n"
        return Array(text.utf8)
    }

    private static func oneLine(_ text: String) -> String {
        String(text.filter { $0 != "\n" && $0 != "\r" && $0 != "\r\n" })
    }
}

/// One connected event-stream client. The server's reader thread blocks in `read` until there is
/// something to send, the heartbeat interval passes (a comment line is sent so a dead peer is noticed),
/// or the stream is closed.
public final class EventStreamClient: @unchecked Sendable {
    public let id: Int
    /// What the application attached when subscribing (a user id, a unit), to address events.
    public let tag: String

    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var closed = false
    private var gone = false
    private let heartbeat: TimeInterval
    private let maxPendingBytes: Int
    private let onGone: @Sendable (EventStreamClient) -> Void

    init(id: Int, tag: String, heartbeat: TimeInterval, maxPendingBytes: Int,
         onGone: @escaping @Sendable (EventStreamClient) -> Void) {
        self.id = id
        self.tag = tag
        self.heartbeat = heartbeat
        self.maxPendingBytes = maxPendingBytes
        self.onGone = onGone
        // A first line so headers and a first chunk leave at once, and the browser's retry delay.
        pending = Array("retry: 2000\n\n".utf8)
    }

    /// Queues an event. Returns false if the client is closed, or too slow (its queue is full: it is closed).
    @discardableResult
    public func send(_ event: ServerSentEvent) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        let bytes = event.encoded
        if pending.count + bytes.count > maxPendingBytes {
            closed = true
            condition.broadcast()
            return false
        }
        pending += bytes
        condition.signal()
        return true
    }

    /// Ends the stream from the server side once what is queued has been sent.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// True once the connection is over (the peer left, a write failed, or the stream was closed and drained).
    public var isGone: Bool {
        condition.lock()
        defer { condition.unlock() }
        return gone
    }

    /// Called on the connection's thread: copies up to `max` bytes into `buffer`. Returns the count,
    /// or -1 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        condition.lock()
        defer { condition.unlock() }
        // A loop, not an `if`: a condition variable may wake without a signal.
        let deadline = Date(timeIntervalSinceNow: heartbeat)
        while pending.isEmpty && !closed {
            if !condition.wait(until: deadline) {
                if pending.isEmpty && !closed { pending = Array(": \n\n".utf8) }
                break
            }
        }
        if pending.isEmpty { return -1 }
        let count = min(buffer.count, pending.count)
        pending.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: count)
        }
        pending.removeFirst(count)
        return count
    }

    /// Called once by the server when libmicrohttpd frees the response (the connection ended).
    func finished() {
        condition.lock()
        let already = gone
        gone = true
        closed = true
        condition.broadcast()
        condition.unlock()
        if !already { onGone(self) }
    }
}

/// The set of connected event-stream clients. Handlers `subscribe` and return `.eventStream(client)`;
/// the application `broadcast`s from any thread. Disconnects are reported through `onDisconnect`.
public final class EventBroadcaster: Sendable {
    private struct State {
        var clients: [Int: EventStreamClient] = [:]
        var nextID = 1
    }

    private let state = Mutex(State())
    private let heartbeat: TimeInterval
    private let maxPendingBytes: Int
    private let onDisconnect: (@Sendable (EventStreamClient) -> Void)?

    /// - Parameters:
    ///   - heartbeat: idle time after which a comment line is sent; a peer that left is noticed then.
    ///   - maxPendingBytes: a client whose unsent events exceed this is disconnected (it is not reading).
    public init(heartbeat: TimeInterval = 15, maxPendingBytes: Int = 1 << 20,
                onDisconnect: (@Sendable (EventStreamClient) -> Void)? = nil) {
        (self.heartbeat, self.maxPendingBytes, self.onDisconnect) = (heartbeat, maxPendingBytes, onDisconnect)
    }

    /// Registers a new client; answer the request with `HTTPResponse.eventStream(client)`.
    public func subscribe(tag: String = "") -> EventStreamClient {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            let client = EventStreamClient(id: id, tag: tag, heartbeat: heartbeat, maxPendingBytes: maxPendingBytes,
                                           onGone: { [weak self] client in self?.remove(client) })
            state.clients[id] = client
            return client
        }
    }

    /// Sends `event` to every client for which `include` is true. Returns how many clients it was queued for.
    @discardableResult
    public func broadcast(_ event: ServerSentEvent,
                          to include: (EventStreamClient) -> Bool = { _ in true }) -> Int {
        let targets = state.withLock { Array($0.clients.values) }
        var sent = 0
        for client in targets where include(client) {
            if client.send(event) { sent += 1 }
        }
        return sent
    }

    public var connectedCount: Int { state.withLock { $0.clients.count } }

    public var clients: [EventStreamClient] { state.withLock { Array($0.clients.values) } }

    /// Closes every stream (server shutdown).
    public func closeAll() {
        for client in clients { client.close() }
    }

    private func remove(_ client: EventStreamClient) {
        let removed = state.withLock { $0.clients.removeValue(forKey: client.id) }
        if removed != nil { onDisconnect?(client) }
    }
}
