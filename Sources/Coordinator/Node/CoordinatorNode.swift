import Logging
import Store
import Synchronization
import VigilCodec
import CoordinatorCore

/// One coordinator node: its identity, settings and state. The HTTP front (`Ingest`) and,
/// later, gossip and the sweeper all work through this object.
///
/// Durable first: an execution's registration and its terminal outcome are appended to the
/// store (fsynced) before they are applied and acknowledged. Heartbeat refreshes of known
/// running executions are memory-only (and gossip), so the hot path never waits for a disk.
public final class CoordinatorNode: Sendable {
    public let id: String
    public let configuration: VigilConfiguration
    public let executions: ExecutionRegistry
    public let timestamps: TimestampFormatter
    /// When the node started, on the monotonic clock (for uptime).
    public let startedAt: ContinuousClock.Instant
    /// When the node started, on the wall clock (Unix ms).
    public let startedWallMs: Int64
    /// The shared store; `nil` runs the node in memory only (tests).
    public let store: FileStore?
    /// Pause flag, leadership and last-sweep figures.
    public let sweep = SweepControl()
    /// Membership as gossip sees it, once attached.
    private let clusterView = Mutex<(any ClusterView)?>(nil)
    /// This node's highest generation found in the store.
    private let storedGeneration = Mutex<UInt64>(0)
    /// Where accepted heartbeats are replicated (gossip), once attached.
    private let heartbeatSink = Mutex<(any HeartbeatSink)?>(nil)
    /// The highest leadership term seen in the store (own and other nodes' records).
    private let termSeen = Mutex<UInt64>(0)
    /// Judge time at which the store was last read to its end (see ``StoreFollower``).
    private let storeReadThrough = Mutex<Int64?>(nil)

