import WebServer

/// WebServer's router (HotlineCore has a `Router` too: the case router).
typealias HTTPRouter = Router
