import CoordinatorCore

/// Queries over a node's executions, each one short critical section.
public struct ExecutionView: Sendable {
    let node: CoordinatorNode

    public var counts: StatusCounts { node.read { $0.table.counts } }

    public func record(_ id: ExecutionID) -> ExecutionRecord? { node.read { $0.table[id] } }

    /// The executions' distinct rules (a record's ``ExecutionRecord/rule`` indexes it); a
    /// copy-on-write value, so taking it copies nothing.
    public var rules: RuleTable { node.read { $0.table.rules } }

    /// Strike times of a running execution (Unix ms).
    public func strikeTimes(_ id: ExecutionID) -> [Int64] { node.read { $0.table.strikeTimes(id) } }

    /// One page ordered by id; see ``ExecutionTable/page(status:after:limit:)``. A large table
    /// is scanned in chunks of `chunk` records, one short lock each, so ingest is never held up
    /// by a query.
    public func page(
        status: ExecutionStatus?, after: ExecutionID?, limit: Int, chunk: Int = 65_536, where predicate: (@Sendable (ExecutionRecord) -> Bool)? = nil
    ) -> (records: [ExecutionRecord], next: ExecutionID?) {
        var page = PageScan(status: status, after: after, limit: limit, where: predicate)
        var start = 0
        while true {
            let more = node.read { core -> Bool in
                core.table.scan(&page, slots: start..<(start + chunk))
                return start + chunk < core.table.count
            }
            guard more else { return page.result }
            start += chunk
        }
    }

    /// Running executions with strikes (LATE), counted in chunks like ``page(status:after:limit:chunk:where:)``.
    public func lateCount(chunk: Int = 65_536) -> Int {
        var total = 0
        var start = 0
        while true {
            let more = node.read { core -> Bool in
                let records = core.table.allRecords
                let end = min(records.count, start + chunk)
                if start < end { for index in start..<end where records[index].status == .running && records[index].strikes > 0 { total += 1 } }
                return end < records.count
            }
            guard more else { return total }
            start += chunk
        }
    }

    /// Executions the sweep marked FAILED, newest first.
    public func failureMarks(limit: Int) -> [ExecutionRecord] { node.read { $0.failureMarks(limit: limit) } }

    /// The coordinator that saw an execution's newest heartbeat.
    public func lastOrigin(of record: ExecutionRecord) -> String { node.read { $0.lastOrigin(of: record) } }
}
