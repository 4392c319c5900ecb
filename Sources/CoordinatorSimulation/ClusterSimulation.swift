import Coordinator
import CoordinatorCore
import Gossip
import VigilCodec

/// A whole Vigil cluster in one process, on virtual time, running the code `vigil serve` runs:
/// each node is a real ``NodeCore`` (heartbeats, completions, store records, election, sweep,
/// fence) and a real ``GossipNode`` (SWIM membership, Scuttlebutt replication), wired by the
/// same ``GossipReplicaBridge`` as the production shell. What is simulated is only the IO:
/// a network that delays packets and drops them across partitions or to dead nodes, a shared
/// store whose appends are durable at once, clocks (each node's wall clock skewed), and
/// containers that heartbeat to a node (moving to another when theirs is down), stop, or complete.
///
/// Everything is seeded: a failing seed replays exactly.
public struct ClusterSimulation {
    /// What to simulate.
    public struct Settings: Sendable {
        public var seed: UInt64 = 1
        public var nodes = 3
        public var executions = 10_000
        public var rule = SweepRule()
        public var heartbeatEveryMs: Int64 = 60_000
        /// Share of executions whose container dies (stops heartbeating) at a random time in
        /// `dieWithinMs`; each must be marked FAILED, exactly once.
        public var dyingShare = 0.02
        public var dieWithinMs: ClosedRange<Int64> = 60_000...300_000
        /// Share of executions that complete (completion notice) at a random time.
        public var completingShare = 0.02
        public var durationMs: Int64 = 1_500_000
        /// Kill these nodes (ids) at these times; `leader` kills whoever leads then.
        public var kills: [(atMs: Int64, node: Target)] = []
        /// A killed node restarts after this long (`nil`: stays down).
        public var restartAfterMs: Int64? = 60_000
        /// Cut these node indices off from the others during the window (packets both ways lost).
        public var partition: (window: Range<Int64>, minority: Set<Int>)?
        /// During the window, node `node`'s membership view leaves out `blindTo` (as a view that
        /// lags or a one-way fault would): both may believe they lead. Packets still flow.
        public var blindness: (window: Range<Int64>, node: Int, blindTo: Int)?
        /// During the window, node `node` reads nothing of the store (a stalled follower, a slow
        /// network filesystem): it learns no peer's claim, so a superseded leader goes on.
        public var storeStall: (window: Range<Int64>, node: Int)?
        public var gossipDelayMs: ClosedRange<Int64> = 1...20
        /// The gossip protocol's own settings (SWIM timings, rounds).
        public var gossip = GossipSettings()
        public var storePollMs: Int64 = 200
        public var tickMs: Int64 = 250
        /// Each node's wall clock is off by up to this much (the sweep must not care).
        public var maxWallSkewMs: Int64 = 2_000
        /// Check every core's invariants after each of its steps (costly with many executions).
        public var checkInvariants = false
        /// Print every mark and leadership change (debugging a seed).
        public var trace = false
        /// Notification channels (all deliver to one simulated receiver); `nil`: none.
        public var notifications: Outbox.Settings?
        /// The receiver refuses every delivery during this window (it is down).
        public var receiverDown: Range<Int64>?
        /// Share of first attempts the receiver answers with a 500 (after recording nothing).
        public var receiverFailShare = 0.0
        /// One way of a delivery (request or response), ms.
        public var deliveryDelayMs: ClosedRange<Int64> = 2...30
        /// The first node to send a notification at or after this time is killed right after
        /// sending it, before the answer comes back (a leader dying mid-send).
        public var killSenderAfterMs: Int64?

        public enum Target: Sendable, Equatable {
            case leader
            case node(Int)
        }

        public init() {}
    }

