import Coordinator
import Logging
import Metrics
import Logging
import CoordinatorCore

/// What every route needs: the node, validation rules, metrics and the wall clock.
struct IngestContext: Sendable {
    let node: CoordinatorNode
    let validation: RequestValidation
    let rendering: ExecutionRendering
    let metrics: IngestMetrics
    let logger: Logger
    /// Tokens in force (replaced on SIGHUP).
    let access: AccessControl
    /// Connection caps, deadlines and TLS.
    let front: HTTPFront
    /// Unix milliseconds now; injected so tests control time.
    let nowMs: @Sendable () -> Int64
    var maxBodyBytes: Int { node.configuration.http.maxBodyBytes }
}
