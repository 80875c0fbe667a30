import CMicroHTTPD
import Foundation
import protocol HotlineCore.EventLogger

/// The HTTP(S) server: libmicrohttpd with one thread per connection, so a handler may block on SQLite and an
/// event stream may wait for its next event without holding up other connections.
///
/// Owns the `MHD_Daemon`: `start()` creates it, `stop()` (also run by `deinit`) stops it and joins every
/// connection thread. The router is fixed at init.
public final class WebServer: @unchecked Sendable {
    public let configuration: WebServerConfiguration
    let router: Router

    private struct State {
        var daemon: OpaquePointer?
        var port: UInt16 = 0
        var stopping = false
        var streams: [ObjectIdentifier: EventStreamClient] = [:]
        /// PEM texts handed to libmicrohttpd; kept until the daemon is stopped.
        var tlsMemory: [UnsafeMutablePointer<CChar>] = []
    }

    private let lock = NSLock()
    private var current = State()

    /// The daemon pointer and the PEM buffers are not Sendable, so the state sits behind a plain lock.
    private func withState<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&current)
    }

    /// Receives libmicrohttpd's own messages (bind failures, TLS errors) and errors thrown by handlers that
    /// were answered 500. Called on connection threads.
    /// libmicrohttpd's own messages (`http-library`) and handler faults answered 500 (`http-handler-failed`).
    let logger: EventLogger?

    public init(configuration: WebServerConfiguration, router: Router, logger: EventLogger? = nil) {
        (self.configuration, self.router, self.logger) = (configuration, router, logger)
    }

    deinit { stop() }

    /// The bound port (the chosen one when the configuration asked for 0); 0 before `start()`.
    public var port: UInt16 { withState { $0.port } }

    public var isSecure: Bool { configuration.tls != nil }

    public var isRunning: Bool { withState { $0.daemon != nil } }

    /// Binds and starts serving. Throws before binding anything if the configuration is refused
    /// (plain HTTP on a network address without the explicit allowance, unreadable TLS files).
    /// Does nothing if the server is already running.
    public func start() throws(WebServerError) {
        guard !isRunning else { return }
        try configuration.validate()
        guard let address = ListenAddress.parse(configuration.address) else {
            throw .invalidAddress(configuration.address)
        }
        var tlsMemory: [UnsafeMutablePointer<CChar>] = []
        if let tls = configuration.tls {
            guard MHD_is_feature_supported(.FEATURE_TLS) == MHD_Result.YES else { throw .tlsUnsupported }
            for path in [tls.privateKeyPath, tls.certificatePath] {
                guard let pem = try? String(contentsOfFile: path, encoding: .utf8), let copy = strdup(pem) else {
                    tlsMemory.forEach { free($0) }
                    throw .unreadableTLSFile(path)
                }
                tlsMemory.append(copy)
            }
        }

        var flags = MHD_USE_THREAD_PER_CONNECTION.rawValue | MHD_USE_INTERNAL_POLLING_THREAD.rawValue
            | MHD_USE_AUTO.rawValue | MHD_USE_ERROR_LOG.rawValue
        if configuration.tls != nil { flags |= MHD_USE_TLS.rawValue }
        let socketAddress = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: 1)
        defer { socketAddress.deallocate() }
        socketAddress.initialize(to: sockaddr_storage())
        switch address {
        case .ipv4(let bytes):
            socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                sin.pointee.sin_family = sa_family_t(AF_INET)
                sin.pointee.sin_port = configuration.port.bigEndian
                withUnsafeMutableBytes(of: &sin.pointee.sin_addr) { raw in
                    raw.copyBytes(from: [bytes.0, bytes.1, bytes.2, bytes.3])
                }
            }
        case .ipv6(let bytes):
            flags |= MHD_USE_IPv6.rawValue
            socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                sin6.pointee.sin6_family = sa_family_t(AF_INET6)
                sin6.pointee.sin6_port = configuration.port.bigEndian
                withUnsafeMutableBytes(of: &sin6.pointee.sin6_addr) { raw in raw.copyBytes(from: bytes) }
            }
        }

        let context = Unmanaged.passUnretained(self).toOpaque()
        // The logger goes first: libmicrohttpd warns about (and prints to stderr) anything logged before it is set.
        var options: [CVarArg] = [
            MHD_OPTION.EXTERNAL_LOGGER.rawValue, unsafeBitCast(MHDCallbacks.log, to: OpaquePointer.self),
            OpaquePointer(context),
            MHD_OPTION.NOTIFY_COMPLETED.rawValue, unsafeBitCast(MHDCallbacks.requestCompleted, to: OpaquePointer.self),
            OpaquePointer(context),
            MHD_OPTION.CONNECTION_LIMIT.rawValue, UInt32(configuration.connectionLimit),
            MHD_OPTION.CONNECTION_TIMEOUT.rawValue, UInt32(configuration.connectionTimeout),
            MHD_OPTION.SOCK_ADDR.rawValue, OpaquePointer(socketAddress),
        ]
        if tlsMemory.count == 2 {
            options += [MHD_OPTION.HTTPS_MEM_KEY.rawValue, OpaquePointer(tlsMemory[0]),
                        MHD_OPTION.HTTPS_MEM_CERT.rawValue, OpaquePointer(tlsMemory[1])]
        }
        options.append(MHD_OPTION.END.rawValue)

        let daemon = withVaList(options) { arguments in
            MHD_start_daemon_va(flags, configuration.port, nil, nil, MHDCallbacks.access, context, arguments)
        }
        guard let daemon else {
            let reason = String(cString: strerror(errno))
            tlsMemory.forEach { free($0) }
            throw .startFailed(address: configuration.address, port: configuration.port, reason: reason)
        }
        let bound = hl_mhd_bound_port(daemon)
        withState { state in
            state.daemon = daemon
            state.port = bound
            state.stopping = false
            state.tlsMemory = tlsMemory
        }
    }

    /// Stops listening, ends every event stream and waits for the connection threads to finish.
    public func stop() {
        let (daemon, streams) = withState { state -> (OpaquePointer?, [EventStreamClient]) in
            state.stopping = true
            return (state.daemon, Array(state.streams.values))
        }
        guard let daemon else { return }
        // MHD_stop_daemon joins the connection threads; a stream reader waits for events, so wake it first.
        streams.forEach { $0.close() }
        MHD_stop_daemon(daemon)
        withState { state in
            state.tlsMemory.forEach { free($0) }
            state.tlsMemory = []
            state.daemon = nil
            state.port = 0
            state.streams = [:]
        }
    }

    // MARK: called from MHDCallbacks on connection threads

    /// Registers a stream being served; false when the server is stopping (the stream is then closed at once).
    func streamStarted(_ client: EventStreamClient) -> Bool {
        withState { state in
            guard !state.stopping else { return false }
            state.streams[ObjectIdentifier(client)] = client
            return true
        }
    }

    func streamEnded(_ client: EventStreamClient) {
        _ = withState { $0.streams.removeValue(forKey: ObjectIdentifier(client)) }
    }
}
