import CoordinatorCore
import Gossip
import Logging
import Metrics
import Store
import Synchronization

/// One coordinator node's IO shell around its pure core (``NodeCore``): it reads the clocks,
/// holds the core behind one lock, and carries out what the core asks — durable writes to the
/// store (then reports them back), gossip publications, logs and metrics.
///
/// Everything is injected at init: the store (`nil` runs in memory, for tests), where accepted
/// heartbeats are replicated, and the cluster view the endpoints list. IO never happens under
/// the lock.
public final class CoordinatorNode: Sendable {
    public let id: String
    public let configuration: VigilConfiguration
    public let timestamps: TimestampFormatter
    /// The shared store; `nil` runs the node in memory only (tests).
    public let store: FileStore?
    /// Membership as gossip sees it, for the cluster endpoints; `nil` for a node alone.
    public let cluster: (any ClusterView)?
    let replication: (any HeartbeatSink)?
    let clocks: NodeClocks
    let logger: Logger
    let metrics: SweepMetrics
    let notificationMetrics: NotificationMetrics
    let metricsFactory: any MetricsFactory
    /// Carries notification attempts to their channels; `nil`: every attempt fails (and is retried).
    let notifier: (any NotificationSender)?
    /// Probes services and runs repairs (seed 002); `nil`: every probe fails.
    let serviceProber: (any ServiceProbing)?
    /// The probed services by name (configured ones and, by default, every node).
    let serviceSettings: [String: ServiceSettings]
    let probeMetrics: ProbeMetrics

    private struct State: Sendable {
        var core: NodeCore
        /// Requests waiting for a write in flight on the same execution.
        var waiters: [WriteTicket: [CheckedContinuation<Void, Never>]] = [:]
        /// Positions handed out when there is no store.
        var memoryPosition = 0
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - restoring: what the store held at start-up (``FileStore/restore()``), applied before
    ///     the node serves anything.
    /// - Throws: ``ConfigurationError`` when `id` is not a configured node or the time zone is unknown.
    public init(
        id: String, configuration: VigilConfiguration, store: FileStore? = nil, replication: (any HeartbeatSink)? = nil,
        cluster: (any ClusterView)? = nil, notifier: (any NotificationSender)? = nil, serviceProber: (any ServiceProbing)? = nil, clocks: NodeClocks = .system(),
        logger: Logger = Logger(label: "vigil"), metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) throws(ConfigurationError) {
        _ = try configuration.node(id)
        guard let timestamps = TimestampFormatter(timeZoneIdentifier: configuration.timezone) else {
            throw ConfigurationError(key: "timezone", problem: "unknown time zone \"\(configuration.timezone)\" (use an IANA name such as Asia/Shanghai or UTC)")
        }
        self.id = id
        self.configuration = configuration
        self.timestamps = timestamps
        self.store = store
        self.cluster = cluster
        self.replication = replication
        self.clocks = clocks
        self.logger = logger
        self.metrics = SweepMetrics(factory: metricsFactory)
        self.notificationMetrics = NotificationMetrics(factory: metricsFactory)
        self.metricsFactory = metricsFactory
        self.notifier = notifier
        self.serviceProber = serviceProber
        let services = configuration.probes.effectiveServices(nodes: configuration.nodes)
        self.serviceSettings = Dictionary(services.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.probeMetrics = ProbeMetrics(factory: metricsFactory)
        var settings = NodeCore.Settings(
            me: id, configured: configuration.nodes.map(\.id), rule: SweepRule(configuration.executions), timestamps: timestamps,
            started: clocks.startedWall, gossipValueBytes: replication?.maxValueBytes, retentionMs: configuration.executions.retention.wholeMilliseconds
        )
        settings.notifications = configuration.notifications.outbox
        settings.nodeDeadAfterMs = configuration.notifications.nodeDeadAfter.wholeMilliseconds
        settings.services = services.map(\.rule)
        settings.probeAutoStart = configuration.probes.autoStart
        var core = NodeCore(settings: settings)
        core.configureKeyring(configuration.gossip.keys)
        self.state = Mutex(State(core: core))
    }

    // MARK: Time

    /// Both clocks now.
    public func now() -> NodeNow { clocks.now() }

    /// Both clocks now, with the wall clock as the caller read it (HTTP handlers date their
    /// answers with the same reading).
    func now(wallMs: Int64) -> NodeNow { NodeNow(wall: WallTime(ms: wallMs), judge: clocks.judge()) }

    /// Seconds since the node started.
    public var uptimeSeconds: Double { Double(clocks.judge().ms) / 1000 }

    // MARK: Reading the view

    /// Runs `body` on the core under the lock (keep it short: the heartbeat path takes the same lock).
    public func read<R>(_ body: (borrowing NodeCore) -> R) -> R {
        state.withLock { body($0.core) }
    }

    /// Changes the core under the lock (for the shell's own extensions).
    func mutate<R>(_ body: (inout NodeCore) -> R) -> R {
        state.withLock { body(&$0.core) }
    }

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
        let now = now(wallMs: nowMs)
        let step = state.withLock { $0.core.receive(heartbeat, now: now, mayWrite: false) }
        guard case .done(.heartbeat(let result), let actions) = step else { return nil }
        perform(immediate: actions)
        return result
    }

