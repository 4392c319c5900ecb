import Coordinator
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import CoordinatorCore
import Gossip

/// A node's HTTP front. `vigil serve` and the tests share this one builder.
public struct IngestServer: Sendable {
    let ctx: IngestContext
    let metricsText: (@Sendable () -> [UInt8])?

    /// - Parameters:
    ///   - metricsText: renders `/metrics`; `nil` disables the endpoint.
    ///   - nowMs: wall clock in Unix milliseconds (injected in tests).
    public init(
        node: CoordinatorNode, metrics: IngestMetrics = IngestMetrics(), logger: Logger,
        metricsText: (@Sendable () -> [UInt8])? = nil, nowMs: @escaping @Sendable () -> Int64 = WallClock.unixMs
    ) {
        ctx = IngestContext(
            node: node,
            validation: RequestValidation(maxProgressBytes: node.configuration.http.maxProgressBytes),
            rendering: ExecutionRendering(timestamps: node.timestamps),
            metrics: metrics, logger: logger, nowMs: nowMs
        )
        self.metricsText = metricsText
    }

    /// The router with every route and the error-shaping middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let routes = RouteTable()
        // First: Hummingbird applies middleware only to routes added after it.
        router.add(middleware: ErrorShapeMiddleware(routes: routes, maxBodyBytes: ctx.maxBodyBytes, logger: ctx.logger))
        MonitoringRoutes.add(to: router, routes: routes, context: ctx)
        ExecutionRoutes.add(to: router, routes: routes, context: ctx)
        HealthRoutes.add(to: router, routes: routes, context: ctx, metricsText: metricsText)
        AdminRoutes.add(to: router, routes: routes, context: ctx)
        MarksRoutes.add(to: router, routes: routes, context: ctx)
        ClusterRoutes.add(to: router, routes: routes, context: ctx)
        NotificationRoutes.add(to: router, routes: routes, context: ctx)
        ServiceRoutes.add(to: router, routes: routes, context: ctx)
        DashboardRoutes.add(to: router, routes: routes, context: ctx)
        return router
    }

    /// The HTTP server: Hummingbird for every route, with heartbeats answered on the event loop
    /// by ``HeartbeatFastPath``.
    public func application(
        bind: HostPort, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let ctx = self.ctx
        return Application(
            router: router(),
            server: HTTPServerBuilder { responder in IngestHTTP1Channel(responder: responder, ctx: ctx) },
            configuration: .init(address: .hostname(bind.host, port: Int(bind.port)), serverName: "vigil/\(ctx.node.id)"),
            onServerRunning: onServerRunning,
            logger: ctx.logger
        )
    }
}
