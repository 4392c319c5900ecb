/// The durable writes a node has asked for and not yet seen finish, and what each one is for.
///
/// At most one write per execution is in flight: a request for an execution with a write in
/// flight waits for it (``NodeStep/wait(_:)``), so two first heartbeats register once and a
/// heartbeat that races a completion or a failure mark sees the outcome.
struct WriteBook: Sendable {
    /// What to do once a write is durable.
    enum Purpose: Sendable {
        /// A first or terminal heartbeat, received at `now`; a terminal one with the history
        /// its record carries.
        case heartbeat(Heartbeat, NodeNow, HeartbeatHistory?)
        /// A completion notice, with the history its record carries.
        case completion(Completion, NodeNow, HeartbeatHistory)
        case registration(Registration, NodeNow)
        /// A failure mark of `term`.
        case mark(ExecutionFact, SweepMark, term: UInt64)
        case strikes([StrikeEntry])
        /// An explicit notification event (``DurableKind/notificationEvent``).
        case event(NotificationEvent)
        /// A delivery's outcome.
        case ack(NotificationAck)
        /// Events to send as one message.
        case group(NotificationGroup)
        /// A probed service's new state; then run `repair`, if any.
        case service(ServiceState, repair: RepairRequest?)
        case claim(TermClaim)
        case release(term: UInt64)
        case pause(Bool, WallTime)
        case keyring(KeyringBook.Change)
        /// An operator's release of the guard's hold, stamped with this wall time.
        case holdRelease(WallTime)
    }

    private var pending: [WriteTicket: (purpose: Purpose, execution: ExecutionID?)] = [:]
    private(set) var byExecution: [ExecutionID: WriteTicket] = [:]
    private var next: UInt64 = 1

    /// The write in flight for an execution.
    func ticket(for id: ExecutionID) -> WriteTicket? { byExecution[id] }

    /// Executions with a write in flight (the sweep leaves them alone).
    var executions: Set<ExecutionID> { Set(byExecution.keys) }

    var count: Int { pending.count }

    func isOpen(_ ticket: WriteTicket) -> Bool { pending[ticket] != nil }

    mutating func open(_ purpose: Purpose, execution: ExecutionID?) -> WriteTicket {
        let ticket = WriteTicket(value: next)
        next += 1
        pending[ticket] = (purpose, execution)
        if let execution { byExecution[execution] = ticket }
        return ticket
    }

    /// Ends a write (durable or failed) and returns what it was for.
    mutating func close(_ ticket: WriteTicket) -> Purpose? {
        guard let (purpose, execution) = pending.removeValue(forKey: ticket) else { return nil }
        if let execution, byExecution[execution] == ticket { byExecution[execution] = nil }
        return purpose
    }

    func invariantViolation() -> String? {
        for (id, ticket) in byExecution where pending[ticket]?.execution != id { return "execution \(id) points at a write not for it" }
        return nil
    }
}
