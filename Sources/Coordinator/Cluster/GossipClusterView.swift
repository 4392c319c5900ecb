import CoordinatorCore
import Gossip

/// The cluster as gossip membership sees it: who is alive (for the election) and the member
/// list the cluster endpoints show.
public struct GossipClusterView<C: Clock>: MembershipSource, ClusterView where C.Duration == Duration {
    let gossip: GossipService<C>
    let me: String
    let configured: Set<String>
    /// HTTP address per configured node, for the member list.
    let http: [String: String]

    public init(gossip: GossipService<C>, configuration: VigilConfiguration) {
        self.gossip = gossip
        self.me = gossip.me.id
        self.configured = Set(configuration.nodes.map(\.id))
        self.http = Dictionary(configuration.nodes.map { ($0.id, "\($0.http)") }, uniquingKeysWith: { a, _ in a })
    }

    public func aliveNodes() -> Set<String> {
        GossipReplicaBridge.alive(gossip.members(), me: me, configured: configured)
    }

    public func storeReports() -> [String: StoreReport] {
        GossipReplicaBridge.storeReports(gossip.members(), configured: configured) { gossip.entry(GossipReplicaBridge.storeReportKey, of: $0) }
    }

    public func confirmedNodes() -> Set<String> {
        GossipReplicaBridge.confirmed(gossip.members(), me: me, configured: configured)
    }

    /// In sync when no peer origin lags what its peers advertise by more than a few gossip
    /// pushes (``GossipReplicaBridge/synced(lag:slack:)``). (An origin never heard of cannot be
    /// judged; it counts as in sync, and the election's grace period covers it.)
    public func syncedWithAlivePeers() -> Bool {
        GossipReplicaBridge.synced(lag: gossip.versionLag())
    }

    public func peerKeyrings() -> [String: [String]] {
        var out: [String: [String]] = [:]
        for member in gossip.members() where member.status.isReachable && configured.contains(member.identity.id) {
            let value = gossip.entry(KeyringReport.entryKey, of: member.identity.id)?.value
            out[member.identity.id] = value.map(KeyringReport.names) ?? []
        }
        return out
    }

    public func memberList() -> [MemberInfo] {
        let now = gossip.moment()
        let config = gossip.configuration
        let myself = MemberInfo(
            id: config.identity.id, gossip: (config.advertisedAddress ?? config.bindAddress).description, http: http[config.identity.id], state: "alive",
            incarnation: 0, generation: config.identity.generation, lastSeenSecondsAgo: nil
        )
        return [myself] + gossip.members().map { member in
            MemberInfo(
                id: member.identity.id, gossip: member.address.description, http: http[member.identity.id], state: member.status.description,
                incarnation: member.incarnation, generation: member.identity.generation,
                lastSeenSecondsAgo: member.lastHeard.map { Double(now.nanoseconds - $0.nanoseconds) / 1e9 }
            )
        }
    }
}

/// One member as the API shows it.
public struct MemberInfo: Sendable, Equatable {
    public var id: String
    public var gossip: String
    public var http: String?
    public var state: String
    public var incarnation: UInt64
    public var generation: UInt64
    /// Seconds since this node last heard from it directly; `nil` for itself or never.
    public var lastSeenSecondsAgo: Double?

    public init(id: String, gossip: String, http: String?, state: String, incarnation: UInt64, generation: UInt64, lastSeenSecondsAgo: Double?) {
        self.id = id
        self.gossip = gossip
        self.http = http
        self.state = state
        self.incarnation = incarnation
        self.generation = generation
        self.lastSeenSecondsAgo = lastSeenSecondsAgo
    }
}

/// What the cluster endpoints need to list members.
public protocol ClusterView: Sendable {
    func memberList() -> [MemberInfo]
    /// Each reachable peer's keyring report (``KeyringReport``): key names, sealing one first;
    /// an empty list for a peer that has not reported yet.
    func peerKeyrings() -> [String: [String]]
}

extension ClusterView {
    public func peerKeyrings() -> [String: [String]] { [:] }
}
