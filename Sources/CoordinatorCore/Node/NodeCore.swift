/// One coordinator node as a pure state machine: what it does with a heartbeat, a completion,
/// a registration, a peer's durable record, a gossiped heartbeat and a tick of time.
///
/// Every input carries `now` (both clocks, read by the shell); every output is a value: an
/// answer, a durable write to make before the answer (``NodeStep``), or ``NodeAction``s
/// (write, replicate, forget, report). The core never reads a clock, sleeps, logs or touches a
/// socket or a file, so the production shell (`CoordinatorNode`, its services) and the
/// simulated clusters run the same decisions.
///
/// Guarantees:
/// - durable first: a registration and a terminal outcome are written (``NodeStep/write(_:_:)``)
///   and applied only once the shell reports them durable (``written(_:at:now:)``); a failed
///   write changes nothing;
/// - one write per execution at a time: a request arriving while one is in flight waits for it
///   (``NodeStep/wait(_:)``), then is decided on the new state;
/// - a leader decides nothing (no strike, no mark) before its term's claim is durable, and stops
///   at once when it reads a claim that outranks its own (see ``TermClaim`` for the fence that
///   makes every reader discard what a superseded leader wrote after the new claim's cut).
public struct NodeCore: Sendable {
    /// What a node is, fixed for its life.
    public struct Settings: Sendable {
        public var me: String
        /// Every configured node id (quorum is a majority of them).
        public var configured: [String]
        public var rule: SweepRule
        /// Dates in failure explanations.
        public var timestamps: TimestampFormatter
        /// When this node started, on its wall clock.
        public var started: WallTime
        /// The largest gossip value; `nil` when heartbeats are not replicated (a node alone).
        public var gossipValueBytes: Int?
        /// How long finished executions stay in memory.
        public var retentionMs: Int64
        /// Records surveyed per chunk of a sweep (the shell takes the lock once per chunk).
        public var sweepChunk = 65_536
        /// Notification channels and delivery pacing.
        public var notifications = Outbox.Settings()
        /// The leader reports a node dead once it has been out of the membership this long.
        public var nodeDeadAfterMs: Int64 = 10_000
        /// Services the leader probes (seed 002).
        public var services: [ServiceRule] = []
        /// `HEARTBEAT_AUTO_START`: with `false` the prober waits for `/admin/heartbeat/start`.
        public var probeAutoStart = true
        /// `store.stall_s`: an append unfinished this long makes the store stalled (``StoreHealth``).
        public var stallLimitMs: Int64 = 5_000
        /// A request waits at most this long for its write; then it is answered 503 (the write
        /// may still land: the client's retry finds it). 1.5 s, so that with the 250 ms tick every
        /// such request is answered within 2 s.
        public var requestDeadlineMs: Int64 = 1_500
        /// After a stall, the store must answer this long before the node may lead again.
        public var storeRecoveryMs: Int64 = 10_000

        public init(
            me: String, configured: [String], rule: SweepRule = SweepRule(), timestamps: TimestampFormatter = .utc,
            started: WallTime, gossipValueBytes: Int? = nil, retentionMs: Int64 = 86_400_000
        ) {
            self.me = me
            self.configured = configured
            self.rule = rule
            self.timestamps = timestamps
            self.started = started
            self.gossipValueBytes = gossipValueBytes
            self.retentionMs = retentionMs
        }
    }