    /// What happened.
    public struct Report: Sendable {
        /// Valid marks of executions whose container was still heartbeating.
        public var falseMarks: [ExecutionID] = []
        /// Dying executions that were never (validly) marked.
        public var lostMarks: [ExecutionID] = []
        /// Executions with more than one valid failure mark in the store.
        public var duplicateMarks: [ExecutionID] = []
        /// Failure marks in the store that a newer claim's fence voids.
        public var fencedMarks = 0
        /// Last heartbeat received → valid mark written, per dying execution.
        public var detectionLatenciesMs: [Int64] = []
        /// The same, only for executions whose strike count spanned a leader change.
        public var failoverLatenciesMs: [Int64] = []
        /// Valid marks written by a node that, in truth (not in its own view), could reach fewer
        /// than a majority of the configured nodes at that moment.
        public var minorityMarks = 0
        /// Valid marks written by nodes in the partition's minority while it lasted.
        public var marksFromPartitionMinority = 0
        /// Of `falseMarks`, those whose container sent to a majority-side node (must be none).
        public var falseMarksReachingMajority: [ExecutionID] = []
        /// Executions whose status differs between live nodes at the end (must be none).
        public var disagreements: [ExecutionID] = []
        /// Moments at which two nodes both believed they led (their own view).
        public var dualLeadershipTicks = 0
        /// Number of leadership terms claimed.
        public var terms = 0
        /// Nodes killed.
        public var kills = 0
        /// The first broken core invariant, when `checkInvariants` found one.
        public var invariantViolation: String?
        /// Events simulated (for the benchmark's figures).
        public var events = 0
        /// Deliveries the receiver took (2xx), by key; more than one for a key is a same-key
        /// retry (a sender died before its acknowledgement was durable).
        public var received: [String: Int] = [:]
        /// Validly marked executions whose `execution.failed` event never reached the receiver.
        public var lostNotifications: [ExecutionID] = []
        /// Executions the receiver heard of under more than one `execution.failed` key (must be none).
        public var notifiedUnderTwoKeys: [ExecutionID] = []
        /// `execution.failed` deliveries for executions that were never validly marked.
        public var notificationsForLive: [ExecutionID] = []
        /// Failure mark durable → first delivery attempt, ms.
        public var firstAttemptLatenciesMs: [Int64] = []
        /// Delivery attempts made (all nodes).
        public var attempts = 0
        /// Senders killed mid-send.
        public var sendersKilled = 0
    }

    enum Event {
        case heartbeat(exec: Int)
        case complete(exec: Int)
        case tick(node: Int)
        case poll(node: Int)
        case gossipWake(node: Int, incarnation: Int)
        case packet(to: Int, incarnation: Int, from: Int, packet: Packet, sentAtMs: Int64)
        case kill(Settings.Target)
        case restart(node: Int)
        /// A delivery reaches the receiver.
        case deliveryArrives(node: Int, incarnation: Int, attempt: NotificationAttempt)
        /// The receiver's answer reaches the sender.
        case deliveryAnswered(node: Int, incarnation: Int, attempt: NotificationAttempt, result: DeliveryResult)
    }

    struct Execution {
        var id: ExecutionID
        var home: Int
        var diesAtMs: Int64 = .max
        var completesAtMs: Int64 = .max
        var finished = false
        var lastHeartbeatReceivedMs: Int64?
    }

    let settings: Settings
    let ids: [String]
    var rng: SplitMix64
    var now: Int64 = 0
    var queue = EventQueue<Event>()
    var nodes: [SimulatedNode] = []
    var executions: [Execution] = []
    var store = SimulatedStore()
    var report = Report()
    var leaderChanges: [Int64] = []
    var indexOf: [ExecutionID: Int] = [:]
    /// When each failure mark's record was appended, and when its first attempt went out.
    var markedAt: [String: Int64] = [:]
    var firstAttemptAt: [String: Int64] = [:]
    var killedSender = false

    public init(_ settings: Settings) {
        self.settings = settings
        self.ids = (1...settings.nodes).map { "n\($0)" }
        self.rng = SplitMix64(seed: settings.seed)
    }

    /// Runs the whole simulation and checks its outcome.
    public static func run(_ settings: Settings) -> Report {
        var simulation = ClusterSimulation(settings)
        return simulation.run()
    }

