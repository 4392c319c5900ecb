/// What the node that decides notifications keeps in memory only (nothing here must survive a
/// restart: it is rebuilt from the store, or starts afresh with a new leadership).
struct NotifyingState: Sendable {
    /// Explicit events decided and not yet written.
    var queued: [NotificationEvent] = []
    /// Keys of explicit events being written.
    var eventWrites: Set<String> = []
    /// Since when (judge time) each configured node has been out of the membership, as this
    /// node's leadership saw it.
    var absentSince: [String: JudgeTime] = [:]
    /// The leadership term whose deliveries are under way (attempts of another are abandoned).
    var deliveringTerm: UInt64?
}

extension NodeCore {
    /// Whether this node sends notifications now: it leads, its term is durable, and it has read
    /// the store to its end since it became leader (so it owes nothing already acknowledged).
    public var mayDeliver: Bool {
        guard duty.election.leader == me, status.termDurable, let since = duty.election.leaderSince, let read = storeReadThrough else { return false }
        return read >= since
    }

    /// A delivery attempt ended; returns what to write and what to send next.
    public mutating func deliveryFinished(_ attempt: NotificationAttempt, result: DeliveryResult, now: NodeNow) -> [NodeAction] {
        var actions: [NodeAction] = []
        if case .failed(let error) = result {
            actions.append(.report(.notificationRetry(attempt.target, attempt: attempt.attempt, error: error)))
        }
        if let ack = outbox.finished(attempt.target, attempt: attempt.attempt, result: result, now: now) {
            actions.append(writeAck(ack, now: now))
        }
        return actions + deliveries(now: now)
    }

    /// Once per tick: the leader decides the explicit events (recovered, node, monitor); every
    /// node writes the events it queued and acknowledgements it owes; the leader sends what is due.
    mutating func notificationTick(now: NodeNow, alive: Set<String>, storeReports: [String: StoreReport] = [:]) -> [NodeAction] {
        guard outbox.isActive else { return [] }
        if mayDeliver {
            decideLeaderEvents(now: now, alive: alive)
            decideStoreEvents(storeReports, now: now)
        } else {
            notifying.absentSince = [:]
        }
        var actions: [NodeAction] = []
        while !notifying.queued.isEmpty {
            let event = notifying.queued.removeFirst()
            guard notifying.eventWrites.insert(event.key).inserted else { continue }
            let ticket = writes.open(.event(event), execution: nil)
            actions.append(.write(ticket, DurableWrite(kind: .notificationEvent, term: event.term, time: WallTime(ms: event.occurredAtMs), payload: event.payload)))
        }
        for ack in outbox.takeUnwrittenAcks() { actions.append(writeAck(ack, now: now)) }
        return actions + deliveries(now: now)
    }

    /// The attempts due now, when this node may deliver; otherwise abandons attempts of an
    /// ended leadership.
    mutating func deliveries(now: NodeNow) -> [NodeAction] {
        guard outbox.isActive else { return [] }
        guard mayDeliver else {
            if notifying.deliveringTerm != nil {
                notifying.deliveringTerm = nil
                outbox.abandonAttempts(now: now)
            }
            return []
        }
        if notifying.deliveringTerm != status.term {
            outbox.abandonAttempts(now: now)
            notifying.deliveringTerm = status.term
        }
        var actions: [NodeAction] = outbox.due(now: now, term: status.term).map { attempt in
            var attempt = attempt
            if let id = attempt.event.executionID, let record = table[id] { attempt.execution = NotificationContext(record) }
            for index in attempt.members.indices {
                if let id = attempt.members[index].event.executionID, let record = table[id] { attempt.members[index].execution = NotificationContext(record) }
            }
            return .deliver(attempt)
        }
        for group in outbox.takeGroupDecisions() {
            let ticket = writes.open(.group(group), execution: nil)
            actions.append(.write(ticket, DurableWrite(kind: .notificationGroup, term: status.term, time: now.wall, payload: group.payload)))
        }
        return actions
    }

