import CoordinatorCore
import VigilJSON

/// The `kind` and `monitor` fields a heartbeat or registration may carry (issue 24), checked
/// and resolved against the configured kinds (``RuleCatalog``). Every failure is a 400 that
/// names the field (`kind`, `monitor.max_strikes`).
///
/// Only the request that registers an execution fixes its rule; on a later heartbeat the fields
/// are still checked but change nothing (a rule cannot be loosened, nor changed at all, once an
/// execution runs under it).
struct RuleValidation: Sendable {
    var catalog: RuleCatalog

    /// The rule the body asks for; `nil`: the cluster's default rule.
    func rule(_ body: JSONObject) throws(APIError) -> ExecutionRule? {
        var kind: String?
        if let raw = body["kind"], raw != .null {
            guard case .string(let text) = raw, !text.isEmpty else { throw .badRequest("kind must be a non-empty string (a name in the cluster's kinds)") }
            kind = text
        }
        var overrides = RuleOverrides()
        if let raw = body["monitor"], raw != .null {
            guard case .object(let monitor) = raw else { throw .badRequest("monitor must be an object, got \(raw.kindName)") }
            overrides = try Self.overrides(monitor)
        }
        do {
            return try catalog.resolve(kind: kind, monitor: overrides)
        } catch {
            throw .badRequest(error.description)
        }
    }

    static let monitorKeys = ["heartbeat_timeout_s", "max_strikes", "progress_timeout_s", "max_runtime_s", "fail_when_stalled"]

    private static func overrides(_ monitor: JSONObject) throws(APIError) -> RuleOverrides {
        for member in monitor.members where !monitorKeys.contains(member.key) {
            throw .badRequest("monitor.\(member.key) is not a monitor field (expected one of: \(monitorKeys.joined(separator: ", ")))")
        }
        var out = RuleOverrides()
        out.heartbeatTimeoutMs = try milliseconds(monitor, "heartbeat_timeout_s", allowZero: false)
        out.progressTimeoutMs = try milliseconds(monitor, "progress_timeout_s", allowZero: true)
        out.maxRuntimeMs = try milliseconds(monitor, "max_runtime_s", allowZero: true)
        if let raw = monitor["max_strikes"], raw != .null {
            // JSON has one number type: 3.0 is the integer 3 (as JSON Schema's "integer" says).
            guard let value = raw.numberValue, value.rounded() == value, (1...255).contains(value) else {
                throw .badRequest("monitor.max_strikes must be an integer from 1 to 255")
            }
            out.maxStrikes = Int(value)
        }
        if let raw = monitor["fail_when_stalled"], raw != .null {
            guard case .bool(let b) = raw else { throw .badRequest("monitor.fail_when_stalled must be true or false") }
            out.failWhenStalled = b
        }
        return out
    }

    /// A `…_s` field in whole milliseconds: a number of seconds above 0 (or 0, `allowZero`, for off)
    /// and at most a year.
    private static func milliseconds(_ monitor: JSONObject, _ key: String, allowZero: Bool) throws(APIError) -> Int64? {
        guard let raw = monitor[key], raw != .null else { return nil }
        let limit = Double(ExecutionRule.maxMs) / 1000
        guard let seconds = raw.numberValue, seconds.isFinite, allowZero ? seconds >= 0 : seconds > 0, seconds <= limit else {
            throw .badRequest("monitor.\(key) must be a number of seconds \(allowZero ? "from 0 (off)" : "above 0") to \(Int(limit)) (a year)")
        }
        let ms = Int64((seconds * 1000).rounded())
        guard allowZero || ms > 0 else { throw .badRequest("monitor.\(key) must be at least 0.001 s") }
        return ms
    }
}
