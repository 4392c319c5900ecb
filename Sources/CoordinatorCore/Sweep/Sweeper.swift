/// The sweep, as a pure rule over an ``ExecutionTable``: the leader's judgement of which running
/// executions have gone silent (seed 000).
///
/// Liveness is measured on the judge's own monotonic clock: an execution's age is the time since
/// this node first *saw* its newest heartbeat (`ExecutionRecord.seenMs`, set when the heartbeat
/// arrived here or was merged from gossip), the way Kubernetes' node controller uses its own
/// probe timestamps. Clock skew between coordinators, or between a container and the
/// coordinators, changes no decision. Wall-clock times only date strikes and marks.
///
/// Strike counts live in the table, so they survive a change of leader: the leader persists
/// them (``StrikeBatch``), every node applies them, and a new leader continues the count.
/// Strikes of one execution are a check interval apart (less a tolerance of a tenth of an
/// interval, at most 1 s, for the same leader's own scheduling jitter) on the judge clock, from
/// when this node learned of the previous strike (``ExecutionTable/strikeLearned``), so a leader
/// change right after a check neither counts the same silence twice nor shortens the count; the
/// new leader's next strike comes at most one interval (plus a store poll) late. Never on the
/// wall clock: a leader whose clock is stepped back 5 minutes would strike nobody for 5 minutes.
public struct Sweeper: Sendable {
    public let rule: SweepRule

    public init(rule: SweepRule) {
        self.rule = rule
    }

    /// One check: strikes, recoveries and marks decided at judge time `now` and wall time
    /// `wall`. Strike counts are updated in `table`; marks are returned (the node makes each
    /// durable and applies it). The same as ``survey(_:slots:now:wall:skip:into:)`` over the
    /// whole table followed by ``judge(_:_:now:wall:originAlive:)``.
    /// - Parameters:
    ///   - reserved: executions not to judge now (an outcome is being written).
    ///   - originAlive: whether a coordinator is alive; used by the mass-failure guard.
    public func sweep(
        _ table: inout ExecutionTable, now: JudgeTime, wall: WallTime, skip reserved: Set<ExecutionID> = [],
        originAlive: (String) -> Bool = { _ in true }
    ) -> SweepOutcome {
        var survey = SweepSurvey()
        self.survey(table, slots: 0..<table.records.count, now: now, wall: wall, skip: reserved, into: &survey)
        return judge(&table, survey, now: now, wall: wall, originAlive: originAlive)
    }

    /// The read-only part of a sweep over some slots of the packed records: counts the running
    /// executions and notes the silent ones. A node surveys a large table in chunks, letting
    /// heartbeats in between (they take the same lock).
    public func survey(
        _ table: ExecutionTable, slots: Range<Int>, now: JudgeTime, wall: WallTime, skip reserved: Set<ExecutionID> = [], into survey: inout SweepSurvey
    ) {
        let minimumSpacingMs = rule.checkIntervalMs - min(rule.checkIntervalMs / 10, 1_000)
        let timeoutMs = rule.heartbeatTimeoutMs
        let learned = table.strikeLearned
        // One pass over the packed records, reading fields in place (no record copies): this
        // is the whole cost of a sweep of a million running executions.
        table.records.values.withUnsafeBufferPointer { records in
            for slot in slots.clamped(to: records.indices) where records[slot].status == .running {
                // A record with strikes still holds the heartbeat a leader judged stale (a fresh
                // one clears them), so it stays stale even if this judge saw it only recently —
                // e.g. a node that restarted and took over continues the count.
                let strikes = records[slot].strikes
                if strikes == 0 && now - records[slot].seen <= timeoutMs {
                    survey.processed += 1
                    continue
                }
                let id = records[slot].id
                if !reserved.isEmpty && reserved.contains(id) { continue }
                survey.processed += 1
                if records[slot].heartbeatCount == 0 && strikes == 0 {
                    survey.lost.append(id)
                } else if strikes > 0, let last = learned[id], now - last < minimumSpacingMs {
                    continue  // struck less than an interval ago (by this or the previous leader)
                } else {
                    survey.stale.append(id)
                }
            }
        }
    }

