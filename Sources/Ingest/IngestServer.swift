import Coordinator
import Hummingbird
import Logging
import NIOCore

/// Builds a node's HTTP front. `vigil serve` and the tests share this one builder.
public enum IngestServer {
    /// The router with every route and the error-shaping middleware.
    ///
    /// - Parameters:
    ///   - metricsText: renders `/metrics`; `nil` disables the endpoint.
    ///   - nowMs: wall clock in Unix milliseconds (injected in tests).
    public static func router(
        node: CoordinatorNode, metrics: IngestMetrics = IngestMetrics(), logger: Logger,
        metricsText: (@Sendable () -> [UInt8])? = nil, nowMs: @escaping @Sendable () -> Int64 = WallClock.unixMs
    ) -> Router<BasicRequestContext> {
        let ctx = IngestContext(
            node: node,
            validation: RequestValidation(maxProgressBytes: node.configuration.http.maxProgressBytes),
            rendering: ExecutionRendering(timestamps: node.timestamps),
            metrics: metrics, logger: logger, nowMs: nowMs
        )
        let router = Router(context: BasicRequestContext.self)
        let routes = RouteTable()
        // First: Hummingbird applies middleware only to routes added after it.
        router.add(middleware: ErrorShapeMiddleware(routes: routes, maxBodyBytes: ctx.maxBodyBytes, logger: logger))
        MonitoringRoutes.add(to: router, routes: routes, context: ctx)
        ExecutionRoutes.add(to: router, routes: routes, context: ctx)
        HealthRoutes.add(to: router, routes: routes, context: ctx, metricsText: metricsText)
        return router
    }

    /// The HTTP application for `node`, listening on its configured (or overridden) address.
    public static func application(
        node: CoordinatorNode, bind: HostPort, router: Router<BasicRequestContext>, logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router,
            configuration: .init(address: .hostname(bind.host, port: bind.port), serverName: "vigil/\(node.id)"),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}
