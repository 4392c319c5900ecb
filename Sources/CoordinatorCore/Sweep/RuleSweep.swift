/// The sweep's view of the ``RuleTable`` (issue 24): each index's heartbeat timeout in a flat
/// array, so the survey's inner loop reads one more byte of a record and one array element, and
/// the progress and runtime checks only for rules that have them.
///
/// A record of index 0 (the seed's clients) costs the loop one compare; that is the whole price
/// of kinds for executions without them (`vigil-bench sweep --kinds`).
struct RuleSweep {
    let baseTimeoutMs: Int64
    /// By index; entry 0 is the base rule's. Flat arrays of plain numbers, so the loop copies
    /// no rule (a rule holds its kind's name).
    let timeoutMs: [Int64]
    let hasExtras: [Bool]
    let progressTimeoutMs: [Int64]
    let maxRuntimeMs: [Int64]
    let failWhenStalled: [Bool]
    let base: SweepRule

    init(_ table: RuleTable, base: SweepRule) {
        self.base = base
        baseTimeoutMs = base.heartbeatTimeoutMs
        timeoutMs = [base.heartbeatTimeoutMs] + table.rules.map(\.heartbeatTimeoutMs)
        hasExtras = [false] + table.rules.map(\.hasExtras)
        progressTimeoutMs = [0] + table.rules.map(\.progressTimeoutMs)
        maxRuntimeMs = [0] + table.rules.map(\.maxRuntimeMs)
        failWhenStalled = [false] + table.rules.map(\.failWhenStalled)
    }

    /// The cluster's rule with index `index`'s heartbeat timeout (what the mass-failure guard's
    /// hold is counted from).
    func sweepRule(_ index: Int) -> SweepRule {
        var rule = base
        rule.heartbeatTimeoutMs = timeoutMs[index]
        return rule
    }

    /// Notes the record in `slot` past its runtime or stalled; `true` when its rule fails it for
    /// that (the heartbeat rule then has nothing more to judge). Reads the record in place.
    func surveyExtras(_ records: UnsafeBufferPointer<ExecutionRecord>, slot: Int, index: Int, now: JudgeTime, into survey: inout SweepSurvey) -> Bool {
        // ``ExecutionTable/runtimeMs(_:now:)``, field by field: passing the record would copy it.
        let registered = records[slot].registeredAtMs
        let raw = records[slot].lastHeartbeatRaw
        let runtime = max(0, (raw == .min ? registered : raw) &- registered) &+ max(0, now.ms &- records[slot].seen.ms)
        let maxRuntime = maxRuntimeMs[index]
        if maxRuntime > 0, runtime > maxRuntime {
            survey.overRuntime.append(records[slot].id)
            survey.processed += 1
            return true
        }
        // Time without progress is at most the runtime: a young execution needs no look at its blob.
        let progressTimeout = progressTimeoutMs[index]
        guard progressTimeout > 0, runtime > progressTimeout, raw != .min else { return false }
        let changed = records[slot].progressChangedMs ?? registered
        guard max(0, raw &- changed) &+ max(0, now.ms &- records[slot].seen.ms) > progressTimeout else { return false }
        let note = StallNote(executionID: records[slot].id, sinceMs: changed)
        guard failWhenStalled[index] else {
            survey.stalled.append(note)
            return false
        }
        survey.stalledFailing.append(note)
        survey.processed += 1
        return true
    }
}

/// An execution whose progress has stalled, and since when (wall ms: when it last changed).
public struct StallNote: Sendable, Hashable {
    public var executionID: ExecutionID
    public var sinceMs: Int64

    public init(executionID: ExecutionID, sinceMs: Int64) {
        self.executionID = executionID
        self.sinceMs = sinceMs
    }
}

extension Sweeper {
    /// Marks for what the survey found past its runtime or failing by its stall, still so now.
    func judgeExtras(_ survey: SweepSurvey, table: ExecutionTable, now: JudgeTime, into outcome: inout SweepOutcome) {
        guard !survey.overRuntime.isEmpty || !survey.stalledFailing.isEmpty else { return }
        for id in survey.overRuntime {
            guard let record = table[id], record.status == .running else { continue }
            outcome.marked.append(SweepMark(executionID: id, rule: .maxRuntime, strikes: Int(record.strikes), strikeTimesMs: []))
        }
        for note in survey.stalledFailing {
            guard let record = table[note.executionID], table.stalledSince(record, now: now) == note.sinceMs else { continue }
            outcome.marked.append(SweepMark(executionID: note.executionID, rule: .stalledProgress, strikes: Int(record.strikes), strikeTimesMs: [], stalledSinceMs: note.sinceMs))
        }
        outcome.marked.sort { $0.executionID < $1.executionID }
    }
}