    /// The deciding part of a sweep: the mass-failure guard, then strikes and marks for what the
    /// survey found silent and is still silent now (a heartbeat between chunks clears it).
    public func judge(
        _ table: inout ExecutionTable, _ survey: SweepSurvey, now: JudgeTime, wall: WallTime, originAlive: (String) -> Bool = { _ in true }
    ) -> SweepOutcome {
        var outcome = SweepOutcome(processed: survey.processed)
        func stillSilent(_ id: ExecutionID) -> ExecutionRecord? {
            guard let record = table[id], record.status == .running else { return nil }
            return record.strikes == 0 && now - record.seen <= rule.heartbeatTimeoutMs ? nil : record
        }
        // Mass-failure guard, first on what the survey saw (a heartbeat between chunks changes
        // that by a handful; re-checking a million candidates would cost more than the survey).
        let surveyed = survey.stale.count + survey.lost.count
        if outcome.processed >= rule.massFailureMinimum, Double(surveyed) > rule.massFailureShare * Double(outcome.processed) {
            outcome.degraded = .massSilence(silent: surveyed, running: outcome.processed)
            return outcome
        }
        let lost = survey.lost.compactMap { stillSilent($0).flatMap { $0.heartbeatCount == 0 && $0.strikes == 0 ? $0 : nil } }
        let stale = survey.stale.compactMap(stillSilent)
        // Then all silent ones behind one dead coordinator.
        let silent = stale.count + lost.count
        if silent >= 2 {
            let origins = Set((stale + lost).map(\.origin))
            if origins.count == 1, let origin = origins.first, origin != 0 {
                let name = table.originNames[Int(origin)]
                if !originAlive(name) {
                    outcome.degraded = .coordinatorLost(node: name, silent: silent)
                    return outcome
                }
            }
        }
        for record in lost {
            outcome.marked.append(SweepMark(executionID: record.id, rule: .neverHeartbeated, strikes: 0, strikeTimesMs: []))
        }
        for var record in stale {
            let strikes = Int(record.strikes) + 1
            var times = table.strikeHistory[record.id] ?? []
            times.append(wall.ms)
            record.strikes = UInt8(clamping: strikes)
            table.setStrikes(of: record.id, to: record.strikes, history: times, at: now)
            if strikes >= rule.maxStrikes {
                outcome.marked.append(SweepMark(executionID: record.id, rule: .stale, strikes: strikes, strikeTimesMs: times))
            } else {
                outcome.struck.append(StrikeEntry(executionID: record.id, strikes: strikes, lastHeartbeatMs: record.lastHeartbeatMs, strikeTimesMs: times))
            }
        }
        outcome.marked.sort { $0.executionID < $1.executionID }
        outcome.struck.sort { $0.executionID < $1.executionID }
        return outcome
    }
}

/// What the read-only part of a sweep found so far.
public struct SweepSurvey: Sendable, Equatable {
    /// Running executions examined.
    public var processed = 0
    /// Silent: a heartbeat older than the timeout, or strikes already counted.
    public var stale: [ExecutionID] = []
    /// Registered, never heartbeated, past the timeout.
    public var lost: [ExecutionID] = []

    public init() {}
}

/// What one sweep decided.
public struct SweepOutcome: Sendable, Equatable {
    /// Running executions examined.
    public var processed: Int
    /// Executions that got a strike but are not yet marked (what the leader persists).
    public var struck: [StrikeEntry] = []
    /// Executions to mark FAILED.
    public var marked: [SweepMark] = []
    /// Set when the guard blamed the monitor: then nothing was struck or marked.
    public var degraded: DegradedReason?

    public init(processed: Int) {
        self.processed = processed
    }
}

/// The sweep's verdict on one execution; the node turns it into a durable failure mark.
public struct SweepMark: Sendable, Equatable {
    /// Which rule fired.
    public enum Rule: String, Sendable {
        /// Heartbeats stopped: `strikes` consecutive checks found the newest one too old.
        case stale
        /// Registered, never heartbeated, and the timeout passed.
        case neverHeartbeated = "never_heartbeated"
    }

    public var executionID: ExecutionID
    public var rule: Rule
    public var strikes: Int
    public var strikeTimesMs: [Int64]

    public init(executionID: ExecutionID, rule: Rule, strikes: Int, strikeTimesMs: [Int64]) {
        self.executionID = executionID
        self.rule = rule
        self.strikes = strikes
        self.strikeTimesMs = strikeTimesMs
    }
}

/// Why a sweep refused to strike.
public enum DegradedReason: Sendable, Equatable, CustomStringConvertible {
    case massSilence(silent: Int, running: Int)
    case coordinatorLost(node: String, silent: Int)

    public var description: String {
        switch self {
        case .massSilence(let silent, let running):
            "monitor degraded: \(silent) of \(running) running executions went silent at once; not striking"
        case .coordinatorLost(let node, let silent):
            "monitor degraded: all \(silent) silent executions were last seen through \(node), which is down; not striking"
        }
    }
}
