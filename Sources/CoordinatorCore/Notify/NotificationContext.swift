import VigilJSON

/// An execution as the sending node sees it when an attempt is made: what a webhook body or a
/// command's input says about it besides the event itself.
public struct NotificationContext: Sendable, Equatable {
    public var status: ExecutionStatus
    public var containerID: String
    public var registeredAtMs: Int64
    public var lastHeartbeatMs: Int64?
    public var finishedAtMs: Int64?
    /// The explanation of a FAILED execution (the failure mark's, or the container's error).
    public var reason: String?
    /// The seed's progress object of the newest heartbeat.
    public var progress: JSONObject?
    public var strikes: Int
    public var heartbeatCount: Int

    public init(_ record: ExecutionRecord) {
        status = record.status
        containerID = record.containerID
        registeredAtMs = record.registeredAtMs
        lastHeartbeatMs = record.lastHeartbeatMs
        finishedAtMs = record.terminal?.finishedAtMs
        reason = record.status == .failed ? record.terminal?.reason ?? record.terminal?.errorMessage : nil
        progress = record.progress?.object
        strikes = Int(record.strikes)
        heartbeatCount = Int(record.heartbeatCount)
    }
}
