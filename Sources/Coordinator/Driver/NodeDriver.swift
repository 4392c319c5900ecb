import CoordinatorCore
import Logging
import ServiceLifecycle
import Synchronization

/// The one shell that carries out a node's effects: it holds the ``NodeInterpreter`` (and so
/// the ``NodeCore``) behind one lock, does the immediate effects (gossip writes, logs, metrics)
/// in the caller, and runs every effect with a result (appends, deliveries, probes, repairs) as
/// a child task of the task group its ``run()`` owns, feeding each result back.
///
/// Nothing is fire-and-forget. On graceful shutdown the driver starts no new delivery, probe or
/// repair, still runs the appends that are queued or follow from a result (an acknowledgement
/// must become durable), waits up to `drainTimeout` for what is in flight, cancels the rest
/// (an unacknowledged delivery is retried by the next leader under the same key), and only then
/// shuts the outbound clients down. Appends asked for after that fail at once (a request gets
/// a 503), so no caller waits forever.
///
/// The driver must be running for writes to happen: effects asked for before ``run()`` starts
/// are queued until it does (a node restores its state before it serves).
public final class NodeDriver: Service, Sendable {
    struct State: Sendable {
        var interpreter: NodeInterpreter
        var waiting: [RequestID: CheckedContinuation<Result<NodeAnswer, StoreUnavailable>, Never>] = [:]
        /// New effects are queued; `false` once graceful shutdown began.
        var accepting = true
        /// Effects queued or running as child tasks.
        var running = 0
    }

    /// One effect for the task group, and who waits for it (appends a caller awaits).
    struct Job: Sendable {
        var effect: NodeEffect
        var done: DoneSignal?
    }

    let state: Mutex<State>
    let effects: NodeEffects
    let observer: NodeObserver
    let clocks: NodeClocks
    /// The probed services by name (what a probe or repair request names).
    let services: [String: ServiceSettings]
    let drainTimeout: Duration
    private let jobs: AsyncStream<Job>
    let queue: AsyncStream<Job>.Continuation

    public init(
        core: NodeCore, effects: NodeEffects, observer: NodeObserver, clocks: NodeClocks, services: [ServiceSettings] = [],
        drainTimeout: Duration = .seconds(10)
    ) {
        self.state = Mutex(State(interpreter: NodeInterpreter(core: core)))
        self.effects = effects
        self.observer = observer
        self.clocks = clocks
        self.services = Dictionary(services.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.drainTimeout = drainTimeout
        (jobs, queue) = AsyncStream.makeStream(of: Job.self)
    }

    // MARK: Entry points

    /// Reads the core under the lock (keep it short: the heartbeat path takes the same lock).
    public func read<R>(_ body: (borrowing NodeCore) -> R) -> R {
        state.withLock { body($0.interpreter.core) }
    }

    /// Decides a request; returns its answer once any write it needs is durable (or failed).
    public func submit(_ request: NodeRequest, wallMs: Int64) async -> Result<NodeAnswer, StoreUnavailable> {
        await withCheckedContinuation { continuation in
            let judge = clocks.judge()
            let output = state.withLock { state in
                let (id, output) = state.interpreter.submit(request, wallMs: wallMs, now: judge)
                state.waiting[id] = continuation
                return output
            }
            carryOut(output)
        }
    }

    /// The event-loop fast path (``NodeInterpreter/refresh(_:now:)``); never waits.
    public func refresh(_ heartbeat: Heartbeat, now: NodeNow) -> Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict>? {
        guard let (result, output) = state.withLock({ $0.interpreter.refresh(heartbeat, now: now) }) else { return nil }
        carryOut(output)
        return result
    }

    /// Runs a step of the core and carries out what follows without waiting for it.
    @discardableResult
    public func step(_ body: (inout NodeCore) -> [NodeAction]) -> DriverOutput {
        let output = state.withLock { $0.interpreter.step(body) }
        carryOut(output)
        return output
    }

    /// Runs a step of the core and returns once the writes it asked for (and what followed
    /// from them) are durable or failed.
    public func stepAndWait(_ body: (inout NodeCore) -> [NodeAction]) async {
        let output = state.withLock { $0.interpreter.step(body) }
        await carryOutAndWait(output)
    }

    /// Carries out `output` and returns once its appends (and what followed) are done, or after
    /// `limit` (a stalled store must not hold the caller's loop: the appends go on).
    func carryOutAndWait(_ output: DriverOutput, atMost limit: Duration? = nil) async {
        let appends = output.batches.count
        guard appends > 0 else { return carryOut(output) }
        let done = DoneSignal(count: appends)
        carryOut(output, done: done)
        guard let limit else { return await done.wait() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await done.wait() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: The service

    /// Runs every effect as a child task until graceful shutdown (then drains) or cancellation.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.watchDeadlines() }
            await withGracefulShutdownHandler {
                for await job in jobs {
                    group.addTask { await self.execute(job) }
                }
            } onGracefulShutdown: {
                self.stopAccepting()
            }
            stopAccepting()
            await waitUntilIdle(atMost: drainTimeout)
            group.cancelAll()
        }
        await effects.shutdown()
    }

    /// Every 250 ms, the store's deadlines (``NodeInterpreter/checkDeadlines(now:)``): requests
    /// waiting too long on a write are answered 503, and a stall is noticed (and its end), even
    /// while every other loop of the node waits on the store.
    private func watchDeadlines() async {
        while isAccepting, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(250)) }
            } catch {
                return
            }
            let now = clocks.now()
            carryOut(state.withLock { $0.interpreter.checkDeadlines(now: now) })
        }
    }

    /// Effects still running as child tasks.
    public var effectsInFlight: Int { state.withLock { $0.running } }

    private func stopAccepting() {
        state.withLock { $0.accepting = false }
        queue.finish()
    }
}
