import VigilJSON
/// A validated heartbeat (seed 003), ready to apply.
public struct Heartbeat: Sendable, Equatable {
    public var executionID: ExecutionID
    public var containerID: String
    /// Client clock, Unix seconds.
    public var clientTimestamp: Int64
    /// What the container says it is doing; `running` when omitted.
    public var status: ExecutionStatus
    /// `nil` when the heartbeat carried no `progress` (the previous one is kept).
    public var progress: Progress?
    /// The rule its `kind` and `monitor` resolved to (``RuleCatalog``); `nil`: the default rule.
    /// Only the heartbeat that registers the execution sets it: later ones cannot change it.
    public var rule: ExecutionRule?

    public init(
        executionID: ExecutionID, containerID: String, clientTimestamp: Int64, status: ExecutionStatus = .running, progress: Progress? = nil,
        rule: ExecutionRule? = nil
    ) {
        self.executionID = executionID
        self.containerID = containerID
        self.clientTimestamp = clientTimestamp
        self.status = status
        self.progress = progress
        self.rule = rule
    }
}

/// A validated completion notice (seed 004).
public struct Completion: Sendable, Equatable {
    public var executionID: ExecutionID
    public var containerID: String
    public var success: Bool
    /// `result_data`, compact JSON; `nil` when absent, null or empty.
    public var resultData: [UInt8]?
    public var errorMessage: String?

    public init(executionID: ExecutionID, containerID: String, success: Bool, resultData: [UInt8]? = nil, errorMessage: String? = nil) {
        self.executionID = executionID
        self.containerID = containerID
        self.success = success
        self.resultData = resultData
        self.errorMessage = errorMessage
    }

    /// The terminal status this notice asks for.
    public var outcome: ExecutionStatus { success ? .completed : .failed }
}

/// A validated registration: an execution announced before its first heartbeat, so that
/// "never heartbeated" can be detected.
public struct Registration: Sendable, Equatable {
    public var executionID: ExecutionID
    public var containerID: String
    /// When the job started, Unix ms; the receive time when omitted.
    public var startedAtMs: Int64?
    /// The rule its `kind` and `monitor` resolved to; `nil`: the default rule.
    public var rule: ExecutionRule?

    public init(executionID: ExecutionID, containerID: String = "", startedAtMs: Int64? = nil, rule: ExecutionRule? = nil) {
        self.executionID = executionID
        self.containerID = containerID
        self.startedAtMs = startedAtMs
        self.rule = rule
    }
}

/// A request that contradicts what is already final. Maps to HTTP 409.
public struct ExecutionConflict: Error, Equatable, CustomStringConvertible {
    public var executionID: ExecutionID
    /// The terminal status the execution already has.
    public var status: ExecutionStatus
    /// What was refused, in words.
    public var attempted: String

    public init(executionID: ExecutionID, status: ExecutionStatus, attempted: String) {
        self.executionID = executionID
        self.status = status
        self.attempted = attempted
    }

    public var description: String {
        "Execution \(executionID) is already \(status); \(attempted) ignored"
    }
}
