import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why speech-to-text cannot run: the engine's library is missing or broken, or the engine refused.
/// Callers log it once and carry on without transcripts.
public struct TranscriptionUnavailable: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A failed transcription of one recording (the engine is fine; this audio was not).
public struct TranscriptionFailure: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The native library of the `viet-asr` wheel (see scripts/bootstrap), opened at run time with dlopen: the
/// build does not depend on it, and a machine without it runs as before. Its C API (the wheel's
/// `vietasr/ffi.py`):
///   VietasrPipeline* vietasr_pipeline_new(void);
///   int  vietasr_pipeline_add_module(VietasrPipeline*, const char* name, const char* json_config);
///   int  vietasr_pipeline_build(VietasrPipeline*);
///   void vietasr_pipeline_free(VietasrPipeline*);
///   const char* vietasr_transcribe_buffer(VietasrPipeline*, const short* s16, int n, float sample_rate);  // JSON
///   void vietasr_set_log_level(int);  const char* vietasr_version(void);  const char* vietasr_last_error(void);
/// The streaming Conformer/CTC model is embedded in the library; it takes 8 kHz directly and writes lower
/// case, no punctuation, numbers spelled out.
public final class VietASRLibrary: @unchecked Sendable {
    /// Where `scripts/bootstrap` installs it.
    public static let defaultPath = "/usr/local/lib/hotline1022/vietasr/libvietasr.so"

    public let path: String
    /// The engine's version (vietasr_version), stored with every transcript.
    public let version: String

    typealias PipelineNew = @convention(c) () -> OpaquePointer?
    typealias AddModule = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    typealias Build = @convention(c) (OpaquePointer?) -> Int32
    typealias Free = @convention(c) (OpaquePointer?) -> Void
    typealias TranscribeBuffer = @convention(c) (OpaquePointer?, UnsafePointer<Int16>?, Int32, Float) -> UnsafePointer<CChar>?
    typealias SetLogLevel = @convention(c) (Int32) -> Void
    typealias CString = @convention(c) () -> UnsafePointer<CChar>?

    let pipelineNew: PipelineNew
    let addModule: AddModule
    let build: Build
    let free: Free
    let transcribeBuffer: TranscribeBuffer
    let lastErrorFunction: CString

    private nonisolated(unsafe) static var opened: [String: VietASRLibrary] = [:]
    private static let lock = NSLock()

    /// Opens the library once per path (it is never closed: the engine keeps threads and static state).
    /// Throws `TranscriptionUnavailable` when the file is absent, cannot be loaded, or lacks a function.
    public static func load(path: String = defaultPath) throws -> VietASRLibrary {
        lock.lock()
        defer { lock.unlock() }
        if let library = opened[path] { return library }
        let library = try VietASRLibrary(path: path)
        opened[path] = library
        return library
    }

    private init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TranscriptionUnavailable("không có thư viện nhận dạng tiếng nói \(path) (cài bằng scripts/bootstrap)")
        }
        // RTLD_LOCAL: the engine's symbols (and its ONNX Runtime, found through its $ORIGIN run path) stay
        // out of the process's global namespace.
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            throw TranscriptionUnavailable("không nạp được thư viện nhận dạng tiếng nói \(path): \(why)")
        }
        func symbol<T>(_ name: String, _: T.Type) throws -> T {
            guard let p = dlsym(handle, name) else {
                throw TranscriptionUnavailable("thư viện \(path) thiếu hàm \(name): không phải bản viet-asr mong đợi")
            }
            return unsafeBitCast(p, to: T.self)
        }
        pipelineNew = try symbol("vietasr_pipeline_new", PipelineNew.self)
        addModule = try symbol("vietasr_pipeline_add_module", AddModule.self)
        build = try symbol("vietasr_pipeline_build", Build.self)
        free = try symbol("vietasr_pipeline_free", Free.self)
        transcribeBuffer = try symbol("vietasr_transcribe_buffer", TranscribeBuffer.self)
        lastErrorFunction = try symbol("vietasr_last_error", CString.self)
        let versionFunction = try symbol("vietasr_version", CString.self)
        let setLogLevel = try symbol("vietasr_set_log_level", SetLogLevel.self)
        // 3: warnings and errors only (the engine's INFO lines would interleave with the gateway's log).
        setLogLevel(3)
        version = versionFunction().map { String(cString: $0) } ?? "unknown"
    }

    /// The engine's last error message ("" when none).
    public var lastError: String { lastErrorFunction().map { String(cString: $0) } ?? "" }

    /// A recognizer ready to transcribe (the model is loaded here: about a second and 150 MB). One per
    /// thread: a recognizer is not shared between threads.
    public func makeRecognizer() throws -> VietASRRecognizer {
        try VietASRRecognizer(library: self)
    }
}

/// Something that turns 8 kHz mono 16-bit speech into text; the worker takes any (tests may give a fake).
public protocol SpeechRecognizer: AnyObject {
    /// Stored with each transcript.
    var engineVersion: String { get }
    func transcribe(samples: [Int16], sampleRate: Int) throws -> String
}

/// One vietasr pipeline with the "vietasr" module (the embedded Vietnamese model), built and ready.
public final class VietASRRecognizer: SpeechRecognizer {
    let library: VietASRLibrary
    private var pipeline: OpaquePointer?

    public var engineVersion: String { "vietasr \(library.version)" }

    init(library: VietASRLibrary) throws {
        self.library = library
        guard let p = library.pipelineNew() else {
            throw TranscriptionUnavailable("vietasr_pipeline_new: \(library.lastError)")
        }
        pipeline = p
        let added = library.addModule(p, "vietasr", "{}")
        guard added == 0 else {
            library.free(p)
            pipeline = nil
            throw TranscriptionUnavailable("vietasr_pipeline_add_module(vietasr) = \(added): \(library.lastError)")
        }
        let built = library.build(p)
        guard built == 0 else {
            library.free(p)
            pipeline = nil
            throw TranscriptionUnavailable("vietasr_pipeline_build = \(built): \(library.lastError)")
        }
    }

    deinit { if let pipeline { library.free(pipeline) } }

    /// The text the engine heard ("" for silence). Throws `TranscriptionFailure` when the engine refuses.
    public func transcribe(samples: [Int16], sampleRate: Int = 8000) throws -> String {
        guard samples.count < Int(Int32.max) else { throw TranscriptionFailure("bản ghi quá dài") }
        let raw = samples.withUnsafeBufferPointer { buffer in
            library.transcribeBuffer(pipeline, buffer.baseAddress, Int32(buffer.count), Float(sampleRate))
        }
        guard let raw else {
            throw TranscriptionFailure("vietasr_transcribe_buffer: \(library.lastError)")
        }
        return try Self.text(ofResult: String(cString: raw))
    }

    /// The "text" of the engine's JSON result, whitespace tidied.
    static func text(ofResult json: String) throws -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let text = object["text"] as? String
        else {
            throw TranscriptionFailure("kết quả của bộ nhận dạng không đọc được: \(json.prefix(200))")
        }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
