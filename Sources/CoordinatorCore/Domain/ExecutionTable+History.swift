/// A finished execution's heartbeat history (``HeartbeatHistory``): what its terminal record
/// carries, and how the table takes it back.
extension ExecutionTable {
    /// The history a terminal heartbeat's record carries: the execution as it will be once
    /// ``apply(_:nowMs:seen:)`` has taken `heartbeat` (written before it is applied).
    public func history(after heartbeat: Heartbeat, nowMs: Int64) -> HeartbeatHistory {
        var record = records[heartbeat.executionID]
            ?? ExecutionRecord(id: heartbeat.executionID, registeredAtMs: nowMs, containerID: heartbeat.containerID)
        if records[heartbeat.executionID] == nil { record.rule = rules.index(of: heartbeat.rule) }
        record.absorb(heartbeat, nowMs: nowMs, seen: record.seen, watchesProgress: watchesProgress(record))
        record.strikes = 0
        return history(of: record)
    }

    /// A record's history with its rule (what a terminal record carries).
    public func history(of record: ExecutionRecord) -> HeartbeatHistory {
        var history = record.history
        history.rule = rules[record.rule]
        return history
    }

    /// Gives a terminal execution the history its terminal record carries, so it shows what
    /// the deciding node knew (on every node, and after a restart). A node that already knows a
    /// newer heartbeat than the decider did keeps its own (a fenced mark, once revoked, must
    /// not make the execution look older than it is).
    /// - Parameter seen: this node's judge time for the history's heartbeat, when it is newer.
    public mutating func settle(_ id: ExecutionID, with history: HeartbeatHistory, seen: JudgeTime) {
        guard var record = records[id], record.status.isTerminal else { return }
        Self.settle(&record, with: history, seen: seen)
        replace(record)
    }

    static func settle(_ record: inout ExecutionRecord, with history: HeartbeatHistory, seen: JudgeTime) {
        let known = record.lastHeartbeatMs ?? .min
        guard (history.lastHeartbeatMs ?? .min) >= known else { return }
        let newer = (history.lastHeartbeatMs ?? .min) > known
        record.take(history)
        if newer { record.seen = max(record.seen, seen) }
    }
}
