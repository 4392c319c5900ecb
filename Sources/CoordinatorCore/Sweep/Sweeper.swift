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
    /// durable and applies it). The same as ``survey(_:slots:now:wall:skip:releasedThrough:into:)``
    /// over the whole table followed by ``judge(_:_:now:wall:evidence:)``.
    /// - Parameters:
    ///   - reserved: executions not to judge now (an outcome is being written).
    ///   - evidence: what the node knows of its own health (the mass-failure guard weighs it).
    public func sweep(
        _ table: inout ExecutionTable, now: JudgeTime, wall: WallTime, skip reserved: Set<ExecutionID> = [], evidence: MonitorEvidence = MonitorEvidence()
    ) -> SweepOutcome {
        var survey = SweepSurvey()
        self.survey(
            table, slots: 0..<table.records.count, now: now, wall: wall, skip: reserved, releasedThrough: evidence.releasedThrough,
            readThrough: evidence.readThrough, into: &survey
        )
        return judge(&table, survey, now: now, wall: wall, evidence: evidence)
    }

    /// The read-only part of a sweep over some slots of the packed records: counts the running
    /// executions, notes the silent ones (apart, those a blind verdict would hold back:
    /// ``SweepGuard/holdable(seen:strikes:now:rule:releasedThrough:)``) and the newest heartbeat of
    /// the others. A node surveys a large table in chunks, letting heartbeats in between (they
    /// take the same lock).
    ///
    /// `readThrough` (when the judge's latest complete store read began) defers an execution's
    /// first strike (or its mark as never heartbeated) until the store has been read from a
    /// moment half a timeout after its newest heartbeat. A job's completion follows its last
    /// heartbeat closely, and only the store carries it to the leader, so a leader whose reading
    /// lags (a slow network filesystem: a poll is dozens of slow round trips) strikes late rather
    /// than striking a job that already completed through another node. With reads every 200 ms
    /// the condition holds long before the timeout runs out, so detection is not delayed.
    public func survey(
        _ table: ExecutionTable, slots: Range<Int>, now: JudgeTime, wall: WallTime, skip reserved: Set<ExecutionID> = [], releasedThrough: JudgeTime? = nil,
        readThrough: JudgeTime? = nil, into survey: inout SweepSurvey
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
                let seen = records[slot].seen
                if strikes == 0 && now - seen <= timeoutMs {
                    survey.processed += 1
                    survey.newestFresh = max(survey.newestFresh ?? seen, seen)
                    continue
                }
                let id = records[slot].id
                if !reserved.isEmpty && reserved.contains(id) { continue }
                survey.processed += 1
                let holdable = SweepGuard.holdable(seen: seen, strikes: strikes, now: now, rule: rule, releasedThrough: releasedThrough)
                let previous = strikes > 0 ? learned[id] : nil
                if let previous, now - previous < minimumSpacingMs {
                    continue  // struck less than an interval ago (by this or the previous leader)
                }
                if strikes == 0, let read = readThrough, read < seen + timeoutMs / 2 {
                    survey.awaitingRead += 1
                    continue  // due, but the store has not been read since: a completion may be on its way
                }
                if records[slot].heartbeatCount == 0 && strikes == 0 {
                    if holdable { survey.holdableLost.append(id) } else { survey.lost.append(id) }
                } else if holdable {
                    survey.holdableStale.append(id)
                } else {
                    survey.stale.append(id)
                }
            }
        }
    }

    /// The deciding part of a sweep: the mass-failure guard (``SweepGuard``), then strikes and
    /// marks for what the survey found silent and is still silent now (a heartbeat between
    /// chunks clears it). A blind verdict leaves the survey's holdable executions unjudged.
    public func judge(
        _ table: inout ExecutionTable, _ survey: SweepSurvey, now: JudgeTime, wall: WallTime, evidence: MonitorEvidence = MonitorEvidence()
    ) -> SweepOutcome {
        var outcome = SweepOutcome(processed: survey.processed)
        func stillSilent(_ id: ExecutionID) -> ExecutionRecord? {
            guard let record = table[id], record.status == .running else { return nil }
            return record.strikes == 0 && now - record.seen <= rule.heartbeatTimeoutMs ? nil : record
        }
        func neverBeat(_ record: ExecutionRecord) -> Bool { record.heartbeatCount == 0 && record.strikes == 0 }
        // The guard, first on what the survey saw (a heartbeat between chunks changes that by a
        // handful; re-checking a million candidates would cost more than the survey).
        let silentCount = survey.stale.count + survey.lost.count + survey.holdableStale.count + survey.holdableLost.count
        var verdict = SweepGuard.verdict(silent: silentCount, running: survey.processed, newestFresh: survey.newestFresh, now: now, rule: rule, evidence: evidence)
        var lost = survey.lost.compactMap { stillSilent($0).flatMap { neverBeat($0) ? $0 : nil } }
        var stale = survey.stale.compactMap(stillSilent)
        if case .blind = verdict {
            outcome.held = survey.holdableStale.count + survey.holdableLost.count
        } else {
            let heldLost = survey.holdableLost.compactMap { stillSilent($0).flatMap { neverBeat($0) ? $0 : nil } }
            let heldStale = survey.holdableStale.compactMap(stillSilent)
            if case .normal = verdict, let node = Self.soleDeadOrigin(of: stale + lost + heldStale + heldLost, table: table, evidence: evidence) {
                verdict = .blind(.coordinatorLost(node: node, silent: stale.count + lost.count + heldStale.count + heldLost.count))
                outcome.held = heldStale.count + heldLost.count
            } else {
                lost += heldLost
                stale += heldStale
            }
        }
        var context: SweepMark.Context?
        switch verdict {
        case .normal: break
        case .massFailure(let mass):
            outcome.massFailure = mass
            context = .massFailure(mass)
        case .blind(let reason):
            outcome.degraded = reason
            context = .degraded(reason)
        }
        decide(lost: lost, stale: stale, context: context, table: &table, now: now, wall: wall, into: &outcome)
        return outcome
    }

    /// The coordinator through which all of two or more silent executions were last seen, when
    /// it is down.
    static func soleDeadOrigin(of silent: [ExecutionRecord], table: ExecutionTable, evidence: MonitorEvidence) -> String? {
        guard silent.count >= 2 else { return nil }
        let origins = Set(silent.map(\.origin))
        guard origins.count == 1, let origin = origins.first, origin != 0 else { return nil }
        let name = table.originNames[Int(origin)]
        return evidence.down.contains(name) ? name : nil
    }

    /// Strikes and marks for the silent executions the guard left to judge.
    private func decide(
        lost: [ExecutionRecord], stale: [ExecutionRecord], context: SweepMark.Context?, table: inout ExecutionTable, now: JudgeTime, wall: WallTime,
        into outcome: inout SweepOutcome
    ) {
        var onset: Int64? = lost.isEmpty ? nil : wall.ms
        for record in lost {
            outcome.marked.append(SweepMark(executionID: record.id, rule: .neverHeartbeated, strikes: 0, strikeTimesMs: [], context: context))
        }
        for var record in stale {
            let strikes = Int(record.strikes) + 1
            var times = table.strikeHistory[record.id] ?? []
            times.append(wall.ms)
            onset = min(onset ?? times[0], times[0])
            record.strikes = UInt8(clamping: strikes)
            table.setStrikes(of: record.id, to: record.strikes, history: times, at: now)
            if strikes >= rule.maxStrikes {
                outcome.marked.append(SweepMark(executionID: record.id, rule: .stale, strikes: strikes, strikeTimesMs: times, context: context))
            } else {
                outcome.struck.append(StrikeEntry(executionID: record.id, strikes: strikes, lastHeartbeatMs: record.lastHeartbeatMs, strikeTimesMs: times))
            }
        }
        outcome.onsetMs = onset
        outcome.marked.sort { $0.executionID < $1.executionID }
        outcome.struck.sort { $0.executionID < $1.executionID }
    }
}

