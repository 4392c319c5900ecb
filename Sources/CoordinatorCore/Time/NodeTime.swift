/// A moment on the wall clock, in Unix milliseconds: for people (API, CLI, logs), store
/// metadata and strike spacing across leaders — never for liveness.
public struct WallTime: Sendable, Hashable, Comparable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// Milliseconds since 1970-01-01 UTC.
    public var ms: Int64

    public init(ms: Int64) { self.ms = ms }
    public init(integerLiteral value: Int64) { self.ms = value }

    public static func < (a: WallTime, b: WallTime) -> Bool { a.ms < b.ms }
    /// Later by `ms` milliseconds.
    public static func + (a: WallTime, ms: Int64) -> WallTime { WallTime(ms: a.ms + ms) }
    /// Earlier by `ms` milliseconds.
    public static func - (a: WallTime, ms: Int64) -> WallTime { WallTime(ms: a.ms - ms) }
    /// Milliseconds from `b` to `a`.
    public static func - (a: WallTime, b: WallTime) -> Int64 { a.ms - b.ms }

    public var description: String { "wall \(ms) ms" }
}

/// A moment on this node's judge clock: milliseconds since the node started, on its monotonic
/// clock. Liveness (an execution's age, a leader's grace) is measured here only, so neither
/// container clocks nor coordinator clock skew (or a stepped wall clock) changes a decision.
/// Judge times of two nodes are not comparable.
public struct JudgeTime: Sendable, Hashable, Comparable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// Milliseconds since this node started.
    public var ms: Int64

    public init(ms: Int64) { self.ms = ms }
    public init(integerLiteral value: Int64) { self.ms = value }

    public static func < (a: JudgeTime, b: JudgeTime) -> Bool { a.ms < b.ms }
    /// Later by `ms` milliseconds.
    public static func + (a: JudgeTime, ms: Int64) -> JudgeTime { JudgeTime(ms: a.ms + ms) }
    /// Earlier by `ms` milliseconds.
    public static func - (a: JudgeTime, ms: Int64) -> JudgeTime { JudgeTime(ms: a.ms - ms) }
    /// Milliseconds from `b` to `a`.
    public static func - (a: JudgeTime, b: JudgeTime) -> Int64 { a.ms - b.ms }

    public var description: String { "judge \(ms) ms" }
}

/// Both of a node's clocks, read once by the shell and passed into the core.
public struct NodeNow: Sendable, Hashable {
    public var wall: WallTime
    public var judge: JudgeTime

    public init(wall: WallTime, judge: JudgeTime) {
        self.wall = wall
        self.judge = judge
    }
}
