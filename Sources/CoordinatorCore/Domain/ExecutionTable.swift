/// The executions one node knows, and the rules for changing them.
///
/// A pure value type: every mutation takes the current time (`nowMs`, Unix ms) from the caller
/// and returns what happened, so the rules are tested without clocks or IO.
///
/// Rules:
/// - the first heartbeat (or a registration) creates the execution;
/// - a heartbeat for a running execution refreshes it and clears its strikes; one whose status is
///   `completed`/`failed` makes it terminal;
/// - terminal is final: a heartbeat or completion asking for a different outcome is an
///   ``ExecutionConflict``; repeating the same outcome is idempotent and changes nothing.
public struct ExecutionTable: Sendable {
    var records = RecordStorage()
    /// Counts by status, kept incrementally so health checks are O(1).
    public private(set) var counts = StatusCounts()
    /// Coordinator names that records' `origin` index; 0 is this node.
    public private(set) var originNames: [String]
    /// Wall-clock times (ms) of the sweeps that struck each running execution, oldest first;
    /// only executions with strikes have an entry.
    var strikeHistory: [ExecutionID: [Int64]] = [:]
    /// When this node learned of each execution's latest strike, on its judge clock: the sweep
    /// spaces strikes by it (never by the wall clock, which may be stepped or skewed between
    /// leaders). Learned from the store or a heartbeat is never earlier than the strike itself,
    /// so a new leader never strikes early, and at most one store poll late.
    public internal(set) var strikeLearned: [ExecutionID: JudgeTime] = [:]
    /// Strike counts a leader recorded for a heartbeat this node has not learned yet (a node that
    /// restarted reads the store before gossip brings the heartbeats); adopted when it arrives.
    var pendingStrikes: [ExecutionID: StrikeEntry] = [:]
    /// The distinct rules of executions that have one (issue 24); records hold an index.
    public internal(set) var rules = RuleTable()

    /// - Parameter localOrigin: this node's id (origin index 0).
    public init(localOrigin: String = "local") {
        originNames = [localOrigin]
    }

    /// The most coordinators a table tells apart (origin indexes are one byte).
    public static let maxOrigins = 256

    /// The origin index for a coordinator name, adding it when new; `nil` when the table already
    /// knows ``maxOrigins`` coordinators (a heartbeat from one more is not attributed to anyone).
    public mutating func originIndex(_ name: String) -> UInt8? {
        if let i = originNames.firstIndex(of: name) { return UInt8(i) }
        guard originNames.count < Self.maxOrigins else { return nil }
        originNames.append(name)
        return UInt8(originNames.count - 1)
    }

    /// Strike times of one execution (for the explanation of a mark).
    public func strikeTimes(_ id: ExecutionID) -> [Int64] { strikeHistory[id] ?? [] }

    /// What applying a heartbeat did.
    public enum HeartbeatOutcome: Sendable, Equatable {
        /// First sight of this execution.
        case registered
        /// A known running execution was refreshed.
        case refreshed
        /// The heartbeat reported a terminal status and the execution is now terminal.
        case finished(ExecutionStatus)
        /// The execution already had exactly this terminal status; nothing changed.
        case alreadyFinished
    }

    /// What applying a completion or registration did.
    public enum Outcome: Sendable, Equatable {
        case recorded
        /// Already so; nothing (or only missing detail) changed.
        case unchanged
    }

    public var count: Int { records.count }

    public subscript(id: ExecutionID) -> ExecutionRecord? { records[id] }

    /// Applies a heartbeat received at `nowMs` (wall clock) and, on this node's monotonic
    /// judge clock, at `seenMs` (defaults to `nowMs`, for tests on one clock).
    public mutating func apply(_ heartbeat: Heartbeat, nowMs: Int64, seen: JudgeTime? = nil) -> Result<HeartbeatOutcome, ExecutionConflict> {
        // Tests on one clock may leave `seen` out: then judge time reads the wall time.
        let seen = seen ?? JudgeTime(ms: nowMs)
        guard var record = records[heartbeat.executionID] else {
            var record = ExecutionRecord(id: heartbeat.executionID, registeredAtMs: nowMs, containerID: heartbeat.containerID)
            record.rule = rules.intern(heartbeat.rule)
            refresh(&record, with: heartbeat, nowMs: nowMs, seen: seen)
            insert(record)
            return .success(heartbeat.status.isTerminal ? .finished(heartbeat.status) : .registered)
        }
        if record.status.isTerminal {
            if heartbeat.status == record.status { return .success(.alreadyFinished) }
            return .failure(ExecutionConflict(executionID: record.id, status: record.status, attempted: "heartbeat"))
        }
        refresh(&record, with: heartbeat, nowMs: nowMs, seen: seen)
        replace(record)
        return .success(heartbeat.status.isTerminal ? .finished(heartbeat.status) : .refreshed)
    }

