/// Seed 000's rule, in milliseconds: check every `checkIntervalMs`; a heartbeat older than
/// `heartbeatTimeoutMs` is a strike; `maxStrikes` consecutive strikes mark the execution FAILED;
/// never heartbeated past `timeout` after it became known is lost at once.
public struct SweepRule: Sendable, Equatable {
    public var heartbeatTimeoutMs: Int64
    public var checkIntervalMs: Int64
    public var maxStrikes: Int
    /// Share of running executions above which one sweep's strikes are blamed on the monitor.
    public var massFailureShare: Double
    /// The guard only applies from this many running executions up (2 of 3 stale jobs are
    /// plausible; 2,000 of 3,000 are not).
    public var massFailureMinimum: Int

    public init(heartbeatTimeoutMs: Int64 = 300_000, checkIntervalMs: Int64 = 120_000, maxStrikes: Int = 3, massFailureShare: Double = 0.5, massFailureMinimum: Int = 10) {
        self.heartbeatTimeoutMs = heartbeatTimeoutMs
        self.checkIntervalMs = checkIntervalMs
        self.maxStrikes = maxStrikes
        self.massFailureShare = massFailureShare
        self.massFailureMinimum = massFailureMinimum
    }
}
