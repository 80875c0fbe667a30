/// Headers the server puts on every response, whatever the handler returned.
public enum SecurityHeaders {
    /// No inline script or style, no plugins, no framing; every asset comes from the binary itself.
    public static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static func apply(to headers: inout HTTPHeaders, tls: Bool) {
        headers.set("Content-Security-Policy", contentSecurityPolicy)
        headers.set("X-Content-Type-Options", "nosniff")
        headers.set("Referrer-Policy", "no-referrer")
        headers.set("X-Frame-Options", "DENY")
        headers.set("Cross-Origin-Opener-Policy", "same-origin")
        if tls { headers.set("Strict-Transport-Security", "max-age=31536000") }
        // Pages show personal data: nothing is cached unless the handler says otherwise (static assets).
        if !headers.contains("Cache-Control") { headers.set("Cache-Control", "no-store") }
    }
}