    public let settings: Settings
    /// The executions this node knows (its view).
    public internal(set) var table: ExecutionTable
    /// Election and sweep.
    public internal(set) var duty: SweepDuty
    /// Leadership claims read and written, and how far each peer's files were read.
    public internal(set) var ledger = TermLedger()
    public internal(set) var pause = PauseFlag()
    /// For health and status.
    public internal(set) var status = SweepStatus()
    var writes = WriteBook()
    /// Judge time at which the store was last read to its end.
    public internal(set) var storeReadThrough: JudgeTime?
    /// This node's own store, as its appends show it.
    public internal(set) var storeHealth = StoreHealth()
    /// The term this node claimed last and has not released.
    var ownClaim: UInt64?
    /// The write making this node's current claim durable, while in flight.
    var claimWrite: WriteTicket?
    /// A failed claim write is tried again from this time.
    var claimRetryAt: JudgeTime?
    /// Terms this node gave up whose release is not yet durable.
    var releasesToWrite: Set<UInt64> = []
    var releaseWrites: Set<UInt64> = []
    /// The sweep under way, surveyed chunk by chunk.
    var sweep: SweepProgress?
    /// Failure marks applied, by who wrote them where in which term: a claim read later may
    /// void them (the fence). Only the newest terms are kept.
    var appliedMarks: [UInt64: [(id: ExecutionID, writer: String, position: LogPosition)]] = [:]
    /// Notifications owed, from the store (the same on every node).
    public internal(set) var outbox: Outbox
    /// What only the node that decides notifications keeps.
    var notifying = NotifyingState()
    /// Seed 002's prober (it probes only while this node leads).
    public internal(set) var prober: Prober
    /// The cluster's gossip keys (the configuration's until the store says otherwise).
    public internal(set) var keyring = KeyringBook(configured: [])
    var probing = false
    /// Operators' releases of the mass-failure guard's hold.
    public internal(set) var holdRelease = HoldRelease()

    public init(settings: Settings) {
        self.settings = settings
        self.outbox = Outbox(settings: settings.notifications)
        self.prober = Prober(rules: settings.services)
        self.table = ExecutionTable(localOrigin: settings.me)
        self.duty = SweepDuty(me: settings.me, configured: settings.configured, rule: settings.rule)
    }

    public var me: String { settings.me }

    /// Durable writes asked for and not yet reported.
    public var writesInFlight: Int { writes.count }

    // MARK: Containers and operators

    /// Takes a heartbeat received at `now`. A known running execution is refreshed in memory
    /// (and replicated); a first heartbeat or a terminal status is written first.
    /// - Parameter mayWrite: `false` for callers that cannot wait (the event-loop fast path):
    ///   anything that needs a write answers ``NodeStep/needsDurablePath``.
    public mutating func receive(_ heartbeat: Heartbeat, now: NodeNow, mayWrite: Bool = true) -> NodeStep {
        let id = heartbeat.executionID
        if let ticket = writes.ticket(for: id) { return mayWrite ? .wait(ticket) : .needsDurablePath }
        if let record = table[id] {
            if record.status.isTerminal {
                let result: Result<ExecutionTable.HeartbeatOutcome, ExecutionConflict> =
                    heartbeat.status == record.status
                    ? .success(.alreadyFinished) : .failure(ExecutionConflict(executionID: id, status: record.status, attempted: "heartbeat"))
                if heartbeat.status == .running { noteZombie(record, now: now) }
                return .done(.heartbeat(result), actions: [])
            }
            if heartbeat.status == .running { return apply(heartbeat, now: now) }
        }
        guard mayWrite else { return .needsDurablePath }
        let history = heartbeat.status.isTerminal ? table.history(after: heartbeat, nowMs: now.wall.ms) : nil
        let fact: ExecutionFact =
            heartbeat.status.isTerminal
            ? .finished(
                id: id, status: heartbeat.status, source: .heartbeat, finishedAtMs: now.wall.ms,
                reason: heartbeat.status == .failed ? TerminalInfo.heartbeatFailureReason : nil, resultData: nil, errorMessage: nil,
                history: history
            )
            : .registered(id: id, registeredAtMs: now.wall.ms, containerID: heartbeat.containerID, rule: heartbeat.rule)
        let ticket = writes.open(.heartbeat(heartbeat, now, history), execution: id)
        return .write(ticket, DurableWrite(kind: fact.kind, time: now.wall, payload: fact.payload))
    }

