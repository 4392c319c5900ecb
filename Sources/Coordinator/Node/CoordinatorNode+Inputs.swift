import CoordinatorCore
import Gossip

/// What the node's services feed it: store records, gossip changes, ticks, retention, probes.
extension CoordinatorNode {
    /// Applies durable records read from the store (peers' while following) and notes that the
    /// store was read through; returns once the writes they led to are done.
    public func apply(stored records: [StoredRecord], readStartedAt: JudgeTime) async {
        let now = clocks.now()
        await driver.stepAndWait { core in
            var actions: [NodeAction] = []
            for record in records { actions += core.apply(stored: record, now: now) }
            core.noteStoreRead(at: readStartedAt)
            return actions
        }
    }

    /// Start-up: rebuilds the view from this node's newest snapshot (if any) and every node's
    /// durable records after it (before serving). What it asks to write is queued for the driver.
    public func restore(_ records: [StoredRecord], from snapshot: NodeSnapshot? = nil) {
        let now = clocks.now()
        driver.step { core in
            if let snapshot { return core.restore(snapshot, then: records, now: now) }
            return core.restore(records, now: now)
        }
    }

    /// Applies a change of the gossip replica (a peer's heartbeat, a peer's restart); returns
    /// `false` when the entry was malformed (ignored).
    @discardableResult
    public func apply(_ change: ReplicaChange) -> Bool {
        let now = clocks.now()
        var wellFormed = true
        driver.step { core in
            let (actions, ok) = GossipReplicaBridge.apply(change, to: &core, now: now)
            wellFormed = ok
            return actions
        }
        return wellFormed
    }

    /// A peer restarted: re-publishes the heartbeats only it had received. Returns how many.
    @discardableResult
    public func adoptOrphans(of origin: String) -> Int {
        driver.step { $0.adoptOrphans(of: origin) }.immediate.count
    }

    /// One check of the sweep duty (leadership every call, a sweep once per interval); returns
    /// once the writes it asked for are done.
    public func tick(alive: Set<String>, synced: Bool, confirmed: Set<String>? = nil, storeReports: [String: StoreReport] = [:]) async {
        await driver.tick(alive: alive, synced: synced, confirmed: confirmed, storeReports: storeReports)
    }

    /// The follower's read of the peers' files failed.
    public func storeReadFailed() {
        driver.storeReadFailed()
    }

    /// The store follower began a read of the store, or finished a step of it (`nil`: it
    /// ended); the driver's deadlines watch it (``NodeInterpreter/reading(since:)``).
    public func storeRead(since time: JudgeTime?) {
        driver.storeRead(since: time)
    }

    /// How long the store has been stalled, in ms, counted from when its oldest unfinished
    /// operation began (the stall is noticed `store.stall_s` after that); `nil` when it answers.
    public var storeStalledMs: Int64? {
        storeHealth.stalledSince.map { clocks.judge() - $0 + configuration.store.stallLimit.wholeMilliseconds }
    }

    /// This node's store, as its appends show it.
    public var storeHealth: StoreHealth { read { $0.storeHealth } }

    /// Forgets finished executions past the retention. Returns how many.
    @discardableResult
    public func expireFinished() -> Int {
        let now = clocks.now()
        return driver.step { $0.expire(now: now) }.immediate.count
    }

    /// Starts the probes due now (as the driver's child tasks) and says when the next is due;
    /// `nil` when this node does not probe now (it does not lead, or the prober is stopped).
    public func probeStep() -> JudgeTime? {
        driver.probeStep()
    }
}
