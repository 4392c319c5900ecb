/// The node driver's decisions, without its IO: holds a ``NodeCore``, turns the actions it
/// returns into effects, batches the writes a step asks for into one append, answers requests
/// once their write is reported, and parks a request behind a write in flight on the same
/// execution until that write is reported (then decides it again).
///
/// Production runs it inside `NodeDriver` (one lock, effects as child tasks); the cluster
/// simulation runs the same value with simulated effects (a store with latency, stalls and
/// failures), so the request/wait protocol, write failures and the sweep's inputs are exercised
/// by seeded runs. Nothing here reads a clock or waits.
public struct NodeInterpreter: Sendable {
    /// A request waiting for a write in flight on its execution.
    struct Parked: Sendable {
        var id: RequestID
        var request: NodeRequest
        /// The wall time the request came in (its answers are dated with it).
        var wallMs: Int64
    }

    /// One write of a batch, and the request it answers (if any).
    struct BatchEntry: Sendable {
        var ticket: WriteTicket
        var request: RequestID?
    }

    public internal(set) var core: NodeCore
    var parked: [WriteTicket: [Parked]] = [:]
    var batches: [BatchID: [BatchEntry]] = [:]
    /// When the shell started each append in flight (judge time), for the deadlines.
    var started: [BatchID: JudgeTime] = [:]
    /// When the store read in progress (the follower's poll) began; `nil`: none.
    var readStarted: JudgeTime?
    private var nextRequest: UInt64 = 1
    private var nextBatch: UInt64 = 1

    public init(core: NodeCore) {
        self.core = core
    }

    /// Requests waiting behind a write in flight.
    public var parkedCount: Int { parked.values.reduce(0) { $0 + $1.count } }
    /// Batches handed out and not yet reported.
    public var batchesInFlight: Int { batches.count }

    // MARK: Requests

    /// Decides a request that may write. The answer comes in this output, or in the output of
    /// the ``appended(_:_:now:)`` that reports its write.
    public mutating func submit(_ request: NodeRequest, wallMs: Int64, now judge: JudgeTime) -> (RequestID, DriverOutput) {
        let id = RequestID(value: nextRequest)
        nextRequest += 1
        var out = DriverOutput()
        decide(Parked(id: id, request: request, wallMs: wallMs), judge: judge, into: &out)
        return (id, out)
    }

    /// The event-loop fast path: a heartbeat that refreshes a known running execution, decided
    /// in memory; `nil` when it needs the durable path (``submit(_:wallMs:now:)``).
    public mutating func refresh(_ heartbeat: Heartbeat, now: NodeNow) -> (Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict>, DriverOutput)? {
        guard case .done(.heartbeat(let result), let actions) = core.receive(heartbeat, now: now, mayWrite: false) else { return nil }
        return (result, carry(actions))
    }

    private mutating func decide(_ request: Parked, judge: JudgeTime, into out: inout DriverOutput) {
        let now = NodeNow(wall: WallTime(ms: request.wallMs), judge: judge)
        let step: NodeStep =
            switch request.request {
            case .heartbeat(let heartbeat): core.receive(heartbeat, now: now)
            case .completion(let completion): core.receive(completion, now: now)
            case .registration(let registration): core.receive(registration, now: now)
            case .pause(let paused): core.setPaused(paused, now: now)
            case .keyring(let change): core.changeKeyring(change, now: now)
            case .releaseHold: core.releaseHold(now: now)
            }
        switch step {
        case .done(let answer, let actions):
            out.answers.append((request.id, .success(answer)))
            out = out + carry(actions)
        case .wait(let ticket):
            parked[ticket, default: []].append(request)
        case .write(let ticket, _) where core.storeHealth.isStalled:
            // A stalled store takes no new write: refused at once, so the client moves on.
            let failure = WriteFailure(.stalled, detail: "this node's store is stalled; try another node")
            out = out + carry(core.writeFailed(ticket, failure: failure, now: now))
            out.answers.append((request.id, .failure(StoreUnavailable(failure))))
        case .write(let ticket, let write):
            out.effects.append(.append(openBatch([BatchEntry(ticket: ticket, request: request.id)]), [write]))
        case .needsDurablePath:
            // Only `mayWrite: false` answers this, and requests here may write.
            preconditionFailure("a request that may write was refused the durable path")
        }
    }

    // MARK: Results

    /// The store reports a batch: each write is durable at its position, or the whole batch
    /// failed. Applies what the writes were for, answers their requests, decides again the
    /// requests that waited on them, and returns what follows.
    public mutating func appended(_ batch: BatchID, _ result: Result<[LogPosition], WriteFailure>, now: NodeNow) -> DriverOutput {
        started[batch] = nil
        guard let entries = batches.removeValue(forKey: batch) else { return DriverOutput() }
        var out = DriverOutput()
        var actions: [NodeAction] = []
        for (index, entry) in entries.enumerated() {
            switch result {
            case .success(let positions) where index < positions.count:
                let (answer, more) = core.written(entry.ticket, at: positions[index], now: now)
                actions += more
                if let request = entry.request {
                    let failure = WriteFailure(.io, detail: "the write was durable but not applied")
                    out.answers.append((request, answer.map { .success($0) } ?? .failure(StoreUnavailable(failure))))
                }
            case .success:
                let failure = WriteFailure(.io, detail: "the store reported fewer positions than writes")
                actions += core.writeFailed(entry.ticket, failure: failure, now: now)
                if let request = entry.request { out.answers.append((request, .failure(StoreUnavailable(failure)))) }
            case .failure(let failure):
                actions += core.writeFailed(entry.ticket, failure: failure, now: now)
                if let request = entry.request { out.answers.append((request, .failure(StoreUnavailable(failure)))) }
            }
        }
        out = out + carry(actions)
        for entry in entries {
            for request in parked.removeValue(forKey: entry.ticket) ?? [] { decide(request, judge: now.judge, into: &out) }
        }
        return out
    }