    /// Takes a completion notice; every new outcome (or a notice adding details to an outcome a
    /// heartbeat reported) is written first.
    public mutating func receive(_ completion: Completion, now: NodeNow) -> NodeStep {
        let id = completion.executionID
        if let ticket = writes.ticket(for: id) { return .wait(ticket) }
        let existing = table[id]
        if let existing, existing.status.isTerminal {
            guard existing.status == completion.outcome else {
                let conflict = ExecutionConflict(executionID: id, status: existing.status, attempted: "completion with success=\(completion.success)")
                return .done(.recorded(.failure(conflict)), actions: [])
            }
            // Already final with this outcome; only a heartbeat-reported one gains the notice's details.
            guard existing.terminal?.source == .heartbeat else { return .done(.recorded(.success(.unchanged)), actions: []) }
        }
        // What the execution holds when the notice is applied (a notice for an unknown one creates it).
        let history = table.history(of: existing ?? ExecutionRecord(id: id, registeredAtMs: now.wall.ms, containerID: completion.containerID))
        let fact = ExecutionFact.finished(
            id: id, status: completion.outcome, source: .completion, finishedAtMs: existing?.terminal?.finishedAtMs ?? now.wall.ms,
            reason: completion.success ? nil : (completion.errorMessage ?? existing?.terminal?.reason ?? TerminalInfo.completionFailureReason),
            resultData: completion.resultData, errorMessage: completion.errorMessage, history: history
        )
        let ticket = writes.open(.completion(completion, now, history), execution: id)
        return .write(ticket, DurableWrite(kind: fact.kind, time: now.wall, payload: fact.payload))
    }

    /// Registers an execution before its first heartbeat (written first when new).
    public mutating func receive(_ registration: Registration, now: NodeNow) -> NodeStep {
        let id = registration.executionID
        if let ticket = writes.ticket(for: id) { return .wait(ticket) }
        if table[id] != nil {
            return .done(.recorded(table.apply(registration, nowMs: now.wall.ms, seen: now.judge)), actions: [])
        }
        let fact = ExecutionFact.registered(
            id: id, registeredAtMs: registration.startedAtMs ?? now.wall.ms, containerID: registration.containerID, rule: registration.rule
        )
        let ticket = writes.open(.registration(registration, now), execution: id)
        return .write(ticket, DurableWrite(kind: fact.kind, time: now.wall, payload: fact.payload))
    }

    /// Pauses or resumes sweeping cluster-wide (written first).
    public mutating func setPaused(_ paused: Bool, now: NodeNow) -> NodeStep {
        let stamp = pause.nextStamp(now: now.wall)
        let ticket = writes.open(.pause(paused, stamp), execution: nil)
        return .write(ticket, DurableWrite(kind: .pauseFlag, term: status.term, time: stamp, payload: [paused ? 1 : 0]))
    }

    /// Ends the mass-failure guard's hold cluster-wide (`vigil sweep release`; written first,
    /// applied by every node when it reads the record): the executions stale now are judged by
    /// the rule at the next sweep, which the leader runs at once.
    public mutating func releaseHold(now: NodeNow) -> NodeStep {
        let ticket = writes.open(.holdRelease(now.wall), execution: nil)
        return .write(ticket, DurableWrite(kind: .sweepRelease, term: status.term, time: now.wall, payload: [1]))
    }

    /// The keyring at start, from the configuration; ignored once the store has changed it.
    public mutating func configureKeyring(_ keys: [String]) {
        if !keyring.changed { keyring = KeyringBook(configured: keys) }
    }

    /// Installs, uses or removes a gossip key cluster-wide (written first; every node applies it
    /// when it reads the record). The shell checks ``KeyringBook/check(_:live:)`` before.
    public mutating func changeKeyring(_ change: KeyringBook.Change, now: NodeNow) -> NodeStep {
        let ticket = writes.open(.keyring(change), execution: nil)
        return .write(ticket, DurableWrite(kind: .keyringChange, term: status.term, time: now.wall, payload: KeyringBook.payload(change)))
    }

    // MARK: Durable writes reported

