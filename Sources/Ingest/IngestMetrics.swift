import Metrics
import CoordinatorCore

/// The HTTP front's metrics, created once. Names follow Prometheus conventions.
public struct IngestMetrics: Sendable {
    let heartbeatsAccepted: Counter
    let completionsAccepted: Counter
    let registrations: Counter
    let conflicts: Counter
    let rejectedByStatus: @Sendable (Int) -> Counter
    let executionsByStatus: [ExecutionStatusLabel: Gauge]

    /// Status label values for `vigil_executions`.
    enum ExecutionStatusLabel: String, CaseIterable, Sendable { case running, completed, failed }

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        heartbeatsAccepted = Counter(label: "vigil_heartbeats_received_total", factory: factory)
        completionsAccepted = Counter(label: "vigil_completions_received_total", factory: factory)
        registrations = Counter(label: "vigil_registrations_received_total", factory: factory)
        conflicts = Counter(label: "vigil_requests_conflicting_total", factory: factory)
        rejectedByStatus = { code in
            Counter(label: "vigil_requests_rejected_total", dimensions: [("code", String(code))], factory: factory)
        }
        var gauges: [ExecutionStatusLabel: Gauge] = [:]
        for label in ExecutionStatusLabel.allCases {
            gauges[label] = Gauge(label: "vigil_executions", dimensions: [("status", label.rawValue)], factory: factory)
        }
        executionsByStatus = gauges
    }
}
