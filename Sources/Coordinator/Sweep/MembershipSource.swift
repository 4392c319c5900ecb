import CoordinatorCore
/// What the sweep needs to know about the cluster. Gossip provides it; a node alone (or in
/// tests) uses ``StandaloneMembership``.
public protocol MembershipSource: Sendable {
    /// Configured nodes this node considers alive, itself included.
    func aliveNodes() -> Set<String>
    /// Whether this node's copy of every alive peer's table is as new as the peer says it is.
    func syncedWithAlivePeers() -> Bool
    /// Of ``aliveNodes()``, those confirmed alive (not merely suspect), itself included.
    func confirmedNodes() -> Set<String>
    /// What reachable peers gossip about their stores (``StoreHealthReport``): a stalled one
    /// must not lead.
    func storeReports() -> [String: StoreReport]
}

extension MembershipSource {
    public func confirmedNodes() -> Set<String> { aliveNodes() }
    public func storeReports() -> [String: StoreReport] { [:] }
}

/// Membership when nothing else is known: only this node is alive.
public struct StandaloneMembership: MembershipSource {
    public let me: String
    public init(me: String) { self.me = me }
    public func aliveNodes() -> Set<String> { [me] }
    public func syncedWithAlivePeers() -> Bool { true }
}
