extension NodeCore {
    /// Whether this node probes now: it may act for the cluster (leads, term durable, store
    /// read since leading) and the prober is not stopped (`/admin/heartbeat/stop`, or
    /// `HEARTBEAT_AUTO_START` off and never started).
    public var mayProbe: Bool {
        guard !prober.rules.isEmpty, mayDeliver else { return false }
        return !probePaused
    }

    /// The prober is stopped cluster-wide.
    public var probePaused: Bool {
        pause.paused || (!settings.probeAutoStart && pause.version.ms == .min)
    }

    /// Probes due now and when the next one is (`nil`: this node does not probe now).
    public mutating func probesDue(now: NodeNow) -> (requests: [ProbeRequest], next: JudgeTime?) {
        guard mayProbe else {
            if probing {
                probing = false
                prober.stop()
            }
            return ([], nil)
        }
        probing = true
        let requests = prober.due(now: now.judge)
        return (requests, prober.nextDue(now: now.judge))
    }

    /// A probe's result: what to write, report and repair.
    public mutating func probed(_ request: ProbeRequest, result: ProbeResult, now: NodeNow) -> [NodeAction] {
        var actions: [NodeAction] = [.report(.probed(service: request.service, result, lateMs: request.lateMs))]
        guard probing else { return actions }
        let decision = prober.observe(request.service, result, now: now)
        if let until = decision.suppressedUntilMs { actions.append(.report(.repairSuppressed(service: request.service, untilMs: until))) }
        if let state = decision.state { actions.append(writeService(state, repair: decision.repair, now: now)) }
        return actions
    }

    /// A repair ended.
    public mutating func repairFinished(_ request: RepairRequest, succeeded: Bool, detail: String, now: NodeNow) -> [NodeAction] {
        guard let state = prober.repairEnded(request, succeeded: succeeded, detail: detail, now: now) else { return [] }
        return [writeService(state, repair: nil, now: now)]
    }

    private mutating func writeService(_ state: ServiceState, repair: RepairRequest?, now: NodeNow) -> NodeAction {
        let ticket = writes.open(.service(state, repair: repair), execution: nil)
        return .write(ticket, DurableWrite(kind: .serviceState, term: status.term, time: now.wall, payload: state.payload))
    }

    /// This node's service state write is durable: apply it, derive its events, run the repair.
    mutating func serviceWritten(_ state: ServiceState, repair: RepairRequest?, term: UInt64, now: NodeNow) -> [NodeAction] {
        prober.written(state, term: term, timeMs: now.wall.ms)
        noteServiceEvents(state, writer: me, term: term, now: now)
        var actions: [NodeAction] = [.report(.serviceChanged(state))]
        // The start is durable: run it, unless this node stopped probing meanwhile (then the
        // next leader takes the repair as ended after its time limit, within the cooldown).
        if let repair, probing { actions.append(.repair(repair)) }
        return actions + deliveries(now: now)
    }

    /// The events a service state record carries.
    mutating func noteServiceEvents(_ state: ServiceState, writer: String, term: UInt64, now: NodeNow, at time: WallTime? = nil) {
        for kind in state.events {
            var detail: String?
            switch kind {
            case .serviceDown: detail = "\(state.failures) failed probes in a row"
            case .serviceRepaired, .serviceRepairFailed: detail = state.lastRepairOutcome
            case .serviceRepairExhausted: detail = "\(state.repairTimesMs.count) repairs within the window did not help; repairing stopped"
            case .serviceUp: detail = "passing probes again"
            default: break
            }
            outbox.record(NotificationEvent(
                kind: kind, key: state.key(kind), subjectNode: state.name, occurredAtMs: (time ?? now.wall).ms, writer: writer, term: term, detail: detail
            ), now: now)
        }
    }
}
