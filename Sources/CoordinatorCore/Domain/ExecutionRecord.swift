import VigilJSON
import VigilCodec

/// What one node knows about one execution. Kept small (64 bytes inline plus one blob): a
/// million of these must fit in a few hundred megabytes (see `scripts/bench-ingest`).
///
/// The blob (`details`) is the newest heartbeat in its gossip form (``HeartbeatEntry``'s
/// encoding: status, registration, client time, container id, compact progress). The gossip
/// replica holds the same value, so the two share one buffer (Swift arrays are copy-on-write):
/// a node keeps one copy of an execution's container and progress, not two. Optional times use
/// a sentinel; a heartbeat costs at most one allocation.
public struct ExecutionRecord: Sendable, Equatable {
    public var id: ExecutionID
    public var status: ExecutionStatus
    /// Consecutive sweeps that found the heartbeat stale (seed 000's timeout count).
    public var strikes: UInt8
    /// Which coordinator saw the newest heartbeat: an index into the table's origin names
    /// (0 = this node). Sits in padding, so it costs no memory.
    public var origin: UInt8 = 0
    /// The execution's rule: an index into the table's ``RuleTable`` (0 = the cluster's default
    /// rule). Sits in the last padding byte, so a rule costs a record no memory.
    public var rule: UInt8 = 0
    /// Heartbeats accepted for this execution (here or, merged through gossip, elsewhere).
    public var heartbeatCount: UInt32
    /// When the execution was registered (explicitly, or by its first heartbeat), Unix ms.
    public var registeredAtMs: Int64
    /// When *this* node first saw the newest heartbeat (or learned of the execution), on its
    /// own monotonic judge clock. The sweep measures age from here, so neither container clocks
    /// nor coordinator clock skew change a decision.
    public var seen: JudgeTime = 0
    /// ``lastHeartbeatMs`` with `.min` for none: a stored field the sweep reads in place.
    private(set) var lastHeartbeatRaw: Int64 = .min
    /// The newest heartbeat as a ``HeartbeatEntry`` encoding stamped `lastHeartbeatRaw` (or, with
    /// no heartbeat yet, the registration); empty when there is nothing to hold.
    private var details: [UInt8] = []
    /// Set once the execution is terminal.
    public var terminal: TerminalInfo?

    public init(
        id: ExecutionID, status: ExecutionStatus = .running, registeredAtMs: Int64, containerID: String = ""
    ) {
        self.id = id
        self.status = status
        self.strikes = 0
        self.heartbeatCount = 0
        self.registeredAtMs = registeredAtMs
        self.terminal = nil
        if !containerID.isEmpty { setHeartbeat(clientTimestamp: nil, container: Array(containerID.utf8), progress: []) }
    }

    /// Server receive time of the newest heartbeat, Unix ms; `nil` when it never heartbeated.
    public var lastHeartbeatMs: Int64? {
        get { lastHeartbeatRaw == .min ? nil : lastHeartbeatRaw }
        set { lastHeartbeatRaw = newValue ?? .min }
    }

    /// The stamp the blob is encoded against.
    private var stampMs: Int64 { lastHeartbeatRaw == .min ? registeredAtMs : lastHeartbeatRaw }

    /// The client's own `timestamp` (Unix s) on the newest heartbeat.
    public var clientTimestamp: Int64? { layout?.clientTimestamp }

    /// The container that sent the newest heartbeat (its HOSTNAME in the seeds).
    public var containerID: String {
        guard let layout else { return "" }
        return String(decoding: details[layout.container], as: UTF8.self)
    }

    public var progress: Progress? {
        guard let layout, layout.progressStart < details.count else { return nil }
        return Progress(trustedCompact: Array(details[layout.progressStart...]))
    }

    /// The held progress's compact bytes (empty: none), without copying them out.
    var progressBytes: ArraySlice<UInt8> {
        guard let layout else { return [] }
        return details[layout.progressStart...]
    }

    /// When the progress last changed (wall ms), tracked only for an execution whose rule has a
    /// progress timeout (``ProgressChange``); `nil` otherwise.
    public var progressChangedMs: Int64? {
        // Read in place (the sweep asks this of every watched execution): no slice, no copy.
        details.withUnsafeBufferPointer { bytes -> Int64? in
            guard bytes.count > 2, bytes[0] == HeartbeatEntry.progressFormat else { return nil }
            var i = 2
            func varint() -> UInt64? {
                var value: UInt64 = 0
                var shift: UInt64 = 0
                while i < bytes.count, shift < 64 {
                    let byte = bytes[i]
                    i += 1
                    value |= UInt64(byte & 0x7F) << shift
                    if byte & 0x80 == 0 { return value }
                    shift += 7
                }
                return nil
            }
            guard varint() != nil, varint() != nil, let raw = varint() else { return nil }
            return stampMs &+ Varint.unzigzag(raw)
        }
    }

