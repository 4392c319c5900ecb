import CoordinatorCore

extension ClusterSimulation {
    /// Judges the run from the store (the durable truth) and the live nodes' views: which marks
    /// are valid (no claim in the store fences them), whether each dying execution got exactly
    /// one, whether any live execution got one, and whether the live nodes agree.
    mutating func finish() {
        // Every live node reads the store to its end, as its follower would in the next poll.
        for i in nodes.indices where nodes[i].up { poll(i) }
        var claims = TermLedger()
        for (record, _) in store.records where record.kind == .leadershipTerm {
            if let claim = TermClaim(node: record.node, payload: record.payload) { claims.add(claim) }
        }
        var validMarks: [ExecutionID: [(writer: String, atMs: Int64)]] = [:]
        for (record, atMs) in store.records where record.kind == .failureMark {
            guard let fact = ExecutionFact(kind: .failureMark, payload: record.payload) else { continue }
            if claims.fences(writer: record.node, term: record.term, at: record.position) {
                report.fencedMarks += 1
                continue
            }
            validMarks[fact.executionID, default: []].append((record.node, atMs))
            if let stall = settings.writeStall, stall.window.contains(atMs) { report.marksDuringStall[record.node, default: 0] += 1 }
            let writer = ids.firstIndex(of: record.node)!
            if !trulyQuorate(writer, at: atMs) { report.minorityMarks += 1 }
            if let partition = settings.partition, partition.window.contains(atMs), partition.minority.contains(writer) {
                report.marksFromPartitionMinority += 1
            }
        }
        let rule = settings.rule
        for execution in executions {
            let marks = validMarks[execution.id] ?? []
            if marks.count > 1 { report.duplicateMarks.append(execution.id) }
            let dies = execution.diesAtMs != .max
            if dies { report.dying += 1 }
            if !marks.isEmpty && !dies {
                report.falseMarks.append(execution.id)
                if let partition = settings.partition, !partition.minority.contains(execution.home) {
                    report.falseMarksReachingMajority.append(execution.id)
                }
            }
            if dies && marks.isEmpty {
                // Only count it lost if the run was long enough to see it marked.
                let last = execution.lastHeartbeatReceivedMs ?? 0
                if settings.durationMs - last > rule.heartbeatTimeoutMs + 5 * rule.checkIntervalMs + (settings.restartAfterMs ?? 0) {
                    report.lostMarks.append(execution.id)
                }
            }
            if dies, let markedAt = marks.map(\.atMs).min(), let last = execution.lastHeartbeatReceivedMs {
                let latency = markedAt - last
                report.detectionLatenciesMs.append(latency)
                if leaderChanges.contains(where: { $0 > last && $0 < markedAt }) { report.failoverLatenciesMs.append(latency) }
            }
            let statuses = Set(nodes.filter(\.up).map { $0.interpreter.core.table[execution.id]?.status })
            if statuses.count > 1 { report.disagreements.append(execution.id) }
            if settings.notifications != nil { judgeNotifications(execution, marked: !marks.isEmpty) }
        }
    }

    /// Every validly marked execution's `execution.failed` event reached the receiver under its
    /// one key; none did for an execution not marked.
    mutating func judgeNotifications(_ execution: Execution, marked: Bool) {
        let key = NotificationEvent.key(.executionFailed, execution: execution.id)
        let received = report.received[key] ?? 0
        if marked && received == 0 { report.lostNotifications.append(execution.id) }
        if !marked && received > 0 && execution.completesAtMs == .max { report.notificationsForLive.append(execution.id) }
        let prefix = "execution.failed:\(execution.id)"
        if report.received.keys.filter({ $0.hasPrefix(prefix) }).count > 1 { report.notifiedUnderTwoKeys.append(execution.id) }
        if marked, let marked = markedAt[key], let first = firstAttemptAt[key] { report.firstAttemptLatenciesMs.append(first - marked) }
    }

    /// Whether node `i` could, in truth, reach a majority of the configured nodes at `t`
    /// (itself included): up, and not cut off by the partition.
    func trulyQuorate(_ i: Int, at t: Int64) -> Bool {
        let reachable = nodes.indices.filter { j in j == i || !partitioned(i, j, at: t) }.count
        return reachable >= settings.nodes / 2 + 1
    }
}
