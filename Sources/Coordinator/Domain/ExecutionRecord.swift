/// What one node knows about one execution. Kept small: a million of these must fit in a few
/// hundred megabytes (see `scripts/bench-ingest`).
public struct ExecutionRecord: Sendable, Equatable {
    public var id: ExecutionID
    public var status: ExecutionStatus
    /// Consecutive sweeps that found the heartbeat stale (seed 000's timeout count).
    public var strikes: UInt8
    /// Heartbeats accepted for this execution.
    public var heartbeatCount: UInt32
    /// When the execution was registered (explicitly, or by its first heartbeat), Unix ms.
    public var registeredAtMs: Int64
    /// Server receive time of the newest heartbeat, Unix ms; `nil` when it never heartbeated.
    public var lastHeartbeatMs: Int64?
    /// The client's own `timestamp` (Unix s) on the newest heartbeat.
    public var clientTimestamp: Int64?
    /// The container that sent the newest heartbeat (its HOSTNAME in the seeds).
    public var containerID: String
    public var progress: Progress?
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
        self.lastHeartbeatMs = nil
        self.clientTimestamp = nil
        self.containerID = containerID
        self.progress = nil
        self.terminal = nil
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
