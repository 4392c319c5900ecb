import VigilCodec
import Gossip
import HeapModule

/// How the simulated network treats datagrams.
struct NetworkConditions {
    var loss = 0.0
    var duplicate = 0.0
    var minDelay: Duration = .milliseconds(1)
    var maxDelay: Duration = .milliseconds(5)
}

/// N gossip cores in one process on a virtual clock, exchanging real encoded datagrams through a
/// seeded faulty network (loss, delay, duplication, reordering, partitions), with crashes,
/// pauses and restarts. Deterministic for a given seed.
struct SimulatedCluster {
    enum Event {
        case wake(String)
        case resume(String)
        case deliver(to: String, datagram: [UInt8], from: HostPort)
    }

    struct Scheduled: Comparable {
        var at: Moment
        var order: UInt64
        var event: Event
        static func < (lhs: Scheduled, rhs: Scheduled) -> Bool { (lhs.at, lhs.order) < (rhs.at, rhs.order) }
        static func == (lhs: Scheduled, rhs: Scheduled) -> Bool { (lhs.at, lhs.order) == (rhs.at, rhs.order) }
    }

    enum RunState: Equatable {
        case running
        case paused(until: Moment)
        case crashed
    }

    struct SimNode {
        var core: GossipNode
        var rng: SplitMix64
        var address: HostPort
        var state: RunState = .running
        var inbox: [(datagram: [UInt8], from: HostPort)] = []
        var wakeAt: Moment?
    }

    /// A member change seen by one node, with when.
    struct Observed {
        var at: Moment
        var observer: String
        var change: MemberChange
    }

    var now = Moment.zero
    var nodes: [String: SimNode] = [:]
    /// Address → node id, for routing.
    var routes: [HostPort: String] = [:]
    var queue = Heap<Scheduled>()
    var order: UInt64 = 0
    var rng: SplitMix64
    var conditions: NetworkConditions
    var settings: GossipSettings
    let codec: WireCodec
    /// Node id → partition group; datagrams between different groups are lost.
    var partition: [String: Int]?
    var observed: [Observed] = []
    var largestDatagram = 0
    var oversizeDatagrams = 0
    var datagramsSent = 0
    var bytesSent = 0
    var drops: [DropReason: Int] = [:]
    var checkInvariantsEveryStep = true

    init(size: Int, seed: UInt64, conditions: NetworkConditions = NetworkConditions(), settings: GossipSettings = GossipSettings(), keyring: GossipKeyring? = nil) {
        self.rng = SplitMix64(seed: seed)
        self.conditions = conditions
        var settings = settings
        settings.sealed = keyring != nil
        self.settings = settings
        self.codec = WireCodec(cluster: ClusterID(name: "sim"), keyring: keyring, maxDatagramBytes: settings.maxDatagramBytes)
        let seeds = [Self.address(1)]
        for index in 1...size {
            add(id: Self.id(index), generation: 1, address: Self.address(index), seeds: seeds)
        }
    }

    static func id(_ index: Int) -> String { "n\(index)" }
    static func address(_ index: Int, port: UInt16 = 7946) -> HostPort { HostPort(host: "10.0.0.\(index)", port: port) }

    var ids: [String] { nodes.keys.sorted() }

    // MARK: Control

    mutating func add(id: String, generation: UInt64, address: HostPort, seeds: [HostPort]) {
        var core = GossipNode(identity: NodeIdentity(id: id, generation: generation), seeds: seeds, settings: settings, now: now)
        core.setAddress(address)
        var node = SimNode(core: core, rng: SplitMix64(seed: rng.next()), address: address)
        let actions = node.core.start(now: now)
        nodes[id] = node
        routes[address] = id
        perform(actions, by: id)
        scheduleWake(id)
    }

    /// Stops a node abruptly: it sends and receives nothing more.
    mutating func crash(_ id: String) {
        nodes[id]!.state = .crashed
        nodes[id]!.inbox = []
    }

    /// Restarts a crashed node with a higher generation, maybe at a new address, empty state.
    mutating func restart(_ id: String, address: HostPort? = nil) {
        let old = nodes[id]!
        let seeds = ids.filter { $0 != id }.map { nodes[$0]!.address }
        add(id: id, generation: old.core.me.generation + 1, address: address ?? old.address, seeds: seeds)
    }

    /// Freezes a node for `duration`: datagrams queue up (like a socket buffer), timers stop.
    mutating func pause(_ id: String, for duration: Duration) {
        let until = now + duration
        nodes[id]!.state = .paused(until: until)
        schedule(.resume(id), at: until)
    }

    mutating func write(_ id: String, key: EntryKey, value: [UInt8], stamp: Int64 = 0) {
        let now = self.now
        _ = withNode(id) { try! $0.core.set(key: key, value: value, stamp: stamp, now: now) }
        scheduleWake(id)
    }

    mutating func delete(_ id: String, key: EntryKey, stamp: Int64 = 0) {
        let now = self.now
        _ = withNode(id) { $0.core.delete(key: key, stamp: stamp, now: now) }
        scheduleWake(id)
    }

    mutating func leave(_ id: String) {
        let now = self.now
        let actions = withNode(id) { $0.core.leave(now: now) }
        perform(actions, by: id)
    }

    /// Runs the simulation for `duration` of virtual time.
    mutating func run(for duration: Duration) {
        run(until: now + duration)
    }

    mutating func run(until end: Moment) {
        while let next = queue.min, next.at <= end {
            _ = queue.removeMin()
            now = next.at
            handle(next.event)
        }
        now = end
    }

