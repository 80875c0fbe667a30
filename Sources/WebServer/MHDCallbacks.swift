import CMicroHTTPD
import Foundation
import protocol HotlineCore.EventLogger
import enum HotlineCore.LogLevel

/// Every `@convention(c)` function libmicrohttpd calls. They are static members of an enum so they are
/// nonisolated (a top-level closure would be main-actor isolated and trap on a connection thread); they
/// capture nothing, and find their Swift state through the `cls` / `con_cls` pointers.
enum MHDCallbacks {
    /// MHD_AccessHandlerCallback: called once when the headers are in (`*con_cls == NULL`), once per body
    /// chunk (`*upload_data_size != 0`, which must be set to 0 once consumed), and once at the end.
    static let access: MHD_AccessHandlerCallback = {
        cls, connection, url, method, _, uploadData, uploadDataSize, requestContext in
        guard let cls, let connection, let uploadDataSize, let requestContext else { return MHD_Result.NO }
        let server = Unmanaged<WebServer>.fromOpaque(cls).takeUnretainedValue()
        return server.access(connection: connection, url: url, method: method, uploadData: uploadData,
                             uploadDataSize: uploadDataSize, requestContext: requestContext)
    }

    /// MHD_LogCallback (MHD_OPTION_EXTERNAL_LOGGER): formats libmicrohttpd's message and hands it to the
    /// server's logger instead of stderr.
    static let log: MHD_LogCallback = { cls, format, arguments in
        guard let cls, let format, let arguments else { return }
        let server = Unmanaged<WebServer>.fromOpaque(cls).takeUnretainedValue()
        var buffer = [CChar](repeating: 0, count: 1024)
        _ = vsnprintf(&buffer, buffer.count, format, arguments)
        let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        server.logger?.log(.warning, "http-library", [("message", message.trimmingCharacters(in: .whitespacesAndNewlines))])
    }

    /// MHD_RequestCompletedCallback: releases the per-request state retained by the first `access` call.
    static let requestCompleted: MHD_RequestCompletedCallback = { _, _, requestContext, _ in
        guard let requestContext, let pending = requestContext.pointee else { return }
        Unmanaged<PendingRequest>.fromOpaque(pending).release()
        requestContext.pointee = nil
    }

    /// MHD_KeyValueIterator: appends one header or query argument to a `ValueCollector`.
    static let collectValue: MHD_KeyValueIterator = { cls, _, key, value in
        guard let cls, let key else { return MHD_Result.YES }
        let collector = Unmanaged<ValueCollector>.fromOpaque(cls).takeUnretainedValue()
        collector.pairs.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
        return MHD_Result.YES
    }

    /// MHD_ContentReaderCallback for event streams: blocks until the client has bytes to send.
    static let readStream: MHD_ContentReaderCallback = { cls, _, buffer, max in
        guard let cls, let buffer else { return HL_MHD_CONTENT_READER_END_WITH_ERROR }
        let context = Unmanaged<StreamContext>.fromOpaque(cls).takeUnretainedValue()
        return context.client.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: max))
    }

    /// MHD_ContentReaderFreeCallback: the stream's response is gone, so is the connection.
    static let freeStream: MHD_ContentReaderFreeCallback = { cls in
        guard let cls else { return }
        let context = Unmanaged<StreamContext>.fromOpaque(cls).takeRetainedValue()
        context.server?.streamEnded(context.client)
        context.client.finished()
    }
}

/// Per-request state between the calls of the access handler.
final class PendingRequest {
    var body: [UInt8] = []
    var tooLarge = false
}

final class ValueCollector {
    var pairs: [(String, String)] = []
}

final class StreamContext {
    let client: EventStreamClient
    weak var server: WebServer?

    init(client: EventStreamClient, server: WebServer) {
        (self.client, self.server) = (client, server)
    }
}

