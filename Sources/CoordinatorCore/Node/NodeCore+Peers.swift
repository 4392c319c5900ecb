import VigilCodec

extension NodeCore {
    // MARK: The shared store

    /// Applies a durable record read from the store: a peer's, or (at start-up) this node's own.
    /// Decisions (strike batches, failure marks) that a known claim fences are discarded; a
    /// claim that fences marks already applied revokes them.
    public mutating func apply(stored record: StoredRecord, now: NodeNow) -> [NodeAction] {
        defer { if record.node != me { ledger.read(node: record.node, at: record.position) } }
        guard let kind = record.kind else { return [] }
        switch kind {
        case .pauseFlag:
            pause.apply(record.payload.first == 1, at: record.time, by: record.node)
            status.paused = pause.paused
        case .strikeBatch:
            guard !ledger.fences(writer: record.node, term: record.term, at: record.position), let strikes = StrikeBatch.decode(record.payload) else { return [] }
            table.apply(strikes: strikes, seen: now.judge)
            noteStrikes(strikes, writer: record.node, term: record.term, now: now, at: record.time)
        case .leadershipTerm:
            guard let claim = TermClaim(node: record.node, payload: record.payload) else { return [] }
            return adopt(claim, restoring: record.node == me)
        case .leadershipReleased:
            var reader = ByteReader(record.payload[...])
            if let term = reader.readVarint() { ledger.release(term: term, node: record.node) }
        case .registration, .completion, .failureMark:
            guard let fact = ExecutionFact(kind: kind, payload: record.payload) else { return [] }
            if kind == .failureMark {
                guard !ledger.fences(writer: record.node, term: record.term, at: record.position) else { return [] }
                guard table[fact.executionID]?.status != .failed || table[fact.executionID]?.terminal?.source != .sweep else { return [] }
                table.apply(fact: fact, seen: seen(of: fact, now: now))
                if table[fact.executionID]?.terminal?.source == .sweep { remember(mark: fact.executionID, writer: record.node, term: record.term, at: record.position) }
            } else {
                table.apply(fact: fact, seen: seen(of: fact, now: now))
            }
            if kind != .registration { noteFinished(fact.executionID, writer: record.node, term: record.term, now: now, at: record.time) }
        case .notificationEvent:
            guard let event = NotificationEvent(payload: record.payload, writer: record.node, term: record.term, timeMs: record.time.ms) else { return [] }
            outbox.record(event, now: now)
        case .notificationAck:
            guard let ack = NotificationAck(payload: record.payload) else { return [] }
            outbox.acknowledge(ack, atMs: record.time.ms)
        case .notificationGroup:
            guard let group = NotificationGroup(payload: record.payload) else { return [] }
            outbox.applyGroup(group, now: now)
        case .serviceState:
            guard let state = ServiceState(payload: record.payload) else { return [] }
            prober.apply(stored: state, term: record.term, timeMs: record.time.ms)
            noteServiceEvents(state, writer: record.node, term: record.term, now: now, at: record.time)
        case .keyringChange:
            guard let change = KeyringBook.change(payload: record.payload) else { return [] }
            keyring.apply(change)
        case .sweepRelease:
            applyRelease(at: record.time, by: record.node, now: now)
        case .generation:
            break
        }
        return []
    }

    /// Start-up: applies every record the store holds (oldest first), then gives up any claim
    /// this node's previous incarnation left behind (it leads no more; others may be waiting
    /// for the release).
    public mutating func restore(_ records: [StoredRecord], now: NodeNow) -> [NodeAction] {
        var actions: [NodeAction] = []
        for record in records { actions += apply(stored: record, now: now) }
        noteStoreRead(at: now.judge)
        for claim in ledger.claims where claim.node == me && !ledger.released.contains(.init(term: claim.term, node: me)) {
            releasesToWrite.insert(claim.term)
        }
        actions += writeReleases(now: now)
        return actions
    }

    /// The store was read to its end by a read that started at `time`.
    public mutating func noteStoreRead(at time: JudgeTime) {
        storeReadThrough = max(storeReadThrough ?? time, time)
        storeHealth.read(succeeded: true, at: time)
    }

    /// Takes a claim read from the store; voids the marks it fences.
    private mutating func adopt(_ claim: TermClaim, restoring: Bool) -> [NodeAction] {
        guard ledger.add(claim) else { return [] }
        if claim.node == me { ownClaim = max(ownClaim ?? 0, claim.term) }
        var revoked = 0
        for (term, marks) in appliedMarks {
            var kept: [(id: ExecutionID, writer: String, position: LogPosition)] = []
            for mark in marks {
                if claim.fences(writer: mark.writer, term: term, at: mark.position) {
                    if table.revokeMark(mark.id) {
                        revoked += 1
                        outbox.revoke(key: NotificationEvent.key(.executionFailed, execution: mark.id))
                    }
                } else {
                    kept.append(mark)
                }
            }
            appliedMarks[term] = kept
        }
        guard revoked > 0 else { return [] }
        return [.report(.marksFenced(count: revoked, claimTerm: claim.term, claimant: claim.node))]
    }

    // MARK: Gossip

