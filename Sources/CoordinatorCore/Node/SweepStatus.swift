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
    public var degraded: String?
    public var totalMarked = 0
    /// The last problem with the sweep's own writes (term, strikes, marks), for health.
    public var lastError: String?

    public init() {}
}
