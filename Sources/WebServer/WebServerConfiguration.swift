import Foundation

/// Where and how the console listens.
public struct WebServerConfiguration: Sendable {
    /// A numeric IPv4 or IPv6 address (`127.0.0.1`, `0.0.0.0`, `::1`); `localhost` means `127.0.0.1`.
    public var address: String
    /// 0 picks a free port (read it back from `WebServer.port`).
    public var port: UInt16
    /// HTTPS from PEM files; nil serves plain HTTP.
    public var tls: TLSFiles?
    /// Plain HTTP on an address other than loopback sends passwords and cookies in clear:
    /// refused unless the administrator sets this.
    public var allowPlainHTTPOnNetwork: Bool
    /// Requests whose body is larger are answered 413.
    public var maxBodyBytes: Int
    /// Connections beyond this are refused by libmicrohttpd (each has its own thread).
    public var connectionLimit: Int
    /// Seconds of silence after which a connection is closed; event streams send a heartbeat before this.
    public var connectionTimeout: Int

    public struct TLSFiles: Sendable, Equatable {
        public var certificatePath: String
        public var privateKeyPath: String

        public init(certificatePath: String, privateKeyPath: String) {
            (self.certificatePath, self.privateKeyPath) = (certificatePath, privateKeyPath)
        }
    }

    public init(address: String = "127.0.0.1", port: UInt16 = 8080, tls: TLSFiles? = nil,
                allowPlainHTTPOnNetwork: Bool = false, maxBodyBytes: Int = 32 * 1024 * 1024,
                connectionLimit: Int = 1000, connectionTimeout: Int = 120) {
        (self.address, self.port, self.tls) = (address, port, tls)
        (self.allowPlainHTTPOnNetwork, self.maxBodyBytes) = (allowPlainHTTPOnNetwork, maxBodyBytes)
        (self.connectionLimit, self.connectionTimeout) = (connectionLimit, connectionTimeout)
    }

    /// True for 127.0.0.0/8 and ::1 (and `localhost`).
    public static func isLoopback(_ address: String) -> Bool {
        switch ListenAddress.parse(address) {
        case .ipv4(let bytes)?: return bytes.0 == 127
        case .ipv6(let bytes)?: return bytes == ListenAddress.ipv6Loopback
        case nil: return false
        }
    }

    /// Checks the configuration before anything is bound.
    public func validate() throws(WebServerError) {
        guard ListenAddress.parse(address) != nil else { throw .invalidAddress(address) }
        if tls == nil && !allowPlainHTTPOnNetwork && !Self.isLoopback(address) {
            throw .plainHTTPOnNetwork(address: address)
        }
        if let tls {
            for path in [tls.certificatePath, tls.privateKeyPath] where !FileManager.default.isReadableFile(atPath: path) {
                throw .unreadableTLSFile(path)
            }
        }
        guard maxBodyBytes > 0, connectionLimit > 0, connectionTimeout > 0 else { throw .invalidLimits }
    }
}

/// Why the server did not start. Messages are for the administrator, in Vietnamese.
public enum WebServerError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidAddress(String)
    case plainHTTPOnNetwork(address: String)
    case unreadableTLSFile(String)
    case tlsUnsupported
    case invalidLimits
    case startFailed(address: String, port: UInt16, reason: String)

    public var description: String {
        switch self {
        case .invalidAddress(let address):
            return "Địa chỉ web không hợp lệ: «\(address)». Dùng địa chỉ IP dạng số, ví dụ 127.0.0.1 hoặc 0.0.0.0."
        case .plainHTTPOnNetwork(let address):
            return "Từ chối phục vụ HTTP không mã hoá trên \(address): mật khẩu và phiên sẽ đi qua mạng ở dạng rõ. "
                + "Hãy cấp chứng chỉ (--web-certificate, --web-private-key), nghe trên 127.0.0.1, "
                + "hoặc cho phép rõ ràng nếu mạng đã được bảo vệ."
        case .unreadableTLSFile(let path):
            return "Không đọc được tệp TLS: \(path). Kiểm tra đường dẫn và quyền đọc."
        case .tlsUnsupported:
            return "Thư viện libmicrohttpd trên máy này không hỗ trợ TLS."
        case .invalidLimits:
            return "Giới hạn máy chủ web phải là số dương."
        case .startFailed(let address, let port, let reason):
            return "Không khởi động được máy chủ web trên \(address):\(port): \(reason). "
                + "Cổng có thể đang được dùng bởi chương trình khác."
        }
    }
}

/// A numeric listen address.
enum ListenAddress: Equatable {
    case ipv4((UInt8, UInt8, UInt8, UInt8))
    case ipv6([UInt8])

    static let ipv6Loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]

    static func parse(_ text: String) -> ListenAddress? {
        let address = text == "localhost" ? "127.0.0.1" : text
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            let bytes = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return .ipv4((bytes[0], bytes[1], bytes[2], bytes[3]))
        }
        var v6 = in6_addr()
        let unbracketed = address.hasPrefix("[") && address.hasSuffix("]")
            ? String(address.dropFirst().dropLast()) : address
        if inet_pton(AF_INET6, unbracketed, &v6) == 1 {
            return .ipv6(withUnsafeBytes(of: v6) { Array($0) })
        }
        return nil
    }

    static func == (lhs: ListenAddress, rhs: ListenAddress) -> Bool {
        switch (lhs, rhs) {
        case (.ipv4(let a), .ipv4(let b)): return a == b
        case (.ipv6(let a), .ipv6(let b)): return a == b
        default: return false
        }
    }
}