    /// Merges the newest heartbeat another coordinator received (gossip delivered it). Returns
    /// what to report, if anything.
    public mutating func merge(remote entry: HeartbeatEntry, id: ExecutionID, origin: String, stampMs: Int64, now: NodeNow) -> [NodeAction] {
        merge(remoteValue: entry.encoded(stampMs: stampMs, maxBytes: .max), id: id, origin: origin, stampMs: stampMs, now: now) ?? []
    }

    /// Merges a heartbeat as gossip holds it (a ``HeartbeatEntry`` encoding): the view shares
    /// the replica's buffer. `nil` when the value is malformed (it is ignored).
    public mutating func merge(remoteValue value: [UInt8], id: ExecutionID, origin: String, stampMs: Int64, now: NodeNow) -> [NodeAction]? {
        guard let entry = HeartbeatEntry.validate(value, stampMs: stampMs) else { return nil }
        guard let index = table.originIndex(origin) else { return [.report(.tooManyOrigins(origin))] }
        let seen = SeenTime.forRemote(stamp: WallTime(ms: stampMs), started: settings.started, now: now)
        table.apply(remote: value, entry, id: id, origin: index, stampMs: stampMs, seen: seen)
        return []
    }

    /// A peer restarted and its old origin table was dropped everywhere: the newest heartbeats
    /// of running executions that only it had received would vanish from gossip with it, and a
    /// node that starts later (the restarted one included) would never learn them. This node
    /// re-publishes them in its own table, with their original stamps.
    public func adoptOrphans(of origin: String) -> [NodeAction] {
        guard origin != me, let index = table.originNames.firstIndex(of: origin) else { return [] }
        return table.allRecords.lazy
            .filter { $0.status == .running && Int($0.origin) == index && $0.lastHeartbeatMs != nil }
            .compactMap { self.publication($0.id).map(NodeAction.publish) }
    }

    // MARK: Retention

    /// Forgets finished executions older than the retention (and their replicated entries).
    public mutating func expire(now: NodeNow) -> [NodeAction] {
        // Expiry moves records between slots; a sweep under way surveys by slot. Wait for it.
        guard sweep == nil else { return [] }
        return table.expireFinished(olderThan: settings.retentionMs, nowMs: now.wall.ms).map(NodeAction.forget)
    }

    // MARK: Queries

    /// The coordinator that saw an execution's newest heartbeat.
    public func lastOrigin(of record: ExecutionRecord) -> String { table.originNames[Int(record.origin)] }

    /// Executions the sweep marked FAILED, newest first.
    public func failureMarks(limit: Int) -> [ExecutionRecord] {
        let marked = table.allRecords.filter { $0.terminal?.source == .sweep }
        return Array(marked.sorted { ($0.terminal!.finishedAtMs, $0.id) > ($1.terminal!.finishedAtMs, $1.id) }.prefix(limit))
    }
}

extension NodeCore {
    /// This node's store stalled (an append ran past the stall limit): it gossips so, and its
    /// next tick stops leading (``StoreHealth``).
    mutating func storeStalled(appends: Int, now: NodeNow) -> [NodeAction] {
        guard storeHealth.stalledSince == nil else { return [] }
        storeHealth.stalledSince = now.judge
        storeHealth.stalls += 1
        status.lastError = "the store stalled: an append has not finished within \(settings.stallLimitMs) ms"
        storeHealth.reportedFit = false
        return [.report(.storeStalled(batches: appends)), .publish(storeReport(.stalled, now: now))]
    }

    /// The store answers again (every stalled append finished).
    mutating func storeRecovered(now: NodeNow) -> [NodeAction] {
        guard let since = storeHealth.stalledSince else { return [] }
        storeHealth.stalledSince = nil
        storeHealth.healthySince = now.judge
        return [.report(.storeRecovered(stalledMs: now.judge - since)), .publish(storeReport(.recovering, now: now))]
    }

    /// Once a recovered store has answered for the recovery time, the node says it may lead again.
    mutating func reportStoreFitness(now: NodeNow) -> [NodeAction] {
        let fit = storeHealth.fitToLead(now: now.judge, recoveryMs: settings.storeRecoveryMs)
        if fit, !storeHealth.reportedFit {
            storeHealth.reportedFit = true
            return [.publish(storeReport(.fit, now: now))]
        }
        // Failing fast (not stalled: a stall publishes its own report): unfit until it works again.
        if !fit, storeHealth.reportedFit, !storeHealth.isStalled {
            storeHealth.reportedFit = false
            return [.publish(storeReport(.recovering, now: now)), .report(.storeFailing(detail: storeHealth.lastFailure ?? "reading the peers' files failed"))]
        }
        return []
    }

    /// A read of the peers' files failed (what the store said is logged by the shell).
    public mutating func storeReadFailed(now: NodeNow) -> [NodeAction] {
        storeHealth.read(succeeded: false, at: now.judge)
        return reportStoreFitness(now: now)
    }

    private func storeReport(_ state: StoreHealthReport.State, now: NodeNow) -> GossipPublication {
        GossipPublication(id: StoreHealthReport.id, value: StoreHealthReport.value(state, stalls: storeHealth.stalls), stampMs: now.wall.ms)
    }
}