    /// Milliseconds since this node started, on the monotonic clock: the judge clock the sweep
    /// measures ages on (``ExecutionRecord/seenMs``).
    public func judgeMs() -> Int64 {
        let elapsed = ContinuousClock.now - startedAt
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    /// Attaches where accepted heartbeats are replicated.
    public func attach(heartbeats sink: any HeartbeatSink) {
        heartbeatSink.withLock { $0 = sink }
    }

    /// The highest leadership term seen in the store.
    public var highestTermSeen: UInt64 { termSeen.withLock { $0 } }

    /// Notes a term found in the store.
    public func observeTerm(_ term: UInt64) {
        termSeen.withLock { $0 = max($0, term) }
    }

    /// Judge time at which the store was last read to its end; without a store, now.
    public var storeReadThroughMs: Int64? { store == nil ? judgeMs() : storeReadThrough.withLock { $0 } }

    /// Records that the store was read to its end by a read that started at judge time `ms`.
    public func noteStoreRead(atMs ms: Int64) {
        storeReadThrough.withLock { $0 = max($0 ?? ms, ms) }
    }

    /// Takes a heartbeat on the hot path (the event-loop fast path): only refreshes a known
    /// running execution, in memory, then replicates it. `nil` means "take the durable path".
    public func refresh(_ heartbeat: Heartbeat, nowMs: Int64) -> Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict>? {
        guard let sink = heartbeatSink.withLock({ $0 }) else { return executions.refresh(heartbeat, nowMs: nowMs, seenMs: judgeMs()) }
        guard let refreshed = executions.refresh(heartbeat, nowMs: nowMs, seenMs: judgeMs(), gossipValueBytes: sink.maxValueBytes) else { return nil }
        if case .success = refreshed.result, let (value, stamp) = refreshed.value { sink.publish(id: heartbeat.executionID, value: value, stampMs: stamp) }
        return refreshed.result
    }

    /// Replicates this node's view of an execution's newest heartbeat.
    func publish(_ id: ExecutionID) {
        guard let sink = heartbeatSink.withLock({ $0 }), let (value, stamp) = executions.gossipValue(id, maxBytes: sink.maxValueBytes) else { return }
        sink.publish(id: id, value: value, stampMs: stamp)
    }

    /// Merges a heartbeat another coordinator received (delivered by gossip).
    public func merge(remote entry: HeartbeatEntry, id: ExecutionID, origin: String, stampMs: Int64) {
        let seen = SeenTime.forRemote(stampMs: stampMs, startedWallMs: startedWallMs, nowWallMs: WallClock.unixMs(), nowJudgeMs: judgeMs())
        executions.apply(remote: entry, id: id, origin: origin, stampMs: stampMs, seenMs: seen)
    }

    /// A peer restarted and its old origin table was dropped everywhere: the newest heartbeats
    /// of running executions that only it had received would vanish from gossip with it, and a
    /// node that starts later (the restarted one included) would never learn them. This node
    /// re-publishes them in its own table, with their original stamps. Returns how many.
    @discardableResult
    public func adoptOrphans(of origin: String) -> Int {
        guard origin != id, let sink = heartbeatSink.withLock({ $0 }) else { return 0 }
        let orphans = executions.running(lastSeenThrough: origin)
        for record in orphans {
            guard let (value, stamp) = record.gossipValue(maxBytes: sink.maxValueBytes) else { continue }
            sink.publish(id: record.id, value: value, stampMs: stamp)
        }
        return orphans.count
    }

    /// Applies a durable record another node wrote (read from the shared store).
    public func apply(peerRecord record: StoreRecord) {
        observeTerm(record.term)
        applyShared(record, seenMs: judgeMs())
    }

    /// Applies a record every node acts on (pause flag, strike counts, execution facts), at
    /// start-up and while following peers. Returns whether it was an execution fact.
    @discardableResult
    private func applyShared(_ record: StoreRecord, seenMs: Int64) -> Bool {
        switch record.type {
        case .pauseFlag:
            sweep.setPaused(record.payload.first == 1, atMs: record.timeMs, by: record.node)
        case .strikeBatch:
            if let strikes = StrikeBatch.decode(record.payload) { executions.apply(strikes: strikes) }
        default:
            guard let fact = ExecutionFact(type: record.type, payload: record.payload) else { return false }
            executions.apply(fact: fact, seenMs: seenMs)
            return true
        }
        return false
    }

    /// Forgets finished executions' replicated entries (after retention dropped them).
    public func forget(_ ids: [ExecutionID]) {
        guard let sink = heartbeatSink.withLock({ $0 }) else { return }
        for id in ids { sink.forget(id: id) }
    }

    /// Attaches the gossip membership the cluster endpoints show.
    public func attach(cluster: any ClusterView) {
        clusterView.withLock { $0 = cluster }
    }

    public var cluster: (any ClusterView)? { clusterView.withLock { $0 } }

    /// Takes the next generation for this start (one more than any in the store) and makes it
    /// durable, so a restarted node always outranks its previous incarnation in gossip.
    public func claimGeneration(wallMs: Int64) async throws(StoreUnavailable) -> UInt64 {
        let generation = storedGeneration.withLock { $0 } + 1
        if let store {
            var payload: [UInt8] = []
            Varint.append(generation, to: &payload)
            do {
                _ = try await store.append(.generation, timeMs: wallMs, payload: payload)
            } catch {
                throw StoreUnavailable(detail: "\(error)")
            }
        }
        storedGeneration.withLock { $0 = generation }
        return generation
    }

    /// - Throws: ``ConfigurationError`` when `id` is not a configured node or the time zone is unknown.
    public init(id: String, configuration: VigilConfiguration, store: FileStore? = nil) throws(ConfigurationError) {
        _ = try configuration.node(id)
        self.id = id
        self.configuration = configuration
        self.executions = ExecutionRegistry(me: id)
        guard let timestamps = TimestampFormatter(timeZoneIdentifier: configuration.timezone) else {
            throw ConfigurationError(key: "timezone", problem: "unknown time zone \"\(configuration.timezone)\" (use an IANA name such as Asia/Shanghai or UTC)")
        }
        self.timestamps = timestamps
        self.startedAt = .now
        self.startedWallMs = WallClock.unixMs()
        self.store = store
    }

    /// Seconds since the node started.
    public var uptimeSeconds: Double {
        let elapsed = ContinuousClock.now - startedAt
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Rebuilds the execution table from every node's durable facts. Returns what was read.
    /// Every execution restored counts its timeout from now (the restart): heartbeats are not
    /// stored, so "its last known heartbeat or the restart, whichever is later" is the restart.
    @discardableResult
    public func restore() throws(StoreError) -> (facts: Int, damages: [StoreDamage], cursor: StoreCursor) {
        guard let store else { return (0, [], StoreCursor()) }
        let restored = try store.restore()
        let seen = judgeMs()
        var facts = 0
        var highestTerm: UInt64 = 0
        for record in restored.records {
            highestTerm = max(highestTerm, record.term)
            if record.type == .generation, record.node == id {
                var reader = ByteReader(record.payload[...])
                if let generation = reader.readVarint() { storedGeneration.withLock { $0 = max($0, generation) } }
            } else if applyShared(record, seenMs: seen) {
                facts += 1
            }
        }
        observeTerm(highestTerm)
        sweep.update { $0.term = max($0.term, highestTerm) }
        noteStoreRead(atMs: seen)
        return (facts, restored.damages, restored.cursor)
    }

    /// Pauses or resumes sweeping, durably (seed 002's `/admin/heartbeat/stop|start`).
    public func setSweepPaused(_ paused: Bool, wallMs: Int64) async throws(StoreUnavailable) {
        let stamp = sweep.nextPauseStampMs(wallMs: wallMs)
        if let store {
            do {
                _ = try await store.append(.pauseFlag, term: sweep.status.term, timeMs: stamp, payload: [paused ? 1 : 0])
            } catch {
                throw StoreUnavailable(detail: "\(error)")
            }
        }
        sweep.setPaused(paused, atMs: stamp, by: id)
    }

    /// Marks a running execution FAILED by the sweep, durably first. Returns `false` when it was
    /// no longer running (finished meanwhile) or the store refused.
    public func markFailed(_ id: ExecutionID, reason: String, term: UInt64, wallMs: Int64) async -> Bool {
        guard case .success(true) = executions.reserve(id, outcome: .failed, attempted: "failure mark") else { return false }
        defer { executions.release(id) }
        let fact = ExecutionFact.finished(id: id, status: .failed, source: .sweep, finishedAtMs: wallMs, reason: reason, resultData: nil, errorMessage: nil)
        if let store {
            do {
                _ = try await store.append(fact.recordType, term: term, timeMs: wallMs, payload: fact.payload)
            } catch {
                return false
            }
        }
        executions.apply(fact: fact)
        return true
    }

    /// Takes a heartbeat: in memory for a known running execution; durably first when it
    /// registers the execution or reports a terminal status.
    public func receive(_ heartbeat: Heartbeat, nowMs: Int64) async throws(StoreUnavailable) -> Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict> {
        if let refreshed = refresh(heartbeat, nowMs: nowMs) { return refreshed }
        let result = try await receiveDurably(heartbeat, nowMs: nowMs)
        if case .success(let outcome) = result, outcome != .alreadyFinished { publish(heartbeat.executionID) }
        return result
    }

    private func receiveDurably(_ heartbeat: Heartbeat, nowMs: Int64) async throws(StoreUnavailable) -> Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict> {
        let id = heartbeat.executionID
        if heartbeat.status.isTerminal {
            switch executions.reserve(id, outcome: heartbeat.status, attempted: "heartbeat") {
            case .failure(let conflict): return .failure(conflict)
            case .success(false): return executions.apply(heartbeat, nowMs: nowMs)
            case .success(true):
                defer { executions.release(id) }
                try await persist(.finished(
                    id: id, status: heartbeat.status, source: .heartbeat, finishedAtMs: nowMs,
                    reason: heartbeat.status == .failed ? TerminalInfo.heartbeatFailureReason : nil, resultData: nil, errorMessage: nil
                ), nowMs: nowMs)
                return executions.apply(heartbeat, nowMs: nowMs, seenMs: judgeMs())
            }
        }
        if executions.record(id) == nil {
            try await persist(.registered(id: id, registeredAtMs: nowMs, containerID: heartbeat.containerID), nowMs: nowMs)
        }
        return executions.apply(heartbeat, nowMs: nowMs, seenMs: judgeMs())
    }

    /// Takes a completion notice, durably first.
    public func receive(_ completion: Completion, nowMs: Int64) async throws(StoreUnavailable) -> Result<ExecutionTable.Outcome, ExecutionConflict> {
        let id = completion.executionID
        switch executions.reserve(id, outcome: completion.outcome, attempted: "completion with success=\(completion.success)") {
        case .failure(let conflict):
            return .failure(conflict)
        case .success(false):
            // Already final with this outcome. Only a heartbeat-reported outcome gains the notice's details.
            guard executions.record(id)?.terminal?.source == .heartbeat else { return executions.apply(completion, nowMs: nowMs) }
            try await persist(fact(for: completion, nowMs: nowMs), nowMs: nowMs)
            return executions.apply(completion, nowMs: nowMs)
        case .success(true):
            defer { executions.release(id) }
            try await persist(fact(for: completion, nowMs: nowMs), nowMs: nowMs)
            return executions.apply(completion, nowMs: nowMs)
        }
    }

    /// Registers an execution before its first heartbeat, durably first.
    public func receive(_ registration: Registration, nowMs: Int64) async throws(StoreUnavailable) -> Result<ExecutionTable.Outcome, ExecutionConflict> {
        if executions.record(registration.executionID) == nil {
            try await persist(.registered(
                id: registration.executionID, registeredAtMs: registration.startedAtMs ?? nowMs, containerID: registration.containerID
            ), nowMs: nowMs)
        }
        return executions.apply(registration, nowMs: nowMs, seenMs: judgeMs())
    }

    private func fact(for completion: Completion, nowMs: Int64) -> ExecutionFact {
        let existing = executions.record(completion.executionID)?.terminal
        return .finished(
            id: completion.executionID, status: completion.outcome, source: .completion, finishedAtMs: existing?.finishedAtMs ?? nowMs,
            reason: completion.success ? nil : (completion.errorMessage ?? existing?.reason ?? TerminalInfo.completionFailureReason),
            resultData: completion.resultData, errorMessage: completion.errorMessage
        )
    }

    private func persist(_ fact: ExecutionFact, nowMs: Int64) async throws(StoreUnavailable) {
        guard let store else { return }
        do {
            _ = try await store.append(fact.recordType, timeMs: nowMs, payload: fact.payload)
        } catch {
            throw StoreUnavailable(detail: "\(error)")
        }
    }
}

/// The store could not make a fact durable, so the request was not applied. Maps to HTTP 503.
public struct StoreUnavailable: Error, Equatable, CustomStringConvertible {
    public var detail: String
    public var description: String { "Store unavailable, nothing was recorded; retry later (\(detail))" }
}
