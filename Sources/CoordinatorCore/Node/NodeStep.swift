/// Names one durable write the core asked for, until the shell reports how it went.
public struct WriteTicket: Sendable, Hashable, CustomStringConvertible {
    public let value: UInt64
    public var description: String { "write #\(value)" }
}

/// A record the core wants made durable (appended to this node's store files and fsynced).
public struct DurableWrite: Sendable, Equatable {
    public var kind: DurableKind
    /// The leadership term the decision belongs to (0 for a container's facts).
    public var term: UInt64
    public var time: WallTime
    public var payload: [UInt8]

    public init(kind: DurableKind, term: UInt64 = 0, time: WallTime, payload: [UInt8]) {
        self.kind = kind
        self.term = term
        self.time = time
        self.payload = payload
    }
}

/// A durable record as read back from the store (this node's own at start-up, peers' always).
public struct StoredRecord: Sendable, Equatable {
    /// The node whose files hold it (its only writer).
    public var node: String
    public var position: LogPosition
    /// `nil` for record types the core does not interpret.
    public var kind: DurableKind?
    public var term: UInt64
    public var time: WallTime
    public var payload: [UInt8]

    public init(node: String, position: LogPosition, kind: DurableKind?, term: UInt64, time: WallTime, payload: [UInt8]) {
        self.node = node
        self.position = position
        self.kind = kind
        self.term = term
        self.time = time
        self.payload = payload
    }
}

/// This node's newest heartbeat of an execution, to write into its own gossip origin table.
public struct GossipPublication: Sendable, Equatable {
    public var id: ExecutionID
    /// A ``HeartbeatEntry`` encoding.
    public var value: [UInt8]
    /// The origin's receive time (Unix ms): the gossip stamp.
    public var stampMs: Int64

    public init(id: ExecutionID, value: [UInt8], stampMs: Int64) {
        self.id = id
        self.value = value
        self.stampMs = stampMs
    }
}

/// What a request from a container or an operator gets once it is decided.
public enum NodeAnswer: Sendable, Equatable {
    case heartbeat(Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict>)
    /// A completion or a registration.
    case recorded(Result<ExecutionTable.Outcome, ExecutionConflict>)
    /// The pause flag is set as asked.
    case pauseSet
    /// The keyring change is durable and applied here.
    case keyringChanged
    /// The release of the guard's hold is durable and applied here.
    case holdReleased
}

/// The core's answer to a request: decided now, or after a durable write.
public enum NodeStep: Sendable, Equatable {
    /// Decided; carry out `actions` (replicate the heartbeat) and answer.
    case done(NodeAnswer, actions: [NodeAction])
    /// Make `write` durable, then report it with ``NodeCore/written(_:at:now:)`` (which answers)
    /// or ``NodeCore/writeFailed(_:failure:now:)``.
    case write(WriteTicket, DurableWrite)
    /// Another durable write for the same execution is in flight: once it is reported, submit
    /// the request again (so concurrent first heartbeats register once, and a heartbeat racing
    /// a completion sees the outcome).
    case wait(WriteTicket)
    /// Only for callers that cannot wait (the event-loop fast path): this request needs the
    /// durable path.
    case needsDurablePath
}

/// Something the shell carries out for the core.
public enum NodeAction: Sendable, Equatable {
    /// Make this durable, then report it (``NodeCore/written(_:at:now:)`` / ``NodeCore/writeFailed(_:failure:now:)``).
    case write(WriteTicket, DurableWrite)
    /// Write this node's newest heartbeat of an execution into its gossip origin table.
    case publish(GossipPublication)
    /// Remove an execution from this node's gossip origin table (it left memory).
    case forget(ExecutionID)
    /// Log it, count it.
    case report(NodeEvent)
    /// Deliver a notification (the leader only); report the result with
    /// ``NodeCore/deliveryFinished(_:result:now:)``.
    case deliver(NotificationAttempt)
    /// Run a service's repair (its start is durable); report the outcome with
    /// ``NodeCore/repairFinished(_:succeeded:detail:now:)``.
    case repair(RepairRequest)
}

/// What happened, for logs, metrics and health.
public enum NodeEvent: Sendable, Equatable {
    case becameLeader(term: UInt64)
    /// This node stopped leading: a lower id came back, quorum was lost, or (`superseded`) a
    /// higher claim appeared.
    case stoppedLeading(superseded: Bool, leader: String?)
    case struck(ExecutionID, strikes: Int)
    case marked(ExecutionID, rule: SweepMark.Rule, strikes: Int)
    /// A failure mark could not be made durable; the sweep tries again one interval later.
    case markNotRecorded(ExecutionID, reason: String)
    /// The sweep found the monitor may be blind (the mass-failure guard) and held first strikes back.
    case degraded(DegradedReason, held: Int)
    /// A mass silence while the monitor was healthy: judged by the rule.
    case massFailure(MassSilence)
    case swept(processed: Int, struck: Int, marking: Int)
    /// The leader could not make its term durable; it makes no decision until it can.
    case termNotDurable(term: UInt64, reason: String)
    /// Strike counts could not be made durable (they hold in memory; a new leader recounts).
    case strikesNotRecorded(count: Int, reason: String)
    /// A leadership release could not be written (retried).
    case releaseNotRecorded(term: UInt64, reason: String)
    /// Failure marks of a superseded leader, voided by a newer claim's fence.
    case marksFenced(count: Int, claimTerm: UInt64, claimant: String)
    /// Heartbeats from one coordinator more than a table tells apart were ignored.
    case tooManyOrigins(String)
    /// A notification was delivered, or given up after its horizon.
    case notificationSettled(NotificationAck)
    /// A delivery attempt failed; it is retried.
    case notificationRetry(Outbox.Target, attempt: Int, error: String)
    /// A notification event or acknowledgement could not be made durable (tried again).
    case notificationNotRecorded(key: String, reason: String)
    /// A probe's result (seed 002's "service check result").
    case probed(service: String, ProbeResult, lateMs: Int64)
    /// A repair was due but the cooldown holds it back (seed 002's "restart suppressed").
    case repairSuppressed(service: String, untilMs: Int64)
    /// A probed service's durable state changed (down, repairing, repaired, up, …).
    case serviceChanged(ServiceState)
    /// A service's new state could not be made durable (decided again at its next probe).
    case serviceNotRecorded(String, reason: String)
    /// An append ran past the stall limit: this node stops leading and refuses durable requests.
    case storeStalled(batches: Int)
    /// The store answers again after `stalledMs`.
    case storeRecovered(stalledMs: Int64)
    /// The store's latest writes or reads failed (not hung: failing fast, e.g. ENOTCONN): this
    /// node is not fit to lead until they work again for the recovery period.
    case storeFailing(detail: String)
}
