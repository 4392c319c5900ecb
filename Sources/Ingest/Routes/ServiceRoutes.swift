import Coordinator
import Gossip
import CoordinatorCore
import Hummingbird
import VigilJSON

/// Seed 002's probed services: `GET /api/v1/services`, and their state for `/health/detailed`
/// and `/health/service/{name}`.
enum ServiceRoutes {
    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        routes.add("/api/v1/services", .get)
        router.get("/api/v1/services") { _, _ -> Response in
            let status = ctx.node.proberStatus
            return ExecutionRoutes.json(.object([
                "node": .string(ctx.node.id),
                "probing": .bool(status.probing),
                "prober": .string(proberState(ctx)),
                "leader": ctx.node.sweepStatus.leader.map { .string($0) } ?? .null,
                "services": .array(ctx.node.services.map { json($0, ctx: ctx) }),
            ]))
        }
    }

    /// `running` (this node probes), `standby` (the leader probes), `stopped`, `disabled`.
    static func proberState(_ ctx: IngestContext) -> String {
        let status = ctx.node.proberStatus
        if !status.enabled { return "disabled" }
        if status.paused { return "stopped" }
        return status.probing ? "running" : "standby"
    }

    /// One service's state: healthy, failing N/max, down, repairing, cooling down until, exhausted, stopped.
    static func json(_ service: (settings: ServiceSettings, state: ServiceState, last: Prober.Observation?, rule: ServiceRule), ctx: IngestContext) -> JSONValue {
        let (settings, state, last, rule) = service
        let time = ctx.node.timestamps
        let now = ctx.nowMs()
        let cooldownUntil = state.lastRepairAtMs.map { $0 + state.cooldownMs }.flatMap { $0 > now ? $0 : nil }
        let status: String
        if ctx.node.proberStatus.paused {
            status = "stopped"
        } else if state.repairing {
            status = "repairing"
        } else if state.down {
            status = state.exhausted ? "down (repairs exhausted)" : cooldownUntil != nil ? "down (cooling down)" : "down"
        } else if state.failures > 0 {
            status = "failing \(state.failures)/\(rule.maxRetries)"
        } else if let last, !last.result.healthy {
            status = "failing (in startup grace)"
        } else {
            status = "healthy"
        }
        var o: [JSONObject.Member] = []
        func put(_ key: String, _ value: JSONValue) { o.append(.init(key: key, value: value)) }
        put("name", .string(settings.name))
        put("status", .string(status))
        put("url", .string(settings.url))
        put("description", .string(settings.description))
        put("critical", .bool(settings.critical))
        put("failures", .int(Int64(state.failures)))
        put("max_retries", .int(Int64(rule.maxRetries)))
        put("interval_s", .double(settings.timing.interval.secondsDouble))
        put("down", .bool(state.down))
        put("repairable", .bool(rule.repairable))
        put("repairs", .int(Int64(state.repairNumber)))
        put("cooldown_until", cooldownUntil.map { .string(time.iso8601(unixMs: $0)) } ?? .null)
        put("grace_until", state.graceUntilMs.flatMap { $0 > now ? JSONValue.string(time.iso8601(unixMs: $0)) : nil } ?? .null)
        put("last_probe", last.map { last in
            .object([
                "at": .string(time.iso8601(unixMs: last.atMs)), "healthy": .bool(last.result.healthy), "latency_ms": .int(last.result.latencyMs),
                "result": .string(last.result.detail),
            ])
        } ?? .null)
        put("last_repair", state.lastRepairAtMs.map { at in
            .object(["at": .string(time.iso8601(unixMs: at)), "number": .int(Int64(state.repairNumber)), "outcome": state.lastRepairOutcome.map { .string($0) } ?? (state.repairing ? .string("running") : .null)])
        } ?? .null)
        return .object(JSONObject(o))
    }
}