    mutating func run() -> Report {
        for i in 0..<settings.nodes {
            let skew = Int64.random(in: -settings.maxWallSkewMs...settings.maxWallSkewMs, using: &rng)
            nodes.append(makeNode(i, wallSkewMs: skew, generation: 1))
            startGossip(i)
            queue.push(Int64.random(in: 0..<settings.tickMs, using: &rng), .tick(node: i))
            queue.push(Int64.random(in: 0..<settings.storePollMs, using: &rng), .poll(node: i))
        }
        for e in 0..<settings.executions {
            var execution = Execution(id: ExecutionID(high: settings.seed, low: UInt64(e) + 1), home: Int.random(in: 0..<settings.nodes, using: &rng))
            let roll = Double.random(in: 0..<1, using: &rng)
            if roll < settings.dyingShare {
                execution.diesAtMs = Int64.random(in: settings.dieWithinMs, using: &rng)
            } else if roll < settings.dyingShare + settings.completingShare {
                execution.completesAtMs = Int64.random(in: settings.dieWithinMs, using: &rng)
                queue.push(execution.completesAtMs, .complete(exec: e))
            }
            indexOf[execution.id] = e
            executions.append(execution)
            queue.push(Int64.random(in: 0..<settings.heartbeatEveryMs, using: &rng), .heartbeat(exec: e))
        }
        for kill in settings.kills { queue.push(kill.atMs, .kill(kill.node)) }
        while let (time, event) = queue.pop(), time <= settings.durationMs {
            now = time
            report.events += 1
            handle(event)
            if report.invariantViolation != nil { break }
        }
        finish()
        return report
    }

    /// A node as it starts (its cores are made by ``startGossip(_:)``).
    func makeNode(_ i: Int, wallSkewMs: Int64, generation: UInt64) -> SimulatedNode {
        SimulatedNode(index: i, id: ids[i], generation: generation, wallSkewMs: wallSkewMs, upSinceMs: now, rngSeed: settings.seed &* 31 &+ UInt64(i) &+ generation << 32)
    }

    // MARK: - Network

    func partitioned(_ a: Int, _ b: Int, at t: Int64) -> Bool {
        guard let partition = settings.partition, partition.window.contains(t) else { return false }
        return partition.minority.contains(a) != partition.minority.contains(b)
    }

    static func address(_ i: Int) -> HostPort { HostPort(host: "10.0.0.\(i + 1)", port: 7946) }

    mutating func delay() -> Int64 { Int64.random(in: settings.gossipDelayMs, using: &rng) }

    // MARK: - Events

    mutating func handle(_ event: Event) {
        switch event {
        case .heartbeat(let e):
            heartbeat(e)
        case .complete(let e):
            complete(e)
        case .tick(let i):
            queue.push(now + settings.tickMs, .tick(node: i))
            if nodes[i].up { tick(i) }
        case .poll(let i):
            queue.push(now + settings.storePollMs, .poll(node: i))
            if let stall = settings.storeStall, stall.node == i, stall.window.contains(now) { return }
            if nodes[i].up { poll(i) }
        case .gossipWake(let i, let incarnation):
            let node = nodes[i]
            // Only the latest scheduled wake counts; an earlier one superseded it.
            guard node.up, node.incarnation == incarnation, node.scheduledWake == now else { return }
            node.scheduledWake = nil
            let actions = node.gossip.tick(now: node.moment(now), using: &node.rng)
            performGossip(actions, by: i)
        case .packet(let to, let incarnation, let from, let packet, let sentAt):
            let receiver = nodes[to]
            guard receiver.up, receiver.incarnation == incarnation, !partitioned(from, to, at: now), !partitioned(from, to, at: sentAt) else { return }
            let actions = receiver.gossip.receive(packet, from: Self.address(from), now: receiver.moment(now), using: &receiver.rng)
            performGossip(actions, by: to)
        case .kill(let target):
            kill(target)
        case .restart(let i):
            restart(i)
        case .deliveryArrives(let i, let incarnation, let attempt):
            let result: DeliveryResult
            if let down = settings.receiverDown, down.contains(now) {
                result = .failed("connection refused")
            } else if attempt.attempt == 1, Double.random(in: 0..<1, using: &rng) < settings.receiverFailShare {
                result = .failed("HTTP 500")
            } else {
                report.received[attempt.target.key, default: 0] += 1
                result = .delivered
            }
            queue.push(now + Int64.random(in: settings.deliveryDelayMs, using: &rng), .deliveryAnswered(node: i, incarnation: incarnation, attempt: attempt, result: result))
        case .deliveryAnswered(let i, let incarnation, let attempt, let result):
            let node = nodes[i]
            guard node.up, node.incarnation == incarnation else { return }
            let actions = node.core.deliveryFinished(attempt, result: result, now: node.now(now))
            perform(actions, by: i)
        }
    }

