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
    ///   - access: the tokens in force; default: those of the node's configuration (`serve`
    ///     passes its own so that SIGHUP can replace them).
    ///   - front: connection caps, deadlines and TLS; default: the configuration's, without TLS.
    public init(
        node: CoordinatorNode, metrics: IngestMetrics = IngestMetrics(), logger: Logger,
        metricsText: (@Sendable () -> [UInt8])? = nil, nowMs: @escaping @Sendable () -> Int64 = WallClock.unixMs,
        access: AccessControl? = nil, front: HTTPFront? = nil
    ) {
        ctx = IngestContext(
            node: node,
            validation: RequestValidation(
                maxProgressBytes: node.configuration.http.maxProgressBytes, rules: RuleValidation(catalog: node.configuration.ruleCatalog)
            ),
            rendering: ExecutionRendering(timestamps: node.timestamps, base: SweepRule(node.configuration.executions)),
            metrics: metrics, logger: logger,
            access: access ?? AccessControl(policy: AccessPolicy(tokens: AccessTokens(node.configuration.http)), logger: logger),
            front: front ?? HTTPFront(settings: node.configuration.http),
            nowMs: nowMs
        )
        self.metricsText = metricsText
    }

    /// The router with every route and the error-shaping middleware.
    public func router() -> Router<IngestRequestContext> {
        let router = Router(context: IngestRequestContext.self)
        let routes = RouteTable()
        // First: Hummingbird applies middleware only to routes added after it.
        router.add(middleware: ErrorShapeMiddleware(routes: routes, maxBodyBytes: ctx.maxBodyBytes, logger: ctx.logger))
        add(to: router, routes: routes)
        return router
    }

    private func add(to router: Router<IngestRequestContext>, routes: RouteTable) {
        MonitoringRoutes.add(to: router, routes: routes, context: ctx)
        ExecutionRoutes.add(to: router, routes: routes, context: ctx)
        HealthRoutes.add(to: router, routes: routes, context: ctx, metricsText: metricsText)
        AdminRoutes.add(to: router, routes: routes, context: ctx)
        MarksRoutes.add(to: router, routes: routes, context: ctx)
        ClusterRoutes.add(to: router, routes: routes, context: ctx)
        NotificationRoutes.add(to: router, routes: routes, context: ctx)
        ServiceRoutes.add(to: router, routes: routes, context: ctx)
        DashboardRoutes.add(to: router, routes: routes, context: ctx)
        KeyringRoutes.add(to: router, routes: routes, context: ctx)
        OpenAPIRoute.add(to: router, routes: routes, context: ctx)
    }

    /// Every route the router answers, as `(path, method)` with `{}` for a path parameter,
    /// sorted (the OpenAPI test checks the document against it).
    public func routeList() -> [(path: String, method: String)] {
        let routes = RouteTable()
        let router = Router(context: IngestRequestContext.self)
        add(to: router, routes: routes)
        return routes.all.map { ($0.path, $0.method.rawValue) }.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    /// The router behind the ``AccessGate``: what the server answers with.
    public func responder() -> AccessGate<RouterResponder<IngestRequestContext>> {
        AccessGate(next: router().buildResponder(), access: ctx.access, nowMs: ctx.nowMs)
    }

    /// The HTTP server: Hummingbird for every route, with heartbeats answered on the event loop
    /// by ``HeartbeatFastPath``.
    public func application(
        bind: HostPort, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let ctx = self.ctx
        return Application(
            responder: responder(),
            server: HTTPServerBuilder { responder in IngestHTTP1Channel(responder: responder, ctx: ctx) },
            configuration: .init(address: .hostname(bind.host, port: Int(bind.port)), serverName: "vigil/\(ctx.node.id)"),
            onServerRunning: onServerRunning,
            logger: ctx.logger
        )
    }
}