extension WebServer {
    func access(connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
                uploadData: UnsafePointer<CChar>?, uploadDataSize: UnsafeMutablePointer<Int>,
                requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let pendingPointer = requestContext.pointee else {
            let pending = PendingRequest()
            requestContext.pointee = Unmanaged.passRetained(pending).toOpaque()
            if let declared = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
               let length = Int(String(cString: declared)), length > configuration.maxBodyBytes {
                // Answered before the body is read; libmicrohttpd then closes the connection.
                pending.tooLarge = true
                return queue(HTTPError.payloadTooLarge.response, request: nil, on: connection)
            }
            return MHD_Result.YES
        }
        let pending = Unmanaged<PendingRequest>.fromOpaque(pendingPointer).takeUnretainedValue()
        let size = uploadDataSize.pointee
        if size > 0 {
            if !pending.tooLarge {
                if pending.body.count + size > configuration.maxBodyBytes {
                    pending.tooLarge = true
                    pending.body = []
                } else if let uploadData {
                    pending.body.append(contentsOf: UnsafeRawBufferPointer(start: uploadData, count: size))
                }
            }
            uploadDataSize.pointee = 0
            return MHD_Result.YES
        }
        if pending.tooLarge { return queue(HTTPError.payloadTooLarge.response, request: nil, on: connection) }

        let request = HTTPRequest(
            method: HTTPMethod(method.map { String(cString: $0) } ?? "GET"),
            path: url.map { String(cString: $0) } ?? "/",
            queryItems: Self.values(of: .GET_ARGUMENT_KIND, on: connection).map { (name: $0.0, value: $0.1) },
            headers: HTTPHeaders(Self.values(of: .HEADER_KIND, on: connection)),
            body: pending.body,
            remoteAddress: Self.numericAddress(hl_mhd_client_address(connection)),
            isSecure: isSecure)
        pending.body = []
        let logger = self.logger
        let response = router.respond(to: request) { error in
            logger?.log(.error, "http-handler-failed", [("method", "\(request.method)"), ("path", request.path),
                                                        ("from", request.remoteAddress), ("error", "\(error)")])
        }
        return queue(response, request: request, on: connection)
    }

    private func queue(_ response: HTTPResponse, request: HTTPRequest?, on connection: OpaquePointer) -> MHD_Result {
        var status = response.status
        var headers = response.headers
        var created: OpaquePointer?
        switch response.body {
        case .bytes(let bytes):
            created = Self.bufferResponse(bytes)
        case .file(let path):
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            var info = stat()
            guard descriptor >= 0, fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                if descriptor >= 0 { close(descriptor) }
                return queue(HTTPError.notFound.response, request: nil, on: connection)
            }
            let size = UInt64(info.st_size)
            headers.set("Accept-Ranges", "bytes")
            switch ByteRange.resolve(header: request?.headers["Range"], size: size) {
            case .whole:
                created = MHD_create_response_from_fd_at_offset64(size, descriptor, 0)
            case .partial(let range):
                status = 206
                headers.set("Content-Range", range.contentRange(size: size))
                created = MHD_create_response_from_fd_at_offset64(range.length, descriptor, range.first)
            case .unsatisfiable:
                close(descriptor)
                status = 416
                headers.set("Content-Range", "bytes */\(size)")
                created = Self.bufferResponse([])
            }
            // The response owns the descriptor only once it exists.
            if created == nil, status != 416 { close(descriptor) }
        case .eventStream(let client):
            if !streamStarted(client) { client.close() }
            let context = Unmanaged.passRetained(StreamContext(client: client, server: self))
            created = MHD_create_response_from_callback(HL_MHD_SIZE_UNKNOWN, 4096, MHDCallbacks.readStream,
                                                        context.toOpaque(), MHDCallbacks.freeStream)
            if created == nil {
                context.release()
                streamEnded(client)
                client.finished()
            }
        }
        guard let created else { return MHD_Result.NO }
        SecurityHeaders.apply(to: &headers, tls: isSecure)
        for field in headers {
            _ = MHD_add_response_header(created, field.name, field.value)
        }
        let result = MHD_queue_response(connection, UInt32(status), created)
        MHD_destroy_response(created)
        return result
    }

    private static func bufferResponse(_ bytes: [UInt8]) -> OpaquePointer? {
        bytes.withUnsafeBytes { raw in
            MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress),
                                            .RESPMEM_MUST_COPY)
        }
    }

    private static func values(of kind: MHD_ValueKind, on connection: OpaquePointer) -> [(String, String)] {
        let collector = ValueCollector()
        withExtendedLifetime(collector) {
            _ = MHD_get_connection_values(connection, kind, MHDCallbacks.collectValue,
                                          Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.pairs
    }

    private static func numericAddress(_ address: UnsafePointer<sockaddr>?) -> String {
        guard let address else { return "" }
        let length = Int32(address.pointee.sa_family) == AF_INET6
            ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, socklen_t(length), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return ""
        }
        return host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
