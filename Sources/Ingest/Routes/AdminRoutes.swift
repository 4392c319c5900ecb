import Coordinator
import Gossip
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import CoordinatorCore
import VigilJSON

/// Seed 002's names: `POST /admin/heartbeat/stop`, `POST /admin/heartbeat/start` (pause and
/// resume sweeping; heartbeats are still taken while paused) and `GET /admin/heartbeat/status`;
/// and `POST /admin/sweep/release` (`vigil sweep release`): ends the mass-failure guard's hold.
enum AdminRoutes {
    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        for (path, paused) in [("/admin/heartbeat/stop", true), ("/admin/heartbeat/start", false)] {
            routes.add(path, .post)
            router.post(RouterPath(path)) { _, _ -> Response in
                try await MonitoringRoutes.durably { () async throws(StoreUnavailable) in
                    try await ctx.node.setSweepPaused(paused, wallMs: ctx.nowMs())
                }
                ctx.logger.notice(paused ? "Sweeping and probing stopped" : "Sweeping and probing started")
                return ExecutionRoutes.json(status(ctx))
            }
        }
        routes.add("/admin/sweep/release", .post)
        router.post("/admin/sweep/release") { _, _ -> Response in
            try await MonitoringRoutes.durably { () async throws(StoreUnavailable) in
                try await ctx.node.releaseSweepHold(wallMs: ctx.nowMs())
            }
            ctx.logger.notice("Mass-failure hold released: silent executions are judged now")
            return ExecutionRoutes.json(status(ctx))
        }
        routes.add("/admin/heartbeat/status", .get)
        router.get("/admin/heartbeat/status") { _, _ -> Response in
            ExecutionRoutes.json(status(ctx))
        }
    }

    static func status(_ ctx: IngestContext) -> JSONValue {
        let s: SweepStatus = ctx.node.sweepStatus
        let e = ctx.node.configuration.executions
        return .object([
            "status": .string("ok"),
            "paused": .bool(s.paused),
            "sweeping": .bool(s.sweeping),
            "leader": s.leader.map { .string($0) } ?? .null,
            "term": .int(Int64(s.term)),
            "quorum": .bool(s.quorum),
            "heartbeat_timeout_s": .double(e.heartbeatTimeout.secondsDouble),
            "check_interval_s": .double(e.checkInterval.secondsDouble),
            "max_strikes": .int(Int64(e.maxStrikes)),
            "last_sweep": s.lastSweepWallMs.map { at in
                .object([
                    "at": .string(ctx.node.timestamps.iso8601(unixMs: at)), "processed": .int(Int64(s.lastProcessed)),
                    "struck": .int(Int64(s.lastStruck)), "marked": .int(Int64(s.lastMarked)),
                ])
            } ?? .null,
            "marked_total": .int(Int64(s.totalMarked)),
            "degraded": s.degraded.map { .string($0) } ?? .null,
            "held": .int(Int64(s.lastHeld)),
            "mass_failure": s.massFailure.map { .string($0) } ?? .null,
            "mass_failure_hold_s": .double(e.massFailureHold.secondsDouble),
            "term_durable": .bool(s.termDurable),
            "last_error": s.lastError.map { .string($0) } ?? .null,
            "prober": .string(ServiceRoutes.proberState(ctx)),
            "services": .int(Int64(ctx.node.services.count)),
        ])
    }
}