/// What the read-only part of a sweep found so far.
public struct SweepSurvey: Sendable, Equatable {
    /// Running executions examined.
    public var processed = 0
    /// Silent executions whose strike is due but waits for a store read begun since it fell due.
    public var awaitingRead = 0
    /// Silent: a heartbeat older than the timeout, or strikes already counted.
    public var stale: [ExecutionID] = []
    /// Registered, never heartbeated, past the timeout.
    public var lost: [ExecutionID] = []
    /// Silent like ``stale`` and ``lost``, but within their hold: a blind verdict leaves them unjudged.
    public var holdableStale: [ExecutionID] = []
    public var holdableLost: [ExecutionID] = []
    /// The newest heartbeat (judge time seen) of the running executions that are not silent.
    public var newestFresh: JudgeTime?

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
    /// Set when the guard found the monitor may be blind: then the first strikes of
    /// ``held`` silent executions were held back.
    public var degraded: DegradedReason?
    /// Silent executions whose first strike a blind verdict held back.
    public var held = 0
    /// Set when the guard judged a mass silence with the monitor healthy: a mass failure.
    public var massFailure: MassSilence?
    /// The earliest first strike (wall ms) among the executions struck or marked, when any
    /// were: where the mass failure's episode began.
    public var onsetMs: Int64?

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

    /// What the mass-failure guard said of the sweep that marked (its explanation says so).
    public enum Context: Sendable, Equatable {
        /// A mass silence judged with the monitor healthy.
        case massFailure(MassSilence)
        /// The monitor may have been blind; the first strike was held, or released.
        case degraded(DegradedReason)
    }

    public var executionID: ExecutionID
    public var rule: Rule
    public var strikes: Int
    public var strikeTimesMs: [Int64]
    public var context: Context?

    public init(executionID: ExecutionID, rule: Rule, strikes: Int, strikeTimesMs: [Int64], context: Context? = nil) {
        self.executionID = executionID
        self.rule = rule
        self.strikes = strikes
        self.strikeTimesMs = strikeTimesMs
        self.context = context
    }
}
