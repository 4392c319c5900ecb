/// This node's store as its own appends show it. An append that has not finished after the
/// stall limit makes the store *stalled* (a frozen network filesystem, a hung disk): the node
/// stops leading at once, says so in gossip so the next node leads, and refuses durable
/// requests at once. It may lead again only once its store has worked for a while
/// (``fitToLead(now:recoveryMs:)``), so a flapping mount does not flap the leadership.
///
/// It also keeps when the last write succeeded and when the last one failed (the shell reports
/// every write the core asks for): the mass-failure guard reads that as "store writes
/// succeeding" (``writeFailure(now:recentMs:)``, ``MonitorEvidence/storeFailure``). A store
/// that fails fast is as unfit to lead as one that hangs: a GlusterFS client cut off from its
/// bricks answers ENOTCONN after `network.ping-timeout`, and a leader that can neither write
/// marks nor read its peers must hand over (``failing(now:recoveryMs:)``).
public struct StoreHealth: Sendable, Equatable {
    /// When the stall was noticed (judge time); `nil` while the store answers.
    public internal(set) var stalledSince: JudgeTime?
    /// Since when the store has answered (start-up, or the end of the last stall).
    public internal(set) var healthySince: JudgeTime
    /// Stalls noticed since start.
    public internal(set) var stalls = 0
    /// What this node last gossiped: fit to lead (``StoreHealthReport``).
    var reportedFit = true
    /// Judge time of the latest write reported durable.
    public private(set) var lastSucceeded: JudgeTime?
    /// Judge time of the latest write reported failed, and what the store said.
    public private(set) var lastFailed: JudgeTime?
    public private(set) var lastFailure: String?
    /// Judge times of the latest read of the peers' files that succeeded, and that failed.
    public private(set) var lastReadSucceeded: JudgeTime?
    public private(set) var lastReadFailed: JudgeTime?

    public init(healthySince: JudgeTime = JudgeTime(ms: 0)) {
        self.healthySince = healthySince
    }

    public var isStalled: Bool { stalledSince != nil }

    /// Not stalled, and answering for at least `recoveryMs` since the last stall (a node that
    /// never stalled is fit from the start).
    public func fitToLead(now: JudgeTime, recoveryMs: Int64) -> Bool {
        guard stalledSince == nil, !failing(now: now, recoveryMs: recoveryMs) else { return false }
        return stalls == 0 || now - healthySince >= recoveryMs
    }

    /// The latest write, or the latest read of the peers' files, failed less than `recoveryMs`
    /// ago with no success of the same kind since.
    public func failing(now: JudgeTime, recoveryMs: Int64) -> Bool {
        func latestFailed(_ failed: JudgeTime?, _ succeeded: JudgeTime?) -> Bool {
            guard let failed, now - failed < recoveryMs else { return false }
            return succeeded.map { $0 <= failed } ?? true
        }
        return latestFailed(lastFailed, lastSucceeded) || latestFailed(lastReadFailed, lastReadSucceeded)
    }

    /// A read of the peers' files ended at `now`: through to the end, or failed.
    public mutating func read(succeeded: Bool, at now: JudgeTime) {
        if succeeded {
            lastReadSucceeded = max(lastReadSucceeded ?? now, now)
        } else {
            lastReadFailed = max(lastReadFailed ?? now, now)
        }
    }

    /// A write was reported durable at `now`.
    public mutating func writeSucceeded(at now: JudgeTime) {
        lastSucceeded = max(lastSucceeded ?? now, now)
    }

    /// A write was reported failed at `now`, with what the store said.
    public mutating func writeFailed(_ detail: String, at now: JudgeTime) {
        lastFailed = max(lastFailed ?? now, now)
        lastFailure = detail
    }

    /// Why the store is not known to take writes now: stalled, or the latest write reported
    /// within `recentMs` of `now` failed (what the store said); `nil` when the latest succeeded
    /// or no failure is that recent (an old failure followed by no write says nothing of now).
    public func writeFailure(now: JudgeTime, recentMs: Int64) -> String? {
        if let since = stalledSince { return "stalled for \((now - since) / 1000) s" }
        guard let failed = lastFailed, now - failed <= recentMs else { return nil }
        if let succeeded = lastSucceeded, succeeded > failed { return nil }
        return lastFailure
    }
}

/// What each node gossips about its own store under a reserved key of its own table, so every
/// node's election leaves out nodes whose store is stalled or just recovered, and the leader
/// tells the channels: a state byte (0 fit to lead, 1 stalled, 2 not fit: answering again after
/// a stall but not yet for long, or its latest writes or reads failed), then the number of
/// stalls in this start (varint).
public enum StoreHealthReport {
    /// The store's state as reported.
    public enum State: UInt8, Sendable {
        case fit = 0
        case stalled = 1
        case recovering = 2
    }

    /// The reserved execution id the report is published under (never a real execution).
    public static let id = ExecutionID(high: .max, low: .max - 1)

    public static func value(_ state: State, stalls: Int) -> [UInt8] {
        var out: [UInt8] = [state.rawValue]
        var n = UInt64(max(0, stalls))
        while n >= 0x80 {
            out.append(UInt8(n & 0x7F) | 0x80)
            n >>= 7
        }
        out.append(UInt8(n))
        return out
    }

    /// Decodes ``value(_:stalls:)``; a missing or malformed value is a fit store that never stalled.
    public static func decode(_ value: [UInt8]?) -> (state: State, stalls: UInt64) {
        guard let value, let first = value.first, let state = State(rawValue: first) else { return (.fit, 0) }
        var n: UInt64 = 0
        var shift: UInt64 = 0
        for byte in value.dropFirst().prefix(9) {
            n |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return (state, n) }
            shift += 7
        }
        return (state, 0)
    }
}

/// A peer's store as its own gossiped report says (``StoreHealthReport``), with the start
/// (generation) it is about.
public struct StoreReport: Sendable, Equatable {
    public var state: StoreHealthReport.State
    /// Stalls in this start.
    public var stalls: UInt64
    public var generation: UInt64

    public var stalled: Bool { state == .stalled }

    public init(state: StoreHealthReport.State, stalls: UInt64, generation: UInt64) {
        self.state = state
        self.stalls = stalls
        self.generation = generation
    }
}
