/// How one service is probed and mended (seed 002), in the core's units: what the prober's
/// rule needs, not how to reach the service (the shell knows the URL and the repair).
public struct ServiceRule: Sendable, Equatable {
    public var name: String
    public var intervalMs: Int64 = 30_000
    public var timeoutMs: Int64 = 5_000
    /// Consecutive failed probes that make the service down (and start a repair).
    public var maxRetries = 3
    /// Passed probes in a row that make a down service up again.
    public var successThreshold = 2
    /// Whether a repair is configured.
    public var repairable = false
    /// Minimum time between two repair starts; doubles after a repair that did not help.
    public var cooldownMs: Int64 = 300_000
    public var cooldownCapMs: Int64 = 3_600_000
    /// After a repair, failed probes do not count for this long (the service boots).
    public var startupGraceMs: Int64 = 30_000
    /// At most this many repairs within ``repairWindowMs``; then repairing stops.
    public var maxRepairs = 3
    public var repairWindowMs: Int64 = 1_800_000
    /// A repair still marked running this long after it started is taken as ended (its leader died).
    public var repairTimeoutMs: Int64 = 60_000

    public init(name: String) {
        self.name = name
    }
}

/// The outcome of one probe.
public struct ProbeResult: Sendable, Equatable {
    public var healthy: Bool
    public var latencyMs: Int64
    /// `HTTP 200`, `HTTP 503`, `timed out after 5 s`, `connection refused`, …
    public var detail: String

    public init(healthy: Bool, latencyMs: Int64, detail: String) {
        self.healthy = healthy
        self.latencyMs = latencyMs
        self.detail = detail
    }
}

/// A probe the leader asks the shell to make now.
public struct ProbeRequest: Sendable, Equatable {
    public var service: String
    /// How late it is against its schedule (for the pacing figure).
    public var lateMs: Int64
}

/// A repair the leader asks the shell to run (its start is already durable).
public struct RepairRequest: Sendable, Equatable {
    public var service: String
    /// The repair's number for this service (1 for the first ever).
    public var number: UInt64

    public init(service: String, number: UInt64) {
        self.service = service
        self.number = number
    }
}
