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