    /// Whether the container id contains `needle` (UTF-8 bytes), without allocating.
    public func containerContains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard let layout else { return false }
        let hay = details[layout.container]
        guard hay.count >= needle.count else { return false }
        var start = hay.startIndex
        while start + needle.count <= hay.endIndex {
            if hay[start..<(start + needle.count)].elementsEqual(needle) { return true }
            start += 1
        }
        return false
    }

    /// Whether the stored container id equals `container`, without allocating.
    func hasContainer(_ container: String) -> Bool {
        guard let layout else { return container.isEmpty }
        return details[layout.container].elementsEqual(container.utf8)
    }

    /// Where the parts of the blob are.
    private struct Layout {
        var clientTimestamp: Int64?
        var progressChangedMs: Int64?
        var container: Range<Int>
        var progressStart: Int
    }

    private var layout: Layout? {
        guard !details.isEmpty else { return nil }
        var reader = ByteReader(details[...])
        let format = reader.readByte()
        _ = reader.readByte()
        _ = reader.readVarint()
        let client = reader.readVarint() ?? 0
        var changed: Int64?
        if format == HeartbeatEntry.progressFormat { changed = stampMs &+ Varint.unzigzag(reader.readVarint() ?? 0) }
        let length = Int(reader.readVarint() ?? 0)
        let start = reader.position
        return Layout(
            clientTimestamp: client == 0 ? nil : Int64(client), progressChangedMs: changed, container: start..<(start + length), progressStart: start + length
        )
    }

    /// Takes a heartbeat's fields: one new blob (the value gossip will carry). `progress`
    /// empty keeps the progress held; `progressChangedMs` `.some(nil)` stops tracking it, `nil`
    /// keeps what is held.
    mutating func setHeartbeat(clientTimestamp: Int64?, container: some Collection<UInt8>, progress: ArraySlice<UInt8>, progressChangedMs: Int64?? = nil) {
        let held = layout
        let kept: ArraySlice<UInt8> = progress.isEmpty ? (held.map { details[$0.progressStart...] } ?? []) : progress
        details = HeartbeatEntry.encode(
            status: status, registeredAtMs: registeredAtMs, clientTimestamp: clientTimestamp, stampMs: stampMs,
            container: container, progress: kept, maxBytes: .max, progressChangedMs: progressChangedMs ?? held?.progressChangedMs
        )
    }

    /// Takes a gossip value another coordinator wrote (already validated), sharing its buffer.
    /// A value without progress keeps the progress held (the origin dropped it for size).
    /// `progressChangedMs` is the value's own (the origin's note of the last progress change).
    mutating func setRemote(_ value: [UInt8], hasProgress: Bool, clientTimestamp: Int64?, container: Range<Int>, progressChangedMs: Int64? = nil) {
        if hasProgress || progress == nil {
            details = value
        } else {
            setHeartbeat(clientTimestamp: clientTimestamp, container: value[container], progress: [], progressChangedMs: .some(progressChangedMs))
        }
    }

    /// Takes a heartbeat received at `nowMs` (wall) and `seen` (judge): the newest heartbeat,
    /// counted; a terminal status ends the execution. Strikes are the table's business.
    /// - Parameter watchesProgress: the execution's rule has a progress timeout: note when the
    ///   progress changed (``ProgressChange``).
    mutating func absorb(_ heartbeat: Heartbeat, nowMs: Int64, seen: JudgeTime, watchesProgress: Bool = false) {
        // Read before the stamp moves: the blob's times are relative to it.
        let held = progressChangedMs
        var changed: Int64?? = .some(held)
        if watchesProgress {
            let previous = held ?? registeredAtMs
            let moved = heartbeat.progress.map { ProgressChange.differs(progressBytes, $0.compact[...]) } ?? false
            changed = .some(moved ? max(nowMs, previous) : previous)
        }
        // Heartbeats merged from other origins may carry a later stamp than this node's clock.
        lastHeartbeatMs = max(nowMs, lastHeartbeatMs ?? .min)
        self.seen = seen
        origin = 0
        if heartbeat.status.isTerminal {
            status = heartbeat.status
            terminal = TerminalInfo(
                source: .heartbeat, finishedAtMs: nowMs,
                reason: heartbeat.status == .failed ? TerminalInfo.heartbeatFailureReason : nil,
                resultData: nil, errorMessage: nil
            )
        }
        // One new blob: the value gossip carries for this heartbeat.
        setHeartbeat(
            clientTimestamp: heartbeat.clientTimestamp, container: heartbeat.containerID.utf8, progress: heartbeat.progress?.compact[...] ?? [],
            progressChangedMs: changed
        )
        heartbeatCount &+= 1
    }

    /// What this record knows of its heartbeats, as a terminal record carries it.
    public var history: HeartbeatHistory {
        HeartbeatHistory(
            registeredAtMs: registeredAtMs, lastHeartbeatMs: lastHeartbeatMs, heartbeatCount: heartbeatCount, strikes: strikes,
            clientTimestamp: clientTimestamp, containerID: containerID, progress: progress
        )
    }

    /// Takes the history a terminal record carries (registration, newest heartbeat, count,
    /// strikes), replacing what the record held.
    mutating func take(_ history: HeartbeatHistory) {
        registeredAtMs = history.registeredAtMs
        lastHeartbeatMs = history.lastHeartbeatMs
        heartbeatCount = history.heartbeatCount
        strikes = history.strikes
        details = []
        setHeartbeat(
            clientTimestamp: history.clientTimestamp, container: Array(history.containerID.utf8), progress: history.progress?.compact[...] ?? []
        )
    }

    /// Sets the container id, keeping the rest.
    mutating func setContainer(_ container: String) {
        guard !hasContainer(container) else { return }
        setHeartbeat(clientTimestamp: clientTimestamp, container: Array(container.utf8), progress: [])
    }

    /// This record's newest heartbeat as a gossip value (``HeartbeatEntry``'s encoding), the
    /// held buffer itself when it is current and fits (no copy); `nil` when it never heartbeated.
    public func gossipValue(maxBytes: Int) -> (value: [UInt8], stampMs: Int64)? {
        guard let stamp = lastHeartbeatMs, let layout else { return nil }
        if details.count <= maxBytes, details.count > 1, details[1] == status.rawValue,
            HeartbeatEntry.registered(in: details, stampMs: stamp) == registeredAtMs
        {
            return (details, stamp)
        }
        let value = HeartbeatEntry.encode(
            status: status, registeredAtMs: registeredAtMs, clientTimestamp: layout.clientTimestamp, stampMs: stamp,
            container: details[layout.container], progress: details[layout.progressStart...], maxBytes: maxBytes, progressChangedMs: layout.progressChangedMs
        )
        return (value, stamp)
    }

    /// Apparent one-way latency plus clock skew: server receive time minus the client's
    /// timestamp. The client sends whole seconds, so this is only good to about ±1 s.
    public var apparentSkewMs: Int64? {
        guard let last = lastHeartbeatMs, let client = clientTimestamp else { return nil }
        return last - client * 1000
    }
}

