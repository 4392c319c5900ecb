import CoordinatorCore
/// Where a node replicates the heartbeats it accepts: gossip in `vigil serve`, a direct hand-off
/// in tests.
public protocol HeartbeatSink: Sendable {
    /// The largest value ``publish(id:value:stampMs:)`` takes.
    var maxValueBytes: Int { get }
    /// Writes this node's newest heartbeat of `id` (a ``HeartbeatEntry`` encoding) into its
    /// own origin table, stamped with its receive time.
    func publish(id: ExecutionID, value: [UInt8], stampMs: Int64)
    /// Removes `id` from this node's origin table (it finished and left memory).
    func forget(id: ExecutionID)
}
