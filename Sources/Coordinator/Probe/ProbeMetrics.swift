import CoordinatorCore
import Metrics

/// What the prober counts, per service (`service` dimension).
struct ProbeMetrics: Sendable {
    let factory: any MetricsFactory
    let late: Timer

    init(factory: any MetricsFactory) {
        self.factory = factory
        late = Timer(label: "vigil_probe_lateness_seconds", factory: factory)
    }

    func probed(_ service: String, _ result: ProbeResult, lateMs: Int64) {
        Timer(label: "vigil_probe_latency_seconds", dimensions: [("service", service)], factory: factory).recordMilliseconds(result.latencyMs)
        if !result.healthy { Counter(label: "vigil_probe_failures_total", dimensions: [("service", service)], factory: factory).increment() }
        late.recordMilliseconds(lateMs)
    }

    func repaired(_ service: String, succeeded: Bool) {
        Counter(label: "vigil_service_repairs_total", dimensions: [("service", service), ("outcome", succeeded ? "ok" : "failed")], factory: factory).increment()
    }

    func state(_ state: ServiceState) {
        Gauge(label: "vigil_service_down", dimensions: [("service", state.name)], factory: factory).record(state.down ? 1 : 0)
    }
}
