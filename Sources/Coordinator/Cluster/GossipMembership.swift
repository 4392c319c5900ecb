import Gossip
import Logging
import ServiceLifecycle

/// Gossip membership as the rest of the node sees it: a ``MembershipSource`` over a running
/// ``GossipService``, and the `Service` that drains its events (logging joins, deaths, key
/// mismatches) so the event stream never grows without bound.
public final class GossipMembership<C: Clock>: MembershipSource, Service where C.Duration == Duration {
    public let gossip: GossipService<C>
    let me: String
    let configured: Set<String>
    let logger: Logger

    public init(gossip: GossipService<C>, me: String, configured: [String], logger: Logger) {
        self.gossip = gossip
        self.me = me
        self.configured = Set(configured)
        self.logger = logger
    }

    public func aliveNodes() -> Set<String> {
        Set(gossip.members().filter { $0.status.isReachable }.map(\.identity.id)).intersection(configured).union([me])
    }

    public func highestTermSeen() -> UInt64 { 0 }

    /// Table sync with peers is not tracked yet: a new leader waits out the grace period.
    public func syncedWithAlivePeers() -> Bool { aliveNodes() == [me] }

    public func run() async throws {
        for await event in gossip.events.cancelOnGracefulShutdown() {
            switch event {
            case .member(let change):
                logger.info("Gossip member changed", metadata: ["gossip.peer": "\(change.member.identity)", "gossip.change": "\(change)"])
            case .keyMismatch(let peer, let address):
                logger.warning("Gossip key mismatch: this node cannot open the peer's packets; check gossip.key on both", metadata: [
                    "gossip.peer": "\(peer)", "gossip.address": "\(address)",
                ])
            case .replica:
                break
            }
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
}

extension GossipMembership: ClusterView {
    public func memberList() -> [MemberInfo] {
        let now = gossip.moment()
        let config = gossip.configuration
        let myself = MemberInfo(
            id: config.identity.id, gossip: (config.advertisedAddress ?? config.bindAddress).description, http: nil, state: "alive",
            incarnation: 0, generation: config.identity.generation, lastSeenSecondsAgo: nil
        )
        return [myself] + gossip.members().map { member in
            MemberInfo(
                id: member.identity.id, gossip: member.address.description, http: nil, state: member.status.description,
                incarnation: member.incarnation, generation: member.identity.generation,
                lastSeenSecondsAgo: member.lastHeard.map { Double(now.nanoseconds - $0.nanoseconds) / 1e9 }
            )
        }
    }
}
