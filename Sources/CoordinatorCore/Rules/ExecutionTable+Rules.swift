/// What an execution's own rule (issue 24) says of it now: its effective rule, its runtime, and
/// whether its progress has stalled.
///
/// Both durations are measured on the judge's clock from replicated facts only, so every node
/// (and a new leader) reaches the same verdict at the same moment, give or take gossip delay:
/// - runtime = (newest heartbeat stamp − registration) + (judge now − when this node saw that
///   heartbeat); never heartbeated: judge now − when this node learned of the execution;
/// - time without progress = (newest heartbeat stamp − progress changed) + (judge now − seen).
///
/// The stamps are the coordinators' receive times (wall clock), so only their difference is used,
/// never a comparison with this node's wall clock; the part since the newest heartbeat is judged
/// on this node's monotonic clock, as the heartbeat rule is.
extension ExecutionTable {
    /// The rule of a record (`nil`: the cluster's default rule).
    public func rule(of record: ExecutionRecord) -> ExecutionRule? { rules[record.rule] }

    /// The rule a record is judged by, the default filled in.
    public func effectiveRule(of record: ExecutionRecord, default base: SweepRule) -> ExecutionRule {
        rules[record.rule] ?? ExecutionRule(base)
    }

    /// Whether the record's rule has a progress timeout (then heartbeats note progress changes).
    func watchesProgress(_ record: ExecutionRecord) -> Bool {
        record.rule != 0 && (rules[record.rule]?.progressTimeoutMs ?? 0) > 0
    }

    /// How long the execution has run at judge time `now`.
    public static func runtimeMs(_ record: ExecutionRecord, now: JudgeTime) -> Int64 {
        let last = record.lastHeartbeatMs ?? record.registeredAtMs
        return max(0, last &- record.registeredAtMs) &+ max(0, now - record.seen)
    }

    /// When the progress stopped (wall ms, the progress-changed stamp) if the execution is
    /// stalled at judge time `now` under `rule`; `nil` when it is not (or the rule has no
    /// progress timeout, or it never heartbeated: the heartbeat rule judges that).
    public static func stalledSince(_ record: ExecutionRecord, rule: ExecutionRule?, now: JudgeTime) -> Int64? {
        guard record.status == .running, let rule, rule.progressTimeoutMs > 0, let last = record.lastHeartbeatMs else { return nil }
        let changed = record.progressChangedMs ?? record.registeredAtMs
        let still = max(0, last &- changed) &+ max(0, now - record.seen)
        return still > rule.progressTimeoutMs ? changed : nil
    }

    /// ``stalledSince(_:rule:now:)`` with the record's own rule.
    public func stalledSince(_ record: ExecutionRecord, now: JudgeTime) -> Int64? {
        record.rule == 0 ? nil : Self.stalledSince(record, rule: rules[record.rule], now: now)
    }
}
