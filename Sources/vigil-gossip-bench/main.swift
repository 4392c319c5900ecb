#if canImport(Glibc)
import Glibc
#endif
import Gossip
import Logging
import VigilCodec

// Benchmarks of the Gossip module (issue 3). Figures are printed, not asserted.

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func fmt(_ value: Double, _ digits: Int = 2) -> String {
    let scale = (0..<digits).reduce(1.0) { acc, _ in acc * 10 }
    return String((value * scale).rounded() / scale)
}

func key(_ n: Int) -> EntryKey { EntryKey(high: UInt64(n) &* 0x9E37_79B9_7F4A_7C15, low: UInt64(n) ^ 0xDEAD_BEEF) }

// MARK: A small in-process network of cores (virtual time), like the test simulator.

struct MiniSim {
    struct Flight: Comparable {
        var at: Moment
        var order: Int
        var to: Int
        var datagram: [UInt8]
        var from: HostPort
        static func < (l: Flight, r: Flight) -> Bool { (l.at, l.order) < (r.at, r.order) }
        static func == (l: Flight, r: Flight) -> Bool { (l.at, l.order) == (r.at, r.order) }
    }

    var nodes: [GossipNode] = []
    var rngs: [SplitMix64] = []
    var rng: SplitMix64
    var loss: Double
    var codec: WireCodec
    var flights: [Flight] = []
    var order = 0
    var now = Moment.zero
    var sentBytes: [Int]
    var applied: (Int, EntryKey, UInt64)?  // watched (node, key, version)

    init(size: Int, seed: UInt64, loss: Double, sealed: Bool) {
        rng = SplitMix64(seed: seed)
        self.loss = loss
        var settings = GossipSettings()
        settings.sealed = sealed
        let keyring = sealed ? try! GossipKeyring(base64Keys: ["WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo="]) : nil
        codec = WireCodec(cluster: ClusterID(name: "bench"), keyring: keyring)
        sentBytes = Array(repeating: 0, count: size)
        for index in 0..<size {
            var node = GossipNode(identity: NodeIdentity(id: "n\(index)", generation: 1), seeds: [Self.address(0)], settings: settings, now: .zero)
            node.setAddress(Self.address(index))
            nodes.append(node)
            rngs.append(SplitMix64(seed: rng.next()))
        }
        for index in 0..<size { perform(nodes[index].start(now: .zero), by: index) }
    }

    static func address(_ index: Int) -> HostPort { HostPort(host: "10.0.0.\(index)", port: 7946) }

    mutating func perform(_ actions: [GossipAction], by index: Int) {
        for case .send(let packet, let address) in actions {
            let datagram = codec.encode(packet)
            sentBytes[index] += datagram.count
            guard let target = nodes.indices.first(where: { Self.address($0) == address }) else { continue }
            guard Double.random(in: 0..<1, using: &rng) >= loss else { continue }
            order += 1
            let delay = Int64.random(in: 100_000...2_000_000, using: &rng)
            flights.append(Flight(at: Moment(nanoseconds: now.nanoseconds + delay), order: order, to: target, datagram: datagram, from: Self.address(index)))
        }
    }

    mutating func run(until end: Moment) {
        while true {
            let nextWake = nodes.indices.min { nodes[$0].nextWakeUp < nodes[$1].nextWakeUp }!
            let wakeAt = nodes[nextWake].nextWakeUp
            let flightIndex = flights.indices.min { flights[$0] < flights[$1] }
            let flightAt = flightIndex.map { flights[$0].at } ?? Moment(nanoseconds: .max)
            let next = min(wakeAt, flightAt)
            guard next <= end else { break }
            now = max(now, next)
            if let flightIndex, flightAt <= wakeAt {
                let flight = flights.remove(at: flightIndex)
                if let packet = try? codec.decode(flight.datagram) {
                    let actions = nodes[flight.to].receive(packet, from: flight.from, now: now, using: &rngs[flight.to])
                    perform(actions, by: flight.to)
                }
            } else {
                let actions = nodes[nextWake].tick(now: now, using: &rngs[nextWake])
                perform(actions, by: nextWake)
            }
        }
        now = end
    }

    func everyoneHas(origin: Int, version: UInt64) -> Bool {
        nodes.allSatisfy { ($0.replica.version(of: "n\(origin)") ?? 0) >= version }
    }
}

// MARK: 1. Propagation in rounds (simulated)

func propagationRounds(loss: Double, trials: Int) -> [Double] {
    var rounds: [Double] = []
    for trial in 0..<trials {
        var sim = MiniSim(size: 5, seed: UInt64(trial + 1), loss: loss, sealed: true)
        sim.run(until: Moment(nanoseconds: 5_000_000_000 + Int64(trial) * 37_000_000))
        let writer = trial % 5
        let writtenAt = sim.now
        _ = try! sim.nodes[writer].set(key: key(trial), value: [1], stamp: 0, now: sim.now)
        let version = sim.nodes[writer].replica.ownVersion
        var t = writtenAt
        while !sim.everyoneHas(origin: writer, version: version), t < writtenAt + .seconds(10) {
            t = t + .milliseconds(5)
            sim.run(until: t)
        }
        rounds.append((t - writtenAt).secondsDouble / 0.2)
    }
    return rounds
}

