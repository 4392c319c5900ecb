/// Seed 002's prober as a pure state machine: which services to probe when, what a probe's
/// result changes, when to repair, and when not to.
///
/// The rule, per service:
/// - `max_retries` failed probes in a row make it down (`service.down`); failed probes within a
///   startup grace after a repair do not count (a repaired service boots; monit and Kubernetes
///   once re-restarted services that were still starting);
/// - a down service with a repair configured is repaired, never twice within the cooldown of the
///   previous repair's start, and the start is durable before the repair runs, so a new leader
///   never repairs again inside it; a repair that did not help (no passed probe since) doubles
///   the cooldown, up to a cap; after `max_repairs` within the window repairing stops
///   (`service.repair_exhausted`) until the oldest of them leaves the window (a rate limit,
///   not a storm);
/// - the failure count starts again when a repair ends;
/// - a down service is up again after `success_threshold` passed probes in a row (`service.up`),
///   so a flapping service does not flap its state.
///
/// Durable state (``ServiceState``) comes from the store; what only the prober of the moment
/// needs (schedule, passes in a row, the last probe) lives here and starts afresh with a new
/// leader. No clock, no socket: `now` in, states to write and repairs to run out.
public struct Prober: Sendable {
    public let rules: [ServiceRule]
    /// Each service's durable state (the newest record: highest term, then latest time).
    public private(set) var states: [String: ServiceState] = [:]
    private var versions: [String: (term: UInt64, timeMs: Int64)] = [:]
    /// What the current prober knows beyond the store.
    public private(set) var live: [String: Live] = [:]
    /// Services with a state write in flight (no new decision until it is reported).
    private var writing: Set<String> = []

    /// Per service, for the prober of the moment.
    public struct Live: Sendable, Equatable {
        /// The next probe is due at this judge time.
        public var nextAt: JudgeTime
        public var inFlight = false
        /// Passed probes in a row (while down).
        public var passes = 0
        public var last: Observation?
    }

    /// A probe as it went, for health and status.
    public struct Observation: Sendable, Equatable {
        public var atMs: Int64
        public var result: ProbeResult
    }

    /// What one probe result asks for.
    public struct Decision: Sendable, Equatable {
        /// The new state to make durable (then, if ``repair``, run the repair).
        public var state: ServiceState?
        /// Run this repair once the state is durable.
        public var repair: RepairRequest?
        /// A repair was due but the cooldown holds it back until this time (wall ms).
        public var suppressedUntilMs: Int64?
    }

    public init(rules: [ServiceRule]) {
        self.rules = rules
        for rule in rules { states[rule.name] = ServiceState(name: rule.name) }
    }

    public func rule(_ name: String) -> ServiceRule? { rules.first { $0.name == name } }

    /// Every durable state with the term and time of its record (for snapshots).
    public var storedStates: [StoredServiceState] {
        versions.keys.sorted().compactMap { name in states[name].map { StoredServiceState(state: $0, term: versions[name]!.term, timeMs: versions[name]!.timeMs) } }
    }

    // MARK: The store

    /// A durable state record (this node's, or a peer's); the newest per service wins.
    public mutating func apply(stored state: ServiceState, term: UInt64, timeMs: Int64) {
        if let version = versions[state.name], (version.term, version.timeMs) > (term, timeMs) { return }
        versions[state.name] = (term, timeMs)
        states[state.name] = state
    }

    /// This node's own write is durable.
    public mutating func written(_ state: ServiceState, term: UInt64, timeMs: Int64) {
        writing.remove(state.name)
        apply(stored: state, term: term, timeMs: timeMs)
    }

    /// A state write failed: the service is decided afresh at its next probe.
    public mutating func writeFailed(_ name: String) { writing.remove(name) }

    // MARK: Probing (the leader only)

    /// Probes due at `now` (each marked in flight, the next scheduled one interval later).
    public mutating func due(now: JudgeTime) -> [ProbeRequest] {
        var requests: [ProbeRequest] = []
        for rule in rules {
            var entry = live[rule.name] ?? Live(nextAt: now + Self.offset(rule))
            defer { live[rule.name] = entry }
            guard now >= entry.nextAt, !entry.inFlight else { continue }
            requests.append(ProbeRequest(service: rule.name, lateMs: now - entry.nextAt))
            entry.inFlight = true
            entry.nextAt = entry.nextAt + rule.intervalMs
            if entry.nextAt <= now { entry.nextAt = now + rule.intervalMs }  // fell behind: no burst of catch-up probes
        }
        return requests
    }

    /// When the next probe is due (the shell sleeps until then).
    public func nextDue(now: JudgeTime) -> JudgeTime? {
        rules.map { live[$0.name]?.nextAt ?? now + Self.offset($0) }.min()
    }