/// How and when an execution ended. A class so a running execution pays one pointer for it.
public final class TerminalInfo: Sendable, Equatable {
    /// Who declared the outcome.
    public enum Source: UInt8, Sendable, CustomStringConvertible {
        /// The container's completion notice (`/api/v1/monitoring/completion`).
        case completion = 0
        /// A heartbeat whose `status` was `completed` or `failed`.
        case heartbeat = 1
        /// The sweep's 3-strike rule or the never-heartbeated rule.
        case sweep = 2

        public var description: String {
            switch self {
            case .completion: "completion"
            case .heartbeat: "heartbeat"
            case .sweep: "sweep"
            }
        }
    }

    /// The failure reason recorded when a heartbeat reports `status: failed`.
    public static let heartbeatFailureReason = "Container reported status failed in a heartbeat"
    /// The failure reason recorded for `success: false` without an `error_message`.
    public static let completionFailureReason = "Container reported failure"

    public let source: Source
    /// When the outcome was recorded, Unix ms.
    public let finishedAtMs: Int64
    /// Why it failed, in words (failure marks explain themselves); `nil` for success.
    public let reason: String?
    /// `result_data` of the completion notice, compact JSON.
    public let resultData: [UInt8]?
    /// `error_message` of the completion notice.
    public let errorMessage: String?

    public init(source: Source, finishedAtMs: Int64, reason: String?, resultData: [UInt8]?, errorMessage: String?) {
        self.source = source
        self.finishedAtMs = finishedAtMs
        self.reason = reason
        self.resultData = resultData
        self.errorMessage = errorMessage
    }

    public static func == (lhs: TerminalInfo, rhs: TerminalInfo) -> Bool {
        lhs.source == rhs.source && lhs.finishedAtMs == rhs.finishedAtMs && lhs.reason == rhs.reason
            && lhs.resultData == rhs.resultData && lhs.errorMessage == rhs.errorMessage
    }
}
