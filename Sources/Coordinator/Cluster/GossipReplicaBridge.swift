import CoordinatorCore
import Gossip

/// How a change of the gossip replica reaches a node's core: a heartbeat another origin
/// received is merged into the view; an origin that restarted has its orphaned heartbeats
/// re-published. One function, used by `vigil serve` (``GossipEventConsumer``) and by the
/// simulated clusters, so both run the same mapping.
public enum GossipReplicaBridge {
    /// What a replica change means to the core. Returns the actions to carry out and, for a
    /// malformed entry (ignored), `false`.
    public static func apply(_ change: ReplicaChange, to core: inout NodeCore, now: NodeNow) -> (actions: [NodeAction], wellFormed: Bool) {
        switch change {
        case .updated(let origin, let key, let stored):
            // The reserved key holds a node's report about itself (``KeyringReport``), not a heartbeat.
            // The reserved keys hold a node's reports about itself (``KeyringReport``,
            // ``StoreHealthReport``), not heartbeats.
            guard origin.id != core.me, let bytes = stored.value, key != KeyringReport.entryKey, key != storeReportKey else { return ([], true) }
            guard let actions = core.merge(remoteValue: bytes, id: ExecutionID(high: key.high, low: key.low), origin: origin.id, stampMs: stored.stamp, now: now) else {
                return ([], false)
            }
            return (actions, true)
        case .originCleared(let origin):
            return (core.adoptOrphans(of: origin.id), true)
        }
    }

    /// Whether this node's copies of the peers' tables are caught up: no origin lags what its
    /// peers advertised by more than `slack` versions. Under a steady heartbeat load a replica is
    /// never exactly level (new writes are always in flight), and waiting for zero would hold a
    /// new leader back for its whole grace period. A few hundred heartbeats still in flight can
    /// at worst give one early strike (cleared by the heartbeat when it lands), never a mark:
    /// that takes three strikes an interval apart.
    public static func synced(lag: [String: UInt64], slack: UInt64 = 256) -> Bool {
        lag.values.allSatisfy { $0 <= slack }
    }

    /// The configured nodes a gossip membership shows alive, this node included.
    public static func alive(_ members: [Member], me: String, configured: Set<String>) -> Set<String> {
        Set(members.filter { $0.status.isReachable }.map(\.identity.id)).intersection(configured).union([me])
    }

    /// The reserved entry of ``StoreHealthReport`` in each node's own table.
    public static let storeReportKey = EntryKey(high: StoreHealthReport.id.high, low: StoreHealthReport.id.low)

    /// What reachable configured peers' own tables say about their stores (peers that never
    /// reported are left out: a store that never stalled).
    public static func storeReports(_ members: [Member], configured: Set<String>, report: (String) -> VersionedValue?) -> [String: StoreReport] {
        var out: [String: StoreReport] = [:]
        for member in members where member.status.isReachable && configured.contains(member.identity.id) {
            guard let value = report(member.identity.id)?.value else { continue }
            let (state, stalls) = StoreHealthReport.decode(value)
            out[member.identity.id] = StoreReport(state: state, stalls: stalls, generation: member.identity.generation)
        }
        return out
    }

    /// Of the configured nodes, those a gossip membership shows confirmed alive (not merely
    /// suspect), this node included: the sweep runs only while they make a majority.
    public static func confirmed(_ members: [Member], me: String, configured: Set<String>) -> Set<String> {
        Set(members.filter { $0.status == .alive }.map(\.identity.id)).intersection(configured).union([me])
    }
}
