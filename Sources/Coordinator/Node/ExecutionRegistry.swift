import Synchronization
import CoordinatorCore

/// The node's live ``ExecutionTable`` behind a lock: the thin shell the HTTP handlers call.
///
/// Every operation is one short critical section; the caller passes the receive time, so the
/// rules stay in the pure table and tests can drive time.
///
/// Terminal outcomes are made durable before they are applied (see ``CoordinatorNode``): while
/// one is being written, it is *reserved* here, so a conflicting outcome arriving meanwhile is
/// refused at once instead of being written too.
public final class ExecutionRegistry: Sendable {
    private struct State {
        var table: ExecutionTable
        /// Terminal outcomes being made durable right now.
        var reserved: [ExecutionID: ExecutionStatus] = [:]
    }

    private let state: Mutex<State>

    /// - Parameter me: this node's id (the table's origin 0).
    public init(me: String = "local") {
        state = Mutex(State(table: ExecutionTable(localOrigin: me)))
    }

    /// Applies a heartbeat received here at wall time `nowMs` and judge time `seenMs`.
    public func apply(_ heartbeat: Heartbeat, nowMs: Int64, seenMs: Int64? = nil) -> Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict> {
        state.withLock { $0.table.apply(heartbeat, nowMs: nowMs, seenMs: seenMs) }
    }

    /// Merges a heartbeat another coordinator received (from gossip). Returns whether it changed the view.
    @discardableResult
    public func apply(remote entry: HeartbeatEntry, id: ExecutionID, origin: String, stampMs: Int64, seenMs: Int64) -> Bool {
        state.withLock { state in
            let index = state.table.originIndex(origin)
            return state.table.apply(remote: entry, id: id, origin: index, stampMs: stampMs, seenMs: seenMs)
        }
    }

    /// Takes strike counts a sweep leader persisted.
    public func apply(strikes: [StrikeEntry]) {
        state.withLock { $0.table.apply(strikes: strikes) }
    }

    /// Runs `body` on the table under the lock, with the executions whose outcome is being
    /// written right now (the sweep skips those).
    public func withTable<R>(_ body: (inout ExecutionTable, _ reserved: Set<ExecutionID>) -> R) -> R {
        state.withLock { state in
            let reserved = Set(state.reserved.keys)
            return body(&state.table, reserved)
        }
    }

    /// Running executions whose newest heartbeat came through coordinator `origin`.
    public func running(lastSeenThrough origin: String) -> [ExecutionRecord] {
        state.withLock { state in
            guard let index = state.table.originNames.firstIndex(of: origin) else { return [] }
            return state.table.allRecords.filter { $0.status == .running && Int($0.origin) == index && $0.lastHeartbeatMs != nil }
        }
    }

    /// The coordinator that saw an execution's newest heartbeat.
    public func lastOrigin(of record: ExecutionRecord) -> String {
        state.withLock { $0.table.originNames[Int(record.origin)] }
    }

    /// Strike times of a running execution.
    public func strikeTimes(_ id: ExecutionID) -> [Int64] {
        state.withLock { $0.table.strikeTimes(id) }
    }

    public func apply(_ completion: Completion, nowMs: Int64) -> Result<ExecutionTable.Outcome, ExecutionConflict> {
        state.withLock { $0.table.apply(completion, nowMs: nowMs) }
    }

    public func apply(_ registration: Registration, nowMs: Int64, seenMs: Int64? = nil) -> Result<ExecutionTable.Outcome, ExecutionConflict> {
        state.withLock { $0.table.apply(registration, nowMs: nowMs, seenMs: seenMs) }
    }

    public func apply(fact: ExecutionFact, seenMs: Int64 = 0) {
        state.withLock { $0.table.apply(fact: fact, seenMs: seenMs) }
    }

    /// Applies a heartbeat only if it changes nothing durable: a `running` heartbeat for a
    /// known running execution. Otherwise returns `nil` and changes nothing (the caller takes
    /// the durable path). The event-loop fast path uses this.
    public func refresh(_ heartbeat: Heartbeat, nowMs: Int64, seenMs: Int64? = nil) -> Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict>? {
        state.withLock { Self.refresh(&$0, heartbeat, nowMs: nowMs, seenMs: seenMs, gossipValueBytes: nil)?.result }
    }

