import CoordinatorCore
import Logging
import Metrics

/// Where a node driver's observations go: one place that logs and counts what the core
/// reports, the tick's gauges and the repairs it runs. Every metric is created once, at init.
public struct NodeObserver: Sendable {
    let me: String
    let logger: Logger
    let timestamps: TimestampFormatter
    let sweep: SweepMetrics
    let notifications: NotificationMetrics
    let probes: ProbeMetrics
    let store: StoreHealthMetrics

    /// - Parameters:
    ///   - channels: the configured notification channels (a counter pair each).
    ///   - services: the probed services (their metrics).
    public init(me: String, channels: [String], services: [String], timestamps: TimestampFormatter, logger: Logger, factory: any MetricsFactory) {
        self.me = me
        self.logger = logger
        self.timestamps = timestamps
        self.sweep = SweepMetrics(factory: factory)
        self.notifications = NotificationMetrics(channels: channels, factory: factory)
        self.probes = ProbeMetrics(services: services, factory: factory)
        self.store = StoreHealthMetrics(factory: factory)
    }

    /// Logs and counts what the core reports.
    public func observe(_ event: NodeEvent) {
        switch event {
        case .becameLeader(let term):
            logger.notice("Became sweep leader", metadata: ["election.term": "\(term)"])
            sweep.termsStarted.increment()
        case .stoppedLeading(let superseded, let leader):
            logger.notice(superseded ? "Leadership superseded by a newer claim; stopped at once" : "No longer sweep leader", metadata: [
                "election.leader": "\(leader ?? "none")",
            ])
        case .termNotDurable(let term, let reason):
            logger.error("Could not record the leadership term; not sweeping until it is", metadata: ["election.term": "\(term)", "error": "\(reason)"])
        case .releaseNotRecorded(let term, let reason):
            logger.warning("Could not record a leadership release; retrying", metadata: ["election.term": "\(term)", "error": "\(reason)"])
        case .marksFenced(let count, let term, let claimant):
            logger.warning("Failure marks of a superseded leader voided by a newer claim", metadata: [
                "sweep.marks": "\(count)", "election.term": "\(term)", "election.claimant": "\(claimant)",
            ])
        case .tooManyOrigins(let origin):
            logger.warning("Heartbeats from one coordinator too many ignored", metadata: ["gossip.origin": "\(origin)"])
        case .struck, .marked, .markNotRecorded, .degraded, .massFailure, .swept, .strikesNotRecorded:
            observeSweep(event)
        case .notificationSettled(let ack):
            settled(ack)
        case .notificationRetry(let target, let attempt, let error):
            notifications.retried.increment()
            logger.warning("Notification attempt failed; retrying with backoff", metadata: [
                "notification.key": "\(target.key)", "notification.channel": "\(target.channel)", "notification.attempt": "\(attempt)", "error": "\(error)",
            ])
        case .notificationNotRecorded(let key, let reason):
            logger.error("Could not record a notification event or acknowledgement; trying again", metadata: ["notification.key": "\(key)", "error": "\(reason)"])
        case .probed, .repairSuppressed, .serviceChanged, .serviceNotRecorded:
            observeProbe(event)
        case .storeStalled(let batches):
            store.stalls.increment()
            store.stalled.record(1)
            logger.critical("Store stalled: an append has not finished within the stall limit; not leading, refusing durable requests", metadata: [
                "store.appends_waiting": "\(batches)",
            ])
        case .storeRecovered(let stalledMs):
            store.stalled.record(0)
            logger.notice("Store answers again", metadata: ["store.stalled_ms": "\(stalledMs)"])
        case .storeFailing(let detail):
            logger.error("Store failing: its latest writes or reads failed; not fit to lead until they work again", metadata: ["error": "\(detail)"])
        }
    }

    /// After a tick: whether this node leads, how long the sweep took (if one ran), the outbox.
    func ticked(leader: String?, sweptInMs: Int64?, outbox: (pending: Int, oldestMs: Int64?, inFlight: Int), wallMs: Int64) {
        sweep.leading.record(leader == me ? 1 : 0)
        if let sweptInMs { sweep.duration.recordMilliseconds(sweptInMs) }
        notifications.pending.record(outbox.pending)
        notifications.oldestPendingAge.record(outbox.oldestMs.map { Double(max(0, wallMs - $0)) / 1000 } ?? 0)
        notifications.inFlight.record(outbox.inFlight)
    }

    func repairStarted(_ request: RepairRequest) {
        logger.warning("Repairing service", metadata: ["service": "\(request.service)", "service.repair": "\(request.number)"])
    }

