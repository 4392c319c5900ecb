import VigilJSON
/// The words of a failure mark: which rule fired, on what evidence, by whom. Seed 000's
/// reason ("任务连续心跳超时 {count} 次，已失联") in English, with everything needed to check it.
public enum FailureReason {
    public static func text(
        mark: SweepMark, record: ExecutionRecord?, lastOrigin: String? = nil, rule base: SweepRule, executionRule: ExecutionRule? = nil, leader: String,
        term: UInt64, timestamps: TimestampFormatter
    ) -> String {
        var parts: [String] = []
        var rule = base
        if let executionRule { rule.heartbeatTimeoutMs = executionRule.heartbeatTimeoutMs }
        let kind = executionRule?.kind.map { " of kind \($0)" } ?? ""
        switch mark.rule {
        case .stale:
            parts.append("Heartbeat timed out \(mark.strikes) consecutive checks (timeout \(seconds(rule.heartbeatTimeoutMs)) s, check every \(seconds(rule.checkIntervalMs)) s\(kind)); lost")
        case .neverHeartbeated:
            parts.append("Never heartbeated within \(seconds(rule.heartbeatTimeoutMs)) s of registration\(kind); lost")
        case .maxRuntime:
            parts.append("Ran longer than its max runtime of \(seconds(executionRule?.maxRuntimeMs ?? 0)) s\(kind) (rule max_runtime), counted from its registration on the leader's clock")
        case .stalledProgress:
            let since = mark.stalledSinceMs.map { ", unchanged since \(timestamps.iso8601(unixMs: $0))" } ?? ""
            parts.append("Progress stalled: heartbeats continued but progress did not change for more than \(seconds(executionRule?.progressTimeoutMs ?? 0)) s\(since)\(kind) (rule stalled_progress, fail_when_stalled)")
        }
        switch mark.context {
        case .massFailure(let mass)?:
            parts.append("\(mass.silent) of \(mass.running) went silent at once; the monitor was healthy (every coordinator confirmed alive, store writes succeeding, heartbeats still arriving for the others)")
        case .degraded(let reason)?:
            parts.append("\(reason); strikes were held for up to \(seconds(rule.massFailureHoldMs)) s after the timeout (or until an operator's release), then counted")
        case nil:
            break
        }
        if let record {
            if let last = record.lastHeartbeatMs {
                var evidence = "last heartbeat received \(timestamps.iso8601(unixMs: last))"
                if let lastOrigin { evidence += " by \(lastOrigin)" }
                if let client = record.clientTimestamp { evidence += " (client time \(timestamps.iso8601(unixMs: client * 1000)))" }
                parts.append(evidence)
            }
            parts.append("registered \(timestamps.iso8601(unixMs: record.registeredAtMs))")
            if let progress = record.progress { parts.append("last progress \(JSONValue.object(progress.object).jsonText)") }
        }
        if !mark.strikeTimesMs.isEmpty {
            parts.append("strikes at " + mark.strikeTimesMs.map { timestamps.iso8601(unixMs: $0) }.joined(separator: ", "))
        }
        parts.append("marked by leader \(leader), term \(term)")
        return parts.joined(separator: "; ")
    }

    private static func seconds(_ ms: Int64) -> String {
        ms % 1000 == 0 ? String(ms / 1000) : String(Double(ms) / 1000)
    }
}
