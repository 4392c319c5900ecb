import CoordinatorCore

/// The `kind` and `status=stalled` filters of `GET /api/v1/executions` and the dashboard
/// (issue 24): a predicate over records, `nil` when neither is asked (no cost then).
struct RuleFilter: Sendable {
    var rules: RuleTable
    /// Only executions of this kind (`""`: those without one).
    var kind: String?
    var stalledOnly: Bool
    var now: JudgeTime

    var predicate: (@Sendable (ExecutionRecord) -> Bool)? {
        guard kind != nil || stalledOnly else { return nil }
        let rules = self.rules, kind = self.kind, stalledOnly = self.stalledOnly, now = self.now
        return { record in
            let rule = rules[record.rule]
            if let kind, (rule?.kind ?? "") != kind { return false }
            if stalledOnly, ExecutionTable.stalledSince(record, rule: rule, now: now) == nil { return false }
            return true
        }
    }
}
