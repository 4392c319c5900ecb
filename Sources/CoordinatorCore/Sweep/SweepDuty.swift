/// One coordinator's part in the sweep, as a pure state machine: ``Election`` decides who leads
/// and when the leader has caught up; ``Sweeper`` judges the table when this node may sweep.
///
/// The production shell (``SweepService``) and the simulated clusters in the tests drive the
/// same code: they gather an ``Input`` (membership, terms, catch-up, pause), call ``check``,
/// and then carry out the ``Result`` (persist a new term, the strikes, and each mark).
///
/// Checks may come more often than the sweep interval (the shell re-evaluates leadership every
/// few hundred ms, so a new leader is known at once); the sweep itself runs at most once per
/// `check_interval` — the first time as soon as the leader may sweep.
public struct SweepDuty: Sendable {
    public private(set) var election: Election
    public let sweeper: Sweeper
    /// Judge time of this leadership's last sweep.
    public private(set) var lastSweepMs: Int64?

    public init(me: String, configured: [String], rule: SweepRule) {
        election = Election(me: me, configured: configured, graceMs: rule.heartbeatTimeoutMs)
        sweeper = Sweeper(rule: rule)
    }

    /// What the shell knows at one check.
    public struct Input: Sendable {
        /// Judge (monotonic) clock, ms.
        public var nowMs: Int64
        /// Wall clock, ms (dates strikes and marks).
        public var wallMs: Int64
        /// Configured nodes this node considers alive, itself included.
        public var alive: Set<String>
        /// Highest leadership term seen in the store or from peers.
        public var highestTermSeen: UInt64
        /// Judge time of the latest moment at which this node had read the store to its end and
        /// was in sync with every alive peer's table; `nil` when not in sync.
        public var syncedAtMs: Int64?
        /// Sweeping is paused cluster-wide.
        public var paused: Bool

        public init(nowMs: Int64, wallMs: Int64, alive: Set<String>, highestTermSeen: UInt64, syncedAtMs: Int64?, paused: Bool) {
            self.nowMs = nowMs
            self.wallMs = wallMs
            self.alive = alive
            self.highestTermSeen = highestTermSeen
            self.syncedAtMs = syncedAtMs
            self.paused = paused
        }
    }

    /// What one check decided.
    public struct Result: Sendable {
        public var change: Election.Change
        public var leader: String?
        public var term: UInt64
        /// This node sees a majority of the configured nodes.
        public var quorum: Bool
        /// This node leads, has caught up, and sweeping is not paused.
        public var sweeping: Bool
        /// The sweep's decisions, when this node swept.
        public var outcome: SweepOutcome?
    }

    /// One check at `input.nowMs`. Strike counts change in `table`; marks come back in the outcome.
    public mutating func check(_ input: Input, table: inout ExecutionTable, reserved: Set<ExecutionID> = []) -> Result {
        let change = election.update(alive: input.alive, highestTermSeen: input.highestTermSeen, nowMs: input.nowMs)
        if change != .none { lastSweepMs = nil }
        if let synced = input.syncedAtMs { election.markCaughtUp(atMs: synced) }
        let members = input.alive.intersection(election.configured).union([election.me])
        var result = Result(
            change: change, leader: election.leader, term: election.term, quorum: members.count >= election.quorum,
            sweeping: election.maySweep(nowMs: input.nowMs) && !input.paused
        )
        guard result.sweeping else { return result }
        if let last = lastSweepMs, input.nowMs - last < sweeper.rule.checkIntervalMs { return result }
        lastSweepMs = input.nowMs
        result.outcome = sweeper.sweep(&table, nowMs: input.nowMs, wallMs: input.wallMs, skip: reserved) { input.alive.contains($0) }
        return result
    }
}
