import CoordinatorCore
import Gossip
import Logging
import ServiceLifecycle

/// Drains gossip's events into the node: merges heartbeats other origins received into its
/// view, re-publishes orphaned heartbeats when a peer restarts, and logs membership changes and
/// key mismatches. When gossip had to drop events (this consumer fell behind), it re-reads
/// every peer origin's table, so the view is whole again.
public struct GossipEventConsumer<C: Clock>: Service where C.Duration == Duration {
    let gossip: GossipService<C>
    let node: CoordinatorNode
    let logger: Logger

    public init(gossip: GossipService<C>, node: CoordinatorNode, logger: Logger) {
        self.gossip = gossip
        self.node = node
        self.logger = logger
    }

    public func run() async throws {
        for await event in gossip.events.cancelOnGracefulShutdown() {
            switch event {
            case .replica(let change):
                if case .updated(let origin, _, _) = change, origin.id == node.id { break }
                if !node.apply(change) {
                    logger.debug("Ignored a malformed heartbeat entry", metadata: ["gossip.change": "\(change)"])
                }
                if case .originCleared(let origin) = change {
                    logger.info("Gossip origin restarted; its table starts afresh", metadata: ["gossip.origin": "\(origin)"])
                }
            case .member(let change):
                logger.info("Gossip member changed", metadata: ["gossip.peer": "\(change.member.identity)", "gossip.change": "\(change)"])
            case .keyMismatch(let peer, let address):
                logger.warning("Gossip key mismatch: this node cannot open the peer's packets; check gossip.key on both", metadata: [
                    "gossip.peer": "\(peer)", "gossip.address": "\(address)",
                ])
            }
            if gossip.takeEventOverflow() { resync() }
        }
    }

    /// Merges every entry of every peer origin (merging is idempotent: the newest stamp wins).
    private func resync() {
        logger.warning("Gossip events were dropped; re-reading every peer's table")
        for origin in gossip.origins() where origin.id != node.id {
            for (key, stored) in gossip.entries(of: origin.id) {
                node.apply(.updated(origin: origin, key: key, value: stored))
            }
        }
    }
}