    private mutating func refresh(_ record: inout ExecutionRecord, with heartbeat: Heartbeat, nowMs: Int64, seen: JudgeTime) {
        record.absorb(heartbeat, nowMs: nowMs, seen: seen, watchesProgress: watchesProgress(record))
        clearStrikes(&record)
        adoptPendingStrikes(&record)
    }

    /// Merges the newest heartbeat another coordinator (`origin`) received, as gossip delivered
    /// it: `stampMs` is that coordinator's receive time, `seen` when this node got it.
    ///
    /// Latest heartbeat wins (by stamp); terminal beats running, so a terminal record is never
    /// touched, and a remote entry that reports a terminal status is not applied here: terminal
    /// outcomes arrive as durable store facts. Returns whether the record changed.
    @discardableResult
    public mutating func apply(remote entry: HeartbeatEntry, id: ExecutionID, origin: UInt8, stampMs: Int64, seen: JudgeTime) -> Bool {
        let value = entry.encoded(stampMs: stampMs, maxBytes: .max)
        guard let validated = HeartbeatEntry.validate(value, stampMs: stampMs) else { return false }
        return apply(remote: value, validated, id: id, origin: origin, stampMs: stampMs, seen: seen)
    }

    /// ``apply(remote:id:origin:stampMs:seen:)`` for the value as gossip holds it (checked with
    /// ``HeartbeatEntry/validate(_:stampMs:)``): the record shares its buffer with the replica.
    @discardableResult
    public mutating func apply(remote value: [UInt8], _ entry: HeartbeatEntry.Validated, id: ExecutionID, origin: UInt8, stampMs: Int64, seen: JudgeTime) -> Bool {
        guard entry.status == .running else { return false }
        let existing = records[id]
        if let existing, existing.status.isTerminal || stampMs <= (existing.lastHeartbeatMs ?? .min) { return false }
        var record = existing ?? ExecutionRecord(id: id, registeredAtMs: entry.registeredAtMs)
        record.lastHeartbeatMs = stampMs
        record.seen = seen
        record.origin = origin
        record.registeredAtMs = min(record.registeredAtMs, entry.registeredAtMs)
        record.setRemote(
            value, hasProgress: entry.hasProgress, clientTimestamp: entry.clientTimestamp, container: entry.container, progressChangedMs: entry.progressChangedMs
        )
        clearStrikes(&record)
        record.heartbeatCount &+= 1
        adoptPendingStrikes(&record)
        if existing == nil { insert(record) } else { replace(record) }
        return true
    }

    private mutating func adoptPendingStrikes(_ record: inout ExecutionRecord) {
        guard let pending = pendingStrikes[record.id] else { return }
        if pending.lastHeartbeatMs == record.lastHeartbeatMs {
            record.strikes = UInt8(clamping: pending.strikes)
            strikeHistory[record.id] = pending.strikeTimesMs
            strikeLearned[record.id] = record.seen
        }
        if (pending.lastHeartbeatMs ?? .min) <= (record.lastHeartbeatMs ?? .min) { pendingStrikes[record.id] = nil }
    }

    /// Takes strike counts a sweep leader recorded (from the store, here or on a new leader), so
    /// the count continues instead of restarting. An entry only applies while this node knows
    /// the same newest heartbeat the leader judged; a fresher heartbeat has cleared the count.
    public mutating func apply(strikes: [StrikeEntry], seen: JudgeTime) {
        for entry in strikes {
            guard var record = records[entry.executionID], record.status == .running else { continue }
            if (entry.lastHeartbeatMs ?? .min) > (record.lastHeartbeatMs ?? .min) {
                pendingStrikes[entry.executionID] = entry  // the heartbeat it is about has not arrived here yet
                continue
            }
            guard record.lastHeartbeatMs == entry.lastHeartbeatMs, Int(record.strikes) < entry.strikes else { continue }
            record.strikes = UInt8(clamping: entry.strikes)
            strikeHistory[entry.executionID] = entry.strikeTimesMs
            strikeLearned[entry.executionID] = seen
            replace(record)
        }
    }

    private mutating func clearStrikes(_ record: inout ExecutionRecord) {
        if record.strikes != 0 {
            record.strikes = 0
            strikeHistory[record.id] = nil
            strikeLearned[record.id] = nil
        }
    }

