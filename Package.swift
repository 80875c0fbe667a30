// swift-tools-version:6.0
import PackageDescription

// Layers, dependencies pointing one way:
//   CPJSIP, CSQLite, CLibPQ, CMicroHTTPD, CCrypto (C shims)
//   HotlineCore (domain rules, no I/O)   IVR (dialplans in, call actions out)
//   HotlineStore (SQLite or PostgreSQL, the only importer of CSQLite and CLibPQ; persists, decides nothing)
//   HotlineDesk (the application layer: every operation a person performs, permission-checked once; uses
//                PromptTools for the administrators' prompt operations)
//   Gateway (PJSIP, the only importer of CPJSIP)
//   HotlineServices (the phone desk, the outbox and its senders (Kannel, Zalo ZNS, webhook) and the carriers'
//                    delivery reports, the dialplan watcher: long-running services serve wires)
//   DeskSecurity (passwords, sessions, CSRF, sign-in throttling, no HTTP; the only importer of CCrypto)
//   WebServer (HTTP on libmicrohttpd, the only importer of CMicroHTTPD; WebAuth/ puts DeskSecurity on HTTP)
//   PromptTools (regenerates prompt WAVs; admin tooling)
//   Transcription (speech-to-text workers; the engine is dlopen'ed at run time, never linked)
//   Console (the browser desk for every role and the citizens' channels, Open311 included: pages on WebServer,
//            every operation through HotlineDesk, the read models from HotlineCore; it never sees the store)
//   Operations (running it for real: metrics and health over WebServer, data modes, backups; no SIP)
//   hotline1022 (the executable: parses, wires, runs)
let package = Package(
    name: "Hotline1022",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hotline1022", targets: ["hotline1022"]),
    ],
    targets: [
        .systemLibrary(name: "CPJSIP", pkgConfig: "libpjproject",
                       providers: [.apt(["libpjproject-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
                       providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),

        .target(name: "HotlineCore"),
        .target(name: "HotlineStore", dependencies: ["HotlineCore", "CSQLite", "CLibPQ"]),
        .target(name: "IVR", dependencies: ["HotlineCore"]),
        .target(name: "HotlineDesk", dependencies: ["HotlineCore", "HotlineStore", "IVR", "DeskSecurity", "PromptTools"]),
        .target(name: "Gateway", dependencies: ["IVR", "HotlineCore", "CPJSIP"]),
        .target(name: "HotlineServices", dependencies: ["Gateway", "HotlineDesk", "HotlineStore", "HotlineCore", "IVR",
                                                      "DeskSecurity", "WebServer"]),
        .target(name: "PromptTools", dependencies: ["HotlineCore"]),
        .target(name: "WebServer", dependencies: ["CMicroHTTPD", "DeskSecurity", "HotlineCore"], exclude: ["README.md"]),
        .target(name: "DeskSecurity", dependencies: ["CCrypto"]),
        .target(name: "Transcription", dependencies: ["HotlineStore", "HotlineCore"]),
        .target(name: "Operations", dependencies: ["HotlineCore", "HotlineStore", "WebServer"]),
        .target(name: "Console", dependencies: ["HotlineDesk", "WebServer", "DeskSecurity", "HotlineCore"]),
        // For the tests only (never linked into the executable): a real PostgreSQL server they start themselves.
        .target(name: "StoreTestSupport"),
        .executableTarget(name: "hotline1022",
                          dependencies: ["HotlineCore", "HotlineStore", "HotlineDesk", "IVR", "Gateway", "PromptTools",
                                         "Transcription", "HotlineServices", "Console", "Operations"]),

        .testTarget(name: "HotlineCoreTests", dependencies: ["HotlineCore"]),
        .testTarget(name: "HotlineStoreTests", dependencies: ["HotlineStore", "HotlineCore", "StoreTestSupport"]),
        .testTarget(name: "HotlineDeskTests", dependencies: ["HotlineDesk", "HotlineStore", "HotlineCore", "DeskSecurity",
                                                     "StoreTestSupport"]),
        .testTarget(name: "IVRTests", dependencies: ["IVR", "HotlineCore"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "CPJSIP"]),
        .testTarget(name: "HotlineServicesTests", dependencies: ["HotlineServices", "Gateway", "HotlineStore", "HotlineCore", "IVR",
                                                                 "WebServer"]),
        .testTarget(name: "PromptToolsTests", dependencies: ["PromptTools", "HotlineCore"]),
        .testTarget(name: "WebServerTests", dependencies: ["WebServer", "DeskSecurity", "HotlineCore"]),
        .testTarget(name: "EndToEndTests", dependencies: ["HotlineStore", "HotlineCore", "StoreTestSupport"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "HotlineDesk", "HotlineStore", "HotlineCore", "WebServer",
                                                         "DeskSecurity", "StoreTestSupport"]),
        .testTarget(name: "TranscriptionTests", dependencies: ["Transcription", "HotlineStore", "HotlineCore"]),
        .testTarget(name: "OperationsTests", dependencies: ["Operations", "HotlineStore", "HotlineCore", "WebServer",
                                                            "StoreTestSupport"]),
    ]
)
