/// The cluster-wide pause flag (seed 002's `/admin/heartbeat/stop|start`): the latest change
/// wins, ordered by (wall time, node id), so nodes that read two changes in different orders
/// agree on the outcome.
public struct PauseFlag: Sendable, Equatable {
    public private(set) var paused = false
    /// The latest applied change, as (wall ms, node).
    var version: (ms: Int64, node: String) = (.min, "")

    public init() {}

    /// The time to stamp a new local change with: now, or just after the latest change seen if
    /// this node's clock is behind, so an operator's change here always takes effect.
    public func nextStamp(now: WallTime) -> WallTime {
        version.ms == .min ? now : WallTime(ms: max(now.ms, version.ms + 1))
    }

    /// Applies a change made by `node` at `time`, unless a later change is already applied.
    /// Returns whether it applied.
    @discardableResult
    public mutating func apply(_ paused: Bool, at time: WallTime, by node: String) -> Bool {
        guard (time.ms, node) > version else { return false }
        version = (time.ms, node)
        self.paused = paused
        return true
    }

    public static func == (a: PauseFlag, b: PauseFlag) -> Bool { a.paused == b.paused && a.version == b.version }
}