    /// Applies a completion notice received at `nowMs`.
    public mutating func apply(_ completion: Completion, nowMs: Int64) -> Result<Outcome, ExecutionConflict> {
        let outcome = completion.outcome
        var record = records[completion.executionID]
            ?? ExecutionRecord(id: completion.executionID, registeredAtMs: nowMs, containerID: completion.containerID)
        let isNew = records[completion.executionID] == nil
        if record.status.isTerminal {
            guard record.status == outcome else {
                return .failure(ExecutionConflict(
                    executionID: record.id, status: record.status,
                    attempted: "completion with success=\(completion.success)"
                ))
            }
            // Same outcome again. A heartbeat may have made it terminal first (seed 004's client
            // reports status "completed" before it sends the notice): keep the notice's details.
            if let terminal = record.terminal, terminal.source == .heartbeat {
                record.terminal = TerminalInfo(
                    source: .completion, finishedAtMs: terminal.finishedAtMs,
                    reason: completion.success ? nil : (completion.errorMessage ?? terminal.reason),
                    resultData: completion.resultData, errorMessage: completion.errorMessage
                )
                replace(record)
            }
            return .success(.unchanged)
        }
        record.status = outcome
        strikeHistory[record.id] = nil
        strikeLearned[record.id] = nil
        record.terminal = TerminalInfo(
            source: .completion, finishedAtMs: nowMs,
            reason: completion.success ? nil : (completion.errorMessage ?? TerminalInfo.completionFailureReason),
            resultData: completion.resultData, errorMessage: completion.errorMessage
        )
        if isNew { insert(record) } else { replace(record) }
        return .success(.recorded)
    }

    /// Registers an execution before its first heartbeat.
    /// The never-heartbeated timeout counts from `seenMs` (when this node learned of it).
    public mutating func apply(_ registration: Registration, nowMs: Int64, seen: JudgeTime? = nil) -> Result<Outcome, ExecutionConflict> {
        if let record = records[registration.executionID] {
            if record.status.isTerminal {
                return .failure(ExecutionConflict(executionID: record.id, status: record.status, attempted: "registration"))
            }
            return .success(.unchanged)
        }
        var record = ExecutionRecord(
            id: registration.executionID, registeredAtMs: registration.startedAtMs ?? nowMs,
            containerID: registration.containerID
        )
        record.rule = rules.intern(registration.rule)
        record.seen = seen ?? JudgeTime(ms: nowMs)
        insert(record)
        return .success(.recorded)
    }

    /// Replays a durable fact (start-up, or another node's record). Idempotent; the first
    /// terminal outcome wins, except that a completion notice adds its details to an outcome a
    /// heartbeat reported first (as ``apply(_:nowMs:)-completion`` does live).
    /// - Parameter seenMs: this node's judge clock now; a registration learned here counts its
    ///   never-heartbeated timeout from the later of this moment and nothing earlier (a node that
    ///   just started gives every execution a full timeout).
    public mutating func apply(fact: ExecutionFact, seen: JudgeTime = 0) {
        switch fact {
        case .registered(let id, let at, let container, let rule):
            if var record = records[id] {
                // Gossip may have brought the execution before its registration record.
                if record.rule == 0, rule != nil, record.status == .running {
                    record.rule = rules.intern(rule)
                    replace(record)
                }
            } else {
                var record = ExecutionRecord(id: id, registeredAtMs: at, containerID: container)
                record.rule = rules.intern(rule)
                record.seen = seen
                insert(record)
            }
        case .finished(let id, let status, let source, let at, let reason, let result, let error, let history):
            let info = TerminalInfo(source: source, finishedAtMs: at, reason: reason, resultData: result, errorMessage: error)
            guard var record = records[id] else {
                var record = ExecutionRecord(id: id, status: status, registeredAtMs: history?.registeredAtMs ?? at)
                record.terminal = info
                if let history { record.take(history) }
                record.rule = rules.intern(history?.rule)
                record.seen = seen
                insert(record)
                return
            }
            if record.status.isTerminal {
                guard record.status == status, record.terminal?.source == .heartbeat, source == .completion else { return }
                record.terminal = TerminalInfo(source: .completion, finishedAtMs: record.terminal!.finishedAtMs, reason: reason, resultData: result, errorMessage: error)
            } else {
                record.status = status
                record.terminal = info
                strikeHistory[id] = nil
                strikeLearned[id] = nil
            }
            if let history { Self.settle(&record, with: history, seen: seen) }
            if record.rule == 0, let rule = history?.rule { record.rule = rules.intern(rule) }
            replace(record)
        }
    }

    /// Sets a running execution's strike count and strike times (the sweep's judgement).
    mutating func setStrikes(of id: ExecutionID, to strikes: UInt8, history: [Int64], at now: JudgeTime) {
        guard var record = records[id] else { return }
        record.strikes = strikes
        records[id] = record
        strikeHistory[id] = history
        strikeLearned[id] = now
    }

    /// Undoes a failure mark the fence voided (a superseded leader wrote it): the execution is
    /// running again, with the heartbeat it had, and the current leader judges it afresh.
    /// Returns whether anything changed.
    @discardableResult
    public mutating func revokeMark(_ id: ExecutionID) -> Bool {
        guard var record = records[id], record.status == .failed, record.terminal?.source == .sweep else { return false }
        record.status = .running
        record.terminal = nil
        record.strikes = 0
        strikeHistory[id] = nil
        strikeLearned[id] = nil
        replace(record)
        return true
    }

