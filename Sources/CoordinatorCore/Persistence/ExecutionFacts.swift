import VigilCodec

/// The facts a node makes durable in the store before it acknowledges them, in compact binary:
/// registrations (an execution's existence) and terminal outcomes (completions, failures).
/// Heartbeat refreshes are not stored: they live in memory and in gossip; a terminal fact
/// carries what was known of them when the execution ended (``HeartbeatHistory``).
public enum ExecutionFact: Sendable, Equatable {
    /// `rule` is `nil` for the cluster's default rule (and in records written before rules existed).
    case registered(id: ExecutionID, registeredAtMs: Int64, containerID: String, rule: ExecutionRule? = nil)
    /// `history` is `nil` only in records written before terminal facts carried it.
    case finished(
        id: ExecutionID, status: ExecutionStatus, source: TerminalInfo.Source, finishedAtMs: Int64, reason: String?, resultData: [UInt8]?,
        errorMessage: String?, history: HeartbeatHistory? = nil
    )

    public var executionID: ExecutionID {
        switch self {
        case .registered(let id, _, _, _), .finished(let id, _, _, _, _, _, _, _): id
        }
    }

    /// The kind of durable record this fact is written as.
    public var kind: DurableKind {
        switch self {
        case .registered: .registration
        case .finished(_, _, let source, _, _, _, _, _): source == .sweep ? .failureMark : .completion
        }
    }

    public var payload: [UInt8] {
        var out = executionID.bytes
        switch self {
        case .registered(_, let at, let container, let rule):
            Varint.append(Varint.zigzag(at), to: &out)
            Self.appendString(container, to: &out)
            // Issue 24: the rule follows, when the execution has one (older records end here).
            rule?.encode(to: &out)
        case .finished(_, let status, let source, let at, let reason, let result, let error, let history):
            out.append(status.rawValue)
            out.append(source.rawValue)
            Varint.append(Varint.zigzag(at), to: &out)
            Self.appendOptional(reason.map { Array($0.utf8) }, to: &out)
            Self.appendOptional(result, to: &out)
            Self.appendOptional(error.map { Array($0.utf8) }, to: &out)
            history?.append(to: &out, finishedAtMs: at)
        }
        return out
    }

    /// Decodes a stored fact; `nil` for records of other types or damaged payloads.
    public init?(kind: DurableKind, payload: [UInt8]) {
        var r = ByteReader(payload[...])
        guard let idBytes = r.readBytes(16), let id = ExecutionID(bytes: idBytes) else { return nil }
        switch kind {
        case .registration:
            guard let at = r.readVarint(), let container = Self.readString(&r) else { return nil }
            var rule: ExecutionRule?
            if !r.isAtEnd {
                guard let read = ExecutionRule(reading: &r) else { return nil }
                rule = read
            }
            guard r.isAtEnd else { return nil }
            self = .registered(id: id, registeredAtMs: Varint.unzigzag(at), containerID: container, rule: rule)
        case .completion, .failureMark:
            guard let rawStatus = r.readByte(), let status = ExecutionStatus(rawValue: rawStatus), status.isTerminal,
                let rawSource = r.readByte(), let source = TerminalInfo.Source(rawValue: rawSource),
                let at = r.readVarint(), let reason = Self.readOptional(&r), let result = Self.readOptional(&r),
                let error = Self.readOptional(&r)
            else { return nil }
            let finishedAt = Varint.unzigzag(at)
            // Records written before the history existed end here.
            var history: HeartbeatHistory?
            if !r.isAtEnd {
                guard let read = HeartbeatHistory(reading: &r, finishedAtMs: finishedAt), r.isAtEnd else { return nil }
                history = read
            }
            self = .finished(
                id: id, status: status, source: source, finishedAtMs: finishedAt,
                reason: reason.map { String(decoding: $0, as: UTF8.self) }, resultData: result,
                errorMessage: error.map { String(decoding: $0, as: UTF8.self) }, history: history
            )
        default:
            return nil
        }
    }

    private static func appendString(_ s: String, to out: inout [UInt8]) {
        Varint.append(UInt64(s.utf8.count), to: &out)
        out.append(contentsOf: s.utf8)
    }

    private static func readString(_ r: inout ByteReader) -> String? {
        guard let n = r.readVarint(), n <= UInt64(r.remaining), let b = r.readBytes(Int(n)) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    /// Optional bytes: varint 0 for none, else length + 1.
    private static func appendOptional(_ bytes: [UInt8]?, to out: inout [UInt8]) {
        guard let bytes else { return Varint.append(0, to: &out) }
        Varint.append(UInt64(bytes.count) + 1, to: &out)
        out.append(contentsOf: bytes)
    }

    private static func readOptional(_ r: inout ByteReader) -> [UInt8]?? {
        guard let n = r.readVarint() else { return nil }
        if n == 0 { return .some(nil) }
        guard n - 1 <= UInt64(r.remaining), let b = r.readBytes(Int(n - 1)) else { return nil }
        return .some(Array(b))
    }
}
