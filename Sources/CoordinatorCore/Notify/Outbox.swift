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
    public internal(set) var pending: [Target: Pending] = [:]
    /// Acknowledged targets and when (wall ms), kept for the horizon (an event replayed after
    /// its acknowledgement owes nothing).
    var acked: [Target: Int64] = [:]
    /// Keys of the events taken and when they happened (wall ms), kept for the horizon.
    var known: [String: Int64] = [:]
    public internal(set) var history: [Finished] = []
    /// When each pending delivery not in flight is due (entries made stale by a later schedule
    /// or by the delivery's end are skipped when they come up).
    var queue = Heap<Due>()
    var dueSequence: UInt64 = 0
    /// Attempts in flight, per channel.
    var inFlight: [String: Int] = [:]
    var random: SplitMix64
    var prunedAt: JudgeTime?
    let rules: [String: ChannelRule]
    /// Grouping channels: events not yet sent nor grouped, per channel and kind (entries that
    /// were sent, grouped or settled meanwhile are dropped when the bucket is next looked at).
    var ungrouped: [Bucket: [Target]] = [:]
    /// Members of a group decided here and not yet durable.
    var grouping: Set<Target> = []
    /// Groups decided and waiting to be written.
    var groupDecisions: [NotificationGroup] = []
    /// Groups owed (durable, not acknowledged), by key.
    public internal(set) var pendingGroups: [String: NotificationGroup] = [:]
    /// Member target → its group's key, while the group is owed.
    var groupOf: [Target: String] = [:]
    /// Acknowledgements decided whose write failed, to write again.
    var unwrittenAcks: [NotificationAck] = []

    // What the leader needs to derive the next keys (see ``NotificationEvent``).
    /// Executions with a `late` event and no end of it yet, with the judged heartbeat stamp.
    public internal(set) var openLate: [ExecutionID: Int64?] = [:]
    /// Stalls reported and not yet ended, by execution: when the progress stopped (wall ms).
    public internal(set) var openStalls: [ExecutionID: Int64] = [:]
    /// Per coordinator: reported dead, and how many changes the store holds.
    public internal(set) var nodeChanges: [String: NodeChange] = [:]
    /// The monitor's degraded episodes so far, and whether one is open.
    public internal(set) var monitor = NodeChange(dead: false, sequence: 0)
    /// Mass-failure episodes so far, and when the latest was reported (`sinceMs`).
    public internal(set) var massFailure = NodeChange(dead: false, sequence: 0)

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
            if channel.groupWindowMs > 0 { ungrouped[Bucket(channel: channel.name, kind: event.kind), default: []].append(target) }
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

    // MARK: What is known

    /// Whether an event with this key was taken (within the horizon).
    public func knows(_ key: String) -> Bool { known[key] != nil }

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

    /// Updates what derives the next keys: open late episodes, node and monitor changes.
    mutating func track(_ event: NotificationEvent) {
        guard !event.isReminder else { return }
        switch event.kind {
        case .executionLate:
            if let id = event.executionID, openLate[id] == nil, case .stamp(let stamp)? = event.serial?.ordinal { openLate[id] = .some(stamp) }
        case .executionRecovered:
            if let id = event.executionID { openLate[id] = nil }
        case .executionFailed, .executionCompleted:
            if let id = event.executionID {
                openLate[id] = nil
                openStalls[id] = nil
            }
        case .executionStalled:
            if let id = event.executionID, case .stamp(let since?)? = event.serial?.ordinal { openStalls[id] = since }
        case .executionUnstalled:
            if let id = event.executionID, case .stamp(let since?)? = event.serial?.ordinal, openStalls[id] == since { openStalls[id] = nil }
        case .nodeDead, .nodeAlive:
            guard let node = event.subjectNode, case .sequence(let sequence)? = event.serial?.ordinal else { return }
            if sequence > nodeChanges[node]?.sequence ?? 0 {
                nodeChanges[node] = NodeChange(dead: event.kind == .nodeDead, sequence: sequence, sinceMs: event.occurredAtMs)
            }
        case .monitorDegraded, .monitorRestored:
            guard case .sequence(let sequence)? = event.serial?.ordinal, sequence > monitor.sequence else { return }
            monitor = NodeChange(dead: event.kind == .monitorDegraded, sequence: sequence, sinceMs: event.occurredAtMs)
        case .monitorMassFailure:
            guard case .sequence(let sequence)? = event.serial?.ordinal, sequence > massFailure.sequence else { return }
            massFailure = NodeChange(dead: false, sequence: sequence, sinceMs: event.occurredAtMs)
        case .executionFenced, .notificationTest, .serviceDown, .serviceRepaired, .serviceRepairFailed, .serviceRepairExhausted, .serviceUp, .storeStalled,
            .storeRecovered:
            break
        }
    }
}