    /// A write the core asked for is durable, at `position` in this node's files. Applies what
    /// it was for; returns the answer for the request that asked (if a request did) and what
    /// else to do.
    public mutating func written(_ ticket: WriteTicket, at position: LogPosition, now: NodeNow) -> (answer: NodeAnswer?, actions: [NodeAction]) {
        storeHealth.writeSucceeded(at: now.judge)
        guard let purpose = writes.close(ticket) else { return (nil, []) }
        switch purpose {
        case .heartbeat(let heartbeat, let received, let history):
            return heartbeatWritten(heartbeat, received: received, history: history, now: now)
        case .completion(let completion, let received, let history):
            return completionWritten(completion, received: received, history: history, now: now)
        case .registration(let registration, let received):
            return (.recorded(table.apply(registration, nowMs: received.wall.ms, seen: received.judge)), [])
        case .pause(let paused, let stamp):
            pause.apply(paused, at: stamp, by: me)
            status.paused = pause.paused
            return (.pauseSet, [])
        case .keyring(let change):
            keyring.apply(change)
            return (.keyringChanged, [])
        case .holdRelease(let stamp):
            applyRelease(at: stamp, by: me, now: now)
            return (.holdReleased, [])
        case .mark(let fact, let mark, let term):
            guard table[fact.executionID]?.status == .running, !ledger.fences(writer: me, term: term, at: position) else { return (nil, []) }
            table.apply(fact: fact, seen: seen(of: fact, now: now))
            remember(mark: fact.executionID, writer: me, term: term, at: position)
            status.lastMarked += 1
            status.totalMarked += 1
            noteFinished(fact.executionID, writer: me, term: term, now: now)
            return (nil, [.report(.marked(fact.executionID, rule: mark.rule, strikes: mark.strikes))] + deliveries(now: now))
        case .strikes(let entries):
            noteStrikes(entries, writer: me, term: status.term, now: now)
            return (nil, deliveries(now: now))
        case .event(let event):
            notifying.eventWrites.remove(event.key)
            outbox.record(event, now: now)
            return (nil, deliveries(now: now))
        case .ack(let ack):
            outbox.acknowledge(ack, atMs: now.wall.ms)
            return (nil, [.report(.notificationSettled(ack))] + deliveries(now: now))
        case .group(let group):
            outbox.applyGroup(group, now: now)
            return (nil, deliveries(now: now))
        case .service(let state, let repair):
            return (nil, serviceWritten(state, repair: repair, term: status.term, now: now))
        case .claim(let claim):
            claimWritten(claim, ticket: ticket)
            return (nil, [])
        case .release(let term):
            releaseWritten(term)
            return (nil, [])
        }
    }

    /// A first or terminal heartbeat is durable: applied as received. A terminal one leaves the
    /// record showing what its durable record says (gossip may have moved it meanwhile).
    private mutating func heartbeatWritten(_ heartbeat: Heartbeat, received: NodeNow, history: HeartbeatHistory?, now: NodeNow) -> (answer: NodeAnswer?, actions: [NodeAction]) {
        guard case .done(let answer, let actions) = apply(heartbeat, now: received) else { return (nil, []) }
        guard heartbeat.status.isTerminal else { return (answer, actions) }
        if let history, case .heartbeat(.success(.finished)) = answer { table.settle(heartbeat.executionID, with: history, seen: received.judge) }
        noteFinished(heartbeat.executionID, writer: me, term: 0, now: now)
        return (answer, actions + deliveries(now: now))
    }

    /// A completion notice is durable: applied as received, showing what its record says.
    private mutating func completionWritten(_ completion: Completion, received: NodeNow, history: HeartbeatHistory, now: NodeNow) -> (answer: NodeAnswer?, actions: [NodeAction]) {
        let result = table.apply(completion, nowMs: received.wall.ms)
        if case .success = result { table.settle(completion.executionID, with: history, seen: received.judge) }
        noteFinished(completion.executionID, writer: me, term: 0, now: now)
        return (.recorded(result), deliveries(now: now))
    }

