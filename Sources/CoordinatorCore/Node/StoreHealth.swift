/// This node's store as its own appends show it. An append that has not finished after the
/// stall limit makes the store *stalled* (a frozen network filesystem, a hung disk): the node
/// stops leading at once, says so in gossip so the next node leads, and refuses durable
/// requests at once. It may lead again only once its store has worked for a while
/// (``fitToLead(now:recoveryMs:)``), so a flapping mount does not flap the leadership.
public struct StoreHealth: Sendable, Equatable {
    /// When the stall was noticed (judge time); `nil` while the store answers.
    public internal(set) var stalledSince: JudgeTime?
    /// Since when the store has answered (start-up, or the end of the last stall).
    public internal(set) var healthySince: JudgeTime
    /// Stalls noticed since start.
    public internal(set) var stalls = 0

    public init(healthySince: JudgeTime = JudgeTime(ms: 0)) {
        self.healthySince = healthySince
    }

    public var isStalled: Bool { stalledSince != nil }

    /// Not stalled, and answering for at least `recoveryMs` since the last stall (a node that
    /// never stalled is fit from the start).
    public func fitToLead(now: JudgeTime, recoveryMs: Int64) -> Bool {
        guard stalledSince == nil else { return false }
        return stalls == 0 || now - healthySince >= recoveryMs
    }
}

/// What each node gossips about its own store under a reserved key of its own table, so every
/// node's election leaves out nodes whose store is stalled: one byte, 1 stalled, 0 healthy.
public enum StoreHealthReport {
    /// The reserved execution id the report is published under (never a real execution).
    public static let id = ExecutionID(high: .max, low: .max - 1)

    public static func value(stalled: Bool) -> [UInt8] { [stalled ? 1 : 0] }

    /// `true` when `value` says stalled; a missing or unknown value is healthy.
    public static func stalled(_ value: [UInt8]?) -> Bool { value == [1] }
}
