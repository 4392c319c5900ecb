/// Where a node replicates the heartbeats it accepts: gossip in `vigil serve`, a simulated
/// network in tests.
public protocol HeartbeatSink: Sendable {
    /// Writes this node's newest heartbeat of `id` into its own origin table.
    func publish(id: ExecutionID, entry: HeartbeatEntry, stampMs: Int64)
    /// Removes `id` from this node's origin table (it finished and left memory).
    func forget(id: ExecutionID)
}
