extension NodeCore {
    /// The leader tells the channels about peers' store stalls, from what they gossip: one
    /// `store.stalled` per stall episode (keyed by node, start generation and stall number, so
    /// a new leader never sends it twice), and one `store.recovered` once that episode ends —
    /// only for an episode whose `store.stalled` is known, so nothing is sent for stalls that
    /// ended before anyone reported them.
    mutating func decideStoreEvents(_ reports: [String: StoreReport], now: NodeNow) {
        for (node, report) in reports.sorted(by: { $0.key < $1.key }) where node != me && report.stalls > 0 {
            let stalledKey = NotificationEvent.key(.storeStalled, node: node, generation: report.generation, stall: report.stalls)
            let kind: EventKind
            if report.stalled {
                kind = .storeStalled
            } else {
                guard outbox.knows(stalledKey) else { continue }
                kind = .storeRecovered
            }
            let key = NotificationEvent.key(kind, node: node, generation: report.generation, stall: report.stalls)
            guard !outbox.knows(key), !notifying.eventWrites.contains(key), !notifying.queued.contains(where: { $0.key == key }) else { continue }
            notifying.queued.append(NotificationEvent(
                kind: kind, key: key, subjectNode: node, occurredAtMs: now.wall.ms, writer: me, term: status.term,
                detail: report.stalled ? "\(node)'s store stopped answering (stall \(report.stalls) of this start)" : "\(node)'s store answers again"
            ))
        }
    }
}