    /// ``refresh(_:nowMs:seenMs:)`` that also returns the refreshed record's gossip value, built
    /// in the same critical section (the hot path replicates every heartbeat).
    public func refresh(
        _ heartbeat: Heartbeat, nowMs: Int64, seenMs: Int64, gossipValueBytes: Int
    ) -> (result: Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict>, value: (value: [UInt8], stampMs: Int64)?)? {
        state.withLock { Self.refresh(&$0, heartbeat, nowMs: nowMs, seenMs: seenMs, gossipValueBytes: gossipValueBytes) }
    }

    /// Both refreshes, inside the lock.
    private static func refresh(
        _ state: inout State, _ heartbeat: Heartbeat, nowMs: Int64, seenMs: Int64?, gossipValueBytes: Int?
    ) -> (result: Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict>, value: (value: [UInt8], stampMs: Int64)?)? {
        guard heartbeat.status == .running, state.reserved[heartbeat.executionID] == nil,
            let record = state.table[heartbeat.executionID]
        else { return nil }
        if record.status.isTerminal {
            return (.failure(ExecutionConflict(executionID: record.id, status: record.status, attempted: "heartbeat")), nil)
        }
        let result = state.table.apply(heartbeat, nowMs: nowMs, seenMs: seenMs)
        guard let gossipValueBytes else { return (result, nil) }
        return (result, state.table[heartbeat.executionID]?.gossipValue(maxBytes: gossipValueBytes))
    }

    /// The gossip value of an execution's newest heartbeat.
    public func gossipValue(_ id: ExecutionID, maxBytes: Int) -> (value: [UInt8], stampMs: Int64)? {
        state.withLock { $0.table[id]?.gossipValue(maxBytes: maxBytes) }
    }

    /// Reserves `outcome` for `id` while it is written to the store. Fails when the execution
    /// already has, or is being given, a different terminal status.
    /// - Returns: `false` when the same outcome is already final (nothing to write).
    public func reserve(_ id: ExecutionID, outcome: ExecutionStatus, attempted: String) -> Result<Bool, ExecutionConflict> {
        state.withLock { state in
            if let record = state.table[id], record.status.isTerminal {
                return record.status == outcome ? .success(false) : .failure(ExecutionConflict(executionID: id, status: record.status, attempted: attempted))
            }
            if let pending = state.reserved[id] {
                return pending == outcome ? .success(true) : .failure(ExecutionConflict(executionID: id, status: pending, attempted: attempted))
            }
            state.reserved[id] = outcome
            return .success(true)
        }
    }

    /// Ends a reservation (after the outcome was applied, or its write failed).
    public func release(_ id: ExecutionID) {
        state.withLock { _ = $0.reserved.removeValue(forKey: id) }
    }

    /// Executions the sweep marked FAILED, newest first.
    public func failureMarks(limit: Int) -> [ExecutionRecord] {
        let marked = state.withLock { $0.table.allRecords.filter { $0.terminal?.source == .sweep } }
        return Array(marked.sorted { ($0.terminal!.finishedAtMs, $0.id) > ($1.terminal!.finishedAtMs, $1.id) }.prefix(limit))
    }

    public func record(_ id: ExecutionID) -> ExecutionRecord? {
        state.withLock { $0.table[id] }
    }

    public func page(status: ExecutionStatus?, after: ExecutionID?, limit: Int) -> (records: [ExecutionRecord], next: ExecutionID?) {
        state.withLock { $0.table.page(status: status, after: after, limit: limit) }
    }

    public var counts: StatusCounts { state.withLock { $0.table.counts } }

    /// Forgets finished executions older than the retention; returns their ids.
    @discardableResult
    public func expireFinished(olderThan retentionMs: Int64, nowMs: Int64) -> [ExecutionID] {
        state.withLock { $0.table.expireFinished(olderThan: retentionMs, nowMs: nowMs) }
    }
}
