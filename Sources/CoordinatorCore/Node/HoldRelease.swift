/// Operators' releases of the mass-failure guard's hold (`vigil sweep release`): durable records
/// every node applies. A release judges now every execution that was stale when it was made; an
/// execution that goes silent later is held as any other.
public struct HoldRelease: Sendable, Equatable {
    /// The latest release applied: its wall time (Unix ms) and the node that wrote it.
    public private(set) var latestMs: Int64?
    public private(set) var latestNode: String?
    /// Executions stale at or before this judge time are no longer held (the latest release,
    /// on this node's judge clock).
    public private(set) var through: JudgeTime?

    public init() {}

    /// Applies a release made at wall time `time` by `node`, mapped onto this node's judge clock
    /// as `now` sees it: a release read late, or replayed at a restart, reaches no further than
    /// the moment it was made. Returns whether it reaches further than the releases before it.
    @discardableResult
    mutating func apply(at time: WallTime, by node: String, now: NodeNow) -> Bool {
        if (latestMs ?? .min, latestNode ?? "") < (time.ms, node) {
            latestMs = time.ms
            latestNode = node
        }
        let reach = now.judge - max(0, now.wall - time)
        guard reach > through ?? JudgeTime(ms: .min) else { return false }
        through = reach
        return true
    }
}
