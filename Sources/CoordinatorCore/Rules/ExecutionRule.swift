import VigilCodec

/// The rule one execution is judged by, fully resolved at its registration (issue 24): its
/// kind's values with the execution's own `monitor` overrides on top, the `executions` section
/// filling what neither sets. Fixed for the execution's life and durable with its registration
/// record (``encode(to:)``), so every node and every later leader judges it alike, even after
/// the configuration's kinds change.
///
/// An execution with no kind and no overrides has no ``ExecutionRule`` at all: it is judged by
/// the cluster's ``SweepRule`` exactly as before (index 0 of the ``RuleTable``).
public struct ExecutionRule: Sendable, Hashable, CustomStringConvertible {
    /// The kind it came from (`kinds.<name>`); `nil`: overrides only.
    public var kind: String?
    /// A heartbeat older than this is a strike.
    public var heartbeatTimeoutMs: Int64
    /// Strikes in a row that mark the execution FAILED.
    public var maxStrikes: Int
    /// Progress unchanged this long (heartbeats continuing) makes the execution stalled; 0: off.
    public var progressTimeoutMs: Int64
    /// A running execution older than this (since registration) is FAILED (`max_runtime`); 0: off.
    public var maxRuntimeMs: Int64
    /// A stall fails the execution (rule `stalled_progress`) instead of only warning.
    public var failWhenStalled: Bool

    public init(
        kind: String? = nil, heartbeatTimeoutMs: Int64, maxStrikes: Int, progressTimeoutMs: Int64 = 0, maxRuntimeMs: Int64 = 0, failWhenStalled: Bool = false
    ) {
        self.kind = kind
        self.heartbeatTimeoutMs = heartbeatTimeoutMs
        self.maxStrikes = maxStrikes
        self.progressTimeoutMs = progressTimeoutMs
        self.maxRuntimeMs = maxRuntimeMs
        self.failWhenStalled = failWhenStalled
    }

    /// The cluster's default rule, as an execution rule (what index 0 means).
    public init(_ rule: SweepRule) {
        self.init(heartbeatTimeoutMs: rule.heartbeatTimeoutMs, maxStrikes: rule.maxStrikes)
    }

    /// Whether the sweep must look past the heartbeat rule for it (progress or runtime).
    public var hasExtras: Bool { progressTimeoutMs > 0 || maxRuntimeMs > 0 }

    public var description: String {
        var parts = ["heartbeat_timeout_s=\(Self.seconds(heartbeatTimeoutMs))", "max_strikes=\(maxStrikes)"]
        if progressTimeoutMs > 0 { parts.append("progress_timeout_s=\(Self.seconds(progressTimeoutMs))") }
        if maxRuntimeMs > 0 { parts.append("max_runtime_s=\(Self.seconds(maxRuntimeMs))") }
        if failWhenStalled { parts.append("fail_when_stalled") }
        return (kind.map { "\($0): " } ?? "") + parts.joined(separator: " ")
    }

    static func seconds(_ ms: Int64) -> String { ms % 1000 == 0 ? String(ms / 1000) : String(Double(ms) / 1000) }

    // MARK: Encoding

    /// The encoding's version byte.
    static let format: UInt8 = 1

    /// Appends `format | flags (1 kind, 2 fail_when_stalled) | [kind] | timeout ms | strikes |
    /// progress timeout ms | max runtime ms` (varints).
    public func encode(to out: inout [UInt8]) {
        out.append(Self.format)
        var flags: UInt8 = 0
        if kind != nil { flags |= 1 }
        if failWhenStalled { flags |= 2 }
        out.append(flags)
        if let kind {
            Varint.append(UInt64(kind.utf8.count), to: &out)
            out += kind.utf8
        }
        Varint.append(UInt64(max(0, heartbeatTimeoutMs)), to: &out)
        Varint.append(UInt64(max(0, maxStrikes)), to: &out)
        Varint.append(UInt64(max(0, progressTimeoutMs)), to: &out)
        Varint.append(UInt64(max(0, maxRuntimeMs)), to: &out)
    }

    /// Reads ``encode(to:)``; `nil` for damaged bytes.
    public init?(reading r: inout ByteReader) {
        guard r.readByte() == Self.format, let flags = r.readByte() else { return nil }
        var kind: String?
        if flags & 1 != 0 {
            guard let n = r.readVarint(), n <= 64, n <= UInt64(r.remaining), let bytes = r.readBytes(Int(n)) else { return nil }
            kind = String(decoding: bytes, as: UTF8.self)
        }
        guard let timeout = r.readVarint(), timeout > 0, timeout <= Self.maxMs, let strikes = r.readVarint(), (1...255).contains(strikes),
            let progress = r.readVarint(), progress <= Self.maxMs, let runtime = r.readVarint(), runtime <= Self.maxMs
        else { return nil }
        self.init(
            kind: kind, heartbeatTimeoutMs: Int64(timeout), maxStrikes: Int(strikes), progressTimeoutMs: Int64(progress), maxRuntimeMs: Int64(runtime),
            failWhenStalled: flags & 2 != 0
        )
    }

    /// The longest duration a rule holds: a year, as the configuration's seconds keys.
    public static let maxMs: UInt64 = 366 * 86_400_000
}
