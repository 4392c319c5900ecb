import Gossip
import Testing

/// Whole-cluster behaviour on the simulated network (virtual time, seeded faults).
@Suite struct ClusterSimulationTests {
    static let five = (1...5).map(SimulatedCluster.id)

    static func key(_ n: Int) -> EntryKey { EntryKey(high: 0xA5A5_0000_0000_0000 | UInt64(n), low: UInt64(n) &* 0x9E37_79B9_7F4A_7C15) }

    @Test func everyNodeSeesEveryOtherAlive() {
        var sim = SimulatedCluster(size: 5, seed: 1)
        let at = sim.run(until: { $0.converged(live: Self.five) }, limit: .seconds(10))
        // Joining through one seed takes a few gossip rounds: 0.25 s here (seeds 1-20: 0.25 s, once
        // 0.65 s); the bound is five rounds (1 s at the default 0.2 s).
        let bound = sim.settings.interval * 5
        #expect(at.map { $0 - Moment.zero <= bound } == true, "converged at \(String(describing: at)), bound \(bound)")
        sim.run(for: .seconds(30))
        #expect(sim.converged(live: Self.five))
        #expect(sim.declaredDead("n1").isEmpty && sim.observed.allSatisfy { $0.change.member.status != .dead })
        #expect(sim.oversizeDatagrams == 0)
    }

    @Test func crashedNodeIsDeadEverywhereWithinTheBound() {
        var sim = SimulatedCluster(size: 5, seed: 2)
        sim.run(for: .seconds(5))
        #expect(sim.converged(live: Self.five))
        let crashAt = sim.now
        sim.crash("n3")
        let survivors = Self.five.filter { $0 != "n3" }
        let at = sim.run(until: { sim in survivors.allSatisfy { sim.status(of: "n3", at: $0) == .dead } }, limit: .seconds(20))
        // Detection = the next probe of n3 failing (a probe interval and its timeout), then the
        // suspicion timeout shrunk by the other members' confirmations to its minimum, then the
        // news spreading. Measured 4.0 s here (seeds 1-20: 3.6-4.4 s). The bound, minimum
        // suspicion + 4 probe intervals (4.4 s by default), fails if confirmations stopped
        // counting (the timeout would stay at its maximum, 5.6 s) or probing stopped.
        let membership = sim.settings.membership
        let bound = membership.suspicionMinimum + membership.probeInterval * 4
        #expect(at.map { $0 - crashAt <= bound } == true, "dead everywhere after \(at.map { "\($0 - crashAt)" } ?? "never"), bound \(bound)")
        #expect(sim.converged(live: survivors))
    }
}

/// Long runs under loss: nobody alive is ever declared dead.
@Suite struct FalsePositiveTests {
    @Test(arguments: [0.10, 0.30], Array(UInt64(1)...20))
    func noLiveNodeDeclaredDeadUnderLoss(loss: Double, seed: UInt64) {
        var sim = SimulatedCluster(
            size: 5,
            seed: seed &* 7919 &+ UInt64(loss * 100),
            conditions: NetworkConditions(loss: loss, duplicate: 0.02, minDelay: .milliseconds(1), maxDelay: .milliseconds(20))
        )
        sim.checkInvariantsEveryStep = false
        sim.run(for: .seconds(600))
        let deaths = sim.observed.filter { $0.change.member.status == .dead }
        #expect(deaths.isEmpty, "seed \(seed) loss \(loss): \(deaths.prefix(3).map { "\($0.observer) saw \($0.change) at \($0.at)" })")
        #expect(sim.oversizeDatagrams == 0)
        for id in sim.ids { sim.nodes[id]!.core.checkInvariants() }
    }
}

@Suite struct PauseAndPartitionTests {
    static let five = ClusterSimulationTests.five

    @Test func pausedNodeIsNotDeclaredDeadAndConvictsNobody() {
        for seed in UInt64(1)...10 {
            var sim = SimulatedCluster(size: 5, seed: seed)
            sim.run(for: .seconds(5))
            #expect(sim.converged(live: Self.five))
            sim.observed = []
            sim.pause("n2", for: .seconds(3))
            sim.run(for: .seconds(20))
            let deaths = sim.observed.filter { $0.change.member.status == .dead }
            #expect(deaths.isEmpty, "seed \(seed): \(deaths.map { "\($0.observer) saw \($0.change) at \($0.at)" })")
            #expect(sim.converged(live: Self.five))
        }
    }

