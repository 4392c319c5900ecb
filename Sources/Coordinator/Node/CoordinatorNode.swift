/// One coordinator node: its identity, settings and state. The HTTP front (`Ingest`) and,
/// later, gossip and the sweeper all work through this object.
public final class CoordinatorNode: Sendable {
    public let id: String
    public let configuration: VigilConfiguration
    public let executions: ExecutionRegistry
    public let timestamps: TimestampFormatter
    /// When the node started, on the monotonic clock (for uptime).
    public let startedAt: ContinuousClock.Instant

    /// - Throws: ``ConfigurationError`` when `id` is not a configured node or the time zone is unknown.
    public init(id: String, configuration: VigilConfiguration) throws(ConfigurationError) {
        _ = try configuration.node(id)
        self.id = id
        self.configuration = configuration
        self.executions = ExecutionRegistry()
        self.timestamps = try TimestampFormatter(timeZoneIdentifier: configuration.timezone)
        self.startedAt = .now
    }

    /// Seconds since the node started.
    public var uptimeSeconds: Double {
        let elapsed = ContinuousClock.now - startedAt
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
