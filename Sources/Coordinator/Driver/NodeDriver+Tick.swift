import CoordinatorCore
import Synchronization

extension NodeDriver {
    /// One tick of the sweep duty with the membership as the caller sees it. A large table is
    /// swept in chunks, one lock each, so heartbeats get in between. Returns once the writes it
    /// asked for (strikes, marks, claims) are durable or failed.
    /// It waits for its writes at most the stall limit: a stalled store must not stop the
    /// node re-evaluating its leadership (the deadlines are watched by ``run()``).
    public func tick(alive: Set<String>, synced: Bool, confirmed: Set<String>?, storeReports: [String: StoreReport] = [:]) async {
        let now = clocks.now()
        var (output, pending) = state.withLock { state in
            (state.interpreter.step { $0.tick(now: now, alive: alive, synced: synced, confirmed: confirmed, storeReports: storeReports) }, state.interpreter.core.sweepPending)
        }
        while pending {
            await Task.yield()
            let (more, stillPending) = state.withLock { state in
                (state.interpreter.step { $0.continueSweep(now: now) }, state.interpreter.core.sweepPending)
            }
            output = output + more
            pending = stillPending
        }
        let swept = output.immediate.contains { if case .observe(.swept) = $0 { true } else { false } }
        let (leader, outbox) = read { core in (core.status.leader, (core.outbox.pending.count, core.outbox.oldestPendingMs, core.outbox.attemptsInFlight)) }
        observer.ticked(leader: leader, sweptInMs: swept ? clocks.judge().ms - now.judge.ms : nil, outbox: outbox, wallMs: now.wall.ms)
        await carryOutAndWait(output, atMost: .milliseconds(read { $0.settings.stallLimitMs }))
    }

    /// The store follower began a read of the store at `time` (`nil`: it ended).
    public func storeRead(since time: JudgeTime?) {
        state.withLock { $0.interpreter.reading(since: time) }
    }

    /// The store follower's read of the peers' files failed: a failing store is unfit to lead.
    public func storeReadFailed() {
        let now = clocks.now()
        carryOut(state.withLock { $0.interpreter.step { $0.storeReadFailed(now: now) } })
    }

    /// Starts the probes due now as child tasks; when the next is due (`nil`: not probing now).
    public func probeStep() -> JudgeTime? {
        let now = clocks.now()
        let (output, next) = state.withLock { $0.interpreter.probesDue(now: now) }
        carryOut(output)
        return next
    }
}
