import VigilCodec

/// What the deciding node knew of an execution's heartbeats when it ended it: the newest
/// heartbeat (its server receive time in wall ms, the client's timestamp, the container, the
/// progress), how many heartbeats there were, the strikes, and when it was registered.
///
/// Terminal records (completion, failure mark, terminal heartbeat) carry it, so a finished
/// execution looks the same after a full restart, and on a peer that learned the outcome from
/// the store without ever seeing a heartbeat, as it did on the node that decided.
///
/// Encoded compactly after the terminal fact's other fields, relative to its finish time
/// (a record without it, written before it existed, still decodes, with no history):
///
/// ```
/// heartbeat count (varint) | strikes (varint) | finished − registered ms (zigzag varint)
/// | flags (1 byte: 1 last heartbeat, 2 client timestamp, 4 progress)
/// | [1] finished − last heartbeat ms (zigzag) | [2] client timestamp − base s (zigzag; base is
///   the last heartbeat, or the finish, in whole seconds) | container (varint length + UTF-8)
/// | [4] progress (varint length + compact JSON) | [8] the execution's rule (``ExecutionRule``'s
///   encoding; issue 24: only for an execution with one)
/// ```
public struct HeartbeatHistory: Sendable, Equatable {
    public var registeredAtMs: Int64
    /// Server receive time of the newest heartbeat, Unix ms; `nil` when it never heartbeated.
    public var lastHeartbeatMs: Int64?
    public var heartbeatCount: UInt32
    public var strikes: UInt8
    /// The client's own `timestamp` (Unix s) on the newest heartbeat.
    public var clientTimestamp: Int64?
    public var containerID: String
    public var progress: Progress?
    /// The rule the execution was judged by; `nil`: the cluster's default.
    public var rule: ExecutionRule?

    public init(
        registeredAtMs: Int64, lastHeartbeatMs: Int64?, heartbeatCount: UInt32, strikes: UInt8 = 0, clientTimestamp: Int64? = nil,
        containerID: String = "", progress: Progress? = nil, rule: ExecutionRule? = nil
    ) {
        self.rule = rule
        self.registeredAtMs = registeredAtMs
        self.lastHeartbeatMs = lastHeartbeatMs
        self.heartbeatCount = heartbeatCount
        self.strikes = strikes
        self.clientTimestamp = clientTimestamp
        self.containerID = containerID
        self.progress = progress
    }

    private static let hasLastHeartbeat: UInt8 = 1
    private static let hasClientTimestamp: UInt8 = 2
    private static let hasProgress: UInt8 = 4
    private static let hasRule: UInt8 = 8

    /// Appends the encoding, relative to the fact's finish time.
    func append(to out: inout [UInt8], finishedAtMs: Int64) {
        Varint.append(UInt64(heartbeatCount), to: &out)
        Varint.append(UInt64(strikes), to: &out)
        Varint.append(Varint.zigzag(finishedAtMs &- registeredAtMs), to: &out)
        var flags: UInt8 = 0
        if lastHeartbeatMs != nil { flags |= Self.hasLastHeartbeat }
        if clientTimestamp != nil { flags |= Self.hasClientTimestamp }
        if progress != nil { flags |= Self.hasProgress }
        if rule != nil { flags |= Self.hasRule }
        out.append(flags)
        if let lastHeartbeatMs { Varint.append(Varint.zigzag(finishedAtMs &- lastHeartbeatMs), to: &out) }
        if let clientTimestamp { Varint.append(Varint.zigzag(clientTimestamp &- Self.base(lastHeartbeatMs, finishedAtMs)), to: &out) }
        Varint.append(UInt64(containerID.utf8.count), to: &out)
        out.append(contentsOf: containerID.utf8)
        if let progress {
            Varint.append(UInt64(progress.compact.count), to: &out)
            out.append(contentsOf: progress.compact)
        }
        rule?.encode(to: &out)
    }

    /// Reads the encoding; `nil` when the bytes are malformed. A progress that does not decode
    /// is left out rather than the whole fact refused: the outcome matters more than the bar.
    init?(reading r: inout ByteReader, finishedAtMs: Int64) {
        guard let count = r.readVarint(), count <= UInt64(UInt32.max), let strikes = r.readVarint(), strikes <= UInt64(UInt8.max),
            let registered = r.readVarint(), let flags = r.readByte(), flags & ~(Self.hasLastHeartbeat | Self.hasClientTimestamp | Self.hasProgress | Self.hasRule) == 0
        else { return nil }
        var last: Int64?
        if flags & Self.hasLastHeartbeat != 0 {
            guard let delta = r.readVarint() else { return nil }
            last = finishedAtMs &- Varint.unzigzag(delta)
        }
        var client: Int64?
        if flags & Self.hasClientTimestamp != 0 {
            guard let delta = r.readVarint() else { return nil }
            client = Self.base(last, finishedAtMs) &+ Varint.unzigzag(delta)
        }
        guard let length = r.readVarint(), length <= UInt64(r.remaining), let container = r.readBytes(Int(length)) else { return nil }
        var progress: Progress?
        if flags & Self.hasProgress != 0 {
            guard let length = r.readVarint(), length <= UInt64(r.remaining), let bytes = r.readBytes(Int(length)) else { return nil }
            progress = try? Progress(compact: Array(bytes))
        }
        var rule: ExecutionRule?
        if flags & Self.hasRule != 0 {
            guard let read = ExecutionRule(reading: &r) else { return nil }
            rule = read
        }
        self.init(
            registeredAtMs: finishedAtMs &- Varint.unzigzag(registered), lastHeartbeatMs: last, heartbeatCount: UInt32(count),
            strikes: UInt8(strikes), clientTimestamp: client, containerID: String(decoding: container, as: UTF8.self), progress: progress, rule: rule
        )
    }

    /// The client timestamp is stored relative to this (whole seconds): usually a few bytes.
    private static func base(_ lastHeartbeatMs: Int64?, _ finishedAtMs: Int64) -> Int64 {
        (lastHeartbeatMs ?? finishedAtMs) / 1000
    }
}