    mutating func heartbeat(_ e: Int) {
        var execution = executions[e]
        guard !execution.finished, now < execution.diesAtMs, now < execution.completesAtMs else { return }
        defer {
            executions[e] = execution
            queue.push(now + settings.heartbeatEveryMs + Int64.random(in: -1_000...1_000, using: &rng), .heartbeat(exec: e))
        }
        if !nodes[execution.home].up {
            // The container's POST fails; it (or its load balancer) tries another node.
            let upNodes = nodes.indices.filter { nodes[$0].up }
            guard let other = upNodes.randomElement(using: &rng) else { return }
            execution.home = other
        }
        let node = nodes[execution.home]
        let wall = node.wall(now)
        let heartbeat = Heartbeat(executionID: execution.id, containerID: "c-\(e)", clientTimestamp: wall.ms / 1000)
        let answer = submit(node.index) { core, now in core.receive(heartbeat, now: now) }
        if case .heartbeat(.success)? = answer { execution.lastHeartbeatReceivedMs = now }
    }

    mutating func complete(_ e: Int) {
        var execution = executions[e]
        guard !execution.finished else { return }
        let candidates = nodes.indices.filter { nodes[$0].up }
        guard !candidates.isEmpty else { return }
        let target = nodes[execution.home].up ? execution.home : candidates.randomElement(using: &rng)!
        let completion = Completion(executionID: execution.id, containerID: "c-\(e)", success: true)
        _ = submit(target) { core, now in core.receive(completion, now: now) }
        execution.finished = true
        executions[e] = execution
    }

    /// A request to node `i`'s core, with its durable write (if any) made at once, as the shell does.
    mutating func submit(_ i: Int, _ decide: (inout NodeCore, NodeNow) -> NodeStep) -> NodeAnswer? {
        let node = nodes[i]
        let nodeNow = node.now(now)
        switch decide(&node.core, nodeNow) {
        case .done(let answer, let actions):
            perform(actions, by: i)
            return answer
        case .write(let ticket, let write):
            let position = store.append(write, by: node.id, at: now)
            let (answer, actions) = node.core.written(ticket, at: position, now: node.now(now))
            perform(actions, by: i)
            return answer
        case .wait, .needsDurablePath:
            preconditionFailure("writes are durable at once in the simulation: nothing waits")
        }
    }

    mutating func tick(_ i: Int) {
        let node = nodes[i]
        var alive = GossipReplicaBridge.alive(node.gossip.membership.sortedMembers, me: node.id, configured: Set(ids))
        if let blind = settings.blindness, blind.window.contains(now), blind.node == i { alive.remove(ids[blind.blindTo]) }
        let synced = GossipReplicaBridge.synced(lag: node.gossip.replica.versionLag())
        var actions = node.core.tick(now: node.now(now), alive: alive, synced: synced)
        while node.core.sweepPending { actions += node.core.continueSweep(now: node.now(now)) }
        perform(actions, by: i)
        let leaders = nodes.filter { $0.up && $0.core.duty.election.leader == $0.id }
        if leaders.count > 1 { report.dualLeadershipTicks += 1 }
        check(i)
    }

