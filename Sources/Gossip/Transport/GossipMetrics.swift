import Metrics
import Synchronization

/// The gossip metrics, created once per service.
///
/// `vigil_gossip_packets_{received,sent}_total`, `vigil_gossip_{received,sent}_bytes_total`,
/// `vigil_gossip_dropped_total{reason}`, `vigil_gossip_members{state}`,
/// `vigil_gossip_suspicions_{raised,refuted}_total`, `vigil_gossip_local_health`,
/// `vigil_gossip_version_lag{origin}`.
final class GossipMetrics: Sendable {
    let packetsIn: Counter
    let packetsOut: Counter
    let bytesIn: Counter
    let bytesOut: Counter
    let drops: [DropReason: Counter]
    let members: [MemberStatus: Gauge]
    let suspicionsRaised: Counter
    let suspicionsRefuted: Counter
    let localHealth: Gauge
    /// The socket failed (or closed) and was bound again: `vigil_gossip_socket_failures_total`.
    let socketFailures: Counter
    /// Events the application did not take in time: `vigil_gossip_events_dropped_total` (the
    /// consumer then re-reads the whole replica).
    let eventsDropped: Counter
    /// Suspects convicted early on ``CrashEvidence``: `vigil_gossip_crash_convictions_total`.
    let crashConvictions: Counter
    let factory: any MetricsFactory
    private let lagGauges = Mutex<[String: Gauge]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
        packetsIn = Counter(label: "vigil_gossip_packets_received_total", factory: factory)
        packetsOut = Counter(label: "vigil_gossip_packets_sent_total", factory: factory)
        bytesIn = Counter(label: "vigil_gossip_received_bytes_total", factory: factory)
        bytesOut = Counter(label: "vigil_gossip_sent_bytes_total", factory: factory)
        var drops: [DropReason: Counter] = [:]
        for reason in DropReason.allCases {
            drops[reason] = Counter(label: "vigil_gossip_dropped_total", dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        self.drops = drops
        var members: [MemberStatus: Gauge] = [:]
        for status in MemberStatus.allCases {
            members[status] = Gauge(label: "vigil_gossip_members", dimensions: [("state", status.description)], factory: factory)
        }
        self.members = members
        socketFailures = Counter(label: "vigil_gossip_socket_failures_total", factory: factory)
        eventsDropped = Counter(label: "vigil_gossip_events_dropped_total", factory: factory)
        crashConvictions = Counter(label: "vigil_gossip_crash_convictions_total", factory: factory)
        suspicionsRaised = Counter(label: "vigil_gossip_suspicions_raised_total", factory: factory)
        suspicionsRefuted = Counter(label: "vigil_gossip_suspicions_refuted_total", factory: factory)
        localHealth = Gauge(label: "vigil_gossip_local_health", factory: factory)
    }

    /// Publishes the gauges from a snapshot of the core.
    func record(membership: Membership, lag: [String: UInt64]) {
        var counts: [MemberStatus: Int] = [:]
        for member in membership.members.values { counts[member.status, default: 0] += 1 }
        for status in MemberStatus.allCases { members[status]?.record(counts[status] ?? 0) }
        localHealth.record(membership.localHealth)
        lagGauges.withLock { gauges in
            for (origin, value) in lag {
                let gauge = gauges[origin] ?? Gauge(label: "vigil_gossip_version_lag", dimensions: [("origin", origin)], factory: factory)
                gauges[origin] = gauge
                gauge.record(Int64(clamping: value))
            }
        }
    }
}