    func repairFinished(_ request: RepairRequest, succeeded: Bool, detail: String) {
        probes.repaired(request.service, succeeded: succeeded)
        let metadata: Logger.Metadata = ["service": "\(request.service)", "service.repair": "\(request.number)", "service.repair_outcome": "\(detail)"]
        if succeeded {
            logger.notice("Service repair succeeded", metadata: metadata)
        } else {
            logger.error("Service repair failed", metadata: metadata)
        }
    }

    /// A request was answered 503 because its write failed.
    func writeRefused(_ failure: WriteFailure) {
        logger.warning("A durable write failed; the request was refused (503)", metadata: ["store.failure": "\(failure.code.rawValue)", "error": "\(failure.detail)"])
    }

    private func observeSweep(_ event: NodeEvent) {
        switch event {
        case .struck(let id, let strikes):
            sweep.strikes.increment()
            logger.info("Heartbeat timeout strike", metadata: ["execution.id": "\(id)", "sweep.strikes": "\(strikes)"])
        case .marked(let id, let rule, let strikes):
            sweep.marks[rule]?.increment()
            logger.notice("Execution marked lost", metadata: ["execution.id": "\(id)", "sweep.strikes": "\(strikes)", "sweep.rule": "\(rule.rawValue)"])
        case .markNotRecorded(let id, let reason):
            logger.error("Could not record a failure mark; the sweep tries again next interval", metadata: ["execution.id": "\(id)", "error": "\(reason)"])
        case .degraded(let reason, let held):
            sweep.degraded.increment()
            logger.warning("Monitor degraded; first strikes of silent executions held back", metadata: ["sweep.reason": "\(reason)", "sweep.held": "\(held)"])
        case .massFailure(let mass):
            sweep.massFailures.increment()
            logger.warning("Mass failure: executions went silent at once while the monitor was healthy; judging them by the rule", metadata: [
                "sweep.silent": "\(mass.silent)", "sweep.running": "\(mass.running)",
            ])
        case .swept(let processed, let struck, let marking):
            sweep.processed.record(processed)
            logger.info("Sweep done", metadata: ["sweep.processed": "\(processed)", "sweep.struck": "\(struck)", "sweep.marking": "\(marking)"])
        case .strikesNotRecorded(let count, let reason):
            logger.error("Could not record strike counts", metadata: ["sweep.strikes": "\(count)", "error": "\(reason)"])
        default:
            break  // routed by observe(_:)
        }
    }

    private func settled(_ ack: NotificationAck) {
        let metadata: Logger.Metadata = ["notification.key": "\(ack.key)", "notification.channel": "\(ack.channel)", "notification.attempts": "\(ack.attempts)"]
        switch ack.outcome {
        case .delivered:
            notifications.sent.increment()
            notifications.channelSent[ack.channel]?.increment()
            logger.info("Notification delivered", metadata: metadata)
        case .undeliverable:
            notifications.undeliverable.increment()
            notifications.channelUndeliverable[ack.channel]?.increment()
            logger.error("Notification undeliverable: retries ran past the horizon", metadata: metadata.merging(["error": "\(ack.lastError ?? "unknown")"]) { a, _ in a })
        }
    }

    private func observeProbe(_ event: NodeEvent) {
        switch event {
        case .probed(let service, let result, let lateMs):
            probes.probed(service, result, lateMs: lateMs)
            logger.log(level: result.healthy ? .debug : .warning, "Service check", metadata: [
                "service": "\(service)", "service.healthy": "\(result.healthy)", "service.result": "\(result.detail)", "service.latency_ms": "\(result.latencyMs)",
            ])
        case .repairSuppressed(let service, let until):
            logger.warning("Restart suppressed by cooldown", metadata: ["service": "\(service)", "service.cooldown_until": "\(timestamps.iso8601(unixMs: until))"])
        case .serviceChanged(let state):
            probes.state(state)
            if !state.events.isEmpty {
                logger.notice("Service state changed", metadata: [
                    "service": "\(state.name)", "service.events": "\(state.events.map(\.rawValue).joined(separator: ","))", "service.failures": "\(state.failures)",
                ])
            }
        case .serviceNotRecorded(let service, let reason):
            logger.error("Could not record a service's state; deciding again at its next probe", metadata: ["service": "\(service)", "error": "\(reason)"])
        default:
            break  // routed by observe(_:)
        }
    }
}

/// The store's health as this node's appends show it.
struct StoreHealthMetrics: Sendable {
    /// Stalls noticed.
    let stalls: Counter
    /// 1 while the store is stalled.
    let stalled: Gauge

    init(factory: any MetricsFactory) {
        stalls = Counter(label: "vigil_store_stalls_total", factory: factory)
        stalled = Gauge(label: "vigil_store_stalled", factory: factory)
    }
}