    /// StoreFollower's poll: every record of other nodes since the last poll, then "read to the end".
    mutating func poll(_ i: Int) {
        let node = nodes[i]
        let started = node.now(now).judge
        var actions: [NodeAction] = []
        while node.storeCursor < store.records.count {
            let record = store.records[node.storeCursor].record
            node.storeCursor += 1
            guard record.node != node.id else { continue }
            actions += node.core.apply(stored: record, now: node.now(now))
        }
        node.core.noteStoreRead(at: started)
        perform(actions, by: i)
        check(i)
    }

    /// Carries out a core's actions the way `CoordinatorNode` does.
    mutating func perform(_ actions: [NodeAction], by i: Int) {
        let node = nodes[i]
        for action in actions {
            switch action {
            case .write(let ticket, let write):
                let position = store.append(write, by: node.id, at: now)
                if write.kind == .failureMark, let fact = ExecutionFact(kind: .failureMark, payload: write.payload) {
                    let key = NotificationEvent.key(.executionFailed, execution: fact.executionID)
                    if markedAt[key] == nil { markedAt[key] = now }
                }
                if write.kind == .leadershipTerm {
                    report.terms += 1
                    leaderChanges.append(now)
                    if settings.trace { print("\(now) \(node.id) claims term \(write.term)") }
                }
                let (_, more) = node.core.written(ticket, at: position, now: node.now(now))
                perform(more, by: i)
            case .publish(let publication):
                try? _ = node.gossip.set(
                    key: EntryKey(high: publication.id.high, low: publication.id.low), value: publication.value, stamp: publication.stampMs, now: node.moment(now)
                )
                scheduleWake(i)
            case .forget(let id):
                _ = node.gossip.delete(key: EntryKey(high: id.high, low: id.low), stamp: 0, now: node.moment(now))
                scheduleWake(i)
            case .report(let event):
                if settings.trace { print("\(now) \(node.id) \(event)") }
            case .repair:
                break  // no probed services in the simulation
            case .deliver(let attempt):
                report.attempts += 1
                if firstAttemptAt[attempt.target.key] == nil { firstAttemptAt[attempt.target.key] = now }
                queue.push(now + Int64.random(in: settings.deliveryDelayMs, using: &rng), .deliveryArrives(node: i, incarnation: node.incarnation, attempt: attempt))
                if let after = settings.killSenderAfterMs, now >= after, !killedSender, node.up {
                    killedSender = true
                    report.sendersKilled += 1
                    kill(.node(i))
                }
            }
        }
    }

    /// Carries out a gossip node's actions the way `GossipService` does, over the simulated network.
    mutating func performGossip(_ actions: [GossipAction], by i: Int) {
        let node = nodes[i]
        for action in actions {
            switch action {
            case .send(let packet, let address):
                guard let to = nodes.firstIndex(where: { Self.address($0.index) == address }), to != i, !partitioned(i, to, at: now) else { continue }
                queue.push(now + delay(), .packet(to: to, incarnation: nodes[to].incarnation, from: i, packet: packet, sentAtMs: now))
            case .replicaChanged(let change):
                let (core, _) = GossipReplicaBridge.apply(change, to: &node.core, now: node.now(now))
                perform(core, by: i)
            case .memberChanged, .dropped:
                break
            }
        }
        scheduleWake(i)
    }

    mutating func scheduleWake(_ i: Int) {
        let node = nodes[i]
        let wake = max(now + 1, node.gossip.nextWakeUp.nanoseconds / 1_000_000 + node.upSinceMs)
        if let scheduled = node.scheduledWake, scheduled <= wake { return }
        node.scheduledWake = wake
        queue.push(wake, .gossipWake(node: i, incarnation: node.incarnation))
    }

