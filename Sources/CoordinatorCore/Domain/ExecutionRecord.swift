import VigilJSON
import VigilCodec

/// What one node knows about one execution. Kept small (64 bytes inline plus one blob): a
/// million of these must fit in a few hundred megabytes (see `scripts/bench-ingest`).
///
/// The container id and progress share one byte blob (`details`), and optional times use a
/// sentinel, so the struct stays at 64 bytes and a heartbeat costs at most one allocation.
public struct ExecutionRecord: Sendable, Equatable {
    public var id: ExecutionID
    public var status: ExecutionStatus
    /// Consecutive sweeps that found the heartbeat stale (seed 000's timeout count).
    public var strikes: UInt8
    /// Which coordinator saw the newest heartbeat: an index into the table's origin names
    /// (0 = this node). Sits in padding, so it costs no memory.
    public var origin: UInt8 = 0
    /// Heartbeats accepted for this execution (here or, merged through gossip, elsewhere).
    public var heartbeatCount: UInt32
    /// When the execution was registered (explicitly, or by its first heartbeat), Unix ms.
    public var registeredAtMs: Int64
    /// When *this* node first saw the newest heartbeat (or learned of the execution), on its
    /// own monotonic clock in ms (``CoordinatorNode/judgeMs()``). The sweep measures age from
    /// here, so neither container clocks nor coordinator clock skew change a decision.
    public var seen: JudgeTime = 0
    private var lastHeartbeatRaw: Int64 = .min
    private var clientTimestampRaw: Int64 = .min
    /// Container id (varint length + UTF-8) followed by the compact progress, if any.
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
        self.containerID = containerID
    }

    /// Server receive time of the newest heartbeat, Unix ms; `nil` when it never heartbeated.
    public var lastHeartbeatMs: Int64? {
        get { lastHeartbeatRaw == .min ? nil : lastHeartbeatRaw }
        set { lastHeartbeatRaw = newValue ?? .min }
    }

    /// The client's own `timestamp` (Unix s) on the newest heartbeat.
    public var clientTimestamp: Int64? {
        get { clientTimestampRaw == .min ? nil : clientTimestampRaw }
        set { clientTimestampRaw = newValue ?? .min }
    }

    /// The container that sent the newest heartbeat (its HOSTNAME in the seeds).
    public var containerID: String {
        get {
            let (start, end) = containerRange
            return String(decoding: details[start..<end], as: UTF8.self)
        }
        set {
            guard !hasContainer(newValue) else { return }
            setDetails(container: Array(newValue.utf8), progress: progressBytes)
        }
    }

    public var progress: Progress? {
        get {
            let bytes = progressBytes
            return bytes.isEmpty ? nil : Progress(trustedCompact: Array(bytes))
        }
        set {
            let (start, end) = containerRange
            setDetails(container: details[start..<end], progress: newValue?.compact[...] ?? [])
        }
    }

    /// Whether the stored container id equals `container`, without allocating.
    func hasContainer(_ container: String) -> Bool {
        let (start, end) = containerRange
        return details[start..<end].elementsEqual(container.utf8)
    }

    private var containerRange: (Int, Int) {
        guard !details.isEmpty else { return (0, 0) }
        var reader = ByteReader(details[...])
        let length = Int(reader.readVarint() ?? 0)
        return (reader.position, reader.position + length)
    }

    private var progressBytes: ArraySlice<UInt8> {
        details.isEmpty ? [] : details[containerRange.1...]
    }

    private mutating func setDetails(container: some Collection<UInt8>, progress: ArraySlice<UInt8>) {
        if container.isEmpty && progress.isEmpty {
            details = []
            return
        }
        var blob: [UInt8] = []
        blob.reserveCapacity(Varint.size(UInt64(container.count)) + container.count + progress.count)
        Varint.append(UInt64(container.count), to: &blob)
        blob.append(contentsOf: container)
        blob.append(contentsOf: progress)
        details = blob
    }

    /// This record's newest heartbeat as a gossip value (``HeartbeatEntry``'s encoding), built
    /// straight from the stored bytes; `nil` when it never heartbeated.
    public func gossipValue(maxBytes: Int) -> (value: [UInt8], stampMs: Int64)? {
        guard let stamp = lastHeartbeatMs else { return nil }
        let (start, end) = containerRange
        let value = HeartbeatEntry.encode(
            status: status, registeredAtMs: registeredAtMs, clientTimestamp: clientTimestamp, stampMs: stamp,
            container: details[start..<end], progress: progressBytes, maxBytes: maxBytes
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
