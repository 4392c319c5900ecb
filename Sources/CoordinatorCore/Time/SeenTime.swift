/// When a node "first saw" a heartbeat that gossip delivered, on its judge clock.
///
/// Normally that is simply now: the judge's own clock, so coordinator clock skew changes no
/// decision. A heartbeat stamped before this node started, though, is one it could not have
/// seen (it restarted, and a peer's table brought it): counting its age from now would delay
/// the verdict by up to a whole restart. For those, and only those, the age is taken from the
/// origin's stamp on this node's wall clock (then skew shifts the verdict by the skew, seconds
/// against a timeout of minutes).
public enum SeenTime {
    /// - Parameters:
    ///   - stamp: the origin's receive time of the heartbeat (its wall clock).
    ///   - started: this node's start, on its wall clock.
    ///   - now: this node's clocks now.
    public static func forRemote(stamp: WallTime, started: WallTime, now: NodeNow) -> JudgeTime {
        guard stamp < started else { return now.judge }
        return now.judge - max(0, now.wall - stamp)
    }
}
