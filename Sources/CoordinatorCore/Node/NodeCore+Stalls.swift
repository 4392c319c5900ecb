/// The stalled-progress events (issue 24), decided by the leader: `execution.stalled` when a
/// sweep finds an execution's progress stopped for its rule's `progress_timeout_s`, and
/// `execution.unstalled` once the progress moves again (checked at every tick for the stalls
/// open in the outbox). Both are keyed by the stall's start, a replicated fact, so a new
/// leader neither repeats nor loses one.
extension NodeCore {
    /// Queues an `execution.stalled` event for each stall a sweep found that is not open yet.
    mutating func noteStalls(_ stalls: [StallNote], term: UInt64, now: NodeNow) {
        guard outbox.isActive else { return }
        for note in stalls where outbox.openStalls[note.executionID] != note.sinceMs {
            guard let record = table[note.executionID] else { continue }
            let rule = table.rule(of: record)
            queueOnce(NotificationEvent(
                kind: .executionStalled, key: NotificationEvent.key(.executionStalled, execution: note.executionID, stamp: note.sinceMs),
                executionID: note.executionID, occurredAtMs: now.wall.ms, writer: me, term: term,
                detail: "heartbeats continue but the progress has not changed since \(settings.timestamps.iso8601(unixMs: note.sinceMs)) (progress_timeout_s \(ExecutionRule.seconds(rule?.progressTimeoutMs ?? 0)))",
                container: record.containerID, executionKind: rule?.kind
            ))
        }
    }

    /// Queues `execution.unstalled` for each open stall whose progress moved; forgets stalls of
    /// executions that ended or left memory (their terminal event says enough).
    mutating func decideUnstalls(now: NodeNow) {
        for (id, since) in outbox.openStalls {
            guard let record = table[id], record.status == .running else {
                outbox.closeStall(id)
                continue
            }
            guard (record.progressChangedMs ?? record.registeredAtMs) != since else { continue }
            queueOnce(NotificationEvent(
                kind: .executionUnstalled, key: NotificationEvent.key(.executionUnstalled, execution: id, stamp: since), executionID: id,
                occurredAtMs: now.wall.ms, writer: me, term: status.term, detail: "the progress moved again",
                container: record.containerID, executionKind: table.rule(of: record)?.kind
            ))
        }
    }
}
