/// Seed 000's rule, in milliseconds: check every `checkIntervalMs`; a heartbeat older than
/// `heartbeatTimeoutMs` is a strike; `maxStrikes` consecutive strikes mark the execution FAILED;
/// never heartbeated past `timeout` after it became known is lost at once.
public struct SweepRule: Sendable, Equatable {
    public var heartbeatTimeoutMs: Int64
    public var checkIntervalMs: Int64
    public var maxStrikes: Int
    /// Share of running executions above which a silence is a mass silence: judged by the rule
    /// when the monitor shows it is healthy, held back for a while when it cannot (``SweepGuard``).
    public var massFailureShare: Double
    /// The guard only applies from this many running executions up (2 of 3 stale jobs are
    /// plausible; 2,000 of 3,000 are not).
    public var massFailureMinimum: Int
    /// How long the guard holds back the first strike of an execution that went silent while the
    /// monitor may be blind, counted from when it became stale (default 600 s: about the seed's
    /// own window for one failure, 540–660 s).
    public var massFailureHoldMs: Int64

    public init(
        heartbeatTimeoutMs: Int64 = 300_000, checkIntervalMs: Int64 = 120_000, maxStrikes: Int = 3, massFailureShare: Double = 0.5, massFailureMinimum: Int = 10,
        massFailureHoldMs: Int64 = 600_000
    ) {
        self.heartbeatTimeoutMs = heartbeatTimeoutMs
        self.checkIntervalMs = checkIntervalMs
        self.maxStrikes = maxStrikes
        self.massFailureShare = massFailureShare
        self.massFailureMinimum = massFailureMinimum
        self.massFailureHoldMs = massFailureHoldMs
    }
}
