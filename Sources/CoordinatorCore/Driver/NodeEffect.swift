/// An effect with a result that the driver carries out as a child task it owns, and reports
/// back to the ``NodeInterpreter``.
public enum NodeEffect: Sendable, Equatable {
    /// Append these writes in order (one batch, one fsync); report with
    /// ``NodeInterpreter/appended(_:_:now:)``.
    case append(BatchID, [DurableWrite])
    /// Deliver a notification; report with ``NodeCore/deliveryFinished(_:result:now:)``.
    case deliver(NotificationAttempt)
    /// Probe a service; report with ``NodeCore/probed(_:result:now:)``.
    case probe(ProbeRequest)
    /// Run a service's repair (its start is durable); report with
    /// ``NodeCore/repairFinished(_:succeeded:detail:now:)``.
    case repair(RepairRequest)
}

/// An effect the caller carries out at once, in order, without waiting (in-memory gossip
/// writes, logs and metrics).
public enum ImmediateEffect: Sendable, Equatable {
    /// Write this node's newest heartbeat of an execution into its gossip origin table.
    case publish(GossipPublication)
    /// Remove an execution from this node's gossip origin table.
    case forget(ExecutionID)
    /// Log it, count it.
    case observe(NodeEvent)
}

/// What one step of the interpreter asks the shell to do.
public struct DriverOutput: Sendable {
    /// Done at once by whoever made the step, in this order.
    public var immediate: [ImmediateEffect] = []
    /// Carried out as child tasks of the driver, results reported back.
    public var effects: [NodeEffect] = []
    /// Requests decided by this step.
    public var answers: [(request: RequestID, result: Result<NodeAnswer, StoreUnavailable>)] = []

    public init() {}

    public var isEmpty: Bool { immediate.isEmpty && effects.isEmpty && answers.isEmpty }

    /// The batches this step asks to append.
    public var batches: [BatchID] {
        effects.compactMap { if case .append(let batch, _) = $0 { batch } else { nil } }
    }

    public static func + (lhs: DriverOutput, rhs: DriverOutput) -> DriverOutput {
        var out = lhs
        out.immediate += rhs.immediate
        out.effects += rhs.effects
        out.answers += rhs.answers
        return out
    }
}
