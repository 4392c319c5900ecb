import CoordinatorCore
import Gossip
import Logging

/// Writes the heartbeats this node accepts into its own gossip origin table (the node's
/// ``HeartbeatSink`` in `vigil serve`).
public struct GossipHeartbeatSink<C: Clock>: HeartbeatSink where C.Duration == Duration {
    let gossip: GossipService<C>
    let logger: Logger
    public let maxValueBytes: Int

    public init(gossip: GossipService<C>, logger: Logger) {
        self.gossip = gossip
        self.logger = logger
        self.maxValueBytes = gossip.maxValueBytes
    }

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
}