    private mutating func writeAck(_ ack: NotificationAck, now: NodeNow) -> NodeAction {
        let ticket = writes.open(.ack(ack), execution: nil)
        return .write(ticket, DurableWrite(kind: .notificationAck, term: status.term, time: now.wall, payload: ack.payload))
    }

    // MARK: Events derived from durable records

    /// An execution's terminal outcome is durable (a mark, a completion, a terminal heartbeat):
    /// its `execution.failed` or `execution.completed` event.
    mutating func noteFinished(_ id: ExecutionID, writer: String, term: UInt64, now: NodeNow, at time: WallTime? = nil) {
        guard let record = table[id], record.status.isTerminal else { return }
        let kind: EventKind = record.status == .completed ? .executionCompleted : .executionFailed
        let event = NotificationEvent(
            kind: kind, key: NotificationEvent.key(kind, execution: id), executionID: id, occurredAtMs: (time ?? now.wall).ms, writer: writer,
            term: term, detail: record.status == .failed ? (record.terminal?.reason ?? record.terminal?.errorMessage) : nil,
            container: record.containerID, executionKind: table.rule(of: record)?.kind
        )
        outbox.record(event, now: now)
    }

    /// A strike batch is durable: each first strike is an `execution.late` event.
    mutating func noteStrikes(_ entries: [StrikeEntry], writer: String, term: UInt64, now: NodeNow, at time: WallTime? = nil) {
        for entry in entries where entry.strikes == 1 {
            let event = NotificationEvent(
                kind: .executionLate, key: NotificationEvent.key(.executionLate, execution: entry.executionID, stamp: entry.lastHeartbeatMs),
                executionID: entry.executionID, occurredAtMs: (time ?? now.wall).ms, writer: writer, term: term,
                container: table[entry.executionID]?.containerID, executionKind: table[entry.executionID].flatMap(table.rule(of:))?.kind
            )
            outbox.record(event, now: now)
        }
    }

    /// A running heartbeat for a finished execution: queues its `execution.fenced` event (once).
    mutating func noteZombie(_ record: ExecutionRecord, now: NodeNow) {
        guard outbox.isActive else { return }
        let key = NotificationEvent.key(.executionFenced, execution: record.id)
        guard !outbox.knows(key), !notifying.eventWrites.contains(key), !notifying.queued.contains(where: { $0.key == key }) else { return }
        notifying.queued.append(NotificationEvent(
            kind: .executionFenced, key: key, executionID: record.id, occurredAtMs: now.wall.ms, writer: me, term: 0,
            detail: "a heartbeat arrived for an execution already \(record.status)", container: record.containerID,
            executionKind: table.rule(of: record)?.kind
        ))
    }

    // MARK: Events the leader decides

    /// Queues an explicit event the leader decided, unless it is known, queued or being written.
    mutating func queueOnce(_ event: NotificationEvent) {
        guard !outbox.knows(event.key), !notifying.eventWrites.contains(event.key), !notifying.queued.contains(where: { $0.key == event.key }) else { return }
        notifying.queued.append(event)
    }

