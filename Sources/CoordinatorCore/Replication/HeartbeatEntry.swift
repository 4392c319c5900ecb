import VigilJSON
import VigilCodec

/// What one coordinator (an *origin*) replicates through gossip about one execution: the newest
/// heartbeat it received, in compact binary (never JSON).
///
/// The gossip key is the execution id (16 bytes) and the gossip stamp is the origin's receive
/// time in Unix ms, so the entry itself carries only what the stamp does not:
///
/// ```
/// format (1 byte, = 1 or 2) | status (1) | registered_at ms (zigzag varint, relative to the stamp)
/// | client timestamp s (varint, 0 = none) | [format 2: progress changed ms (zigzag varint,
///   relative to the stamp)] | container id (varint length + UTF-8)
/// | progress (compact JSON, the rest; may be empty)
/// ```
///
/// Format 2 (issue 24) is written only for an execution whose rule has a progress timeout: it
/// carries when the execution's progress last changed (``ProgressChange``), a replicated fact, so
/// every node, and a new leader, dates a stall alike. Every other entry stays format 1, byte for
/// byte as before.
///
/// Progress that would push the entry past the gossip value limit is left out: peers then keep
/// the progress they had, and the receiving node still shows the full one.
public struct HeartbeatEntry: Sendable, Equatable {
    public static let format: UInt8 = 1
    /// The format that carries ``progressChangedMs``.
    public static let progressFormat: UInt8 = 2

    static func knows(_ format: UInt8?) -> Bool { format == Self.format || format == Self.progressFormat }

    public var status: ExecutionStatus
    public var registeredAtMs: Int64
    public var clientTimestamp: Int64?
    public var containerID: String
    public var progress: Progress?
    /// When the progress last changed (wall ms), for an execution whose rule watches it.
    public var progressChangedMs: Int64?

    public init(
        status: ExecutionStatus, registeredAtMs: Int64, clientTimestamp: Int64?, containerID: String, progress: Progress?, progressChangedMs: Int64? = nil
    ) {
        self.status = status
        self.registeredAtMs = registeredAtMs
        self.clientTimestamp = clientTimestamp
        self.containerID = containerID
        self.progress = progress
        self.progressChangedMs = progressChangedMs
    }

    /// The entry for a record's newest heartbeat.
    public init(_ record: ExecutionRecord) {
        self.init(
            status: record.status, registeredAtMs: record.registeredAtMs, clientTimestamp: record.clientTimestamp,
            containerID: record.containerID, progress: record.progress, progressChangedMs: record.progressChangedMs
        )
    }

    /// Encodes relative to `stampMs`; progress is dropped when the whole would exceed `maxBytes`.
    public func encoded(stampMs: Int64, maxBytes: Int) -> [UInt8] {
        Self.encode(
            status: status, registeredAtMs: registeredAtMs, clientTimestamp: clientTimestamp, stampMs: stampMs,
            container: Array(containerID.utf8), progress: progress?.compact[...] ?? [], maxBytes: maxBytes, progressChangedMs: progressChangedMs
        )
    }

    /// The encoding from raw parts (``ExecutionRecord`` passes its stored bytes, with no
    /// String or Progress in between: this runs for every heartbeat).
    static func encode(
        status: ExecutionStatus, registeredAtMs: Int64, clientTimestamp: Int64?, stampMs: Int64,
        container: some Collection<UInt8>, progress: ArraySlice<UInt8>, maxBytes: Int, progressChangedMs: Int64? = nil
    ) -> [UInt8] {
        var out: [UInt8] = []
        let registered = Varint.zigzag(registeredAtMs &- stampMs), client = UInt64(max(0, clientTimestamp ?? 0))
        out.reserveCapacity(12 + Varint.size(registered) + Varint.size(client) + Varint.size(UInt64(container.count)) + container.count + progress.count)
        out.append(progressChangedMs == nil ? Self.format : Self.progressFormat)
        out.append(status.rawValue)
        Varint.append(registered, to: &out)
        Varint.append(client, to: &out)
        if let progressChangedMs { Varint.append(Varint.zigzag(progressChangedMs &- stampMs), to: &out) }
        let kept = container.prefix(maxBytes / 2)
        Varint.append(UInt64(kept.count), to: &out)
        out += kept
        if out.count + progress.count <= maxBytes { out += progress }
        return out
    }

    /// The registration time an encoding holds (relative to `stampMs`).
    static func registered(in bytes: [UInt8], stampMs: Int64) -> Int64? {
        var reader = ByteReader(bytes[...])
        guard Self.knows(reader.readByte()), reader.readByte() != nil, let registered = reader.readVarint() else { return nil }
        return stampMs &+ Varint.unzigzag(registered)
    }

    /// The parts of a value a peer wrote, checked and located without copying it.
    public struct Validated: Sendable {
        public var status: ExecutionStatus
        public var registeredAtMs: Int64
        public var clientTimestamp: Int64?
        /// Where the container id is in the value.
        public var container: Range<Int>
        public var hasProgress: Bool
        public var progressChangedMs: Int64?
    }

    /// Checks a value a peer wrote (the same rules as ``init(decoding:stampMs:)``); `nil` for
    /// anything malformed.
    public static func validate(_ bytes: [UInt8], stampMs: Int64) -> Validated? {
        var reader = ByteReader(bytes[...])
        let format = reader.readByte()
        guard Self.knows(format), let rawStatus = reader.readByte(), let status = ExecutionStatus(rawValue: rawStatus),
            let registered = reader.readVarint(), let client = reader.readVarint(), client <= UInt64(Int64.max)
        else { return nil }
        var changed: Int64?
        if format == Self.progressFormat {
            guard let raw = reader.readVarint() else { return nil }
            changed = stampMs &+ Varint.unzigzag(raw)
        }
        guard let length = reader.readVarint(), length <= UInt64(reader.remaining) else { return nil }
        let start = reader.position
        let end = start + Int(length)
        if end < bytes.count {
            guard (try? CompactJSON.decode(Array(bytes[end...]))).map({ if case .object = $0 { true } else { false } }) == true else { return nil }
        }
        return Validated(
            status: status, registeredAtMs: stampMs &+ Varint.unzigzag(registered), clientTimestamp: client == 0 ? nil : Int64(client),
            container: start..<end, hasProgress: end < bytes.count, progressChangedMs: changed
        )
    }

    /// Decodes an entry a peer wrote; `nil` for anything malformed (it is then ignored).
    public init?(decoding bytes: [UInt8], stampMs: Int64) {
        var reader = ByteReader(bytes[...])
        let format = reader.readByte()
        guard Self.knows(format), let rawStatus = reader.readByte(), let status = ExecutionStatus(rawValue: rawStatus),
            let registered = reader.readVarint(), let client = reader.readVarint(), client <= UInt64(Int64.max)
        else { return nil }
        var changed: Int64?
        if format == Self.progressFormat {
            guard let raw = reader.readVarint() else { return nil }
            changed = stampMs &+ Varint.unzigzag(raw)
        }
        guard let length = reader.readVarint(), length <= UInt64(reader.remaining), let container = reader.readBytes(Int(length)) else { return nil }
        let rest = bytes[reader.position...]
        var progress: Progress?
        if !rest.isEmpty {
            guard let decoded = try? Progress(compact: Array(rest)) else { return nil }
            progress = decoded
        }
        self.init(
            status: status, registeredAtMs: stampMs &+ Varint.unzigzag(registered), clientTimestamp: client == 0 ? nil : Int64(client),
            containerID: String(decoding: container, as: UTF8.self), progress: progress, progressChangedMs: changed
        )
    }
}
