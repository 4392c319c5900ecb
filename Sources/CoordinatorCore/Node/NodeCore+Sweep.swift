import VigilCodec

extension NodeCore {
    /// One check of the sweep duty at `now`: re-evaluates leadership (claiming or releasing a
    /// term), and when this node leads, has caught up, its claim is durable and sweeping is not
    /// paused, sweeps once per check interval.
    /// - Parameters:
    ///   - alive: configured nodes this node considers alive, itself included.
    ///   - synced: this node's copy of every alive peer's gossip table is up to date.
    ///   - confirmed: of `alive`, those not merely suspect (``SweepDuty/Input/confirmed``).
    ///   - storeReports: what alive peers gossip about their stores; a stalled one must not lead
    ///     (this node's own store is known here), and the leader tells the channels.
    public mutating func tick(now: NodeNow, alive: Set<String>, synced: Bool, confirmed: Set<String>? = nil, storeReports: [String: StoreReport] = [:]) -> [NodeAction] {
        let unfit = Set(storeReports.filter { $0.value.state != .fit }.keys)
        var actions = reportStoreFitness(now: now)
        var input = SweepDuty.Input(
            now: now.judge, wall: now.wall, alive: alive, highestTermSeen: ledger.highestTerm,
            syncedAt: synced ? storeReadThrough.map { min($0, now.judge) } : nil, paused: pause.paused,
            activeClaim: ledger.active, termDurable: status.termDurable
        )
        input.confirmed = confirmed
        input.unfit = storeHealth.fitToLead(now: now.judge, recoveryMs: settings.storeRecoveryMs) ? unfit.subtracting([me]) : unfit.union([me])
        let wasLeading = duty.election.leader == me
        let previousTerm = duty.election.term
        var result = duty.decide(input)
        switch result.change {
        case .becameLeader(let term):
            actions += claim(term, now: now)
        case .none where result.leader == me && ledger.claims.contains { $0.node != me && $0.outranks(term: result.term, node: me) }:
            // Outranked by a claim read only once released: it fences this term; lead on under a new one.
            if ownClaim == previousTerm { releasesToWrite.insert(previousTerm) }
            result.term = duty.reclaim(highestTermSeen: ledger.highestTerm, now: now.judge)
            result.sweeping = false
            result.sweepDue = false
            actions += claim(result.term, now: now)
        case .stoppedLeading:
            actions.append(.report(.stoppedLeading(superseded: duty.election.superseded, leader: result.leader)))
            status.termDurable = true
            if wasLeading, ownClaim == previousTerm { releasesToWrite.insert(previousTerm) }
        case .none:
            break
        }
        // A claim whose write failed is tried again (the leader decides nothing meanwhile).
        if result.leader == me, !status.termDurable, claimWrite == nil, let retry = claimRetryAt, now.judge >= retry,
            let claim = ledger.claims.first(where: { $0.node == me && $0.term == duty.election.term })
        {
            claimRetryAt = nil
            actions += writeClaim(claim, now: now)
        }
        actions += writeReleases(now: now)
        status.leader = result.leader
        status.term = result.term
        status.quorum = result.quorum
        status.sweeping = result.sweeping
        if !result.sweeping { sweep = nil }  // a sweep under way is abandoned with the leadership
        if result.sweepDue {
            sweep = SweepProgress(term: result.term, alive: alive, confirmed: confirmed, released: holdRelease.through, started: now)
            actions += continueSweep(now: now)
        }
        actions += notificationTick(now: now, alive: alive, storeReports: storeReports)
        return actions
    }

    /// Claims `term` for this node: in the ledger now, durable with the write returned.
    private mutating func claim(_ term: UInt64, now: NodeNow) -> [NodeAction] {
        let claim = TermClaim(term: term, node: me, cut: ledger.readCut)
        ledger.add(claim)
        ownClaim = term
        status.termDurable = false
        claimRetryAt = nil
        return [.report(.becameLeader(term: term))] + writeClaim(claim, now: now)
    }

    /// A sweep is under way: the shell calls ``continueSweep(now:)`` until it is done,
    /// taking the lock once per chunk, so heartbeats get in between.
    public var sweepPending: Bool { sweep != nil }

    /// Surveys the next ``Settings/sweepChunk`` records of the sweep under way; after the last chunk, judges
    /// (strikes, marks, the guard) and returns the writes and reports.
    public mutating func continueSweep(now: NodeNow) -> [NodeAction] {
        guard var progress = sweep else { return [] }
        let end = min(table.count, progress.next + settings.sweepChunk)
        duty.sweeper.survey(
            table, slots: progress.next..<end, now: progress.started.judge, wall: progress.started.wall, skip: writes.executions,
            releasedThrough: progress.released, readThrough: storeReadThrough, into: &progress.survey
        )
        progress.next = end
        guard end >= table.count else {
            sweep = progress
            return []
        }
        sweep = nil
        let evidence = monitorEvidence(progress)
        let outcome = duty.sweeper.judge(&table, progress.survey, now: progress.started.judge, wall: progress.started.wall, evidence: evidence)
        return carryOut(outcome, term: progress.term, now: progress.started)
    }