// MARK: 2. Wire bytes per entry

func bytesPerEntry(progress: Bool) -> (perEntry: Double, ratio: Double) {
    let codec = WireCodec(cluster: ClusterID(name: "bench"), keyring: try! GossipKeyring(base64Keys: ["WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo="]))
    var rng = SplitMix64(seed: 9)
    var replica = Replica(me: NodeIdentity(id: "n1", generation: 3))
    let base: Int64 = 1_700_000_000_000
    for n in 0..<2000 {
        // Heartbeats arrive ~spread over 30 s: stamps are close, in version order.
        let stamp = base + Int64(n) * 15 + Int64.random(in: 0...10, using: &rng)
        var value: [UInt8] = [1]  // status: running
        if progress {
            // Seed-like progress: counters, stage, current URL (varints + short strings).
            Varint.append(UInt64(12_000 + n * 7), to: &value)   // items processed
            Varint.append(UInt64(50_000), to: &value)           // items total
            Varint.append(UInt64(n % 17), to: &value)           // errors
            let stage = Array("crawling".utf8)
            value.append(UInt8(stage.count)); value += stage
            let url = Array("https://shop.example.com/catalog/page/\(n % 400)?sort=price".utf8)
            value.append(UInt8(url.count)); value += url
        }
        _ = replica.write(key: EntryKey(high: rng.next(), low: rng.next()), value: value, stamp: stamp, now: .zero)
    }
    var total = 0
    var raw = 0
    var entries = 0
    var digest: [DigestEntry] = []
    let budget = WireSize.bodyBudget(maxDatagramBytes: 1232, sender: replica.me, sealed: true) - 16
    while entries < 2000 {
        let deltas = replica.deltas(for: digest, budget: budget)
        guard let block = deltas.first else { break }
        let packet = Packet(sender: replica.me, kind: .gossip, incarnation: 0, deltas: [block])
        total += codec.encode(packet).count
        raw += WireSize.body(packet) + WireSize.frameHeader(sender: replica.me) + WireSize.sealOverhead
        entries += block.entries.count
        digest = [DigestEntry(origin: replica.me, version: block.upTo)]
    }
    return (Double(total) / Double(entries), Double(raw) / Double(total))
}

// MARK: 3. Egress per node (simulated, sealed)

func egress(executions: Int, seconds: Int) -> [Double] {
    var sim = MiniSim(size: 5, seed: 77, loss: 0, sealed: true)
    sim.run(until: Moment(nanoseconds: 5_000_000_000))
    let start = sim.sentBytes
    let startAt = sim.now
    let perSecond = Double(executions) / 30
    var rng = SplitMix64(seed: 5)
    var carry = 0.0
    for tick in 0..<(seconds * 10) {
        carry += perSecond / 10
        while carry >= 1 {
            carry -= 1
            let execution = Int.random(in: 0..<executions, using: &rng)
            let node = execution % 5
            var value: [UInt8] = [1]
            Varint.append(UInt64(tick), to: &value)
            _ = try! sim.nodes[node].set(key: key(execution), value: value, stamp: Int64(sim.now.nanoseconds / 1_000_000), now: sim.now)
        }
        sim.run(until: sim.now + .milliseconds(100))
    }
    let elapsed = (sim.now - startAt).secondsDouble
    return sim.sentBytes.indices.map { Double(sim.sentBytes[$0] - start[$0]) / elapsed }
}

// MARK: 4. Decode + apply throughput

func decodeApplyThroughput() -> Double {
    let codec = WireCodec(cluster: ClusterID(name: "bench"))
    var source = Replica(me: NodeIdentity(id: "n1", generation: 1))
    let budget = WireSize.bodyBudget(maxDatagramBytes: 1232, sender: source.me, sealed: false) - 16
    func datagrams(above version: UInt64) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var digest = [DigestEntry(origin: source.me, version: version)]
        while true {
            guard let block = source.deltas(for: digest, budget: budget).first else { break }
            out.append(codec.encode(Packet(sender: source.me, kind: .gossip, incarnation: 0, deltas: [block])))
            digest = [DigestEntry(origin: source.me, version: block.upTo)]
        }
        return out
    }
    // Steady state: 200,000 executions known, then every one heartbeats once more.
    for n in 0..<200_000 { _ = source.write(key: key(n), value: [1, UInt8(n & 0x7F)], stamp: 1_700_000_000_000 + Int64(n) * 15, now: .zero) }
    let initial = datagrams(above: 0)
    for n in 0..<200_000 { _ = source.write(key: key(n), value: [1, UInt8(n & 0x7F)], stamp: 1_700_000_030_000 + Int64(n) * 15, now: .zero) }
    let datagrams = datagrams(above: 200_000)
    var best = 0.0
    for _ in 0..<3 {
        var target = Replica(me: NodeIdentity(id: "n2", generation: 1))
        for datagram in initial {
            for delta in (try? codec.decode(datagram))?.deltas ?? [] { _ = target.apply(delta, now: .zero) }
        }
        let clock = ContinuousClock()
        var applied = 0
        let elapsed = clock.measure {
            for datagram in datagrams {
                guard let packet = try? codec.decode(datagram) else { continue }
                for delta in packet.deltas {
                    if case .applied(let changes) = target.apply(delta, now: .zero) { applied += changes.count }
                }
            }
        }
        best = max(best, Double(applied) / elapsed.secondsDouble)
    }
    return best
}

