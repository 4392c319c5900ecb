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
        /// At `atMs`, this share of the executions (chosen by the seed, among those neither dying
        /// nor completing otherwise) dies at once: a worker host that ran them went down.
        public var massDeath: (atMs: Int64, share: Double)?
        /// During the window every container's heartbeats are lost on the way (a load balancer
        /// broke): the containers go on and beat again after it.
        public var cutOff: Range<Int64>?
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
        /// How long one append of a node's store takes to become durable.
        public var storeLatencyMs: ClosedRange<Int64> = 1...8
        /// Appends node `node` starts during the window hang until it ends (a frozen network
        /// filesystem), then complete.
        public var writeStall: (window: Range<Int64>, node: Int)?
        /// During the window, this share of node `node`'s appends fail (EIO, a full disk):
        /// nothing of theirs is durable, requests get a 503, the core retries what it must.
        public var writeFailure: (window: Range<Int64>, node: Int, share: Double)?
        /// Share of heartbeats a container sends twice to the same node a few ms apart (a client
        /// retry after a timeout): a first heartbeat then waits behind the registration in flight.
        public var retryShare = 0.0
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
        /// Executions whose container died (by `dyingShare` or `massDeath`).
        public var dying = 0
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
        /// When the receiver first took each key (simulated ms).
        public var receivedAtMs: [String: Int64] = [:]
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
        /// Requests that waited behind a write in flight on their execution (the wait path).
        public var parkedRequests = 0
        /// Requests answered "store unavailable" (503).
        public var refusedRequests = 0
        /// Appends that failed (injected) and appends that hung in a stall.
        public var failedAppends = 0
        public var stalledAppends = 0
        /// Executions a container gave up registering (every first heartbeat refused).
        public var neverRegistered = 0
        /// Valid failure marks written during `writeStall`'s window, by writer.
        public var marksDuringStall: [String: Int] = [:]
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
        /// A node's append is durable (or failed).
        case appended(node: Int, incarnation: Int, batch: BatchID, writes: [DurableWrite], fails: Bool)
        /// A container's duplicate of a heartbeat (a retry) reaches its node.
        case retry(exec: Int, node: Int)
    }

    struct Execution {
        var id: ExecutionID
        var home: Int
        var diesAtMs: Int64 = .max
        var completesAtMs: Int64 = .max
        var finished = false
        var lastHeartbeatReceivedMs: Int64?
        /// The cluster acknowledged one of its heartbeats (so it exists for the cluster).
        var registered = false
    }

    /// What a request in flight was, so its answer can be judged.
    enum Asked {
        case heartbeat(exec: Int)
        case completion(exec: Int)
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
    /// Requests not yet answered, by node and id.
    var asked: [Int: [RequestID: Asked]] = [:]

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
        if let death = settings.massDeath {
            // Exactly the share of all executions, from those not dying or completing otherwise.
            let eligible = executions.indices.filter { executions[$0].diesAtMs == .max && executions[$0].completesAtMs == .max }.shuffled(using: &rng)
            for e in eligible.prefix(Int((death.share * Double(settings.executions)).rounded())) { executions[e].diesAtMs = death.atMs }
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
                if report.receivedAtMs[attempt.target.key] == nil { report.receivedAtMs[attempt.target.key] = now }
                result = .delivered
            }
            queue.push(now + Int64.random(in: settings.deliveryDelayMs, using: &rng), .deliveryAnswered(node: i, incarnation: incarnation, attempt: attempt, result: result))
        case .deliveryAnswered(let i, let incarnation, let attempt, let result):
            let node = nodes[i]
            guard node.up, node.incarnation == incarnation else { return }
            let output = node.interpreter.step { $0.deliveryFinished(attempt, result: result, now: node.now(now)) }
            perform(output, by: i)
        case .appended(let i, let incarnation, let batch, let writes, let fails):
            appended(i, incarnation: incarnation, batch: batch, writes: writes, fails: fails)
        case .retry(let e, let i):
            guard nodes[i].up, !executions[e].finished else { return }
            let heartbeat = Heartbeat(executionID: executions[e].id, containerID: "c-\(e)", clientTimestamp: nodes[i].wall(now).ms / 1000)
            submit(i, .heartbeat(heartbeat), asked: .heartbeat(exec: e))
        }
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
        node.interpreter = NodeInterpreter(core: NodeCore(settings: core))
        let actions = node.gossip.start(now: node.moment(now))
        performGossip(actions, by: i)
    }

    mutating func kill(_ target: Settings.Target) {
        let index: Int
        switch target {
        case .node(let i): index = i
        case .leader:
            guard let leader = nodes.first(where: { $0.up && $0.interpreter.core.duty.election.leader == $0.id }) else { return }
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
        let records = store.records.map(\.record)
        node.storeCursor = store.records.count
        perform(node.interpreter.step { $0.restore(records, now: node.now(now)) }, by: i)
    }

    mutating func check(_ i: Int) {
        guard settings.checkInvariants, report.invariantViolation == nil else { return }
        if let violation = nodes[i].interpreter.invariantViolation() ?? nodes[i].gossip.invariantViolation() {
            report.invariantViolation = "\(nodes[i].id) at \(now) ms: \(violation)"
        }
    }
}

