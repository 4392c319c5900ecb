import Logging
import ServiceLifecycle
import Store
import VigilCodec

/// The IO shell around ``Election`` and ``Sweeper``: every check interval it re-evaluates
/// leadership and, when this node leads, has caught up and sweeping is not paused, sweeps the
/// running executions and makes each failure mark durable before applying it.
///
/// Ages are measured on the monotonic clock `clock`; the wall clock only dates marks.
public struct SweepService<C: Clock>: Service where C.Duration == Duration {
    let node: CoordinatorNode
    let membership: any MembershipSource
    let logger: Logger
    let clock: C
    let wallMs: @Sendable () -> Int64

    public init(
        node: CoordinatorNode, membership: any MembershipSource, logger: Logger, clock: C = ContinuousClock(),
        wallMs: @escaping @Sendable () -> Int64 = WallClock.unixMs
    ) {
        self.node = node
        self.membership = membership
        self.logger = logger
        self.clock = clock
        self.wallMs = wallMs
    }

    public func run() async throws {
        let rule = SweepRule(node.configuration.executions)
        var election = Election(
            me: node.id, configured: node.configuration.nodes.map(\.id), graceMs: rule.heartbeatTimeoutMs
        )
        var sweeper = Sweeper(rule: rule)
        let start = clock.now
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: .milliseconds(rule.checkIntervalMs)) }
            } catch {
                return
            }
            let elapsed = start.duration(to: clock.now)
            let nowMs = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            await check(nowMs: nowMs, election: &election, sweeper: &sweeper)
        }
    }

    /// One check at monotonic `nowMs` (exposed for tests that drive time by hand).
    func check(nowMs: Int64, election: inout Election, sweeper: inout Sweeper) async {
        let wall = wallMs()
        let alive = membership.aliveNodes()
        let change = election.update(
            alive: alive, highestTermSeen: max(membership.highestTermSeen(), node.sweep.status.term), nowMs: nowMs
        )
        switch change {
        case .becameLeader(let term):
            logger.notice("Became sweep leader", metadata: ["election.term": "\(term)"])
            await persistTerm(term, wallMs: wall)
        case .stoppedLeading:
            logger.notice("No longer sweep leader", metadata: ["election.leader": "\(election.leader ?? "none")"])
            sweeper = Sweeper(rule: sweeper.rule)
        case .none:
            break
        }
        if membership.syncedWithAlivePeers() { election.markCaughtUp() }
        let quorum = alive.union([node.id]).intersection(Set(node.configuration.nodes.map(\.id))).count >= election.quorum
        node.sweep.update {
            $0.leader = election.leader
            $0.term = election.term
            $0.quorum = quorum
            $0.sweeping = election.maySweep(nowMs: nowMs) && !$0.paused
        }
        guard election.maySweep(nowMs: nowMs), !node.sweep.isPaused else { return }

        let started = ContinuousClock.now
        let running = node.executions.runningSnapshot()
        var runningIDs = Set<ExecutionID>()
        for (id, lastHeartbeat) in running {
            runningIDs.insert(id)
            // Age on this node's clock: how long ago (by this machine) the newest heartbeat arrived.
            let seenAt = lastHeartbeat.map { nowMs - max(0, wall - $0) } ?? nowMs
            sweeper.observe(id, heartbeatVersion: lastHeartbeat, nowMs: seenAt)
        }
        for id in sweeper.tracked.keys where !runningIDs.contains(id) { sweeper.forget(id) }
        let outcome = sweeper.sweep(nowMs: nowMs, wallMs: wall)
        if let degraded = outcome.degraded {
            logger.warning("Monitor degraded; sweep struck nobody", metadata: ["sweep.reason": "\(degraded)"])
        }
        for strike in outcome.struck {
            logger.info("Heartbeat timeout strike", metadata: ["execution.id": "\(strike.executionID)", "sweep.strikes": "\(strike.strikes)"])
        }
        var marked = 0
        for mark in outcome.marked {
            let reason = FailureReason.text(
                mark: mark, record: node.executions.record(mark.executionID), rule: sweeper.rule,
                leader: node.id, term: election.term, timestamps: node.timestamps
            )
            if await node.markFailed(mark.executionID, reason: reason, term: election.term, wallMs: wall) {
                marked += 1
                logger.notice("Execution marked lost", metadata: [
                    "execution.id": "\(mark.executionID)", "sweep.strikes": "\(mark.strikes)", "sweep.rule": "\(mark.rule.rawValue)",
                ])
            }
        }
        node.executions.setStrikes(sweeper.strikes)
        let duration = ContinuousClock.now - started
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

    private func persistTerm(_ term: UInt64, wallMs: Int64) async {
        guard let store = node.store else { return }
        var payload: [UInt8] = []
        Varint.append(term, to: &payload)
        do {
            _ = try await store.append(.leadershipTerm, term: term, timeMs: wallMs, payload: payload)
        } catch {
            logger.error("Could not record the leadership term", metadata: ["error": "\(error)"])
        }
    }
}