    /// Forgets terminal executions that finished more than `retentionMs` before `nowMs`.
    /// Returns the ids dropped.
    @discardableResult
    public mutating func expireFinished(olderThan retentionMs: Int64, nowMs: Int64) -> [ExecutionID] {
        let cutoff = nowMs - retentionMs
        let expired = records.values.lazy.filter { ($0.terminal?.finishedAtMs ?? .max) < cutoff }.map(\.id)
        let ids = Array(expired)
        for id in ids {
            remove(id)
            pendingStrikes[id] = nil
        }
        return ids
    }

    /// One page of executions ordered by id, optionally filtered by status.
    ///
    /// - Parameters:
    ///   - after: cursor; only ids greater than it are returned.
    ///   - limit: page size (at least 1).
    /// - Returns: the page and the cursor for the next page (`nil` on the last page).
    public func page(status: ExecutionStatus?, after: ExecutionID?, limit: Int) -> (records: [ExecutionRecord], next: ExecutionID?) {
        var page = PageScan(status: status, after: after, limit: limit)
        scan(&page, slots: 0..<records.count)
        return page.result
    }

    /// Scans some slots of the packed records into a page under construction; a node scans a
    /// large table in chunks, letting heartbeats in between.
    public func scan(_ page: inout PageScan, slots: Range<Int>) {
        for record in records.values[slots.clamped(to: records.values.indices)] { page.consider(record) }
    }

    /// Every record (for snapshots and tests); unordered.
    public var allRecords: [ExecutionRecord] { records.values }

    private mutating func insert(_ record: ExecutionRecord) {
        records[record.id] = record
        counts.add(record.status)
    }

    mutating func replace(_ record: ExecutionRecord) {
        if let old = records.updateValue(record, forKey: record.id), old.status != record.status {
            counts.remove(old.status)
            counts.add(record.status)
        }
    }

    private mutating func remove(_ id: ExecutionID) {
        if let old = records.removeValue(forKey: id) { counts.remove(old.status) }
    }

    /// Checks the incremental counts against a recount; for tests.
    public func checkInvariants() -> Bool {
        var recount = StatusCounts()
        for record in records.values {
            recount.add(record.status)
            if record.status.isTerminal != (record.terminal != nil) { return false }
        }
        return recount == counts
    }
}

/// A page of executions ordered by id being built from a scan of the table: keeps the
/// `limit + 1` smallest matching ids, O(n log limit), no full sort.
public struct PageScan: Sendable {
    public let status: ExecutionStatus?
    public let after: ExecutionID?
    public let limit: Int
    /// Only records it accepts (the dashboard's LATE filter and search).
    public let predicate: (@Sendable (ExecutionRecord) -> Bool)?
    private var best: [ExecutionRecord] = []

    public init(status: ExecutionStatus?, after: ExecutionID?, limit: Int, where predicate: (@Sendable (ExecutionRecord) -> Bool)? = nil) {
        self.status = status
        self.after = after
        self.limit = max(1, limit)
        self.predicate = predicate
        best.reserveCapacity(self.limit + 1)
    }

    mutating func consider(_ record: ExecutionRecord) {
        if let status, record.status != status { return }
        if let predicate, !predicate(record) { return }
        if let after, !(after < record.id) { return }
        if best.count == limit + 1 {
            guard record.id < best[limit].id else { return }
        }
        let position = best.partitioningIndex { record.id <= $0.id }
        if position < best.count, best[position].id == record.id {
            best[position] = record  // seen twice (it moved between chunks): keep the newer copy
            return
        }
        if best.count == limit + 1 { best.removeLast() }
        best.insert(record, at: position)
    }

    /// The page and the cursor for the next one (`nil` on the last page).
    public var result: (records: [ExecutionRecord], next: ExecutionID?) {
        guard best.count > limit else { return (best, nil) }
        let page = Array(best.prefix(limit))
        return (page, page.last?.id)
    }
}

/// Executions per status.
public struct StatusCounts: Sendable, Equatable {
    public var running = 0
    public var completed = 0
    public var failed = 0

    public init() {}

    public var total: Int { running + completed + failed }

    mutating func add(_ status: ExecutionStatus) { adjust(status, by: 1) }
    mutating func remove(_ status: ExecutionStatus) { adjust(status, by: -1) }

    private mutating func adjust(_ status: ExecutionStatus, by delta: Int) {
        switch status {
        case .running: running += delta
        case .completed: completed += delta
        case .failed: failed += delta
        }
    }
}

extension Array {
    /// The first index whose element satisfies `belongsInSecondPartition`, by binary search;
    /// the array must already be partitioned by it.
    func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsInSecondPartition(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
