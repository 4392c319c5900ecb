import HeapModule
import VigilCodec

/// The notification outbox, as a pure state machine: which events are owed to which channel,
/// which delivery is due when, and what to make durable when one ends.
///
/// Every node keeps the same outbox, built from the store: events come from durable records
/// (a failure mark *is* its `execution.failed` event, one record, one append) and so do the
/// delivery acknowledgements. Only the sweep leader asks for deliveries (``due(now:term:)``);
/// a new leader, once it has read the store, owes exactly what no acknowledgement covers, and a
/// restarted cluster owes nothing acknowledged. An attempt's result comes back through
/// ``finished(_:attempt:result:now:)``: success means an acknowledgement to write; a failure
/// means a retry after an exponential backoff with jitter, until the horizon, then an
/// "undeliverable" acknowledgement.
///
/// A delivery can be made twice (a leader dies between the receiver's 2xx and the durable
/// acknowledgement), always under the same key: receivers dedupe on it.
public struct Outbox: Sendable {
    /// How deliveries are paced.
    public struct Settings: Sendable {
        public var channels: [ChannelRule]
        /// Retries stop this long after the event; then it is recorded as undeliverable.
        public var horizonMs: Int64 = 86_400_000
        /// The first retry's delay; each further one doubles, up to ``maxRetryMs``.
        public var firstRetryMs: Int64 = 1_000
        public var maxRetryMs: Int64 = 300_000
        /// Attempts in flight at once, per channel.
        public var maxInFlight = 64
        /// Finished deliveries kept for `vigil notifications`.
        public var historyLimit = 1_000
        /// Seeds the retry jitter (tests replay it).
        public var seed: UInt64 = 0x5EED
        /// While a node stays dead or the monitor degraded, a reminder this often (`nil`: none).
        public var repeatIntervalMs: Int64?

        public init(channels: [ChannelRule] = []) {
            self.channels = channels
        }
    }

    /// One event for one channel.
    public struct Target: Sendable, Hashable, CustomStringConvertible {
        public var key: String
        public var channel: String
        public init(key: String, channel: String) {
            self.key = key
            self.channel = channel
        }
        public var description: String { "\(key) → \(channel)" }
    }

    /// A delivery owed and not yet acknowledged.
    public struct Pending: Sendable, Equatable {
        public var event: NotificationEvent
        public var channel: String
        /// Attempts made so far (by this node while it leads).
        public var attempts = 0
        /// The next attempt is due at this judge time.
        public var dueAt: JudgeTime
        public var lastError: String?
        /// The attempt number in flight, if one is.
        public var inFlight: Int?
        /// The acknowledgement decided and not yet durable.
        public var acking: NotificationAck?
    }

    /// A finished delivery, for `vigil notifications`.
    public struct Finished: Sendable, Equatable {
        public var event: NotificationEvent
        public var ack: NotificationAck
        public var atMs: Int64
    }

    public let settings: Settings
    public private(set) var pending: [Target: Pending] = [:]
    /// Acknowledged targets and when (wall ms), kept for the horizon (an event replayed after
    /// its acknowledgement owes nothing).
    private(set) var acked: [Target: Int64] = [:]
    /// Keys of the events taken and when they happened (wall ms), kept for the horizon.
    private(set) var known: [String: Int64] = [:]
    public internal(set) var history: [Finished] = []
    private var queue = Heap<Due>()
    private var dueSequence: UInt64 = 0
    private var inFlight: [String: Int] = [:]
    private var random: SplitMix64
    private var prunedAt: JudgeTime?
    private let rules: [String: ChannelRule]
    /// Grouping channels: events not yet sent nor grouped, per channel and kind.
    private var ungrouped: [String: [Target]] = [:]
    /// Members of a group decided here and not yet durable.
    private var grouping: Set<Target> = []
    /// Groups decided and waiting to be written.
    private var groupDecisions: [NotificationGroup] = []
    /// Groups owed (durable, not acknowledged), by key.
    public private(set) var pendingGroups: [String: NotificationGroup] = [:]
    /// Member target → its group's key, while the group is owed.
    private var groupOf: [Target: String] = [:]