    /// A write the core asked for failed: nothing it was for is applied. Returns what to report;
    /// the request that asked (if any) gets the store's error from the shell.
    public mutating func writeFailed(_ ticket: WriteTicket, failure: WriteFailure, now: NodeNow) -> [NodeAction] {
        if failure.code != .shuttingDown { storeHealth.writeFailed(failure.detail, at: now.judge) }
        guard let purpose = writes.close(ticket) else { return [] }
        let reason = failure.detail
        switch purpose {
        case .heartbeat, .completion, .registration, .pause, .keyring, .holdRelease:
            return []
        case .mark(let fact, _, _):
            status.lastError = "failure mark of \(fact.executionID) not recorded: \(reason)"
            return [.report(.markNotRecorded(fact.executionID, reason: reason))]
        case .strikes(let entries):
            status.lastError = "strike counts not recorded: \(reason)"
            return [.report(.strikesNotRecorded(count: entries.count, reason: reason))]
        case .event(let event):
            notifying.eventWrites.remove(event.key)
            notifying.queued.append(event)
            return [.report(.notificationNotRecorded(key: event.key, reason: reason))]
        case .ack(let ack):
            outbox.ackNotWritten(ack)
            return [.report(.notificationNotRecorded(key: ack.key, reason: reason))]
        case .group(let group):
            outbox.groupNotWritten(group, now: now)
            return [.report(.notificationNotRecorded(key: group.key, reason: reason))]
        case .service(let state, _):
            prober.writeFailed(state.name)
            return [.report(.serviceNotRecorded(state.name, reason: reason))]
        case .claim(let claim):
            if claimWrite == ticket { claimWrite = nil }
            claimRetryAt = now.judge + 1_000
            status.lastError = "leadership term \(claim.term) not recorded: \(reason)"
            return [.report(.termNotDurable(term: claim.term, reason: reason))]
        case .release(let term):
            releaseWrites.remove(term)
            return [.report(.releaseNotRecorded(term: term, reason: reason))]
        }
    }

    // MARK: Internals

    /// Applies a heartbeat that needs no (more) write and answers it, replicating the result.
    private mutating func apply(_ heartbeat: Heartbeat, now: NodeNow) -> NodeStep {
        let result = table.apply(heartbeat, nowMs: now.wall.ms, seen: now.judge)
        var actions: [NodeAction] = []
        if case .success(let outcome) = result, outcome != .alreadyFinished, let publication = publication(heartbeat.executionID) {
            actions.append(.publish(publication))
        }
        return .done(.heartbeat(result), actions: actions)
    }

    /// The gossip value of an execution's newest heartbeat, when heartbeats are replicated.
    func publication(_ id: ExecutionID) -> GossipPublication? {
        guard let maxBytes = settings.gossipValueBytes, let (value, stamp) = table[id]?.gossipValue(maxBytes: maxBytes) else { return nil }
        return GossipPublication(id: id, value: value, stampMs: stamp)
    }

    /// When this node "saw" the newest heartbeat a fact carries: now, or for a heartbeat
    /// stamped before this node started (a restart reads it from the store), its stamp, so a
    /// finished execution's heartbeat age reads as its real age (see ``SeenTime``).
    func seen(of fact: ExecutionFact, now: NodeNow) -> JudgeTime {
        guard case .finished(_, _, _, _, _, _, _, let history?) = fact, let last = history.lastHeartbeatMs else { return now.judge }
        return SeenTime.forRemote(stamp: WallTime(ms: last), started: settings.started, now: now)
    }

    mutating func remember(mark id: ExecutionID, writer: String, term: UInt64, at position: LogPosition) {
        appliedMarks[term, default: []].append((id, writer, position))
        // Keep the newest few terms: a claim can only fence decisions its claimant had not
        // read, and a claimant has read everything but the last moments of older terms.
        if appliedMarks.count > 4, let oldest = appliedMarks.keys.min() { appliedMarks[oldest] = nil }
    }

    /// Checks every invariant; returns a description of the first broken one.
    public func invariantViolation() -> String? {
        if !table.checkInvariants() { return "execution table counts disagree with a recount" }
        if !duty.election.checkInvariants() { return "election state is inconsistent" }
        if let violation = writes.invariantViolation() { return violation }
        if let violation = outbox.invariantViolation() { return "outbox: \(violation)" }
        if status.sweeping && duty.election.leader != me { return "sweeping without leading" }
        return nil
    }
}

/// A sweep under way: what it has surveyed so far, and for which leadership and moment.
struct SweepProgress: Sendable {
    var term: UInt64
    var alive: Set<String>
    /// Of `alive`, those confirmed (``SweepDuty/Input/confirmed``; `nil`: all of them).
    var confirmed: Set<String>?
    /// The operators' release as it stood when the sweep began (``HoldRelease/through``).
    var released: JudgeTime?
    /// The sweep judges as of this moment, whatever chunk it is in.
    var started: NodeNow
    var next = 0
    var survey = SweepSurvey()
}

extension NodeCore {
    /// Whether a write is still in flight.
    public func isInFlight(_ ticket: WriteTicket) -> Bool { writes.isOpen(ticket) }
}
