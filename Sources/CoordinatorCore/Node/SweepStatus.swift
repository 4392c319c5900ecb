/// The sweep's state as people see it (health, status, metrics), kept by ``NodeCore``.
public struct SweepStatus: Sendable, Equatable {
    public var paused = false
    public var leader: String?
    public var term: UInt64 = 0
    public var quorum = false
    /// This node leads, has caught up, its term is durable and sweeping is not paused.
    public var sweeping = false
    /// This node leads but could not make its term durable yet (it decides nothing until it can).
    public var termDurable = true
    public var lastSweepWallMs: Int64?
    public var lastProcessed = 0
    public var lastStruck = 0
    public var lastMarked = 0
    /// Why the last sweep found the monitor may be blind, and what it held (``SweepGuard``).
    public var degraded: String?
    /// Silent executions whose first strike the last sweep held back.
    public var lastHeld = 0
    /// The last sweep judged a mass silence with the monitor healthy: what it found.
    public var massFailure: String?
    /// The earliest first strike (wall ms) among that mass failure's executions: the episode's start.
    public var massFailureOnsetMs: Int64?
    public var totalMarked = 0
    /// The last problem with the sweep's own writes (term, strikes, marks), for health.
    public var lastError: String?

    public init() {}
}
