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
    public private(set) var leaderSinceMs: Int64?
    public private(set) var caughtUp = false

    public init(me: String, configured: [String], graceMs: Int64) {
        self.me = me
        self.configured = Set(configured)
        self.graceMs = graceMs
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
    /// - Parameters:
    ///   - alive: configured nodes this node considers alive, itself included.
    ///   - highestTermSeen: the highest term in gossip or the store.
    public mutating func update(alive: Set<String>, highestTermSeen: UInt64, nowMs: Int64) -> Change {
        let members = alive.intersection(configured).union([me])
        let newLeader = members.count >= quorum ? members.min() : nil
        let wasLeading = leader == me
        term = max(term, highestTermSeen)
        leader = newLeader
        if newLeader == me, !wasLeading {
            term += 1
            leaderSinceMs = nowMs
            caughtUp = false
            return .becameLeader(term: term)
        }
        if newLeader != me, wasLeading {
            leaderSinceMs = nil
            caughtUp = false
            return .stoppedLeading
        }
        return .none
    }

    /// The node read the store to its end and synced tables with every alive peer at `atMs`;
    /// that counts as catching up only if it happened since this node became leader.
    public mutating func markCaughtUp(atMs: Int64) {
        if leader == me, let since = leaderSinceMs, atMs >= since { caughtUp = true }
    }

    /// Whether this node may count strikes at `nowMs`.
    public func maySweep(nowMs: Int64) -> Bool {
        guard leader == me, let since = leaderSinceMs else { return false }
        return caughtUp || nowMs - since >= graceMs
    }

    public func checkInvariants() -> Bool {
        (leader == me) == (leaderSinceMs != nil) && (leader == nil || configured.contains(leader!) || leader == me)
    }
}