    private mutating func decideLeaderEvents(now: NodeNow, alive: Set<String>) {
        let term = status.term
        func queue(_ event: NotificationEvent) { queueOnce(event) }
        decideUnstalls(now: now)
        // Recovered: a late execution heartbeated again (its strikes were cleared).
        for (id, stamp) in outbox.openLate {
            guard let record = table[id], record.status == .running else {
                outbox.closeLate(id)
                continue
            }
            guard record.strikes == 0, record.lastHeartbeatMs != nil, record.lastHeartbeatMs != stamp else { continue }
            queue(NotificationEvent(
                kind: .executionRecovered, key: NotificationEvent.key(.executionRecovered, execution: id, stamp: stamp), executionID: id,
                occurredAtMs: now.wall.ms, writer: me, term: term, container: record.containerID, executionKind: table.rule(of: record)?.kind
            ))
        }
        // Coordinators: dead after a hold-down out of the membership, alive when back.
        for node in settings.configured where node != me {
            let change = outbox.nodeChanges[node]
            if alive.contains(node) {
                notifying.absentSince[node] = nil
                if let change, change.dead {
                    queue(NotificationEvent(
                        kind: .nodeAlive, key: NotificationEvent.key(.nodeAlive, node: node, sequence: change.sequence + 1), subjectNode: node,
                        occurredAtMs: now.wall.ms, writer: me, term: term, detail: "\(node) is back in the membership"
                    ))
                }
            } else {
                let since = notifying.absentSince[node] ?? now.judge
                notifying.absentSince[node] = since
                if now.judge - since >= settings.nodeDeadAfterMs, change?.dead != true {
                    queue(NotificationEvent(
                        kind: .nodeDead, key: NotificationEvent.key(.nodeDead, node: node, sequence: (change?.sequence ?? 0) + 1), subjectNode: node,
                        occurredAtMs: now.wall.ms, writer: me, term: term,
                        detail: "\(node) has been out of the membership for \((now.judge - since) / 1000) s (as \(me) sees it)"
                    ))
                }
            }
        }
        // Reminders while a node stays dead or the monitor degraded: the n-th is due n intervals
        // after the change (only the latest missed one is sent).
        if let interval = outbox.settings.repeatIntervalMs, interval > 0 {
            var open: [(EventKind, String, Outbox.NodeChange, String?)] = outbox.nodeChanges.filter(\.value.dead).map {
                (.nodeDead, NotificationEvent.key(.nodeDead, node: $0.key, sequence: $0.value.sequence), $0.value, $0.key)
            }
            if outbox.monitor.dead { open.append((.monitorDegraded, NotificationEvent.key(.monitorDegraded, sequence: outbox.monitor.sequence), outbox.monitor, nil)) }
            for (kind, key, change, node) in open {
                let n = (now.wall.ms - change.sinceMs) / interval
                guard n >= 1 else { continue }
                queue(NotificationEvent(
                    kind: kind, key: NotificationEvent.reminderKey(of: key, number: n), subjectNode: node, occurredAtMs: now.wall.ms, writer: me, term: term,
                    detail: "still \(kind == .nodeDead ? "dead" : "degraded") since \(settings.timestamps.iso8601(unixMs: change.sinceMs)) (reminder \(n))"
                ))
            }
        }
        decideMonitorEvents(now: now)
    }

    /// The monitor: a degraded sweep opens an episode, a normal sweep closes it; a mass failure
    /// is reported once per episode. An episode is the one already reported when its report is
    /// not older than the earliest first strike among its executions (strike times are in the
    /// store, so a new leader tells the same, and a leader that died before its report was
    /// durable is made good by the next).
    private mutating func decideMonitorEvents(now: NodeNow) {
        let term = status.term
        if let detail = status.massFailure, let onset = status.massFailureOnsetMs, outbox.massFailure.sequence == 0 || outbox.massFailure.sinceMs < onset {
            queueOnce(NotificationEvent(
                kind: .monitorMassFailure, key: NotificationEvent.key(.monitorMassFailure, sequence: outbox.massFailure.sequence + 1),
                occurredAtMs: now.wall.ms, writer: me, term: term, detail: detail
            ))
        }
        func queue(_ event: NotificationEvent) { queueOnce(event) }
        if let degraded = status.degraded, !outbox.monitor.dead {
            queue(NotificationEvent(
                kind: .monitorDegraded, key: NotificationEvent.key(.monitorDegraded, sequence: outbox.monitor.sequence + 1), occurredAtMs: now.wall.ms,
                writer: me, term: term, detail: degraded
            ))
        } else if status.degraded == nil, outbox.monitor.dead, status.lastSweepWallMs != nil, status.sweeping {
            queue(NotificationEvent(
                kind: .monitorRestored, key: NotificationEvent.key(.monitorRestored, sequence: outbox.monitor.sequence + 1), occurredAtMs: now.wall.ms,
                writer: me, term: term, detail: "the sweep judges normally again"
            ))
        }
    }
}
