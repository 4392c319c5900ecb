import Gossip
import Logging
import ServiceLifecycle
import CoordinatorCore

/// Gossip as the rest of the node sees it: a ``MembershipSource`` for the sweep, the
/// ``HeartbeatSink`` that writes accepted heartbeats into this node's origin table, and the
/// `Service` that drains gossip events — merging heartbeats other origins received into the
/// node's view, and logging joins, deaths and key mismatches.
public final class GossipMembership<C: Clock>: MembershipSource, HeartbeatSink, Service where C.Duration == Duration {
    public let gossip: GossipService<C>
    let node: CoordinatorNode
    let configured: Set<String>
    let logger: Logger

    public init(gossip: GossipService<C>, node: CoordinatorNode, logger: Logger) {
        self.gossip = gossip
        self.node = node
        self.configured = Set(node.configuration.nodes.map(\.id))
        self.logger = logger
        self.maxValueBytes = gossip.maxValueBytes
    }

    public func aliveNodes() -> Set<String> {
        Set(gossip.members().filter { $0.status.isReachable }.map(\.identity.id)).intersection(configured).union([node.id])
    }

    /// In sync when no peer origin lags what its peers advertise. (An origin never heard of
    /// cannot be judged; it counts as in sync, and the election's grace period covers it.)
    public func syncedWithAlivePeers() -> Bool {
        gossip.versionLag().values.allSatisfy { $0 == 0 }
    }

    public let maxValueBytes: Int

    public func publish(id: ExecutionID, value: [UInt8], stampMs: Int64) {
        do {
            // No echo event: this node's own writes need no merging, and on the heartbeat hot
            // path a wake-up of the event consumer per write would cost more than the write.
            try gossip.set(key: EntryKey(high: id.high, low: id.low), value: value, stamp: stampMs, announce: false)
        } catch {
            logger.warning("Could not replicate a heartbeat", metadata: ["execution.id": "\(id)", "error": "\(error)"])
        }
    }

    public func forget(id: ExecutionID) {
        gossip.delete(key: EntryKey(high: id.high, low: id.low), stamp: 0)
    }

    public func run() async throws {
        for await event in gossip.events.cancelOnGracefulShutdown() {
            switch event {
            case .replica(.updated(let origin, let key, let stored)):
                guard origin.id != node.id, let bytes = stored.value else { continue }
                guard let entry = HeartbeatEntry(decoding: bytes, stampMs: stored.stamp) else {
                    logger.debug("Ignored a malformed heartbeat entry", metadata: ["gossip.origin": "\(origin)"])
                    continue
                }
                node.merge(remote: entry, id: ExecutionID(high: key.high, low: key.low), origin: origin.id, stampMs: stored.stamp)
            case .replica(.originCleared(let origin)):
                let adopted = node.adoptOrphans(of: origin.id)
                logger.info("Gossip origin restarted; its table starts afresh", metadata: [
                    "gossip.origin": "\(origin)", "executions.adopted": "\(adopted)",
                ])
            case .member(let change):
                logger.info("Gossip member changed", metadata: ["gossip.peer": "\(change.member.identity)", "gossip.change": "\(change)"])
            case .keyMismatch(let peer, let address):
                logger.warning("Gossip key mismatch: this node cannot open the peer's packets; check gossip.key on both", metadata: [
                    "gossip.peer": "\(peer)", "gossip.address": "\(address)",
                ])
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
        let http = Dictionary(node.configuration.nodes.map { ($0.id, "\($0.http)") }, uniquingKeysWith: { a, _ in a })
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