    // What the leader needs to derive the next keys (see ``NotificationEvent``).
    /// Executions with a `late` event and no end of it yet, with the judged heartbeat stamp.
    public internal(set) var openLate: [ExecutionID: Int64?] = [:]
    /// Per coordinator: reported dead, and how many changes the store holds.
    public internal(set) var nodeChanges: [String: NodeChange] = [:]
    /// The monitor's degraded episodes so far, and whether one is open.
    public internal(set) var monitor = NodeChange(dead: false, sequence: 0)

    /// A subject's latest reported state.
    public struct NodeChange: Sendable, Equatable {
        public var dead: Bool
        public var sequence: UInt64
        /// When the change happened (wall ms): reminders count from here.
        public var sinceMs: Int64 = 0
    }

    public init(settings: Settings) {
        self.settings = settings
        self.random = SplitMix64(seed: settings.seed)
        self.rules = Dictionary(settings.channels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether any channel is configured (with none, the outbox keeps nothing).
    public var isActive: Bool { !settings.channels.isEmpty }

    /// Pending deliveries, oldest event first.
    public var pendingList: [Pending] {
        pending.values.sorted { ($0.event.occurredAtMs, $0.event.key, $0.channel) < ($1.event.occurredAtMs, $1.event.key, $1.channel) }
    }

    // MARK: Events and acknowledgements (from durable records)

    /// Takes a durable event. Returns `false` when it was known already (or is past the horizon).
    @discardableResult
    public mutating func record(_ event: NotificationEvent, now: NodeNow) -> Bool {
        guard isActive else { return false }
        track(event)
        guard known[event.key] == nil, now.wall.ms - event.occurredAtMs <= settings.horizonMs else { return false }
        let wanted = settings.channels.contains { $0.wants(event) }
        // Derived events no channel wants are not kept (a million completions cost nothing);
        // the leader's own decisions are, so it decides each once.
        guard wanted || !event.kind.isDerived else { return false }
        known[event.key] = event.occurredAtMs
        var added = false
        for channel in settings.channels where channel.wants(event) {
            let target = Target(key: event.key, channel: channel.name)
            guard acked[target] == nil, pending[target] == nil, groupOf[target] == nil else { continue }
            // A grouping channel holds an event for its window, to send a burst as one message.
            let due = now.judge + channel.groupWindowMs
            pending[target] = Pending(event: event, channel: channel.name, dueAt: due)
            schedule(target, at: due)
            if channel.groupWindowMs > 0 { ungrouped[Self.bucket(channel.name, event.kind), default: []].append(target) }
            added = true
        }
        return added
    }

    /// Takes a durable acknowledgement (this node's or a peer's, in any order with its event).
    public mutating func acknowledge(_ ack: NotificationAck, atMs: Int64) {
        guard isActive else { return }
        let target = Target(key: ack.key, channel: ack.channel)
        guard acked[target] == nil else { return }
        acked[target] = atMs
        if let group = pendingGroups.removeValue(forKey: ack.key) {
            for member in group.members {
                let memberTarget = Target(key: member.key, channel: group.channel)
                acked[memberTarget] = atMs
                groupOf[memberTarget] = nil
            }
        }
        if let done = pending.removeValue(forKey: target) {
            if let attempt = done.inFlight, attempt > 0 { inFlight[done.channel, default: 1] -= 1 }
            history.append(Finished(event: done.event, ack: ack, atMs: atMs))
            if history.count > settings.historyLimit * 2 { history.removeFirst(history.count - settings.historyLimit) }
        }
    }

    /// A failure mark was voided by a newer claim (the fence): its event is no longer owed.
    /// A delivery already made stays made.
    public mutating func revoke(key: String) {
        guard known.removeValue(forKey: key) != nil else { return }
        for channel in settings.channels {
            let target = Target(key: key, channel: channel.name)
            if let removed = pending[target], removed.acking == nil {
                if removed.inFlight != nil { inFlight[removed.channel, default: 1] -= 1 }
                pending[target] = nil
            }
        }
    }

    // MARK: Delivering (the leader only)

    /// The attempts due at `now`, at most ``Settings/maxInFlight`` per channel in flight.
    public mutating func due(now: NodeNow, term: UInt64) -> [NotificationAttempt] {
        pruneIfDue(now: now)
        var attempts: [NotificationAttempt] = []
        var deferred: [Due] = []
        while let next = queue.min, next.at <= now.judge {
            _ = queue.removeMin()
            guard var item = pending[next.target], item.dueAt == next.at, item.inFlight == nil, item.acking == nil, !grouping.contains(next.target) else { continue }
            if item.attempts == 0, pendingGroups[next.target.key] == nil, let rule = rules[item.channel], rule.groupWindowMs > 0, decideGroup(around: next.target, item, rule: rule) {
                continue
            }
            guard inFlight[item.channel, default: 0] < settings.maxInFlight else {
                deferred.append(next)
                continue
            }
            item.attempts += 1
            item.inFlight = item.attempts
            pending[next.target] = item
            inFlight[item.channel, default: 0] += 1
            var attempt = NotificationAttempt(target: next.target, event: item.event, attempt: item.attempts, term: term)
            if let group = pendingGroups[next.target.key] { attempt.members = group.members.map { NotificationMember(event: $0) } }
            attempts.append(attempt)
        }
        for entry in deferred { queue.insert(entry) }
        return attempts
    }

    /// An attempt ended. Returns the acknowledgement to make durable, if it settles the
    /// delivery (delivered, or undeliverable past the horizon); a failure before the horizon is
    /// retried after a backoff.
    public mutating func finished(_ target: Target, attempt: Int, result: DeliveryResult, now: NodeNow) -> NotificationAck? {
        guard var item = pending[target], item.inFlight == attempt else { return nil }
        item.inFlight = nil
        inFlight[item.channel, default: 1] -= 1
        switch result {
        case .delivered:
            item.acking = NotificationAck(key: target.key, channel: target.channel, outcome: .delivered, attempts: item.attempts, lastError: item.lastError)
        case .failed(let error):
            item.lastError = error
            if now.wall.ms - item.event.occurredAtMs >= settings.horizonMs {
                item.acking = NotificationAck(key: target.key, channel: target.channel, outcome: .undeliverable, attempts: item.attempts, lastError: error)
            } else {
                item.dueAt = now.judge + retryDelay(after: item.attempts)
                schedule(target, at: item.dueAt)
            }
        }
        pending[target] = item
        return item.acking
    }

    /// An acknowledgement could not be made durable: it is asked for again (``acksToWrite``).
    public mutating func ackNotWritten(_ ack: NotificationAck) {
        let target = Target(key: ack.key, channel: ack.channel)
        guard pending[target]?.acking == ack else { return }
        unwrittenAcks.append(ack)
    }

    /// Acknowledgements decided whose write failed, to write again.
    public mutating func takeUnwrittenAcks() -> [NotificationAck] {
        defer { unwrittenAcks = [] }
        return unwrittenAcks.filter { acked[Target(key: $0.key, channel: $0.channel)] == nil }
    }

    private var unwrittenAcks: [NotificationAck] = []

    /// Leadership ended: attempts in flight are forgotten (their results, if they come, are
    /// ignored; whoever leads next owes the same deliveries).
    public mutating func abandonAttempts(now: NodeNow) {
        guard !inFlight.isEmpty else { return }
        for (target, var item) in pending where item.inFlight != nil {
            item.inFlight = nil
            item.dueAt = now.judge
            pending[target] = item
            schedule(target, at: now.judge)
        }
        inFlight = [:]
    }

    /// Whether an event with this key was taken (within the horizon).
    public func knows(_ key: String) -> Bool { known[key] != nil }

    /// Groups decided by ``due(now:term:)``, to make durable before they are sent.
    public mutating func takeGroupDecisions() -> [NotificationGroup] {
        defer { groupDecisions = [] }
        return groupDecisions
    }

    /// A group is durable (this node's, or read from the store): its members are owed as one
    /// message, under the group's key, and no longer alone.
    public mutating func applyGroup(_ group: NotificationGroup, now: NodeNow) {
        guard isActive, !group.members.isEmpty else { return }
        let target = Target(key: group.key, channel: group.channel)
        let settled = acked[target]
        for member in group.members {
            let memberTarget = Target(key: member.key, channel: group.channel)
            grouping.remove(memberTarget)
            if known[member.key] == nil { known[member.key] = member.occurredAtMs }
            if let removed = pending.removeValue(forKey: memberTarget), removed.inFlight != nil { inFlight[removed.channel, default: 1] -= 1 }
            if let settled {
                acked[memberTarget] = settled
            } else {
                groupOf[memberTarget] = group.key
            }
        }
        guard settled == nil, pending[target] == nil else { return }
        pendingGroups[group.key] = group
        pending[target] = Pending(event: group.event, channel: group.channel, dueAt: now.judge)
        schedule(target, at: now.judge)
    }

    /// A group could not be made durable: its members are owed alone again (and may be
    /// grouped anew).
    public mutating func groupNotWritten(_ group: NotificationGroup, now: NodeNow) {
        for member in group.members {
            let memberTarget = Target(key: member.key, channel: group.channel)
            guard grouping.remove(memberTarget) != nil, pending[memberTarget] != nil else { continue }
            pending[memberTarget]?.dueAt = now.judge + 1_000
            schedule(memberTarget, at: now.judge + 1_000)
            ungrouped[Self.bucket(group.channel, group.kind), default: []].append(memberTarget)
        }
    }

    /// Groups the events of `target`'s channel and kind that are waiting (`target` among them);
    /// `false` when it is alone (then it is sent alone).
    private mutating func decideGroup(around target: Target, _ item: Pending, rule: ChannelRule) -> Bool {
        let bucket = Self.bucket(item.channel, item.event.kind)
        let waiting = (ungrouped.removeValue(forKey: bucket) ?? []).filter { candidate in
            guard let p = pending[candidate], p.attempts == 0, p.inFlight == nil, p.acking == nil, !grouping.contains(candidate) else { return false }
            return true
        }
        guard waiting.count >= 2, waiting.contains(target) else {
            let rest = waiting.filter { $0 != target }
            if !rest.isEmpty { ungrouped[bucket] = rest }
            return false
        }
        let chosen = [target] + waiting.filter { $0 != target }.prefix(max(1, rule.groupMax) - 1)
        let rest = waiting.filter { !chosen.contains($0) }
        if !rest.isEmpty { ungrouped[bucket] = rest }
        for member in chosen { grouping.insert(member) }
        groupDecisions.append(NotificationGroup(channel: item.channel, kind: item.event.kind, members: chosen.compactMap { pending[$0]?.event }))
        return true
    }

    private static func bucket(_ channel: String, _ kind: EventKind) -> String { "\(channel)|\(kind.rawValue)" }

    /// Notes a key as taken (a snapshot's), without owing anything for it.
    mutating func markKnown(_ key: String, at timeMs: Int64) {
        if known[key] == nil { known[key] = timeMs }
    }

    /// A late episode ended without an event (the execution left memory or ended unseen).
    mutating func closeLate(_ id: ExecutionID) { openLate[id] = nil }

    /// Attempts in flight.
    public var attemptsInFlight: Int { inFlight.values.reduce(0, +) }

    /// When the oldest owed event happened (wall ms).
    public var oldestPendingMs: Int64? { pending.values.lazy.map(\.event.occurredAtMs).min() }

    // MARK: Internals

    /// The retry delay after `attempts` failures: exponential, capped, with jitter (half fixed,
    /// half random) so a receiver that comes back is not hit by every retry at once.
    mutating func retryDelay(after attempts: Int) -> Int64 {
        let exponent = min(max(attempts - 1, 0), 30)
        let full = min(settings.maxRetryMs, settings.firstRetryMs << Int64(exponent))
        let half = max(full / 2, 1)
        return half + Int64(random.next() % UInt64(half))
    }

    private mutating func schedule(_ target: Target, at time: JudgeTime) {
        dueSequence += 1
        queue.insert(Due(at: time, sequence: dueSequence, target: target))
    }

    /// Updates what derives the next keys: open late episodes, node and monitor changes.
    private mutating func track(_ event: NotificationEvent) {
        guard !event.isReminder else { return }
        switch event.kind {
        case .executionLate:
            if let id = event.executionID, openLate[id] == nil { openLate[id] = Self.stamp(of: event.key) }
        case .executionRecovered, .executionFailed, .executionCompleted:
            if let id = event.executionID { openLate[id] = nil }
        case .nodeDead, .nodeAlive:
            guard let node = event.subjectNode, let sequence = Self.sequence(of: event.key) else { return }
            if sequence > nodeChanges[node]?.sequence ?? 0 {
                nodeChanges[node] = NodeChange(dead: event.kind == .nodeDead, sequence: sequence, sinceMs: event.occurredAtMs)
            }
        case .monitorDegraded, .monitorRestored:
            guard let sequence = Self.sequence(of: event.key), sequence > monitor.sequence else { return }
            monitor = NodeChange(dead: event.kind == .monitorDegraded, sequence: sequence, sinceMs: event.occurredAtMs)
        case .executionFenced, .notificationTest, .serviceDown, .serviceRepaired, .serviceRepairFailed, .serviceRepairExhausted, .serviceUp:
            break
        }
    }

    /// Forgets keys and acknowledgements past twice the horizon (once a minute).
    private mutating func pruneIfDue(now: NodeNow) {
        if let last = prunedAt, now.judge - last < 60_000 { return }
        prunedAt = now.judge
        let limit = now.wall.ms - 2 * settings.horizonMs
        known = known.filter { $0.value >= limit }
        acked = acked.filter { $0.value >= limit }
    }

    static func stamp(of key: String) -> Int64? {
        guard let last = key.split(separator: ":").last else { return nil }
        return Int64(last)
    }

    static func sequence(of key: String) -> UInt64? {
        key.split(separator: ":").last.flatMap { UInt64($0) }
    }

    private struct Due: Comparable, Sendable {
        var at: JudgeTime
        var sequence: UInt64
        var target: Target
        static func < (a: Due, b: Due) -> Bool { (a.at, a.sequence) < (b.at, b.sequence) }
        static func == (a: Due, b: Due) -> Bool { a.at == b.at && a.sequence == b.sequence }
    }
}

/// One delivery attempt the leader asks the shell to make.
public struct NotificationAttempt: Sendable, Equatable {
    public var target: Outbox.Target
    public var event: NotificationEvent
    /// 1 for the first attempt.
    public var attempt: Int
    /// The leadership term that sends it.
    public var term: UInt64
    /// The execution as this node sees it when the attempt is made (execution events).
    public var execution: NotificationContext?
    /// The events of a group sent as one message (empty for a single event).
    public var members: [NotificationMember] = []

    public init(target: Outbox.Target, event: NotificationEvent, attempt: Int, term: UInt64, execution: NotificationContext? = nil) {
        self.target = target
        self.event = event
        self.attempt = attempt
        self.term = term
        self.execution = execution
    }
}

/// What a channel answered.
public enum DeliveryResult: Sendable, Equatable {
    case delivered
    /// Anything else (status, timeout, exit status), described for people.
    case failed(String)
}
