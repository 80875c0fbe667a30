import Foundation
import XCTest

@testable import WebServer

/// HTTPS through libmicrohttpd's TLS, with a throwaway self-signed certificate for 127.0.0.1.
/// URLSession on Linux cannot be told to trust a private certificate, so curl (`--cacert`) is the client.
final class TLSTests: XCTestCase {
    func testServesHTTPSWithHSTSAndRefusesPlainHTTPOnTheSamePort() throws {
        let folder = NSTemporaryDirectory() + "webserver-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let certificate = folder + "/cert.pem"
        let key = folder + "/key.pem"
        let made = try runTool("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                                "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                                                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        XCTAssertEqual(made.status, 0, made.output)

        var router = Router()
        router.get("/hello") { request in .text(request.isSecure ? "xin chào qua TLS" : "không mã hoá") }
        // A network address is accepted without the plain-HTTP allowance once TLS is configured;
        // the test still binds loopback only.
        XCTAssertNoThrow(try WebServerConfiguration(
            address: "0.0.0.0", tls: .init(certificatePath: certificate, privateKeyPath: key)).validate())
        let server = WebServer(configuration: WebServerConfiguration(
            address: "127.0.0.1", port: 0, tls: .init(certificatePath: certificate, privateKeyPath: key)),
                               router: router)
        try server.start()
        defer { server.stop() }

        let secure = try runTool("/usr/bin/curl", ["-sS", "-i", "--max-time", "10", "--cacert", certificate,
                                               "https://127.0.0.1:\(server.port)/hello"])
        XCTAssertEqual(secure.status, 0, secure.output)
        XCTAssertTrue(secure.output.hasPrefix("HTTP/1.1 200"), secure.output)
        XCTAssertTrue(secure.output.lowercased().contains("strict-transport-security: max-age=31536000"))
        XCTAssertTrue(secure.output.hasSuffix("xin chào qua TLS"), secure.output)

        let plain = try runTool("/usr/bin/curl", ["-sS", "-i", "--max-time", "10", "http://127.0.0.1:\(server.port)/hello"])
        XCTAssertFalse(plain.output.contains("xin chào"), plain.output)
    }
}
