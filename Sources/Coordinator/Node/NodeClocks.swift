import CoordinatorCore
import Foundation

/// The node's two clocks, read only by the shell: the wall clock (Unix ms, for people and the
/// store) and the judge clock (monotonic ms since start, for liveness). Production uses
/// ``system(wallOffsetMs:)``; tests pass readings they drive by hand.
public struct NodeClocks: Sendable {
    /// When the node started, on the wall clock.
    public let startedWall: WallTime
    private let readWall: @Sendable () -> WallTime
    private let readJudge: @Sendable () -> JudgeTime

    /// Clocks read from `wall` and `judge` (a test drives them).
    public init(wall: @escaping @Sendable () -> WallTime, judge: @escaping @Sendable () -> JudgeTime) {
        self.readWall = wall
        self.readJudge = judge
        self.startedWall = wall()
    }

    /// The system clocks: wall time from the system clock plus `wallOffsetMs` (a test steps a
    /// node's wall clock with it; liveness must not change), judge time from the monotonic
    /// clock since now.
    public static func system(wallOffsetMs: Int64 = 0) -> NodeClocks {
        let started = ContinuousClock.now
        return NodeClocks(
            wall: { WallTime(ms: WallClock.unixMs() + wallOffsetMs) },
            judge: {
                let elapsed = ContinuousClock.now - started
                return JudgeTime(ms: elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            }
        )
    }

    public func wall() -> WallTime { readWall() }
    public func judge() -> JudgeTime { readJudge() }
    public func now() -> NodeNow { NodeNow(wall: readWall(), judge: readJudge()) }
}
