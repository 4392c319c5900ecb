import CoordinatorCore
import Gossip
import Logging
import Metrics
import Store

/// One coordinator node as its HTTP side sees it: the request/wait protocol over the core
/// (``receive(_:nowMs:)`` returns once what the request needs is durable) and the views the
/// endpoints read. Every effect is carried out by its ``driver``, which `vigil serve` runs as
/// a service (and tests run around their requests).
public final class CoordinatorNode: Sendable {
    public let id: String
    public let configuration: VigilConfiguration
    public let timestamps: TimestampFormatter
    /// The shared store, for health and status; `nil` runs the node in memory only (tests).
    public let store: FileStore?
    /// Membership as gossip sees it, for the cluster endpoints; `nil` for a node alone.
    public let cluster: (any ClusterView)?
    /// Carries out every effect; must be running for writes to happen.
    public let driver: NodeDriver
    let clocks: NodeClocks

    /// - Parameters:
    ///   - timestamps: the display time zone, validated once with the configuration.
    ///   - effects: the IO (store, replication, notifier, prober) the driver uses.
    /// - Throws: ``ConfigurationError`` when `id` is not a configured node.
    public init(
        id: String, configuration: VigilConfiguration, timestamps: TimestampFormatter, effects: NodeEffects, store: FileStore?,
        cluster: (any ClusterView)? = nil, clocks: NodeClocks = .system(), logger: Logger = Logger(label: "vigil"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) throws(ConfigurationError) {
        _ = try configuration.node(id)
        self.id = id
        self.configuration = configuration
        self.timestamps = timestamps
        self.store = store
        self.cluster = cluster
        self.clocks = clocks
        let services = configuration.probes.effectiveServices(nodes: configuration.nodes)
        let observer = NodeObserver(
            me: id, channels: configuration.notifications.channels.map(\.name), services: services.map(\.name), timestamps: timestamps, logger: logger,
            factory: metricsFactory
        )
        let core = NodeCore.make(id: id, configuration: configuration, timestamps: timestamps, started: clocks.startedWall, gossipValueBytes: effects.replication?.maxValueBytes)
        self.driver = NodeDriver(core: core, effects: effects, observer: observer, clocks: clocks, services: services)
    }

    /// A node with its effects from parts (tests, benchmarks): the store (`nil`: in memory),
    /// replication, notifier and prober.
    /// - Throws: ``ConfigurationError`` when `id` is not a configured node or the time zone is unknown.
    public convenience init(
        id: String, configuration: VigilConfiguration, store: FileStore? = nil, replication: (any HeartbeatSink)? = nil,
        cluster: (any ClusterView)? = nil, notifier: (any NotificationSender)? = nil, serviceProber: (any ServiceProbing)? = nil, clocks: NodeClocks = .system(),
        logger: Logger = Logger(label: "vigil"), metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) throws(ConfigurationError) {
        let effects = NodeEffects(log: store.map { StoreLog($0) } ?? InMemoryLog(), replication: replication, notifier: notifier, prober: serviceProber)
        try self.init(
            id: id, configuration: configuration, timestamps: try configuration.timestamps(), effects: effects, store: store, cluster: cluster, clocks: clocks,
            logger: logger, metricsFactory: metricsFactory
        )
    }

    // MARK: Time

    /// Both clocks now.
    public func now() -> NodeNow { clocks.now() }

    /// Seconds since the node started.
    public var uptimeSeconds: Double { Double(clocks.judge().ms) / 1000 }

    // MARK: Reading the view

    /// Runs `body` on the core under the lock (keep it short: the heartbeat path takes the same lock).
    public func read<R>(_ body: (borrowing NodeCore) -> R) -> R { driver.read(body) }

    /// The executions this node knows, for queries.
    public var executions: ExecutionView { ExecutionView(node: self) }

    /// The sweep's state for health and status.
    public var sweepStatus: SweepStatus { read { $0.status } }

    /// The cluster's gossip keyring as this node has read it.
    public var keyring: KeyringBook { read { $0.keyring } }

    /// The highest leadership term seen in the store.
    public var highestTermSeen: UInt64 { read { max($0.ledger.highestTerm, $0.status.term) } }

    /// Judge time at which the store was last read to its end.
    public var storeReadThrough: JudgeTime? { read { $0.storeReadThrough } }

    // MARK: Containers and operators

    /// The event-loop fast path: takes a heartbeat only if it refreshes a known running
    /// execution (or is answered at once); `nil` means "take the durable path".
    public func refresh(_ heartbeat: Heartbeat, nowMs: Int64) -> Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict>? {
        driver.refresh(heartbeat, now: NodeNow(wall: WallTime(ms: nowMs), judge: clocks.judge()))
    }

    /// Takes a heartbeat: in memory for a known running execution; durably first when it
    /// registers the execution or reports a terminal status.
    public func receive(_ heartbeat: Heartbeat, nowMs: Int64) async throws(StoreUnavailable) -> Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict> {
        guard case .heartbeat(let result) = try await submit(.heartbeat(heartbeat), wallMs: nowMs) else { preconditionFailure("a heartbeat answered otherwise") }
        return result
    }

    /// Takes a completion notice, durably first.
    public func receive(_ completion: Completion, nowMs: Int64) async throws(StoreUnavailable) -> Result<ExecutionTable.Outcome, ExecutionConflict> {
        guard case .recorded(let result) = try await submit(.completion(completion), wallMs: nowMs) else { preconditionFailure("a completion answered otherwise") }
        return result
    }

    /// Registers an execution before its first heartbeat, durably first.
    public func receive(_ registration: Registration, nowMs: Int64) async throws(StoreUnavailable) -> Result<ExecutionTable.Outcome, ExecutionConflict> {
        guard case .recorded(let result) = try await submit(.registration(registration), wallMs: nowMs) else { preconditionFailure("a registration answered otherwise") }
        return result
    }

    /// Pauses or resumes sweeping cluster-wide, durably (seed 002's `/admin/heartbeat/stop|start`).
    public func setSweepPaused(_ paused: Bool, wallMs: Int64) async throws(StoreUnavailable) {
        _ = try await submit(.pause(paused), wallMs: wallMs)
    }

    /// Ends the mass-failure guard's hold cluster-wide (`vigil sweep release`), durably: the
    /// executions silent now are judged by the rule at the leader's next sweep, which it runs at once.
    public func releaseSweepHold(wallMs: Int64) async throws(StoreUnavailable) {
        _ = try await submit(.releaseHold, wallMs: wallMs)
    }

    /// The keyrings of the live nodes, this one included: key names (``KeyringReport/name(_:)``),
    /// sealing one first.
    public func liveKeyrings() -> KeyringBook.LiveRings {
        var rings = cluster?.peerKeyrings() ?? [:]
        rings[id] = keyring.keys.map(KeyringReport.name)
        return rings
    }

    /// Installs, uses or removes a gossip key cluster-wide; returns once the change is durable.
    public func changeKeyring(_ change: KeyringBook.Change, wallMs: Int64) async throws(StoreUnavailable) {
        _ = try await submit(.keyring(change), wallMs: wallMs)
    }

    private func submit(_ request: NodeRequest, wallMs: Int64) async throws(StoreUnavailable) -> NodeAnswer {
        try await driver.submit(request, wallMs: wallMs).get()
    }
}