    /// Runs until `condition` holds (checked every `step`) or `limit` passes; returns when it held.
    mutating func run(until condition: (SimulatedCluster) -> Bool, step: Duration = .milliseconds(50), limit: Duration) -> Moment? {
        let end = now + limit
        while now < end {
            if condition(self) { return now }
            run(until: min(end, now + step))
        }
        return condition(self) ? now : nil
    }

    // MARK: Queries

    func status(of target: String, at observer: String) -> MemberStatus? {
        nodes[observer]!.core.membership.members[target]?.status
    }

    /// Whether every live node sees exactly the other live nodes alive (and `excluded` not alive).
    func converged(live: [String]) -> Bool {
        for observer in live {
            for other in live where other != observer {
                guard let member = nodes[observer]!.core.membership.members[other],
                      member.status == .alive, member.identity == nodes[other]!.core.me else { return false }
            }
        }
        return true
    }

    func replicasIdentical(_ live: [String]) -> Bool {
        let first = nodes[live[0]]!.core.replica.canonicalBytes()
        return live.dropFirst().allSatisfy { nodes[$0]!.core.replica.canonicalBytes() == first }
    }

    /// Nodes (other than the target itself) that ever declared `target` dead.
    func declaredDead(_ target: String) -> [Observed] {
        observed.filter { $0.change.member.identity.id == target && $0.change.member.status == .dead }
    }

    // MARK: Engine

    private mutating func schedule(_ event: Event, at moment: Moment) {
        order += 1
        queue.insert(Scheduled(at: moment, order: order, event: event))
    }

    private mutating func scheduleWake(_ id: String) {
        guard nodes[id]?.state == .running else { return }
        let at = max(now, nodes[id]!.core.nextWakeUp)
        if let pending = nodes[id]!.wakeAt, pending <= at { return }
        nodes[id]!.wakeAt = at
        schedule(.wake(id), at: at)
    }

    private mutating func handle(_ event: Event) {
        switch event {
        case .wake(let id):
            guard nodes[id]!.wakeAt == now else { return }
            nodes[id]!.wakeAt = nil
            guard nodes[id]!.state == .running else { return }
            let now = self.now
            let actions = withNode(id) { $0.core.tick(now: now, using: &$0.rng) }
            step(id, actions)
        case .resume(let id):
            guard case .paused(let until) = nodes[id]!.state, until == now else { return }
            nodes[id]!.state = .running
            let now = self.now
            let actions = withNode(id) { $0.core.tick(now: now, using: &$0.rng) }
            step(id, actions)
            let inbox = nodes[id]!.inbox
            nodes[id]!.inbox = []
            for item in inbox { receive(item.datagram, from: item.from, at: id) }
        case .deliver(let to, let datagram, let from):
            guard let node = nodes[to] else { return }
            switch node.state {
            case .crashed: return
            case .paused:
                if node.inbox.count < 1000 { nodes[to]!.inbox.append((datagram, from)) }
            case .running:
                receive(datagram, from: from, at: to)
            }
        }
    }

    private mutating func receive(_ datagram: [UInt8], from: HostPort, at id: String) {
        let packet: Packet
        do {
            packet = try codec.decode(datagram)
        } catch {
            drops[error.reason, default: 0] += 1
            return
        }
        let now = self.now
        let actions = withNode(id) { $0.core.receive(packet, from: from, now: now, using: &$0.rng) }
        step(id, actions)
    }

    /// Mutates one node in place (moved out of the dictionary, so its storage stays unique).
    private mutating func withNode<R>(_ id: String, _ body: (inout SimNode) -> R) -> R {
        var node = nodes.removeValue(forKey: id)!
        defer { nodes[id] = node }
        return body(&node)
    }

    private mutating func step(_ id: String, _ actions: [GossipAction]) {
        if checkInvariantsEveryStep { nodes[id]!.core.checkInvariants() }
        perform(actions, by: id)
        scheduleWake(id)
    }

    private mutating func perform(_ actions: [GossipAction], by id: String) {
        for action in actions {
            switch action {
            case .send(let packet, let address):
                send(packet, from: id, to: address)
            case .memberChanged(let change):
                observed.append(Observed(at: now, observer: id, change: change))
            case .replicaChanged:
                break
            case .dropped(let reason, _, _):
                drops[reason, default: 0] += 1
            }
        }
    }

    private mutating func send(_ packet: Packet, from id: String, to address: HostPort) {
        let datagram = codec.encode(packet)
        datagramsSent += 1
        bytesSent += datagram.count
        largestDatagram = max(largestDatagram, datagram.count)
        if datagram.count > settings.maxDatagramBytes { oversizeDatagrams += 1 }
        guard let target = routes[address], nodes[target]?.address == address else { return }
        if let partition, partition[id] != partition[target] { return }
        let copies = Double.random(in: 0..<1, using: &rng) < conditions.duplicate ? 2 : 1
        let from = nodes[id]!.address
        for _ in 0..<copies {
            guard Double.random(in: 0..<1, using: &rng) >= conditions.loss else { continue }
            let low = conditions.minDelay.components.attoseconds / 1_000_000_000 + conditions.minDelay.components.seconds * 1_000_000_000
            let high = conditions.maxDelay.components.attoseconds / 1_000_000_000 + conditions.maxDelay.components.seconds * 1_000_000_000
            let delay = Int64.random(in: low...max(low, high), using: &rng)
            schedule(.deliver(to: target, datagram: datagram, from: from), at: Moment(nanoseconds: now.nanoseconds + delay))
        }
    }
}
