import CoordinatorCore

/// Queries over a node's executions, each one short critical section.
public struct ExecutionView: Sendable {
    let node: CoordinatorNode

    public var counts: StatusCounts { node.read { $0.table.counts } }

    public func record(_ id: ExecutionID) -> ExecutionRecord? { node.read { $0.table[id] } }

    /// Strike times of a running execution (Unix ms).
    public func strikeTimes(_ id: ExecutionID) -> [Int64] { node.read { $0.table.strikeTimes(id) } }

    /// One page ordered by id; see ``ExecutionTable/page(status:after:limit:)``.
    public func page(status: ExecutionStatus?, after: ExecutionID?, limit: Int) -> (records: [ExecutionRecord], next: ExecutionID?) {
        node.read { $0.table.page(status: status, after: after, limit: limit) }
    }

    /// Executions the sweep marked FAILED, newest first.
    public func failureMarks(limit: Int) -> [ExecutionRecord] { node.read { $0.failureMarks(limit: limit) } }

    /// The coordinator that saw an execution's newest heartbeat.
    public func lastOrigin(of record: ExecutionRecord) -> String { node.read { $0.lastOrigin(of: record) } }
}
