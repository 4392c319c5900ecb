/// What a notification is about. The raw value is the event's name in configuration
/// (`events` patterns), webhook bodies and the API.
public enum EventKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// An execution's first strike: its heartbeat is overdue.
    case executionLate = "execution.late"
    /// A heartbeat arrived after a strike.
    case executionRecovered = "execution.recovered"
    /// The execution is FAILED: the sweep's failure mark (with its explanation), or the
    /// container reported the failure itself.
    case executionFailed = "execution.failed"
    /// The container reported success.
    case executionCompleted = "execution.completed"
    /// A heartbeat for a finished execution: a zombie container.
    case executionFenced = "execution.fenced"
    /// Heartbeats go on but the progress has not changed for the rule's `progress_timeout_s`
    /// (issue 24; a warning unless the rule has `fail_when_stalled`).
    case executionStalled = "execution.stalled"
    /// A stalled execution's progress moved again.
    case executionUnstalled = "execution.unstalled"
    /// A coordinator node left the cluster (the leader's view, after a hold-down).
    case nodeDead = "node.dead"
    /// A coordinator node reported dead is back.
    case nodeAlive = "node.alive"
    /// The sweep found the monitor may be blind (the mass-failure guard) and holds first strikes
    /// back for a while.
    case monitorDegraded = "monitor.degraded"
    /// A sweep after a degraded one judged normally again.
    case monitorRestored = "monitor.restored"
    /// Many executions went silent at once while the monitor was healthy (a worker host died):
    /// one event for the whole episode, besides each execution's own.
    case monitorMassFailure = "monitor.mass_failure"
    /// `vigil notify test CHANNEL`: sent once to one channel, outside the outbox.
    case notificationTest = "notification.test"
    /// A probed service failed `max_retries` probes in a row.
    case serviceDown = "service.down"
    /// A repair of a service ran and succeeded (exit status 0, a 2xx).
    case serviceRepaired = "service.repaired"
    /// A repair of a service ran and failed.
    case serviceRepairFailed = "service.repair_failed"
    /// Repairs stopped: `max_repairs` within the window did not help.
    case serviceRepairExhausted = "service.repair_exhausted"
    /// A service that was down passed `success_threshold` probes in a row.
    case serviceUp = "service.up"
    /// A node's store stalled: it stopped leading and refuses durable requests (told by the leader).
    case storeStalled = "store.stalled"
    /// A node's store that had stalled answers again.
    case storeRecovered = "store.recovered"

    public var description: String { rawValue }

    /// A probed service's event (its subject is the service's name).
    public var isServiceEvent: Bool { rawValue.hasPrefix("service.") }

    /// Derived from a record that exists anyway (strike batch, failure mark, completion), as
    /// opposed to written as a ``DurableKind/notificationEvent`` of its own.
    public var isDerived: Bool {
        switch self {
        case .executionLate, .executionFailed, .executionCompleted, .serviceDown, .serviceRepaired, .serviceRepairFailed, .serviceRepairExhausted, .serviceUp: true
        default: false
        }
    }
}

/// An `events` pattern of a channel: an exact name (`execution.failed`), a family
/// (`execution.*`) or everything (`*`).
public struct EventPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// `nil` when the pattern matches no event kind at all (a typo in the configuration).
    public init?(_ text: String) {
        self.text = text
        guard EventKind.allCases.contains(where: { self.matches($0) }) else { return nil }
    }

    public func matches(_ kind: EventKind) -> Bool {
        if text == "*" { return true }
        if text.hasSuffix(".*") { return kind.rawValue.hasPrefix(text.dropLast(1)) }
        return kind.rawValue == text
    }

    public var description: String { text }
}

/// Which events a channel wants: the core needs only this of a channel (where and how to send
/// is the shell's business).
public struct ChannelRule: Sendable, Hashable {
    public var name: String
    public var events: [EventPattern]
    /// Only execution events whose container id starts with this (node and monitor events
    /// always pass).
    public var containerPrefix: String?
    /// Only execution events of executions of these kinds (`kinds`; empty: every execution;
    /// node and monitor events always pass).
    public var kinds: [String] = []
    /// Events of one kind due within this window are sent as one message (0: each alone).
    public var groupWindowMs: Int64 = 0
    /// The most events in one message.
    public var groupMax = 500

    public init(name: String, events: [EventPattern], containerPrefix: String? = nil, groupWindowMs: Int64 = 0, groupMax: Int = 500) {
        self.name = name
        self.events = events
        self.containerPrefix = containerPrefix
        self.groupWindowMs = groupWindowMs
        self.groupMax = groupMax
    }

    public func wants(_ event: NotificationEvent) -> Bool {
        guard events.contains(where: { $0.matches(event.kind) }) else { return false }
        if !kinds.isEmpty, event.executionID != nil, !kinds.contains(event.executionKind ?? "") { return false }
        guard let prefix = containerPrefix, !prefix.isEmpty, event.executionID != nil else { return true }
        return (event.container ?? "").hasPrefix(prefix)
    }
}
