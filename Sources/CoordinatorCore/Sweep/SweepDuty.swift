/// One coordinator's part in the sweep, as a pure state machine: ``Election`` decides who leads
/// and when the leader has caught up; ``Sweeper`` judges the table when this node may sweep.
///
/// ``NodeCore`` drives it, in production and in the simulated clusters alike: it gathers an
/// ``Input`` (membership, terms, catch-up, pause), calls ``decide(_:)``, carries out the
/// ``Result`` (claims or releases a term) and, when a sweep is due, runs it in chunks
/// (``Sweeper/survey(_:slots:now:wall:skip:into:)``).
///
/// Checks may come more often than the sweep interval (the shell re-evaluates leadership every
/// few hundred ms, so a new leader is known at once); the sweep itself runs at most once per
/// `check_interval` — the first time as soon as the leader may sweep.
public struct SweepDuty: Sendable {
    public private(set) var election: Election
    public let sweeper: Sweeper
    /// Judge time of this leadership's last sweep.
    public private(set) var lastSweep: JudgeTime?

    public init(me: String, configured: [String], rule: SweepRule) {
        election = Election(me: me, configured: configured, graceMs: rule.heartbeatTimeoutMs)
        sweeper = Sweeper(rule: rule)
    }

    /// What the shell knows at one check.
    public struct Input: Sendable {
        /// Judge (monotonic) clock, ms.
        public var now: JudgeTime
        /// Wall clock, ms (dates strikes and marks).
        public var wall: WallTime
        /// Configured nodes this node considers alive, itself included.
        public var alive: Set<String>
        /// Highest leadership term seen in the store or from peers.
        public var highestTermSeen: UInt64
        /// Judge time of the latest moment at which this node had read the store to its end and
        /// was in sync with every alive peer's table; `nil` when not in sync.
        public var syncedAt: JudgeTime?
        /// Sweeping is paused cluster-wide.
        public var paused: Bool
        /// The highest unreleased leadership claim (``TermLedger/active``).
        public var activeClaim: TermClaim?
        /// This node's own claim of its current term is durable: no decision before it is.
        public var termDurable: Bool
        /// Of `alive`, the nodes confirmed alive (heard from, not merely suspected of failing);
        /// `nil`: all of `alive`. A leader sweeps only while confirmed nodes make a majority: a
        /// leader cut off from every peer still counts them alive while they are only suspect,
        /// and must not strike executions whose heartbeats reach only the other side.
        public var confirmed: Set<String>? = nil
        /// Alive nodes that must not lead now (their store is stalled, this node's included).
        public var unfit: Set<String> = []

        public init(now: JudgeTime, wall: WallTime, alive: Set<String>, highestTermSeen: UInt64, syncedAt: JudgeTime?, paused: Bool, activeClaim: TermClaim? = nil, termDurable: Bool = true) {
            self.now = now
            self.wall = wall
            self.alive = alive
            self.highestTermSeen = highestTermSeen
            self.syncedAt = syncedAt
            self.paused = paused
            self.activeClaim = activeClaim
            self.termDurable = termDurable
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
        /// A sweep is due now: the caller runs it.
        public var sweepDue = false
    }

    /// Leadership at `input.now`, and whether a sweep is due now (at most once per check
    /// interval); the caller then sweeps, whole or in chunks (``Sweeper/survey(_:slots:now:wall:skip:into:)``).
    /// See ``Election/reclaim(highestTermSeen:now:)``.
    mutating func reclaim(highestTermSeen: UInt64, now: JudgeTime) -> UInt64 {
        election.reclaim(highestTermSeen: highestTermSeen, now: now)
    }

    /// The next check sweeps, whatever the interval (an operator released the guard's hold).
    mutating func sweepSoon() { lastSweep = nil }

    public mutating func decide(_ input: Input) -> Result {
        let change = election.update(alive: input.alive, highestTermSeen: input.highestTermSeen, activeClaim: input.activeClaim, unfit: input.unfit, now: input.now)
        if change != .none { lastSweep = nil }
        if let synced = input.syncedAt { election.markCaughtUp(at: synced) }
        let members = input.alive.intersection(election.configured).union([election.me])
        let confirmed = (input.confirmed ?? input.alive).intersection(election.configured).union([election.me])
        var result = Result(
            change: change, leader: election.leader, term: election.term, quorum: members.count >= election.quorum,
            sweeping: election.maySweep(now: input.now) && !input.paused && input.termDurable && confirmed.count >= election.quorum
        )
        guard result.sweeping else { return result }
        if let last = lastSweep, input.now - last < sweeper.rule.checkIntervalMs { return result }
        lastSweep = input.now
        result.sweepDue = true
        return result
    }
}
