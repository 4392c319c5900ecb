import CoordinatorCore
import Synchronization

extension NodeDriver {
    /// Does the immediate effects, answers the decided requests, and queues the rest for the
    /// task group; `done` is signalled once per append of `output` when it (and what followed
    /// from it) is done.
    func carryOut(_ output: DriverOutput, done: DoneSignal? = nil) {
        for effect in output.immediate {
            switch effect {
            case .publish(let publication):
                effects.replication?.publish(id: publication.id, value: publication.value, stampMs: publication.stampMs)
            case .forget(let id):
                effects.replication?.forget(id: id)
            case .observe(let event):
                observer.observe(event)
            }
        }
        answer(output.answers)
        for effect in output.effects {
            let isAppend = if case .append = effect { true } else { false }
            enqueue(Job(effect: effect, done: isAppend ? done : nil))
        }
    }

    private func answer(_ answers: [(request: RequestID, result: Result<NodeAnswer, StoreUnavailable>)]) {
        guard !answers.isEmpty else { return }
        let resumed = state.withLock { state in answers.compactMap { answer in state.waiting.removeValue(forKey: answer.request).map { ($0, answer.result) } } }
        for (continuation, result) in resumed {
            if case .failure(let refusal) = result { observer.writeRefused(refusal.failure) }
            continuation.resume(returning: result)
        }
    }

    private func enqueue(_ job: Job) {
        let accepted = state.withLock { state in
            guard state.accepting else { return false }
            state.running += 1
            return true
        }
        guard accepted, case .enqueued = queue.yield(job) else {
            if accepted { finished() }
            return reject(job)
        }
    }

    /// A job that can no longer run: an append fails (its requests get a 503, the core learns
    /// the write failed); anything else is not started (deliveries are retried by the next leader).
    private func reject(_ job: Job) {
        defer { job.done?.signal() }
        guard case .append(let batch, _) = job.effect else { return }
        let failure = WriteFailure(.shuttingDown, detail: "the node is shutting down")
        let now = clocks.now()
        var output = state.withLock { $0.interpreter.appended(batch, .failure(failure), now: now) }
        // What follows from a failure is carried out here, failing any further append, so this ends.
        while !output.isEmpty {
            let appends = output.effects.compactMap { effect -> BatchID? in if case .append(let batch, _) = effect { batch } else { nil } }
            output.effects = []
            carryOut(output)
            output = DriverOutput()
            for batch in appends { output = output + state.withLock { $0.interpreter.appended(batch, .failure(failure), now: now) } }
        }
    }

    /// Runs one job as a child task, then carries out what follows: appends that follow from
    /// its result run in this same task (so a drain finishes them), the rest is queued.
    func execute(_ job: Job) async {
        defer {
            job.done?.signal()
            finished()
        }
        var pending = [job.effect]
        while let effect = pending.popLast() {
            guard let output = await run(effect) else { continue }
            let follow = output.effects
            var rest = output
            rest.effects = follow.filter { if case .append = $0 { false } else { true } }
            carryOut(rest)
            pending += follow.filter { if case .append = $0 { true } else { false } }.reversed()
        }
    }

    /// Carries out one effect and reports its result; `nil` when it was not started.
    private func run(_ effect: NodeEffect) async -> DriverOutput? {
        switch effect {
        case .append(let batch, let writes):
            let start = clocks.judge()
            state.withLock { $0.interpreter.started(batch, at: start) }
            let result = await effects.log.append(writes)
            let now = clocks.now()
            return state.withLock { $0.interpreter.appended(batch, result, now: now) }
        case .deliver(let attempt):
            guard isAccepting else { return nil }
            let result = await effects.notifier?.deliver(attempt) ?? .failed("no notification sender is configured on this node")
            let now = clocks.now()
            return state.withLock { $0.interpreter.step { $0.deliveryFinished(attempt, result: result, now: now) } }
        case .probe(let request):
            guard isAccepting else { return nil }
            let result = await probe(request)
            let now = clocks.now()
            return state.withLock { $0.interpreter.step { $0.probed(request, result: result, now: now) } }
        case .repair(let request):
            guard isAccepting, let service = services[request.service] else { return nil }
            observer.repairStarted(request)
            let outcome: (succeeded: Bool, detail: String) = await effects.prober?.repair(service, number: request.number) ?? (false, "no prober on this node")
            observer.repairFinished(request, succeeded: outcome.succeeded, detail: outcome.detail)
            let now = clocks.now()
            return state.withLock { $0.interpreter.step { $0.repairFinished(request, succeeded: outcome.succeeded, detail: outcome.detail, now: now) } }
        }
    }

    private func probe(_ request: ProbeRequest) async -> ProbeResult {
        guard let service = services[request.service] else { return ProbeResult(healthy: false, latencyMs: 0, detail: "no such service on this node") }
        return await effects.prober?.probe(service) ?? ProbeResult(healthy: false, latencyMs: 0, detail: "no prober on this node")
    }

    var isAccepting: Bool { state.withLock { $0.accepting } }

    private func finished() {
        state.withLock { $0.running -= 1 }
    }

    /// Returns when no effect runs any more, or after `limit`, whichever comes first (it looks
    /// every 10 ms; this runs once, at shutdown).
    func waitUntilIdle(atMost limit: Duration) async {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while effectsInFlight > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
