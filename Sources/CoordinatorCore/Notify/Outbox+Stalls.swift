extension Outbox {
    /// Rebuilds the open stalls from the keys a snapshot restored (the snapshot's format has no
    /// place of its own for them): an `execution.stalled:<id>:<since>` key with no
    /// `execution.unstalled` key of the same stall, nor a terminal event of the execution, is a
    /// stall still open. The keys are kept for the horizon, as every event's are.
    mutating func rebuildOpenStalls() {
        let prefix = EventKind.executionStalled.rawValue + ":"
        for key in known.keys where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            guard let colon = rest.lastIndex(of: ":"), let id = ExecutionID(String(rest[..<colon])), let since = Int64(rest[rest.index(after: colon)...])
            else { continue }
            guard NotificationEvent.key(.executionStalled, execution: id, stamp: since) == key else { continue }
            let ended =
                knows(NotificationEvent.key(.executionUnstalled, execution: id, stamp: since))
                || knows(NotificationEvent.key(.executionFailed, execution: id)) || knows(NotificationEvent.key(.executionCompleted, execution: id))
            if !ended, since > openStalls[id] ?? .min { openStalls[id] = since }
        }
    }

    /// A stall ended without an event (the execution left memory).
    mutating func closeStall(_ id: ExecutionID) { openStalls[id] = nil }
}
