/// The kinds of durable record a node writes to the shared store. The raw values are the store's
/// record types (the IO shell converts; the core knows nothing of the store).
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
}