    /// The prober stops (leadership lost, paused): schedules and in-flight marks are dropped.
    public mutating func stop() {
        live = [:]
        writing = []
    }

    /// A probe's result: what to write and whether to repair.
    public mutating func observe(_ name: String, _ result: ProbeResult, now: NodeNow) -> Decision {
        guard let rule = rule(name), var entry = live[name] else { return Decision() }
        entry.inFlight = false
        entry.last = Observation(atMs: now.wall.ms, result: result)
        defer { live[name] = entry }
        guard !writing.contains(name), var state = states[name] else { return Decision() }
        state.events = []
        // A repair its leader never reported (it died) is taken as ended after its time limit.
        if state.repairing {
            guard let started = state.lastRepairAtMs, now.wall.ms >= started + rule.repairTimeoutMs else { return Decision() }
            state.repairing = false
            state.failures = 0
            state.graceUntilMs = now.wall.ms + rule.startupGraceMs
            state.lastRepairOutcome = "unknown: the node running it stopped"
            return write(state)
        }
        if result.healthy {
            entry.passes += 1
            if state.down {
                guard entry.passes >= rule.successThreshold else { return Decision() }
                state.down = false
                state.failures = 0
                state.exhausted = false
                state.helpedSinceRepair = true
                state.cooldownMs = rule.cooldownMs
                state.events = [.serviceUp]
                return write(state)
            }
            guard state.failures > 0 || !state.helpedSinceRepair else { return Decision() }
            state.failures = 0
            state.helpedSinceRepair = true
            return write(state)
        }
        entry.passes = 0
        if let grace = state.graceUntilMs, now.wall.ms < grace { return Decision() }
        return failed(name, state, rule: rule, now: now)
    }

    /// A failed probe past the grace: count it; at `maxRetries` the service is down, and a
    /// repair is due unless the cooldown or the repair budget holds it back.
    private mutating func failed(_ name: String, _ state: ServiceState, rule: ServiceRule, now: NodeNow) -> Decision {
        var state = state
        state.failures += 1
        guard state.failures >= rule.maxRetries else { return write(state) }
        if !state.down {
            state.down = true
            state.downSequence += 1
            state.events.append(.serviceDown)
        }
        // Already down and counted: a further failed probe changes nothing durable.
        let unchanged = state.events.isEmpty && state.failures > rule.maxRetries
        guard rule.repairable else { return unchanged ? Decision() : write(state) }
        state.repairTimesMs = state.repairTimesMs.filter { now.wall.ms - $0 < rule.repairWindowMs }
        if let last = state.lastRepairAtMs, now.wall.ms < last + state.cooldownMs {
            var decision = unchanged ? Decision() : write(state)
            decision.suppressedUntilMs = last + state.cooldownMs
            return decision
        }
        if state.repairTimesMs.count >= rule.maxRepairs {
            guard !state.exhausted else { return Decision() }
            state.exhausted = true
            state.events.append(.serviceRepairExhausted)
            return write(state)
        }
        state.cooldownMs = state.lastRepairAtMs == nil || state.helpedSinceRepair ? rule.cooldownMs : min(rule.cooldownCapMs, state.cooldownMs * 2)
        state.repairNumber += 1
        state.repairing = true
        state.exhausted = false  // the window moved on: repairs are allowed again
        state.lastRepairAtMs = now.wall.ms
        state.repairTimesMs.append(now.wall.ms)
        state.helpedSinceRepair = false
        var decision = write(state)
        decision.repair = RepairRequest(service: name, number: state.repairNumber)
        return decision
    }

    /// A repair ended: the count starts again, after a startup grace.
    public mutating func repairEnded(_ request: RepairRequest, succeeded: Bool, detail: String, now: NodeNow) -> ServiceState? {
        guard let rule = rule(request.service), var state = states[request.service], state.repairing, state.repairNumber == request.number,
            !writing.contains(request.service)
        else { return nil }
        state.events = [succeeded ? .serviceRepaired : .serviceRepairFailed]
        state.repairing = false
        state.failures = 0
        state.graceUntilMs = now.wall.ms + rule.startupGraceMs
        state.lastRepairOutcome = detail
        live[request.service]?.passes = 0
        writing.insert(request.service)
        return state
    }

    private mutating func write(_ state: ServiceState) -> Decision {
        writing.insert(state.name)
        return Decision(state: state)
    }

    /// Spreads first probes over the interval (by name), so 1,000 services do not fire at once.
    static func offset(_ rule: ServiceRule) -> Int64 {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in rule.name.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return Int64(hash % UInt64(max(1, rule.intervalMs)))
    }
}

/// A service's durable state with its record's term and time (the newest per service wins).
public struct StoredServiceState: Sendable, Equatable {
    public var state: ServiceState
    public var term: UInt64
    public var timeMs: Int64
}