    static func partitionHeals(after duration: Duration, seed: UInt64) {
        var sim = SimulatedCluster(size: 5, seed: seed, conditions: NetworkConditions(loss: 0.01, duplicate: 0.01, maxDelay: .milliseconds(10)))
        sim.checkInvariantsEveryStep = false
        for (index, id) in Self.five.enumerated() { sim.write(id, key: ClusterSimulationTests.key(index), value: [UInt8(index)]) }
        sim.run(for: .seconds(5))
        #expect(sim.converged(live: Self.five))
        sim.partition = ["n1": 0, "n2": 0, "n3": 1, "n4": 1, "n5": 1]
        var written = 100
        let end = sim.now + duration
        while sim.now < end {
            // Writes and deletes on both sides while split.
            for id in Self.five {
                written += 1
                sim.write(id, key: ClusterSimulationTests.key(written), value: Array(repeating: UInt8(truncatingIfNeeded: written), count: 20), stamp: Int64(written))
                if written % 3 == 0 { sim.delete(id, key: ClusterSimulationTests.key(written - 5)) }
            }
            sim.run(until: min(end, sim.now + .seconds(2)))
        }
        #expect(sim.nodes["n1"]!.core.membership.members["n3"]?.status == .dead)
        sim.partition = nil
        let healedAt = sim.now
        let at = sim.run(until: { $0.converged(live: Self.five) && $0.replicasIdentical(Self.five) }, limit: .seconds(30))
        #expect(at != nil, "never healed")
        if let at { #expect(at - healedAt <= .seconds(5), "healed after \(at - healedAt)") }
        for id in sim.ids { sim.nodes[id]!.core.checkInvariants() }
    }

    @Test func tenSecondPartitionHeals() {
        Self.partitionHeals(after: .seconds(10), seed: 11)
    }

    @Test func oneHourPartitionHeals() {
        Self.partitionHeals(after: .seconds(3600), seed: 12)
    }

    @Test func replicasConvergeUnderLossAfterUpdatesEverywhere() {
        for seed in UInt64(1)...5 {
            var sim = SimulatedCluster(size: 5, seed: seed, conditions: NetworkConditions(loss: 0.2, duplicate: 0.05, maxDelay: .milliseconds(40)))
            sim.run(for: .seconds(3))
            var n = 0
            for round in 0..<20 {
                for id in Self.five {
                    for _ in 0..<10 {
                        n += 1
                        sim.write(id, key: ClusterSimulationTests.key(n % 150), value: Array(repeating: UInt8(truncatingIfNeeded: n), count: n % 40), stamp: Int64(n * 1000))
                    }
                    if round % 4 == 0 { sim.delete(id, key: ClusterSimulationTests.key(n % 150)) }
                }
                sim.run(for: .milliseconds(300))
            }
            let writesEnded = sim.now
            let at = sim.run(until: { $0.replicasIdentical(Self.five) }, limit: .seconds(30))
            // Fresh writes are pushed at once and the rest follows by digests: identical 0-0.25 s
            // after the last round of writes ended (seeds 1-20, 20% loss). Bound: five gossip
            // rounds (1 s).
            let bound = sim.settings.interval * 5
            #expect(at.map { $0 - writesEnded <= bound } == true, "seed \(seed): identical after \(at.map { "\($0 - writesEnded)" } ?? "never"), bound \(bound)")
            let entries = sim.nodes["n1"]!.core.replica.origins.count
            #expect(entries == 5)
            #expect(sim.oversizeDatagrams == 0)
        }
    }

    @Test func restartWithHigherGenerationReplacesOldIncarnationAtOnce() {
        var sim = SimulatedCluster(size: 5, seed: 21)
        sim.write("n4", key: ClusterSimulationTests.key(1), value: [1, 2, 3])
        sim.run(for: .seconds(5))
        #expect(sim.nodes["n1"]!.core.replica.entries(of: "n4").count == 1)
        sim.crash("n4")
        sim.run(for: .milliseconds(300))
        sim.restart("n4", address: SimulatedCluster.address(44, port: 9000))
        let restartedAt = sim.now
        let at = sim.run(until: { sim in
            Self.five.filter { $0 != "n4" }.allSatisfy { observer in
                let member = sim.nodes[observer]!.core.membership.members["n4"]
                return member?.identity.generation == 2 && member?.status == .alive && member?.address.port == 9000
                    && sim.nodes[observer]!.core.replica.entries(of: "n4").isEmpty
            }
        }, limit: .seconds(5))
        // "At once": the new generation's join replaces the old incarnation everywhere within
        // 0.05 s (seeds 21-40). Bound: two gossip rounds (0.4 s); without the generation rule the
        // old one would linger until declared dead, seconds later.
        let bound = sim.settings.interval * 2
        #expect(at.map { $0 - restartedAt <= bound } == true, "replaced after \(at.map { "\($0 - restartedAt)" } ?? "never"), bound \(bound)")
        // Nobody declared the new incarnation dead on the way.
        #expect(sim.observed.allSatisfy { !($0.change.member.identity.generation == 2 && $0.change.member.status == .dead) })
        sim.run(for: .seconds(5))
        #expect(sim.converged(live: Self.five))
    }

    @Test func gracefulLeaveIsSeenEverywhere() {
        var sim = SimulatedCluster(size: 5, seed: 31)
        sim.run(for: .seconds(5))
        sim.leave("n5")
        sim.crash("n5")
        sim.run(for: .seconds(2))
        for id in Self.five.dropLast() { #expect(sim.status(of: "n5", at: id) == .left) }
        sim.run(for: .seconds(20))
        for id in Self.five.dropLast() { #expect(sim.status(of: "n5", at: id) == .left) }
    }
}
