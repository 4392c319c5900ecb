import Coordinator
import Logging
import Metrics
import HTTPTypes
import Hummingbird
import NIOCore
import Store
import CoordinatorCore
import VigilJSON

/// Seed 002's health endpoints: `/health` (cheap liveness), `/health/detailed` and
/// `/health/service/{name}`; and `/metrics` for Prometheus.
enum HealthRoutes {
    /// Services `/health/service/{name}` knows. `main_service` is seed 002's name for the API.
    static let services = ["main_service", "http_api", "executions", "sweeper", "store"]

    static func add(
        to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext,
        metricsText: (@Sendable () -> [UInt8])?
    ) {
        let nodeID = ctx.node.id
        routes.add("/health", .get)
        router.get("/health") { _, _ -> Response in
            // A stalled store fails the check, so a load balancer takes the node out.
            if let stalledMs = ctx.node.storeStalledMs {
                let stalledS = stalledMs / 1000
                throw APIError(
                    .serviceUnavailable, "Store stalled for \(stalledS) s on node \(nodeID): it takes no durable writes and does not lead",
                    headers: [.retryAfter: "1"]
                )
            }
            return ExecutionRoutes.json(.object(["status": .string("ok"), "node_id": .string(nodeID)]))
        }

        routes.add("/health/detailed", .get)
        router.get("/health/detailed") { _, _ -> Response in ExecutionRoutes.json(detailed(ctx)) }

        routes.add("/health/service/{}", .get)
        router.get("/health/service/{name}") { _, context -> Response in
            try ExecutionRoutes.json(service(named: context.parameters.get("name") ?? "", ctx: ctx))
        }

        routes.add("/metrics", .get)
        router.get("/metrics") { _, _ -> Response in
            guard let metricsText else { throw APIError(.notFound, "Metrics are not enabled on this node") }
            let counts = ctx.node.executions.counts
            ctx.metrics.executionsByStatus[.running]?.record(counts.running)
            ctx.metrics.executionsByStatus[.completed]?.record(counts.completed)
            ctx.metrics.executionsByStatus[.failed]?.record(counts.failed)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: metricsText()))
            )
        }
    }

    /// `/health/detailed`: counts, sweep, gossip, store, the services and the prober.
    static func detailed(_ ctx: IngestContext) -> JSONValue {
        let counts = ctx.node.executions.counts
        let body: JSONValue = .object([
            "status": .string("ok"),
            "node_id": .string(ctx.node.id),
            "cluster": .string(ctx.node.configuration.cluster),
            "uptime_s": .double((ctx.node.uptimeSeconds * 1000).rounded() / 1000),
            "timestamp": .int(ctx.nowMs() / 1000),
            "executions": countsJSON(counts),
            "sweep": AdminRoutes.status(ctx),
            "gossip": gossipJSON(ctx),
            "store": storeJSON(ctx),
            "services": .object(JSONObject(
                services.map { .init(key: $0, value: serviceJSON($0, ctx: ctx)) }
                    + ctx.node.services.map { .init(key: $0.settings.name, value: ServiceRoutes.json($0, ctx: ctx)) }
            )),
            "prober": .string(ServiceRoutes.proberState(ctx)),
        ])
        return body
    }

    /// `/health/service/{name}`: a probed service, or one of this node's own parts.
    static func service(named name: String, ctx: IngestContext) throws(APIError) -> JSONValue {
        if let probed = ctx.node.services.first(where: { $0.settings.name == name }) {
            return ServiceRoutes.json(probed, ctx: ctx)
        }
        guard services.contains(name) else {
            let known = services + ctx.node.services.map(\.settings.name)
            throw APIError(.notFound, "Unknown service \"\(name)\"; known: \(known.joined(separator: ", "))")
        }
        var body = serviceJSON(name, ctx: ctx)
        if case .object(var o) = body {
            o.members.insert(.init(key: "service", value: .string(name)), at: 0)
            body = .object(o)
        }
        return body
    }

    /// Members by state as this node's gossip sees them.
    static func gossipJSON(_ ctx: IngestContext) -> JSONValue {
        guard let members = ctx.node.cluster?.memberList() else { return .object(["status": .string("disabled")]) }
        var byState: [String: Int64] = ["alive": 0, "suspect": 0, "dead": 0, "left": 0]
        for member in members { byState[member.state, default: 0] += 1 }
        return .object([
            "status": .string("ok"), "members": .int(Int64(members.count)),
            "alive": .int(byState["alive"]!), "suspect": .int(byState["suspect"]!), "dead": .int(byState["dead"]!), "left": .int(byState["left"]!),
        ])
    }

    /// The shared store as this node uses it: its own files, and how fresh its reading of the
    /// other nodes' files is (the peers' facts reach this node's view that way).
    static func storeJSON(_ ctx: IngestContext) -> JSONValue {
        guard let store = ctx.node.store else { return .object(["status": .string("disabled")]) }
        let now = ctx.node.now().judge
        let readAgo: Double? = ctx.node.storeReadThrough.map { Double(now - $0) / 1000 }
        let stalledS = ctx.node.storeStalledMs.map { Double($0) / 1000 }
        return .object([
            "status": .string(stalledS != nil ? "stalled" : readAgo.map { $0 < 10 } ?? false ? "ok" : "lagging"),
            "stalled_s": stalledS.map { .double(($0 * 10).rounded() / 10) } ?? .null,
            "path": .string(store.root),
            "next_sequence": .int(Int64(store.nextSequence)),
            "fsyncs": .int(Int64(store.fsyncCount)),
            "peers_read_s_ago": readAgo.map { .double(($0 * 1000).rounded() / 1000) } ?? .null,
            "highest_term_seen": .int(Int64(ctx.node.highestTermSeen)),
        ])
    }

    static func countsJSON(_ counts: StatusCounts) -> JSONValue {
        .object([
            "running": .int(Int64(counts.running)), "completed": .int(Int64(counts.completed)),
            "failed": .int(Int64(counts.failed)), "total": .int(Int64(counts.total)),
        ])
    }

    static func serviceJSON(_ name: String, ctx: IngestContext) -> JSONValue {
        switch name {
        case "executions":
            .object(["status": .string("ok"), "detail": countsJSON(ctx.node.executions.counts)])
        case "sweeper":
            .object(["status": .string(ctx.node.sweepStatus.degraded == nil && ctx.node.sweepStatus.termDurable ? "ok" : "degraded"), "detail": AdminRoutes.status(ctx)])
        case "store":
            .object([
                "status": .string(ctx.node.store == nil ? "disabled" : "ok"),
                "detail": .string(ctx.node.store.map { "\($0.root) (node files: \($0.root)/\($0.node))" } ?? "running in memory only"),
            ])
        default:
            .object(["status": .string("ok"), "detail": .string("answering on this node")])
        }
    }
}
