// swift-tools-version:6.0
import PackageDescription

// Layers, dependencies pointing one way:
//   CPJSIP, CSQLite (C shims)
//   HotlineCore (domain rules, no I/O)   IVR (dialplans in, call actions out)
//   HotlineStore (SQLite, the only importer of CSQLite)
//   Gateway (PJSIP, the only importer of CPJSIP)
//   PromptTools (regenerates prompt WAVs; admin tooling)
//   Transcription (speech-to-text workers; the engine is dlopen'ed at run time, never linked)
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

        .target(name: "HotlineCore"),
        .target(name: "HotlineStore", dependencies: ["HotlineCore", "CSQLite"]),
        .target(name: "IVR"),
        .target(name: "Gateway", dependencies: ["IVR", "CPJSIP"]),
        .target(name: "PromptTools", dependencies: ["HotlineCore"]),
        .target(name: "Transcription", dependencies: ["HotlineStore", "HotlineCore"]),
        .executableTarget(name: "hotline1022",
                          dependencies: ["HotlineCore", "HotlineStore", "IVR", "Gateway", "PromptTools", "Transcription"]),

        .testTarget(name: "HotlineCoreTests", dependencies: ["HotlineCore"]),
        .testTarget(name: "HotlineStoreTests", dependencies: ["HotlineStore", "HotlineCore"]),
        .testTarget(name: "IVRTests", dependencies: ["IVR"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway"]),
        .testTarget(name: "PromptToolsTests", dependencies: ["PromptTools"]),
        .testTarget(name: "EndToEndTests", dependencies: ["HotlineStore", "HotlineCore"]),
        .testTarget(name: "TranscriptionTests", dependencies: ["Transcription", "HotlineStore", "HotlineCore"]),
    ]
)