    /// Takes a heartbeat: in memory for a known running execution; durably first when it
    /// registers the execution or reports a terminal status.
    public func receive(_ heartbeat: Heartbeat, nowMs: Int64) async throws(StoreUnavailable) -> Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict> {
        let answer = try await submit(wallMs: nowMs) { core, now in core.receive(heartbeat, now: now) }
        guard case .heartbeat(let result) = answer else { preconditionFailure("a heartbeat answered \(answer)") }
        return result
    }

    /// Takes a completion notice, durably first.
    public func receive(_ completion: Completion, nowMs: Int64) async throws(StoreUnavailable) -> Result<ExecutionTable.Outcome, ExecutionConflict> {
        let answer = try await submit(wallMs: nowMs) { core, now in core.receive(completion, now: now) }
        guard case .recorded(let result) = answer else { preconditionFailure("a completion answered \(answer)") }
        return result
    }

    /// Registers an execution before its first heartbeat, durably first.
    public func receive(_ registration: Registration, nowMs: Int64) async throws(StoreUnavailable) -> Result<ExecutionTable.Outcome, ExecutionConflict> {
        let answer = try await submit(wallMs: nowMs) { core, now in core.receive(registration, now: now) }
        guard case .recorded(let result) = answer else { preconditionFailure("a registration answered \(answer)") }
        return result
    }

    /// Pauses or resumes sweeping cluster-wide, durably (seed 002's `/admin/heartbeat/stop|start`).
    public func setSweepPaused(_ paused: Bool, wallMs: Int64) async throws(StoreUnavailable) {
        _ = try await submit(wallMs: wallMs) { core, now in core.setPaused(paused, now: now) }
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
        _ = try await submit(wallMs: wallMs) { core, now in core.changeKeyring(change, now: now) }
    }

    /// Asks the core, writes what it asks to write, waits behind a write in flight on the same
    /// execution, and returns the answer.
    private func submit(wallMs: Int64, _ decide: (inout NodeCore, NodeNow) -> NodeStep) async throws(StoreUnavailable) -> NodeAnswer {
        while true {
            let now = now(wallMs: wallMs)
            let step = state.withLock { decide(&$0.core, now) }
            switch step {
            case .done(let answer, let actions):
                perform(immediate: actions)
                return answer
            case .wait(let ticket):
                await waitFor(ticket)
            case .write(let ticket, let write):
                let results = await persist([(ticket, write)])
                if let answer = results.first?.answer { return answer }
                throw StoreUnavailable(detail: results.first?.error ?? "the write was not applied")
            case .needsDurablePath:
                preconditionFailure("a request that may write was sent to the durable path")
            }
        }
    }