    /// The shell started `batch`'s append at `time`: its deadlines run from here.
    public mutating func started(_ batch: BatchID, at time: JudgeTime) {
        if batches[batch] != nil { started[batch] = time }
    }

    /// The shell's read of the store (a poll of the peers' files) began, or last finished a step
    /// (a listing, a segment read), at `time`; `nil` when the read ended. A read with no step
    /// finished for the stall limit stalls the store as an append does, so a node with nothing
    /// to write still notices a frozen store.
    public mutating func reading(since time: JudgeTime?) {
        readStarted = time
    }

    /// The deadlines at `now`: a request whose write has taken longer than the request deadline
    /// is answered 503 (its write goes on and may land: the client's retry then finds the fact),
    /// and so are the requests parked behind it; an append older than the stall limit makes the
    /// store stalled; once none is, it has recovered (``StoreHealth``).
    public mutating func checkDeadlines(now: NodeNow) -> DriverOutput {
        var out = DriverOutput()
        let failure = WriteFailure(.stalled, detail: "this node's store did not answer in time; the write may still land, retry")
        var stalled = 0
        for (batch, start) in started {
            let age = now.judge - start
            if age >= core.settings.stallLimitMs { stalled += 1 }
            guard age >= core.settings.requestDeadlineMs, var entries = batches[batch] else { continue }
            for index in entries.indices {
                for parked in parked.removeValue(forKey: entries[index].ticket) ?? [] {
                    out.answers.append((parked.id, .failure(StoreUnavailable(failure))))
                }
                guard let request = entries[index].request else { continue }
                out.answers.append((request, .failure(StoreUnavailable(failure))))
                entries[index].request = nil
            }
            batches[batch] = entries
        }
        if let read = readStarted, now.judge - read >= core.settings.stallLimitMs { stalled += 1 }
        if stalled > 0 {
            out = out + carry(core.storeStalled(appends: stalled, now: now))
        } else if core.storeHealth.isStalled {
            out = out + carry(core.storeRecovered(now: now))
        }
        return out
    }

    /// Runs one step of the core (a tick, a store record, a delivery's result, …) and returns
    /// what its actions ask for.
    public mutating func step(_ body: (inout NodeCore) -> [NodeAction]) -> DriverOutput {
        carry(body(&core))
    }

    /// The probes due now, as effects, and when the next is due (``NodeCore/probesDue(now:)``).
    public mutating func probesDue(now: NodeNow) -> (DriverOutput, next: JudgeTime?) {
        let (requests, next) = core.probesDue(now: now)
        var out = DriverOutput()
        out.effects = requests.map { .probe($0) }
        return (out, next)
    }

    // MARK: Internals

    /// Turns actions into effects: every write of one step goes into one batch.
    mutating func carry(_ actions: [NodeAction]) -> DriverOutput {
        var out = DriverOutput()
        var writes: [(WriteTicket, DurableWrite)] = []
        for action in actions {
            switch action {
            case .write(let ticket, let write): writes.append((ticket, write))
            case .publish(let publication): out.immediate.append(.publish(publication))
            case .forget(let id): out.immediate.append(.forget(id))
            case .report(let event): out.immediate.append(.observe(event))
            case .deliver(let attempt): out.effects.append(.deliver(attempt))
            case .repair(let request): out.effects.append(.repair(request))
            }
        }
        if !writes.isEmpty {
            let batch = openBatch(writes.map { BatchEntry(ticket: $0.0, request: nil) })
            out.effects.insert(.append(batch, writes.map(\.1)), at: 0)
        }
        return out
    }

    private mutating func openBatch(_ entries: [BatchEntry]) -> BatchID {
        let batch = BatchID(value: nextBatch)
        nextBatch += 1
        batches[batch] = entries
        return batch
    }

    /// The first broken invariant, or `nil`: the core's own, every write of a batch in flight
    /// in the core, every parked request behind a write in flight, no write in two batches.
    public func invariantViolation() -> String? {
        if let violation = core.invariantViolation() { return violation }
        var seen = Set<WriteTicket>()
        for (batch, entries) in batches {
            for entry in entries {
                guard core.isInFlight(entry.ticket) else { return "\(batch) holds \(entry.ticket), which the core does not have in flight" }
                guard seen.insert(entry.ticket).inserted else { return "\(entry.ticket) is in two batches" }
            }
        }
        for (ticket, requests) in parked where !requests.isEmpty {
            guard seen.contains(ticket) else { return "\(requests.count) request(s) parked behind \(ticket), which no batch holds" }
        }
        for batch in started.keys where batches[batch] == nil { return "\(batch) has a start time but is not in flight" }
        return nil
    }
}
