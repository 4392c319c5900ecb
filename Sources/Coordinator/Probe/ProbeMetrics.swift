import CoordinatorCore
import Metrics

/// What the prober counts, per service (`service` dimension); every metric is created once, at
/// start, for the configured services.
struct ProbeMetrics: Sendable {
    struct PerService: Sendable {
        let latency: Timer
        let failures: Counter
        let repairsOK: Counter
        let repairsFailed: Counter
        let down: Gauge
    }

    let late: Timer
    let services: [String: PerService]

    init(services names: [String], factory: any MetricsFactory) {
        late = Timer(label: "vigil_probe_lateness_seconds", factory: factory)
        services = Dictionary(names.map { name in
            let dimension = [("service", name)]
            return (name, PerService(
                latency: Timer(label: "vigil_probe_latency_seconds", dimensions: dimension, factory: factory),
                failures: Counter(label: "vigil_probe_failures_total", dimensions: dimension, factory: factory),
                repairsOK: Counter(label: "vigil_service_repairs_total", dimensions: dimension + [("outcome", "ok")], factory: factory),
                repairsFailed: Counter(label: "vigil_service_repairs_total", dimensions: dimension + [("outcome", "failed")], factory: factory),
                down: Gauge(label: "vigil_service_down", dimensions: dimension, factory: factory)
            ))
        }, uniquingKeysWith: { first, _ in first })
    }

    func probed(_ service: String, _ result: ProbeResult, lateMs: Int64) {
        services[service]?.latency.recordMilliseconds(result.latencyMs)
        if !result.healthy { services[service]?.failures.increment() }
        late.recordMilliseconds(lateMs)
    }

    func repaired(_ service: String, succeeded: Bool) {
        (succeeded ? services[service]?.repairsOK : services[service]?.repairsFailed)?.increment()
    }

    func state(_ state: ServiceState) {
        services[state.name]?.down.record(state.down ? 1 : 0)
    }
}
