import Metrics
import CoordinatorCore

/// What the sweep counts (swift-metrics; `/metrics` exports them for Prometheus).
struct SweepMetrics: Sendable {
    /// Strikes given (one per execution per striking sweep).
    let strikes: Counter
    /// Executions marked FAILED by the sweep, by rule.
    let marks: [SweepMark.Rule: Counter]
    /// Sweeps the mass-failure guard found the monitor may be blind in ("monitor degraded").
    let degraded: Counter
    /// Sweeps that judged a mass silence with the monitor healthy (a mass failure).
    let massFailures: Counter
    /// Leadership terms this node started.
    let termsStarted: Counter
    /// 1 while this node leads, else 0.
    let leading: Gauge
    /// Running executions examined by the last sweep.
    let processed: Gauge
    /// How long a sweep took.
    let duration: Timer

    init(factory: any MetricsFactory = MetricsSystem.factory) {
        strikes = Counter(label: "vigil_sweep_strikes_total", factory: factory)
        marks = [
            .stale: Counter(label: "vigil_sweep_marks_total", dimensions: [("rule", SweepMark.Rule.stale.rawValue)], factory: factory),
            .neverHeartbeated: Counter(label: "vigil_sweep_marks_total", dimensions: [("rule", SweepMark.Rule.neverHeartbeated.rawValue)], factory: factory),
        ]
        degraded = Counter(label: "vigil_sweep_degraded_total", factory: factory)
        massFailures = Counter(label: "vigil_sweep_mass_failures_total", factory: factory)
        termsStarted = Counter(label: "vigil_leadership_terms_started_total", factory: factory)
        leading = Gauge(label: "vigil_sweep_leader", factory: factory)
        processed = Gauge(label: "vigil_sweep_processed", factory: factory)
        duration = Timer(label: "vigil_sweep_duration_seconds", factory: factory)
    }
}
