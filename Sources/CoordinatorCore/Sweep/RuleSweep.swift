/// The sweep's view of the ``RuleTable`` (issue 24): each index's heartbeat timeout in a flat
/// array, so the survey's inner loop reads one more byte of a record and one array element, and
/// the progress and runtime checks only for rules that have them.
///
/// A record of index 0 (the seed's clients) costs the loop one compare; that is the whole price
/// of kinds for executions without them (`vigil-bench sweep --kinds`).
struct RuleSweep {
    let baseTimeoutMs: Int64
    /// By index; entry 0 is the base rule's.
    let timeoutMs: [Int64]
    let hasExtras: [Bool]
    let rules: [ExecutionRule]
    let base: SweepRule

    init(_ table: RuleTable, base: SweepRule) {
        self.base = base
        baseTimeoutMs = base.heartbeatTimeoutMs
        rules = table.rules
        timeoutMs = [base.heartbeatTimeoutMs] + table.rules.map(\.heartbeatTimeoutMs)
        hasExtras = [false] + table.rules.map(\.hasExtras)
    }

    /// The cluster's rule with index `index`'s heartbeat timeout (what the mass-failure guard's
    /// hold is counted from).
    func sweepRule(_ index: Int) -> SweepRule {
        var rule = base
        rule.heartbeatTimeoutMs = timeoutMs[index]
        return rule
    }

    /// Notes a record past its runtime or stalled; `true` when its rule fails it for that (the
    /// heartbeat rule then has nothing more to judge).
    func surveyExtras(_ record: ExecutionRecord, index: Int, now: JudgeTime, into survey: inout SweepSurvey) -> Bool {
        let rule = rules[index - 1]
        if rule.maxRuntimeMs > 0, ExecutionTable.runtimeMs(record, now: now) > rule.maxRuntimeMs {
            survey.overRuntime.append(record.id)
            survey.processed += 1
            return true
        }
        guard let since = ExecutionTable.stalledSince(record, rule: rule, now: now) else { return false }
        let note = StallNote(executionID: record.id, sinceMs: since)
        guard rule.failWhenStalled else {
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
