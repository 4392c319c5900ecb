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
    ///   - stampMs: the origin's receive time of the heartbeat (wall, ms).
    ///   - startedWallMs: this node's start (wall, ms).
    ///   - nowWallMs: this node's wall clock now.
    ///   - nowJudgeMs: this node's judge clock now.
    public static func forRemote(stampMs: Int64, startedWallMs: Int64, nowWallMs: Int64, nowJudgeMs: Int64) -> Int64 {
        guard stampMs < startedWallMs else { return nowJudgeMs }
        return nowJudgeMs - max(0, nowWallMs - stampMs)
    }
}