// MARK: 5. Real UDP on loopback: detection and propagation

func realUDP(trials: Int) async throws -> (detection: [Double], propagation: [Double]) {
    var detections: [Double] = []
    var propagations: [Double] = []
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    for trial in 0..<trials {
        var services: [GossipService<ContinuousClock>] = []
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<5 {
            let seeds = services.isEmpty ? [] : [await services[0].boundAddress()]
            let configuration = GossipConfiguration(
                clusterName: "bench-\(trial)",
                identity: NodeIdentity(id: "n\(index)", generation: 1),
                bindAddress: HostPort(host: "127.0.0.1", port: 0),
                seeds: seeds,
                keys: ["WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo="]
            )
            let service = try GossipService(configuration: configuration, logger: logger)
            services.append(service)
            tasks.append(Task { try await service.run() })
            _ = await service.boundAddress()
        }
        func poll(_ limit: Duration, _ condition: () -> Bool) async -> Duration? {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < limit {
                if condition() { return ContinuousClock.now - start }
                try? await Task.sleep(for: .milliseconds(2))
            }
            return nil
        }
        _ = await poll(.seconds(10)) { services.allSatisfy { $0.members().filter { $0.status == .alive }.count == 4 } }
        try await Task.sleep(for: .milliseconds(Int64(500 + trial * 37 % 400)))
        // Propagation: one write, until all five hold it.
        let k = key(trial)
        try services[trial % 4].set(key: k, value: [1], stamp: 0)
        if let took = await poll(.seconds(5), { services.allSatisfy { $0.entries(of: "n\(trial % 4)")[k] != nil } }) {
            propagations.append(took.secondsDouble)
        }
        // Detection: stop n4 without a goodbye.
        tasks[4].cancel()
        _ = try? await tasks[4].value
        if let took = await poll(.seconds(15), { services[0..<4].allSatisfy { $0.members().first { $0.identity.id == "n4" }?.status == .dead } }) {
            detections.append(took.secondsDouble)
        }
        for task in tasks { task.cancel() }
        for task in tasks { _ = try? await task.value }
    }
    return (detections, propagations)
}

// MARK: Main

let arguments = CommandLine.arguments
let udpTrials = arguments.count > 1 ? Int(arguments[1]) ?? 20 : 20
print("vigil-gossip-bench (N = 5, default settings, sealed with ChaChaPoly)")

let r0 = propagationRounds(loss: 0, trials: 200)
let r10 = propagationRounds(loss: 0.1, trials: 200)
print("update present at all 5 (simulated), rounds of 0.2 s: 0% loss p50 \(fmt(percentile(r0, 0.5))) p99 \(fmt(percentile(r0, 0.99)))  [target p99 <= 3]")
print("                                                       10% loss p50 \(fmt(percentile(r10, 0.5))) p99 \(fmt(percentile(r10, 0.99)))  [target p99 <= 5]")

let live = bytesPerEntry(progress: false)
let progress = bytesPerEntry(progress: true)
print("wire bytes per entry, liveness update: \(fmt(live.perEntry, 1)) B (LZ4 ratio \(fmt(live.ratio)))  [target <= 40]")
print("wire bytes per entry, with progress:  \(fmt(progress.perEntry, 1)) B (LZ4 ratio \(fmt(progress.ratio)))  [target <= 120]")

let busy = egress(executions: 10_000, seconds: 60)
let idle = egress(executions: 0, seconds: 60)
print("egress per node, 10,000 executions every 30 s: max \(fmt(busy.max()! / 1000)) KB/s mean \(fmt(busy.reduce(0, +) / 5 / 1000)) KB/s  [target <= 15]")
print("egress per node, idle: max \(fmt(idle.max()! / 1000)) KB/s  [target <= 1]")

let throughput = decodeApplyThroughput()
print("decode + apply: \(fmt(throughput / 1e6)) M entries/s on one core  [target >= 1]")

guard udpTrials > 0 else { exit(0) }
let (detections, propagations) = try await realUDP(trials: udpTrials)
print("real UDP, crashed node dead at every survivor (\(detections.count) trials): p50 \(fmt(percentile(detections, 0.5))) s p99 \(fmt(percentile(detections, 0.99))) s max \(fmt(detections.max() ?? .nan)) s  [target p50 <= 3, p99 <= 4]")
print("real UDP, update present at all 5 (\(propagations.count) trials): median \(fmt(percentile(propagations, 0.5) * 1000, 1)) ms  [target < 100]")
