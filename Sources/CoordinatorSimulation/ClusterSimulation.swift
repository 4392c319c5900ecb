import CoordinatorCore
import VigilCodec

/// A whole Vigil cluster in one process, on virtual time: coordinator nodes that run the real
/// pure cores (``ExecutionTable``, ``SweepDuty`` = ``Election`` + ``Sweeper``), a shared store,
/// a gossip network with delay, loss on death and partitions, and containers that heartbeat to
/// a node (moving to another when theirs is down), stop, or complete.
///
/// It models the IO shells the way `vigil serve` wires them: heartbeats land in the receiving
/// node's origin table and are pushed to peers (a packet not yet sent when its node dies is lost;
/// packets across a partition wait for anti-entropy after it heals); every node follows the
/// store (`StoreFollower`); membership is SWIM-like (a dead or cut-off peer is alive to the
/// others until `detectionDelayMs` has passed; a returning one counts after `joinDelayMs`); a
/// restarted node restores from the store and is synced from its peers' tables.
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
        /// Cut these node indices off from the others during the window.
        public var partition: (window: Range<Int64>, minority: Set<Int>)?
        public var gossipDelayMs: ClosedRange<Int64> = 5...150
        public var detectionDelayMs: Int64 = 4_000
        public var joinDelayMs: Int64 = 1_000
        public var storePollMs: Int64 = 200
        public var tickMs: Int64 = 250
        /// Print every mark and leadership change (debugging a seed).
        public var trace = false
        /// Each node's wall clock is off by up to this much (the sweep must not care).
        public var maxWallSkewMs: Int64 = 2_000

        public enum Target: Sendable, Equatable {
            case leader
            case node(Int)
        }

        public init() {}
    }

    /// What happened.
    public struct Report: Sendable {
        /// Marks of executions whose container was still heartbeating.
        public var falseMarks: [ExecutionID] = []
        /// Dying executions that were never marked.
        public var lostMarks: [ExecutionID] = []
        /// Executions with more than one failure mark in the store.
        public var duplicateMarks: [ExecutionID] = []
        /// Last heartbeat received → mark written, per dying execution.
        public var detectionLatenciesMs: [Int64] = []
        /// The same, only for executions whose strike count spanned a leader change.
        public var failoverLatenciesMs: [Int64] = []
        /// Marks written by a node that did not see a majority at that moment.
        public var minorityMarks = 0
        /// Marks written by nodes in the partition's minority while it lasted.
        public var marksFromPartitionMinority = 0
        /// Of `falseMarks`, those whose container sent to a majority-side node (must be none).
        public var falseMarksReachingMajority: [ExecutionID] = []
        /// Number of leadership terms started.
        public var terms = 0
        /// Nodes killed.
        public var kills = 0
    }

    // MARK: - Model

    enum StoreItem {
        case fact(ExecutionFact)
        case strikes([StrikeEntry])
        case term(UInt64)
    }

    struct StoreRecord {
        var node: Int
        var term: UInt64
        var item: StoreItem
    }

    final class Node {
        let index: Int
        let id: String
        var up = true
        var upSinceMs: Int64 = 0
        var downSinceMs: Int64 = .min
        var table: ExecutionTable
        var duty: SweepDuty
        var storeCursor = 0
        var storeReadAtJudgeMs: Int64?
        var highestTerm: UInt64 = 0
        var paused = false
        let wallSkewMs: Int64
        /// Heartbeats this node received (its origin table): id → (stamp, entry).
        var origin: [ExecutionID: (Int64, HeartbeatEntry)] = [:]
        /// Entries from peers that could not reach it (partition), for anti-entropy.
        var missed: [Int: [ExecutionID: (Int64, HeartbeatEntry)]] = [:]
        /// Anti-entropy pending: not synced with peers.
        var pendingSync = false

        init(index: Int, ids: [String], rule: SweepRule, wallSkewMs: Int64) {
            self.index = index
            self.id = ids[index]
            self.table = ExecutionTable(localOrigin: ids[index])
            self.duty = SweepDuty(me: ids[index], configured: ids, rule: rule)
            self.wallSkewMs = wallSkewMs
        }

        func judgeMs(_ now: Int64) -> Int64 { now - upSinceMs }
        func wallMs(_ now: Int64) -> Int64 { 1_700_000_000_000 + now + wallSkewMs }
    }

    enum Event {
        case heartbeat(exec: Int)
        case deliver(from: Int, to: Int, id: ExecutionID, stamp: Int64, entry: HeartbeatEntry, sentAtMs: Int64)
        case complete(exec: Int)
        case tick(node: Int)
        case poll(node: Int)
        case kill(Settings.Target)
        case restart(node: Int)
        case antiEntropy(node: Int)
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
    var rng: SplitMix64
    var now: Int64 = 0
    var queue = EventQueue<Event>()
    var nodes: [Node] = []
    var executions: [Execution] = []
    var store: [StoreRecord] = []
    var report = Report()
    var leaderChanges: [Int64] = []
    var markWriters: [ExecutionID: [Int]] = [:]
    var markTimes: [ExecutionID: Int64] = [:]
    var indexOf: [ExecutionID: Int] = [:]

    public init(_ settings: Settings) {
        self.settings = settings
        self.rng = SplitMix64(seed: settings.seed)
    }

    /// Runs the whole simulation and checks its outcome.
    public static func run(_ settings: Settings) -> Report {
        var simulation = ClusterSimulation(settings)
        return simulation.run()
    }

    mutating func run() -> Report {
        let ids = (1...settings.nodes).map { "n\($0)" }
        for i in 0..<settings.nodes {
            let skew = Int64.random(in: -settings.maxWallSkewMs...settings.maxWallSkewMs, using: &rng)
            nodes.append(Node(index: i, ids: ids, rule: settings.rule, wallSkewMs: skew))
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
        if let partition = settings.partition {
            queue.push(partition.window.upperBound, .antiEntropy(node: -1))
        }
        while let (time, event) = queue.pop(), time <= settings.durationMs {
            now = time
            handle(event)
        }
        finish()
        return report
    }

    // MARK: - Network

    func partitioned(_ a: Int, _ b: Int, at t: Int64) -> Bool {
        guard let partition = settings.partition, partition.window.contains(t) else { return false }
        return partition.minority.contains(a) != partition.minority.contains(b)
    }

    /// Node `i`'s view of which configured nodes are alive at `now` (SWIM-like timing): a peer
    /// that went silent (died, or was cut off) stays alive for `detectionDelayMs`; a peer that
    /// (re)appeared counts after `joinDelayMs`.
    func alive(seenBy i: Int) -> Set<String> {
        var alive: Set<String> = [nodes[i].id]
        for j in nodes.indices where j != i {
            let peer = nodes[j]
            let cut = partitioned(i, j, at: now)
            if peer.up && !cut {
                var visibleSince = peer.upSinceMs
                if let partition = settings.partition, partition.minority.contains(i) != partition.minority.contains(j),
                    partition.window.upperBound <= now
                {
                    visibleSince = max(visibleSince, partition.window.upperBound)
                }
                if visibleSince == 0 || now - visibleSince >= settings.joinDelayMs { alive.insert(peer.id) }
            } else {
                var silentSince = Int64.max
                if !peer.up { silentSince = peer.downSinceMs }
                if cut, let partition = settings.partition { silentSince = min(silentSince, partition.window.lowerBound) }
                if now - silentSince < settings.detectionDelayMs { alive.insert(peer.id) }
            }
        }
        return alive
    }

    mutating func delay() -> Int64 { Int64.random(in: settings.gossipDelayMs, using: &rng) }

    // MARK: - Events

    mutating func handle(_ event: Event) {
        switch event {
        case .heartbeat(let e):
            heartbeat(e)
        case .deliver(let from, let to, let id, let stamp, let entry, let sentAt):
            let receiver = nodes[to]
            guard receiver.up, receiver.upSinceMs <= sentAt else { return }
            if partitioned(from, to, at: now) || partitioned(from, to, at: sentAt) {
                receiver.missed[from, default: [:]][id] = (stamp, entry)
                return
            }
            receiver.table.apply(remote: entry, id: id, origin: receiver.table.originIndex(nodes[from].id), stampMs: stamp, seenMs: seen(receiver, stamp))
        case .complete(let e):
            complete(e)
        case .tick(let i):
            queue.push(now + settings.tickMs, .tick(node: i))
            if nodes[i].up { tick(i) }
        case .poll(let i):
            queue.push(now + settings.storePollMs, .poll(node: i))
            if nodes[i].up { poll(i) }
        case .kill(let target):
            kill(target)
        case .restart(let i):
            restart(i)
        case .antiEntropy(let i):
            if i < 0 {
                for j in nodes.indices where nodes[j].up { queue.push(now + delay() + 200, .antiEntropy(node: j)) }
            } else {
                antiEntropy(i)
            }
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
        let stamp = node.wallMs(now)
        let heartbeat = Heartbeat(executionID: execution.id, containerID: "c-\(e)", clientTimestamp: stamp / 1000)
        if node.table[execution.id] == nil {
            append(.fact(.registered(id: execution.id, registeredAtMs: stamp, containerID: heartbeat.containerID)), by: node.index, term: 0)
        }
        guard case .success = node.table.apply(heartbeat, nowMs: stamp, seenMs: node.judgeMs(now)), let record = node.table[execution.id] else { return }
        execution.lastHeartbeatReceivedMs = now
        let entry = HeartbeatEntry(record)
        let recordStamp = record.lastHeartbeatMs ?? stamp
        node.origin[execution.id] = (recordStamp, entry)
        // Pushed within a gossip interval; lost if the node dies before it goes out.
        let sendAt = now + Int64.random(in: 0...200, using: &rng)
        for j in nodes.indices where j != node.index {
            queue.push(sendAt + delay(), .deliver(from: node.index, to: j, id: execution.id, stamp: recordStamp, entry: entry, sentAtMs: sendAt))
        }
    }

    mutating func complete(_ e: Int) {
        var execution = executions[e]
        guard !execution.finished else { return }
        let candidates = nodes.indices.filter { nodes[$0].up }
        guard !candidates.isEmpty else { return }
        let node = nodes[nodes[execution.home].up ? execution.home : candidates.randomElement(using: &rng)!]
        guard node.table[execution.id]?.status.isTerminal != true else { return }
        let fact = ExecutionFact.finished(id: execution.id, status: .completed, source: .completion, finishedAtMs: node.wallMs(now), reason: nil, resultData: nil, errorMessage: nil)
        append(.fact(fact), by: node.index, term: 0)
        node.table.apply(fact: fact, seenMs: node.judgeMs(now))
        execution.finished = true
        executions[e] = execution
    }

    mutating func tick(_ i: Int) {
        let node = nodes[i]
        let judge = node.judgeMs(now)
        let alive = alive(seenBy: i)
        let synced = !node.pendingSync && node.missed.isEmpty
        let input = SweepDuty.Input(
            nowMs: judge, wallMs: node.wallMs(now), alive: alive, highestTermSeen: node.highestTerm,
            syncedAtMs: synced ? node.storeReadAtJudgeMs.map { min($0, judge) } : nil, paused: node.paused
        )
        let result = node.duty.check(input, table: &node.table)
        if case .becameLeader(let term) = result.change {
            append(.term(term), by: i, term: term)
            node.highestTerm = max(node.highestTerm, term)
            report.terms += 1
            leaderChanges.append(now)
            if settings.trace { print("n\(i + 1) leads term \(term) at \(now)") }
        }
        guard let outcome = result.outcome else { return }
        if !outcome.struck.isEmpty { append(.strikes(outcome.struck), by: i, term: result.term) }
        for mark in outcome.marked {
            // CoordinatorNode.markFailed: only a still-running execution; durable, then applied.
            guard node.table[mark.executionID]?.status == .running else { continue }
            let fact = ExecutionFact.finished(
                id: mark.executionID, status: .failed, source: .sweep, finishedAtMs: node.wallMs(now), reason: "sim", resultData: nil, errorMessage: nil
            )
            append(.fact(fact), by: i, term: result.term)
            node.table.apply(fact: fact, seenMs: judge)
            markWriters[mark.executionID, default: []].append(i)
            if settings.trace { print("mark \(mark.executionID) by n\(i + 1) at \(now) rule \(mark.rule) strikes \(mark.strikeTimesMs.map { $0 - 1_700_000_000_000 }) last hb \(executions[indexOf[mark.executionID]!].lastHeartbeatReceivedMs ?? -1) home n\(executions[indexOf[mark.executionID]!].home + 1)") }
            if markTimes[mark.executionID] == nil { markTimes[mark.executionID] = now }
            if !result.quorum { report.minorityMarks += 1 }
            if let partition = settings.partition, partition.window.contains(now), partition.minority.contains(i) { report.marksFromPartitionMinority += 1 }
        }
    }

    /// StoreFollower's poll; with `restoring`, FileStore.restore at start-up (own records too).
    mutating func poll(_ i: Int, restoring: Bool = false) {
        let node = nodes[i]
        while node.storeCursor < store.count {
            let record = store[node.storeCursor]
            node.storeCursor += 1
            node.highestTerm = max(node.highestTerm, record.term)
            guard record.node != i || restoring else { continue }
            switch record.item {
            case .fact(let fact): node.table.apply(fact: fact, seenMs: node.judgeMs(now))
            case .strikes(let strikes): node.table.apply(strikes: strikes)
            case .term(let term): node.highestTerm = max(node.highestTerm, term)
            }
        }
        node.storeReadAtJudgeMs = node.judgeMs(now)
    }

    mutating func kill(_ target: Settings.Target) {
        let index: Int
        switch target {
        case .node(let i): index = i
        case .leader:
            guard let leader = nodes.first(where: { $0.up && $0.duty.election.leader == $0.id }) else { return }
            index = leader.index
        }
        let node = nodes[index]
        guard node.up else { return }
        node.up = false
        node.downSinceMs = now
        report.kills += 1
        if let after = settings.restartAfterMs { queue.push(now + after, .restart(node: index)) }
    }

    mutating func restart(_ i: Int) {
        let ids = nodes.map(\.id)
        let old = nodes[i]
        let node = Node(index: i, ids: ids, rule: settings.rule, wallSkewMs: old.wallSkewMs)
        node.upSinceMs = now
        nodes[i] = node
        // Its old origin table went with it (a new generation clears it at the peers, whose
        // merged views keep what they learned, and who re-publish the heartbeats only it had:
        // CoordinatorNode.adoptOrphans). Restore from the store, then sync from peers.
        for peer in nodes where peer.up && peer.index != i {
            guard let originIndex = peer.table.originNames.firstIndex(of: node.id) else { continue }
            for record in peer.table.allRecords where record.status == .running && Int(record.origin) == originIndex {
                if let stamp = record.lastHeartbeatMs { peer.origin[record.id] = (stamp, HeartbeatEntry(record)) }
            }
        }
        poll(i, restoring: true)
        node.pendingSync = true
        queue.push(now + settings.joinDelayMs, .antiEntropy(node: i))
    }

    mutating func antiEntropy(_ i: Int) {
        let node = nodes[i]
        guard node.up else { return }
        if node.pendingSync {
            for peer in nodes where peer.index != i && peer.up && !partitioned(i, peer.index, at: now) {
                let origin = node.table.originIndex(peer.id)
                for (id, (stamp, entry)) in peer.origin { node.table.apply(remote: entry, id: id, origin: origin, stampMs: stamp, seenMs: seen(node, stamp)) }
            }
            node.pendingSync = false
        }
        for (from, entries) in node.missed where !partitioned(i, from, at: now) {
            let origin = node.table.originIndex(nodes[from].id)
            for (id, (stamp, entry)) in entries { node.table.apply(remote: entry, id: id, origin: origin, stampMs: stamp, seenMs: seen(node, stamp)) }
            node.missed[from] = nil
        }
    }

    /// As `CoordinatorNode.merge` does it.
    func seen(_ node: Node, _ stamp: Int64) -> Int64 {
        SeenTime.forRemote(stampMs: stamp, startedWallMs: node.wallMs(node.upSinceMs), nowWallMs: node.wallMs(now), nowJudgeMs: node.judgeMs(now))
    }

    mutating func append(_ item: StoreItem, by node: Int, term: UInt64) {
        store.append(StoreRecord(node: node, term: term, item: item))
    }

    // MARK: - Verdict

    mutating func finish() {
        var marksPerExecution: [ExecutionID: Int] = [:]
        for record in store {
            if case .fact(.finished(let id, _, .sweep, _, _, _, _)) = record.item { marksPerExecution[id, default: 0] += 1 }
        }
        let rule = settings.rule
        for execution in executions {
            let marks = marksPerExecution[execution.id] ?? 0
            if marks > 1 { report.duplicateMarks.append(execution.id) }
            let dies = execution.diesAtMs != .max
            if marks > 0 && !dies {
                report.falseMarks.append(execution.id)
                if let partition = settings.partition, !partition.minority.contains(execution.home) {
                    report.falseMarksReachingMajority.append(execution.id)
                }
            }
            if dies && marks == 0 {
                // Only count it lost if the run was long enough to see it marked.
                let last = execution.lastHeartbeatReceivedMs ?? 0
                if settings.durationMs - last > rule.heartbeatTimeoutMs + 5 * rule.checkIntervalMs + (settings.restartAfterMs ?? 0) {
                    report.lostMarks.append(execution.id)
                }
            }
            if dies, marks > 0, let markedAt = markTimes[execution.id], let last = execution.lastHeartbeatReceivedMs {
                let latency = markedAt - last
                report.detectionLatenciesMs.append(latency)
                if leaderChanges.contains(where: { $0 > last && $0 < markedAt }) { report.failoverLatenciesMs.append(latency) }
            }
        }
    }
}

/// A binary min-heap of timed events; ties keep insertion order, so a run is deterministic.
struct EventQueue<Element> {
    private var heap: [(time: Int64, order: UInt64, element: Element)] = []
    private var counter: UInt64 = 0

    mutating func push(_ time: Int64, _ element: Element) {
        counter += 1
        heap.append((time, counter, element))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (Int64, Element)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && less(left, smallest) { smallest = left }
            if right < heap.count && less(right, smallest) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.time, top.element)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        (heap[a].time, heap[a].order) < (heap[b].time, heap[b].order)
    }
}