    /// What this node knows of its own health for the sweep under way: which coordinators are
    /// down or unconfirmed, whether its latest recent write failed, the operators' release.
    func monitorEvidence(_ progress: SweepProgress) -> MonitorEvidence {
        let others = Set(settings.configured).subtracting([me])
        return MonitorEvidence(
            down: others.subtracting(progress.alive), unconfirmed: others.subtracting(progress.confirmed ?? progress.alive),
            storeFailure: storeHealth.writeFailure(now: progress.started.judge, recentMs: settings.rule.heartbeatTimeoutMs), releasedThrough: progress.released
        )
    }

    /// Applies an operator's release of the guard's hold; a leader sweeps at its next tick.
    mutating func applyRelease(at time: WallTime, by node: String, now: NodeNow) {
        guard holdRelease.apply(at: time, by: node, now: now), duty.election.leader == me else { return }
        duty.sweepSoon()
    }

    /// Turns one sweep's decisions into writes and reports.
    private mutating func carryOut(_ outcome: SweepOutcome, term: UInt64, now: NodeNow) -> [NodeAction] {
        var actions: [NodeAction] = []
        status.lastSweepWallMs = now.wall.ms
        status.lastProcessed = outcome.processed
        status.lastStruck = outcome.struck.count
        status.lastMarked = 0
        status.lastHeld = outcome.held
        status.degraded = outcome.degraded.map { GuardText.degraded($0, held: outcome.held, rule: settings.rule) }
        status.massFailure = outcome.massFailure.map { GuardText.massFailure($0, outcome: outcome, rule: settings.rule) }
        status.massFailureOnsetMs = outcome.massFailure == nil ? nil : outcome.onsetMs
        if let degraded = outcome.degraded { actions.append(.report(.degraded(degraded, held: outcome.held))) }
        if let mass = outcome.massFailure { actions.append(.report(.massFailure(mass))) }
        for strike in outcome.struck { actions.append(.report(.struck(strike.executionID, strikes: strike.strikes))) }
        if !outcome.struck.isEmpty {
            let ticket = writes.open(.strikes(outcome.struck), execution: nil)
            actions.append(.write(ticket, DurableWrite(kind: .strikeBatch, term: term, time: now.wall, payload: StrikeBatch.encode(outcome.struck))))
        }
        for mark in outcome.marked {
            let record = table[mark.executionID]
            let reason = FailureReason.text(
                mark: mark, record: record, lastOrigin: record.map(lastOrigin(of:)), rule: settings.rule,
                leader: me, term: term, timestamps: settings.timestamps
            )
            let fact = ExecutionFact.finished(
                id: mark.executionID, status: .failed, source: .sweep, finishedAtMs: now.wall.ms, reason: reason, resultData: nil, errorMessage: nil,
                history: record?.history
            )
            let ticket = writes.open(.mark(fact, mark, term: term), execution: mark.executionID)
            actions.append(.write(ticket, DurableWrite(kind: .failureMark, term: term, time: now.wall, payload: fact.payload)))
        }
        actions.append(.report(.swept(processed: outcome.processed, struck: outcome.struck.count, marking: outcome.marked.count)))
        return actions
    }

    /// This node's claim is durable: its term may decide (if it still leads under it).
    mutating func claimWritten(_ claim: TermClaim, ticket: WriteTicket) {
        if claimWrite == ticket { claimWrite = nil }
        if ownClaim == claim.term, duty.election.leader == me, duty.election.term == claim.term { status.termDurable = true }
        status.lastError = nil
    }

    /// This node's release of `term` is durable.
    mutating func releaseWritten(_ term: UInt64) {
        releaseWrites.remove(term)
        releasesToWrite.remove(term)
        ledger.release(term: term, node: me)
    }

    private mutating func writeClaim(_ claim: TermClaim, now: NodeNow) -> [NodeAction] {
        let ticket = writes.open(.claim(claim), execution: nil)
        claimWrite = ticket
        return [.write(ticket, DurableWrite(kind: .leadershipTerm, term: claim.term, time: now.wall, payload: claim.payload))]
    }

    /// Writes the releases not yet durable nor in flight.
    mutating func writeReleases(now: NodeNow) -> [NodeAction] {
        var actions: [NodeAction] = []
        for term in releasesToWrite.subtracting(releaseWrites).sorted() {
            releaseWrites.insert(term)
            var payload: [UInt8] = []
            Varint.append(term, to: &payload)
            let ticket = writes.open(.release(term: term), execution: nil)
            actions.append(.write(ticket, DurableWrite(kind: .leadershipReleased, term: term, time: now.wall, payload: payload)))
        }
        return actions
    }
}

