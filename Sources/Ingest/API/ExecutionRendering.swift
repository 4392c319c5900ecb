import Coordinator
import CoordinatorCore
import VigilJSON

/// The JSON form of an execution in `GET /api/v1/executions[/{id}]`.
struct ExecutionRendering: Sendable {
    let timestamps: TimestampFormatter
    /// The cluster's default rule (an execution without a kind or `monitor` shows it).
    var base = SweepRule()

    /// - Parameter judgeNow: this node's judge clock now: `heartbeat_age_s` is the age the sweep
    ///   judges by (since this node first saw the newest heartbeat), not a wall-clock difference.
    func json(_ record: ExecutionRecord, judgeNow: JudgeTime, rules: RuleTable = RuleTable()) -> JSONValue {
        var o: [JSONObject.Member] = []
        func put(_ key: String, _ value: JSONValue) { o.append(.init(key: key, value: value)) }
        put("execution_id", .string(record.id.description))
        put("status", .string(record.status.description))
        put("container_id", record.containerID.isEmpty ? .null : .string(record.containerID))
        put("registered_at", .string(timestamps.iso8601(unixMs: record.registeredAtMs)))
        put("registered_at_ms", .int(record.registeredAtMs))
        if let last = record.lastHeartbeatMs {
            put("last_heartbeat", .string(timestamps.iso8601(unixMs: last)))
            put("last_heartbeat_ms", .int(last))
            put("heartbeat_age_s", .double(Double(max(0, judgeNow - record.seen)) / 1000))
        } else {
            put("last_heartbeat", .null)
            put("last_heartbeat_ms", .null)
            put("heartbeat_age_s", .null)
        }
        put("heartbeat_count", .int(Int64(record.heartbeatCount)))
        put("client_timestamp", record.clientTimestamp.map { .int($0) } ?? .null)
        put("apparent_skew_ms", record.apparentSkewMs.map { .int($0) } ?? .null)
        put("progress", record.progress.map { .object($0.object) } ?? .null)
        put("strikes", .int(Int64(record.strikes)))
        let terminal = record.terminal
        put("failure_reason", record.status == .failed ? (terminal?.reason).map { .string($0) } ?? .null : .null)
        put("finished_at", (terminal?.finishedAtMs).map { .string(timestamps.iso8601(unixMs: $0)) } ?? .null)
        put("finished_at_ms", (terminal?.finishedAtMs).map { .int($0) } ?? .null)
        put("finished_by", (terminal?.source).map { .string($0.description) } ?? .null)
        put("result_data", (terminal?.resultData).flatMap { try? CompactJSON.decode($0) } ?? .null)
        put("error_message", (terminal?.errorMessage).map { .string($0) } ?? .null)
        let rule = rules[record.rule]
        put("kind", (rule?.kind).map { .string($0) } ?? .null)
        put("rule", Self.json(rule ?? ExecutionRule(base)))
        let since = ExecutionTable.stalledSince(record, rule: rule, now: judgeNow)
        put("stalled", .bool(since != nil))
        put("stalled_since", since.map { .string(timestamps.iso8601(unixMs: $0)) } ?? .null)
        put("stalled_since_ms", since.map { .int($0) } ?? .null)
        put("progress_changed_at_ms", record.progressChangedMs.map { .int($0) } ?? .null)
        return .object(JSONObject(o))
    }

    /// An effective rule: `{"heartbeat_timeout_s", "max_strikes", "progress_timeout_s",
    /// "max_runtime_s", "fail_when_stalled"}` (the limits `null` when off).
    static func json(_ rule: ExecutionRule) -> JSONValue {
        func seconds(_ ms: Int64) -> JSONValue { ms % 1000 == 0 ? .int(ms / 1000) : .double(Double(ms) / 1000) }
        return .object([
            "heartbeat_timeout_s": seconds(rule.heartbeatTimeoutMs),
            "max_strikes": .int(Int64(rule.maxStrikes)),
            "progress_timeout_s": rule.progressTimeoutMs > 0 ? seconds(rule.progressTimeoutMs) : .null,
            "max_runtime_s": rule.maxRuntimeMs > 0 ? seconds(rule.maxRuntimeMs) : .null,
            "fail_when_stalled": .bool(rule.failWhenStalled),
        ])
    }
}
