/// Who sweeps: the alive member with the lowest node id, and only while this node sees a
/// majority of the configured nodes, so a minority partition never sweeps.
///
/// A pure state machine: the node feeds it membership (`alive`), the highest term it has seen in
/// gossip or the store, whether it has caught up, and the monotonic time; it answers with the
/// leader, the term, and whether this node may count strikes now.
///
/// Terms only grow: a node that becomes leader takes a term above every term it has seen.
/// A new leader first catches up — the node reports that it has read the store and synced
/// tables with every alive peer — or waits out `graceMs` (one heartbeat timeout) before it
/// may strike, so a failover never turns an unseen heartbeat into a false failure.
public struct Election: Sendable {
    public let me: String
    /// Every configured node id.
    public let configured: Set<String>
    public let graceMs: Int64

    public private(set) var term: UInt64 = 0
    public private(set) var leader: String?
    /// Monotonic ms when this node last became leader.
    public private(set) var leaderSince: JudgeTime?
    public private(set) var caughtUp = false
    /// The last update found this node's leadership superseded by a higher claim.
    public private(set) var superseded = false
    /// After being superseded, this node claims no new term before this time.
    public private(set) var holdoffUntil: JudgeTime?
    /// How long a superseded leader waits before it may claim again.
    public let holdoffMs: Int64

    public init(me: String, configured: [String], graceMs: Int64, holdoffMs: Int64 = 10_000) {
        self.me = me
        self.configured = Set(configured)
        self.graceMs = graceMs
        self.holdoffMs = holdoffMs
    }

    /// A majority of the configured nodes.
    public var quorum: Int { configured.count / 2 + 1 }

    /// What changed for this node.
    public enum Change: Sendable, Equatable {
        case none
        /// This node leads from now, in `term`.
        case becameLeader(term: UInt64)
        /// This node no longer leads (another leader, or lost quorum).
        case stoppedLeading
    }

    /// Re-evaluates leadership.
    ///
    /// The fence (see ``TermClaim``): a leader stops at once when it sees a claim that outranks
    /// its own, and then claims no new term for `holdoffMs` while that claim stands, so two nodes
    /// whose membership views disagree (each sees the other dead, both see a majority) do not
    /// take turns forever. A
    /// node defers to the holder of the newest unreleased claim while it sees that holder alive,
    /// even if its own id is lower: the holder yields (and releases its claim) once it sees a
    /// lower id alive, and only then does the lower id claim a new term.
    /// - Parameters:
    ///   - alive: configured nodes this node considers alive, itself included.
    ///   - highestTermSeen: the highest term in gossip or the store.
    ///   - activeClaim: the highest claim not released (``TermLedger/active``).
    ///   - unfit: alive nodes that must not lead now (their store is stalled); they still count
    ///     for the quorum, and a claim they hold is not deferred to.
    public mutating func update(alive: Set<String>, highestTermSeen: UInt64, activeClaim: TermClaim? = nil, unfit: Set<String> = [], now: JudgeTime) -> Change {
        let members = alive.intersection(configured).union([me])
        let quorate = members.count >= quorum
        let wasLeading = leader == me
        superseded = false
        if wasLeading, let claim = activeClaim, claim.node != me, claim.outranks(term: term, node: me) {
            superseded = true
            holdoffUntil = now + holdoffMs
        }
        term = max(term, highestTermSeen)
        var newLeader = quorate ? members.subtracting(unfit).min() : nil
        if quorate, let claim = activeClaim, claim.node != me, members.contains(claim.node), !unfit.contains(claim.node) { newLeader = claim.node }
        // The hold-off only stands while the claim that superseded us does: once its holder has
        // released it (it yielded to us, a lower id), waiting out the rest would leave the
        // cluster without a leader for nothing.
        let heldOff = (holdoffUntil.map { now < $0 } ?? false) && (activeClaim.map { $0.node != me } ?? false)
        if newLeader == me, superseded || heldOff { newLeader = nil }
        leader = newLeader
        if newLeader == me, !wasLeading {
            term += 1
            leaderSince = now
            caughtUp = false
            return .becameLeader(term: term)
        }
        if newLeader != me, wasLeading {
            leaderSince = nil
            caughtUp = false
            return .stoppedLeading
        }
        return .none
    }

    /// This leader's term is outranked by a claim it read only once released (two nodes claimed
    /// the same number at once, and the higher id yielded before this node saw its claim): that
    /// claim still fences every decision of this term, so the leader takes a new term above
    /// every one seen, and catches up again before it decides.
    public mutating func reclaim(highestTermSeen: UInt64, now: JudgeTime) -> UInt64 {
        precondition(leader == me, "only a leader reclaims")
        term = max(term, highestTermSeen) + 1
        leaderSince = now
        caughtUp = false
        return term
    }

    /// The node read the store to its end and synced tables with every alive peer at `atMs`;
    /// that counts as catching up only if it happened since this node became leader.
    public mutating func markCaughtUp(at time: JudgeTime) {
        if leader == me, let since = leaderSince, time >= since { caughtUp = true }
    }

    /// Whether this node may count strikes at `nowMs`.
    public func maySweep(now: JudgeTime) -> Bool {
        guard leader == me, let since = leaderSince else { return false }
        return caughtUp || now - since >= graceMs
    }

    public func checkInvariants() -> Bool {
        (leader == me) == (leaderSince != nil) && (leader == nil || configured.contains(leader!) || leader == me)
    }
}
