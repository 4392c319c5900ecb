import Coordinator
import Metrics
import NIOCore

/// What guards the HTTP listener, built once from ``HTTPSettings``: connection caps, the
/// slow-client deadlines and TLS.
public struct HTTPFront: Sendable {
    let connections: ConnectionLimiter
    let limits: SlowClientGuard.Limits
    let tls: ServerTLS?
    let refused: Counter
    private let slow: [String: Counter]

    public init(settings: HTTPSettings, tls: ServerTLS? = nil, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        connections = ConnectionLimiter(maxConnections: settings.maxConnections, maxPerClient: settings.maxConnectionsPerClient)
        limits = .init(
            header: TimeAmount(settings.headerTimeout), body: TimeAmount(settings.bodyTimeout), idle: TimeAmount(settings.idleTimeout)
        )
        self.tls = tls
        refused = Counter(label: "vigil_http_connections_refused_total", factory: metricsFactory)
        slow = Dictionary(uniqueKeysWithValues: ["idle", "head", "body"].map { phase in
            (phase, Counter(label: "vigil_http_connections_timed_out_total", dimensions: [("phase", phase)], factory: metricsFactory))
        })
    }

    func slowClosed(_ phase: String) {
        slow[phase]?.increment()
    }
}