    private func waitFor(_ ticket: WriteTicket) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let stillInFlight = state.withLock { state in
                guard state.core.isInFlight(ticket) else { return false }
                state.waiters[ticket, default: []].append(continuation)
                return true
            }
            if !stillInFlight { continuation.resume() }
        }
    }

    // MARK: Carrying out actions

    /// Makes writes durable (one batch, one fsync), reports each back to the core, wakes the
    /// requests waiting on them, and carries out what follows.
    /// - Returns: per write, the answer for the request that asked, or the error.
    @discardableResult
    func persist(_ writes: [(WriteTicket, DurableWrite)]) async -> [(answer: NodeAnswer?, error: String?)] {
        guard !writes.isEmpty else { return [] }
        let outcome: Result<[LogPosition], any Error>
        if let store {
            do {
                let results = try await store.append(writes.map { StoreEntry(RecordType($0.1.kind), term: $0.1.term, timeMs: $0.1.time.ms, payload: $0.1.payload) })
                outcome = .success(results.map { LogPosition(segment: $0.position.segment, offset: $0.position.offset) })
            } catch {
                outcome = .failure(error)
            }
        } else {
            outcome = .success(state.withLock { state in
                writes.map { _ in
                    state.memoryPosition += 1
                    return LogPosition(segment: 0, offset: state.memoryPosition)
                }
            })
        }
        let now = clocks.now()
        var answers: [(answer: NodeAnswer?, error: String?)] = []
        var follow: [NodeAction] = []
        var woken: [CheckedContinuation<Void, Never>] = []
        state.withLock { state in
            for (index, (ticket, _)) in writes.enumerated() {
                switch outcome {
                case .success(let positions):
                    let (answer, actions) = state.core.written(ticket, at: positions[index], now: now)
                    answers.append((answer, nil))
                    follow += actions
                case .failure(let error):
                    follow += state.core.writeFailed(ticket, reason: "\(error)", now: now)
                    answers.append((nil, "\(error)"))
                }
                woken += state.waiters.removeValue(forKey: ticket) ?? []
            }
        }
        for continuation in woken { continuation.resume() }
        await perform(follow)
        return answers
    }

    /// Carries out actions: writes (batched), publications, forgets and reports.
    func perform(_ actions: [NodeAction]) async {
        var writes: [(WriteTicket, DurableWrite)] = []
        for action in actions {
            if case .write(let ticket, let write) = action { writes.append((ticket, write)) }
        }
        perform(immediate: actions)
        await persist(writes)
    }

    /// Carries out the actions that need no waiting (everything but writes).
    func perform(immediate actions: [NodeAction]) {
        for action in actions {
            switch action {
            case .write:
                break
            case .publish(let publication):
                replication?.publish(id: publication.id, value: publication.value, stampMs: publication.stampMs)
            case .forget(let id):
                replication?.forget(id: id)
            case .report(let event):
                report(event)
            case .deliver(let attempt):
                Task { await self.deliver(attempt) }
            case .repair(let request):
                Task { await self.runRepair(request) }
            }
        }
    }

    /// Makes one notification attempt and reports its result to the core.
    private func deliver(_ attempt: NotificationAttempt) async {
        let result = await notifier?.deliver(attempt) ?? .failed("no notification sender is configured on this node")
        let now = clocks.now()
        let actions = state.withLock { $0.core.deliveryFinished(attempt, result: result, now: now) }
        await perform(actions)
    }

    // MARK: Peers, time, start-up

    /// Applies durable records read from the store (peers' while following; all at start-up).
    public func apply(stored records: [StoredRecord], readStartedAt: JudgeTime) async {
        let now = clocks.now()
        let actions = state.withLock { state in
            var actions: [NodeAction] = []
            for record in records { actions += state.core.apply(stored: record, now: now) }
            state.core.noteStoreRead(at: readStartedAt)
            return actions
        }
        await perform(actions)
    }

    /// Start-up: rebuilds the view from this node's newest snapshot (if any) and every node's
    /// durable records after it (before serving).
    public func restore(_ records: [StoredRecord], from snapshot: NodeSnapshot? = nil) async {
        let now = clocks.now()
        let actions = state.withLock { state in
            if let snapshot { return state.core.restore(snapshot, then: records, now: now) }
            return state.core.restore(records, now: now)
        }
        await perform(actions)
    }

    /// Applies a change of the gossip replica (a peer's heartbeat, a peer's restart); returns
    /// `false` when the entry was malformed (ignored).
    @discardableResult
    public func apply(_ change: ReplicaChange) -> Bool {
        let now = clocks.now()
        let (actions, wellFormed) = state.withLock { GossipReplicaBridge.apply(change, to: &$0.core, now: now) }
        perform(immediate: actions)
        return wellFormed
    }

    /// A peer restarted: re-publishes the heartbeats only it had received. Returns how many.
    @discardableResult
    public func adoptOrphans(of origin: String) -> Int {
        let actions = read { $0.adoptOrphans(of: origin) }
        perform(immediate: actions)
        return actions.count
    }

    /// One check of the sweep duty (leadership every call, a sweep once per interval).
    public func tick(alive: Set<String>, synced: Bool, confirmed: Set<String>? = nil) async {
        let now = clocks.now()
        let started = ContinuousClock.now
        var (actions, status, pending) = state.withLock { state in (state.core.tick(now: now, alive: alive, synced: synced, confirmed: confirmed), state.core.status, state.core.sweepPending) }
        metrics.leading.record(status.leader == id ? 1 : 0)
        // A large table is swept in chunks, one lock each, so heartbeats get in between.
        while pending {
            await Task.yield()
            (actions, pending) = state.withLock { state in (actions + state.core.continueSweep(now: now), state.core.sweepPending) }
        }
        if actions.contains(where: { if case .report(.swept) = $0 { true } else { false } }) {
            metrics.duration.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        }
        let (pendingCount, oldest, inFlight) = state.withLock { ($0.core.outbox.pending.count, $0.core.outbox.oldestPendingMs, $0.core.outbox.attemptsInFlight) }
        notificationMetrics.pending.record(pendingCount)
        notificationMetrics.oldestPendingAge.record(oldest.map { Double(max(0, now.wall.ms - $0)) / 1000 } ?? 0)
        notificationMetrics.inFlight.record(inFlight)
        await perform(actions)
    }

    /// Forgets finished executions past the retention.
    @discardableResult
    public func expireFinished() -> Int {
        let now = clocks.now()
        let actions = state.withLock { $0.core.expire(now: now) }
        perform(immediate: actions)
        return actions.count
    }

    /// Logs and counts what the core reports.
    private func report(_ event: NodeEvent) {
        switch event {
        case .becameLeader(let term):
            logger.notice("Became sweep leader", metadata: ["election.term": "\(term)"])
            metrics.termsStarted.increment()
        case .stoppedLeading(let superseded, let leader):
            logger.notice(superseded ? "Leadership superseded by a newer claim; stopped at once" : "No longer sweep leader", metadata: [
                "election.leader": "\(leader ?? "none")",
            ])
        case .struck(let id, let strikes):
            metrics.strikes.increment()
            logger.info("Heartbeat timeout strike", metadata: ["execution.id": "\(id)", "sweep.strikes": "\(strikes)"])
        case .marked(let id, let rule, let strikes):
            metrics.marks[rule]?.increment()
            logger.notice("Execution marked lost", metadata: ["execution.id": "\(id)", "sweep.strikes": "\(strikes)", "sweep.rule": "\(rule.rawValue)"])
        case .markNotRecorded(let id, let reason):
            logger.error("Could not record a failure mark; the sweep tries again next interval", metadata: ["execution.id": "\(id)", "error": "\(reason)"])
        case .degraded(let reason):
            metrics.degraded.increment()
            logger.warning("Monitor degraded; sweep struck nobody", metadata: ["sweep.reason": "\(reason)"])
        case .swept(let processed, let struck, let marking):
            metrics.processed.record(processed)
            logger.info("Sweep done", metadata: ["sweep.processed": "\(processed)", "sweep.struck": "\(struck)", "sweep.marking": "\(marking)"])
        case .termNotDurable(let term, let reason):
            logger.error("Could not record the leadership term; not sweeping until it is", metadata: ["election.term": "\(term)", "error": "\(reason)"])
        case .strikesNotRecorded(let count, let reason):
            logger.error("Could not record strike counts", metadata: ["sweep.strikes": "\(count)", "error": "\(reason)"])
        case .releaseNotRecorded(let term, let reason):
            logger.warning("Could not record a leadership release; retrying", metadata: ["election.term": "\(term)", "error": "\(reason)"])
        case .marksFenced(let count, let term, let claimant):
            logger.warning("Failure marks of a superseded leader voided by a newer claim", metadata: [
                "sweep.marks": "\(count)", "election.term": "\(term)", "election.claimant": "\(claimant)",
            ])
        case .tooManyOrigins(let origin):
            logger.warning("Heartbeats from one coordinator too many ignored", metadata: ["gossip.origin": "\(origin)"])
        case .notificationSettled(let ack):
            let dimensions = [("channel", ack.channel)]
            switch ack.outcome {
            case .delivered:
                notificationMetrics.sent.increment()
                Counter(label: "vigil_notifications_channel_sent_total", dimensions: dimensions, factory: metricsFactory).increment()
                logger.info("Notification delivered", metadata: ["notification.key": "\(ack.key)", "notification.channel": "\(ack.channel)", "notification.attempts": "\(ack.attempts)"])
            case .undeliverable:
                notificationMetrics.undeliverable.increment()
                Counter(label: "vigil_notifications_channel_undeliverable_total", dimensions: dimensions, factory: metricsFactory).increment()
                logger.error("Notification undeliverable: retries ran past the horizon", metadata: [
                    "notification.key": "\(ack.key)", "notification.channel": "\(ack.channel)", "notification.attempts": "\(ack.attempts)",
                    "error": "\(ack.lastError ?? "unknown")",
                ])
            }
        case .notificationRetry(let target, let attempt, let error):
            notificationMetrics.retried.increment()
            logger.warning("Notification attempt failed; retrying with backoff", metadata: [
                "notification.key": "\(target.key)", "notification.channel": "\(target.channel)", "notification.attempt": "\(attempt)", "error": "\(error)",
            ])
        case .probed(let service, let result, let lateMs):
            probeMetrics.probed(service, result, lateMs: lateMs)
            logger.log(level: result.healthy ? .debug : .warning, "Service check", metadata: [
                "service": "\(service)", "service.healthy": "\(result.healthy)", "service.result": "\(result.detail)", "service.latency_ms": "\(result.latencyMs)",
            ])
        case .repairSuppressed(let service, let until):
            logger.warning("Restart suppressed by cooldown", metadata: ["service": "\(service)", "service.cooldown_until": "\(timestamps.iso8601(unixMs: until))"])
        case .serviceChanged(let state):
            probeMetrics.state(state)
            if !state.events.isEmpty {
                logger.notice("Service state changed", metadata: [
                    "service": "\(state.name)", "service.events": "\(state.events.map(\.rawValue).joined(separator: ","))", "service.failures": "\(state.failures)",
                ])
            }
        case .serviceNotRecorded(let service, let reason):
            logger.error("Could not record a service's state; deciding again at its next probe", metadata: ["service": "\(service)", "error": "\(reason)"])
        case .notificationNotRecorded(let key, let reason):
            logger.error("Could not record a notification event or acknowledgement; trying again", metadata: ["notification.key": "\(key)", "error": "\(reason)"])
        }
    }
}

/// The store could not make a fact durable, so the request was not applied. Maps to HTTP 503.
public struct StoreUnavailable: Error, Equatable, CustomStringConvertible {
    public var detail: String
    public var description: String { "Store unavailable, nothing was recorded; retry later (\(detail))" }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