    mutating func startGossip(_ i: Int) {
        let node = nodes[i]
        var gossip = GossipNode(
            identity: NodeIdentity(id: node.id, generation: node.generation), seeds: nodes.indices.filter { $0 != i }.map(Self.address),
            settings: settings.gossip, now: node.moment(now)
        )
        gossip.setAddress(Self.address(i))
        node.gossip = gossip
        var core = NodeCore.Settings(me: node.id, configured: ids, rule: settings.rule, started: node.wall(now), gossipValueBytes: gossip.maxValueBytes)
        if var notifications = settings.notifications {
            notifications.seed = settings.seed &+ UInt64(i) &* 7919 &+ node.generation
            core.notifications = notifications
        }
        node.core = NodeCore(settings: core)
        let actions = node.gossip.start(now: node.moment(now))
        performGossip(actions, by: i)
    }

    mutating func kill(_ target: Settings.Target) {
        let index: Int
        switch target {
        case .node(let i): index = i
        case .leader:
            guard let leader = nodes.first(where: { $0.up && $0.core.duty.election.leader == $0.id }) else { return }
            index = leader.index
        }
        let node = nodes[index]
        guard node.up else { return }
        node.up = false
        report.kills += 1
        if settings.trace { print("\(now) kill \(node.id)") }
        if let after = settings.restartAfterMs { queue.push(now + after, .restart(node: index)) }
    }

    /// A restarted node: a new generation, an empty core restored from the store, gossip anew.
    mutating func restart(_ i: Int) {
        let old = nodes[i]
        nodes[i] = makeNode(i, wallSkewMs: old.wallSkewMs, generation: old.generation + 1)
        nodes[i].incarnation = old.incarnation + 1
        startGossip(i)
        let node = nodes[i]
        let actions = node.core.restore(store.records.map(\.record), now: node.now(now))
        node.storeCursor = store.records.count
        perform(actions, by: i)
    }

    mutating func check(_ i: Int) {
        guard settings.checkInvariants, report.invariantViolation == nil else { return }
        if let violation = nodes[i].core.invariantViolation() ?? nodes[i].gossip.invariantViolation() {
            report.invariantViolation = "\(nodes[i].id) at \(now) ms: \(violation)"
        }
    }
}

/// One simulated coordinator: its real cores plus what the simulator tracks about it.
final class SimulatedNode {
    let index: Int
    let id: String
    let generation: UInt64
    var incarnation = 0
    var up = true
    let upSinceMs: Int64
    let wallSkewMs: Int64
    var core: NodeCore!
    var gossip: GossipNode!
    var rng: SplitMix64
    var storeCursor = 0
    var scheduledWake: Int64?

    init(index: Int, id: String, generation: UInt64, wallSkewMs: Int64, upSinceMs: Int64, rngSeed: UInt64) {
        self.index = index
        self.id = id
        self.generation = generation
        self.wallSkewMs = wallSkewMs
        self.upSinceMs = upSinceMs
        self.rng = SplitMix64(seed: rngSeed)
    }

    /// Its judge clock: ms since it started.
    func judge(_ now: Int64) -> JudgeTime { JudgeTime(ms: now - upSinceMs) }
    /// Its wall clock, skewed.
    func wall(_ now: Int64) -> WallTime { WallTime(ms: 1_700_000_000_000 + now + wallSkewMs) }
    func now(_ now: Int64) -> NodeNow { NodeNow(wall: wall(now), judge: judge(now)) }
    /// Its gossip timeline (nanoseconds since it started).
    func moment(_ now: Int64) -> Moment { Moment(nanoseconds: (now - upSinceMs) * 1_000_000) }
}

/// The shared store: every node's records in the order they were appended (each durable at
/// once), with per-node positions.
struct SimulatedStore {
    var records: [(record: StoredRecord, atMs: Int64)] = []
    var counts: [String: Int] = [:]

    mutating func append(_ write: DurableWrite, by node: String, at now: Int64) -> LogPosition {
        let offset = counts[node, default: 0]
        counts[node] = offset + 1
        let position = LogPosition(segment: 1, offset: offset)
        records.append((StoredRecord(node: node, position: position, kind: write.kind, term: write.term, time: write.time, payload: write.payload), now))
        return position
    }
}
