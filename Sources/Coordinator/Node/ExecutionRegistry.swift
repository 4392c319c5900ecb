import Synchronization

/// The node's live ``ExecutionTable`` behind a lock: the thin shell the HTTP handlers call.
///
/// Every operation is one short critical section; the caller passes the receive time, so the
/// rules stay in the pure table and tests can drive time.
public final class ExecutionRegistry: Sendable {
    private let table = Mutex(ExecutionTable())

    public init() {}

    public func apply(_ heartbeat: Heartbeat, nowMs: Int64) -> Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict> {
        table.withLock { $0.apply(heartbeat, nowMs: nowMs) }
    }

    public func apply(_ completion: Completion, nowMs: Int64) -> Result<ExecutionTable.Outcome, ExecutionConflict> {
        table.withLock { $0.apply(completion, nowMs: nowMs) }
    }

    public func apply(_ registration: Registration, nowMs: Int64) -> Result<ExecutionTable.Outcome, ExecutionConflict> {
        table.withLock { $0.apply(registration, nowMs: nowMs) }
    }

    public func record(_ id: ExecutionID) -> ExecutionRecord? {
        table.withLock { $0[id] }
    }

    public func page(status: ExecutionStatus?, after: ExecutionID?, limit: Int) -> (records: [ExecutionRecord], next: ExecutionID?) {
        table.withLock { $0.page(status: status, after: after, limit: limit) }
    }

    public var counts: StatusCounts { table.withLock { $0.counts } }

    @discardableResult
    public func expireFinished(olderThan retentionMs: Int64, nowMs: Int64) -> Int {
        table.withLock { $0.expireFinished(olderThan: retentionMs, nowMs: nowMs) }
    }
}
