/// The kinds of durable record a node writes to the shared store. The raw values are the bytes
/// the store keeps as each record's type (the IO shell converts; the core knows nothing of the
/// store, and the store does not interpret them). Byte 8 is the store's own snapshot record.
public enum DurableKind: UInt8, Sendable, Hashable, CaseIterable {
    /// An execution exists (first heartbeat or explicit registration).
    case registration = 1
    /// A terminal outcome a container reported (completion notice or terminal heartbeat).
    case completion = 2
    /// A terminal FAILED decided by the sweep.
    case failureMark = 3
    /// Strike counts one sweep gave.
    case strikeBatch = 4
    /// A leader's claim of a term (written before any decision of that term).
    case leadershipTerm = 5
    /// The cluster-wide pause flag.
    case pauseFlag = 6
    /// A node's start generation.
    case generation = 7
    /// A leader gave up its term on purpose (a lower node id is back); others may claim a new one.
    case leadershipReleased = 9
    /// A notification event no other record carries (``NotificationEvent``): recovered,
    /// fenced, node and monitor events. Late, failed and completed events are derived from
    /// the strike batch, failure mark and completion records themselves.
    case notificationEvent = 10
    /// A delivery's outcome for one channel (``NotificationAck``).
    case notificationAck = 11
    /// Events sent as one message (``NotificationGroup``), durable before it is sent.
    case notificationGroup = 12
    /// A probed service's state as the leader decided it (``ServiceState``), with the events
    /// the change carries.
    case serviceState = 13
    /// A change of the gossip keyring an operator asked for (``KeyringBook/Change``).
    case keyringChange = 14
    /// An operator released the mass-failure guard's hold (``HoldRelease``): executions stale
    /// when it was made are judged now.
    case sweepRelease = 15

    /// The record's name where people read it (`vigil store verify`): snake_case, stable.
    public var name: String {
        switch self {
        case .registration: "registration"
        case .completion: "completion"
        case .failureMark: "failure_mark"
        case .strikeBatch: "strike_batch"
        case .leadershipTerm: "leadership_term"
        case .pauseFlag: "pause_flag"
        case .generation: "generation"
        case .leadershipReleased: "leadership_released"
        case .notificationEvent: "notification_event"
        case .notificationAck: "notification_ack"
        case .notificationGroup: "notification_group"
        case .serviceState: "service_state"
        case .keyringChange: "keyring_change"
        case .sweepRelease: "sweep_release"
        }
    }
}
