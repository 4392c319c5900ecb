import Metrics
import CoordinatorCore

/// Counters and gauges of the notification outbox.
struct NotificationMetrics: Sendable {
    let sent: Counter
    let undeliverable: Counter
    let retried: Counter
    let pending: Gauge
    let oldestPendingAge: Gauge
    let inFlight: Gauge

    init(factory: any MetricsFactory) {
        sent = Counter(label: "vigil_notifications_sent_total", factory: factory)
        undeliverable = Counter(label: "vigil_notifications_undeliverable_total", factory: factory)
        retried = Counter(label: "vigil_notifications_retried_total", factory: factory)
        pending = Gauge(label: "vigil_notifications_pending", factory: factory)
        oldestPendingAge = Gauge(label: "vigil_notifications_oldest_pending_age_seconds", factory: factory)
        inFlight = Gauge(label: "vigil_notifications_in_flight", factory: factory)
    }
}
