import Foundation

/// Counters, gauges and histograms, rendered in the Prometheus text exposition format (version 0.0.4).
///
/// Thread-safe: any thread may update (an update is a dictionary write under a lock, cheap enough for the
/// gateway's owner thread); `render()` runs the scrape-time collectors first (values read from the store or
/// elsewhere when someone asks), then prints every family in the order it was declared.
public final class Metrics: @unchecked Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// Label pairs in a fixed order (the order given), e.g. `[("reason", "draining")]`.
    public typealias Labels = [(String, String)]

    private struct Key: Hashable {
        let labels: [String]  // name, value, name, value…
        init(_ labels: Labels) { self.labels = labels.flatMap { [$0.0, $0.1] } }
        var pairs: Labels { stride(from: 0, to: labels.count, by: 2).map { (labels[$0], labels[$0 + 1]) } }
    }

    private struct Histogram {
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    private struct Family {
        let name: String
        let help: String
        let kind: Kind
        let buckets: [Double]
        var values: [Key: Double] = [:]
        var histograms: [Key: Histogram] = [:]
        var order: [Key] = []
    }

    private let lock = NSLock()
    private var families: [String: Family] = [:]
    private var declared: [String] = []
    private var collectors: [@Sendable (Metrics) -> Void] = []

    public init() {}

    /// Declares a family once (a second declaration of the same name is ignored). Histograms take their
    /// upper bounds in seconds or whatever unit the name says; `+Inf` is added.
    public func declare(_ name: String, _ kind: Kind, help: String, buckets: [Double] = []) {
        precondition(Self.isValidName(name), "invalid metric name \(name)")
        locked {
            guard families[name] == nil else { return }
            families[name] = Family(name: name, help: help, kind: kind, buckets: buckets.sorted())
            declared.append(name)
        }
    }

    /// A counter goes up by `by` (≥ 0).
    public func increment(_ name: String, labels: Labels = [], by amount: Double = 1) {
        precondition(amount >= 0, "a counter only goes up")
        update(name, labels) { $0 += amount }
    }

    /// A gauge goes up or down.
    public func add(_ name: String, _ delta: Double, labels: Labels = []) { update(name, labels) { $0 += delta } }

    /// A gauge (or a counter read from elsewhere at scrape time) takes a value.
    public func set(_ name: String, _ value: Double, labels: Labels = []) { update(name, labels) { $0 = value } }

    /// A gauge's series goes away (a ratio that has no base any more); nothing if it was never set.
    public func remove(_ name: String, labels: Labels = []) {
        let key = Key(labels)
        locked {
            guard var family = families[name], family.values.removeValue(forKey: key) != nil else { return }
            family.order.removeAll { $0 == key }
            families[name] = family
        }
    }

    /// A histogram observation.
    public func observe(_ name: String, _ value: Double, labels: Labels = []) {
        let key = Key(labels)
        locked {
            guard var family = families[name] else { preconditionFailure("metric \(name) was not declared") }
            precondition(family.kind == .histogram, "\(name) is not a histogram")
            var h = family.histograms[key] ?? Histogram(counts: Array(repeating: 0, count: family.buckets.count))
            if family.histograms[key] == nil { family.order.append(key) }
            for (i, bound) in family.buckets.enumerated() where value <= bound { h.counts[i] += 1 }
            h.sum += value
            h.count += 1
            family.histograms[key] = h
            families[name] = family
        }
    }

    /// The current value of a counter or gauge (tests, health), nil if it was never set.
    public func value(_ name: String, labels: Labels = []) -> Double? {
        locked { families[name]?.values[Key(labels)] }
    }

    /// How many observations a histogram has had.
    public func observations(_ name: String, labels: Labels = []) -> UInt64 {
        locked { families[name]?.histograms[Key(labels)]?.count ?? 0 }
    }

    /// Runs `collect` before every render: for values that are read when asked (queue lengths from the store).
    public func onScrape(_ collect: @escaping @Sendable (Metrics) -> Void) {
        locked { collectors.append(collect) }
    }

    /// The exposition text: `# HELP`, `# TYPE`, then each series; label values escaped.
    public func render() -> String {
        let scrapers = locked { collectors }
        for collect in scrapers { collect(self) }
        return locked {
            var out = ""
            for name in declared {
                guard let family = families[name] else { continue }
                out += "# HELP \(name) \(Self.escapeHelp(family.help))\n# TYPE \(name) \(family.kind.rawValue)\n"
                switch family.kind {
                case .counter, .gauge:
                    for key in family.order {
                        out += "\(name)\(Self.labelText(key.pairs)) \(Self.number(family.values[key] ?? 0))\n"
                    }
                case .histogram:
                    let keys = family.order.isEmpty ? [Key([])] : family.order
                    for key in keys {
                        let h = family.histograms[key] ?? Histogram(counts: Array(repeating: 0, count: family.buckets.count))
                        for (i, bound) in family.buckets.enumerated() {
                            out += "\(name)_bucket\(Self.labelText(key.pairs + [("le", Self.number(bound))])) \(h.counts[i])\n"
                        }
                        out += "\(name)_bucket\(Self.labelText(key.pairs + [("le", "+Inf")])) \(h.count)\n"
                        out += "\(name)_sum\(Self.labelText(key.pairs)) \(Self.number(h.sum))\n"
                        out += "\(name)_count\(Self.labelText(key.pairs)) \(h.count)\n"
                    }
                }
            }
            return out
        }
    }

    // MARK: Helpers

    private func update(_ name: String, _ labels: Labels, _ change: (inout Double) -> Void) {
        let key = Key(labels)
        locked {
            guard var family = families[name] else { preconditionFailure("metric \(name) was not declared") }
            precondition(family.kind != .histogram, "\(name) is a histogram: observe it")
            if family.values[key] == nil { family.order.append(key) }
            var value = family.values[key] ?? 0
            change(&value)
            family.values[key] = value
            families[name] = family
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || first == "_" || first == ":" else {
            return false
        }
        return name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
            || $0 == "_" || $0 == ":" }
    }

    static func labelText(_ pairs: Labels) -> String {
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { "\(sanitizedLabelName($0.0))=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func sanitizedLabelName(_ name: String) -> String {
        String(name.unicodeScalars.map { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_"
            ? Character($0) : "_" })
    }

    /// Label values escape backslash, double quote and line feed (the exposition format's rules).
    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a decimal point, others as Swift prints a Double; NaN and infinities by name.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
