import Logging
import Metrics
import ServiceLifecycle
import Store
import VigilCodec
import CoordinatorCore

/// The IO shell around ``Election`` and ``Sweeper``: every check interval it re-evaluates
/// leadership and, when this node leads, has caught up and sweeping is not paused, sweeps the
/// running executions and makes each failure mark durable before applying it.
///
/// Ages are measured on the node's monotonic judge clock; `clock` only paces the checks and the
/// wall clock only dates strikes and marks. The decisions are ``SweepDuty``'s.
public struct SweepService<C: Clock>: Service where C.Duration == Duration {
    let node: CoordinatorNode
    let membership: any MembershipSource
    let logger: Logger
    let clock: C
    let wallMs: @Sendable () -> Int64
    let metrics: SweepMetrics

    public init(
        node: CoordinatorNode, membership: any MembershipSource, logger: Logger, clock: C = ContinuousClock(),
        wallMs: @escaping @Sendable () -> Int64 = WallClock.unixMs, metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.metrics = SweepMetrics(factory: metricsFactory)
        self.node = node
        self.membership = membership
        self.logger = logger
        self.clock = clock
        self.wallMs = wallMs
    }

    public func run() async throws {
        var duty = SweepDuty(
            me: node.id, configured: node.configuration.nodes.map(\.id), rule: SweepRule(node.configuration.executions)
        )
        // Leadership is re-evaluated every tick; the duty sweeps once per check interval.
        let interval = Duration.milliseconds(min(duty.sweeper.rule.checkIntervalMs, Self.tickMs))
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            } catch {
                return
            }
            await check(nowMs: node.judgeMs(), duty: &duty)
        }
    }

    /// One check at judge time `nowMs` (exposed for tests that drive time by hand).
    func check(nowMs: Int64, duty: inout SweepDuty) async {
        let wall = wallMs()
        let alive = membership.aliveNodes()
        let storeRead = node.storeReadThroughMs
        let synced = membership.syncedWithAlivePeers() ? storeRead.map { min($0, nowMs) } : nil
        let input = SweepDuty.Input(
            nowMs: nowMs, wallMs: wall, alive: alive, highestTermSeen: node.highestTermSeen, syncedAtMs: synced, paused: node.sweep.isPaused
        )
        let started = ContinuousClock.now
        let result = node.executions.withTable { table, reserved in duty.check(input, table: &table, reserved: reserved) }
        switch result.change {
        case .becameLeader(let term):
            logger.notice("Became sweep leader", metadata: ["election.term": "\(term)"])
            metrics.termsStarted.increment()
            // Durable before any strike or mark of this term.
            await persist(.leadershipTerm, term: term, wallMs: wall, payload: Self.termPayload(term), what: "leadership term")
            node.observeTerm(term)
        case .stoppedLeading:
            logger.notice("No longer sweep leader", metadata: ["election.leader": "\(result.leader ?? "none")"])
        case .none:
            break
        }
        node.sweep.update {
            $0.leader = result.leader
            $0.term = result.term
            $0.quorum = result.quorum
            $0.sweeping = result.sweeping
        }
        metrics.leading.record(result.leader == node.id ? 1 : 0)
        guard let outcome = result.outcome else { return }
        metrics.processed.record(outcome.processed)
        metrics.strikes.increment(by: outcome.struck.count)
        if let degraded = outcome.degraded {
            metrics.degraded.increment()
            logger.warning("Monitor degraded; sweep struck nobody", metadata: ["sweep.reason": "\(degraded)"])
        }
        for strike in outcome.struck {
            logger.info("Heartbeat timeout strike", metadata: ["execution.id": "\(strike.executionID)", "sweep.strikes": "\(strike.strikes)"])
        }
        if !outcome.struck.isEmpty {
            await persist(.strikeBatch, term: result.term, wallMs: wall, payload: StrikeBatch.encode(outcome.struck), what: "strike counts")
        }
        var marked = 0
        for mark in outcome.marked {
            let record = node.executions.record(mark.executionID)
            let reason = FailureReason.text(
                mark: mark, record: record, lastOrigin: record.map { node.executions.lastOrigin(of: $0) }, rule: duty.sweeper.rule,
                leader: node.id, term: result.term, timestamps: node.timestamps
            )
            if await node.markFailed(mark.executionID, reason: reason, term: result.term, wallMs: wall) {
                marked += 1
                metrics.marks[mark.rule]?.increment()
                logger.notice("Execution marked lost", metadata: [
                    "execution.id": "\(mark.executionID)", "sweep.strikes": "\(mark.strikes)", "sweep.rule": "\(mark.rule.rawValue)",
                ])
            }
        }
        let duration = ContinuousClock.now - started
        metrics.duration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        logger.info("Sweep done", metadata: [
            "sweep.processed": "\(outcome.processed)", "sweep.struck": "\(outcome.struck.count)", "sweep.marked": "\(marked)",
            "sweep.duration_ms": "\(Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)",
        ])
        node.sweep.update {
            $0.lastSweepWallMs = wall
            $0.lastProcessed = outcome.processed
            $0.lastStruck = outcome.struck.count
            $0.lastMarked = marked
            $0.totalMarked += marked
            $0.degraded = outcome.degraded?.description
        }
    }

    /// How often leadership is re-evaluated (at most; never less often than the check interval).
    static var tickMs: Int64 { 250 }

    static func termPayload(_ term: UInt64) -> [UInt8] {
        var payload: [UInt8] = []
        Varint.append(term, to: &payload)
        return payload
    }

    private func persist(_ type: RecordType, term: UInt64, wallMs: Int64, payload: [UInt8], what: String) async {
        guard let store = node.store else { return }
        do {
            _ = try await store.append(type, term: term, timeMs: wallMs, payload: payload)
        } catch {
            logger.error("Could not record the \(what)", metadata: ["error": "\(error)"])
        }
    }
}
