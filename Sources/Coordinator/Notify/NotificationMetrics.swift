import CoordinatorCore
import Metrics

/// Counters and gauges of the notification outbox; per-channel counters are created once, at
/// start, for the configured channels.
struct NotificationMetrics: Sendable {
    let sent: Counter
    let undeliverable: Counter
    let retried: Counter
    let pending: Gauge
    let oldestPendingAge: Gauge
    let inFlight: Gauge
    let channelSent: [String: Counter]
    let channelUndeliverable: [String: Counter]

    init(channels: [String], factory: any MetricsFactory) {
        sent = Counter(label: "vigil_notifications_sent_total", factory: factory)
        undeliverable = Counter(label: "vigil_notifications_undeliverable_total", factory: factory)
        retried = Counter(label: "vigil_notifications_retried_total", factory: factory)
        pending = Gauge(label: "vigil_notifications_pending", factory: factory)
        oldestPendingAge = Gauge(label: "vigil_notifications_oldest_pending_age_seconds", factory: factory)
        inFlight = Gauge(label: "vigil_notifications_in_flight", factory: factory)
        func perChannel(_ label: String) -> [String: Counter] {
            Dictionary(channels.map { ($0, Counter(label: label, dimensions: [("channel", $0)], factory: factory)) }, uniquingKeysWith: { first, _ in first })
        }
        channelSent = perChannel("vigil_notifications_channel_sent_total")
        channelUndeliverable = perChannel("vigil_notifications_channel_undeliverable_total")
    }
}
