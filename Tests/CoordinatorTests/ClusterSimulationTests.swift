import Coordinator
import CoordinatorSimulation
import Testing
import CoordinatorCore

/// In-process clusters of 3 and 5 nodes on virtual time and a simulated network, running the
/// real election, sweep and table code (see ``ClusterSimulation``), seed 000's default rule.
@Suite struct ClusterSimulationTests {
    static let rule = SweepRule()
    /// Seed 000's bounds on detection latency: (timeout + 2·interval, timeout + 3·interval + 1 s].
    static let lower = rule.heartbeatTimeoutMs + 2 * rule.checkIntervalMs
    static let upper = rule.heartbeatTimeoutMs + 3 * rule.checkIntervalMs + 1_000

    func settings(seed: UInt64, nodes: Int = 3, executions: Int = 600) -> ClusterSimulation.Settings {
        var s = ClusterSimulation.Settings()
        s.seed = seed
        s.nodes = nodes
        s.executions = executions
        s.dyingShare = 0.05
        s.durationMs = 1_600_000
        return s
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func steadyClusterMarksEveryDeadExecutionOnceWithinTheSeedsWindow(seed: UInt64) {
        let report = ClusterSimulation.run(settings(seed: seed))
        #expect(report.falseMarks.isEmpty)
        #expect(report.lostMarks.isEmpty)
        #expect(report.duplicateMarks.isEmpty)
        #expect(!report.detectionLatenciesMs.isEmpty)
        for latency in report.detectionLatenciesMs {
            #expect(latency > Self.lower && latency <= Self.upper, "latency \(latency) ms")
        }
        #expect(report.terms == 1)
    }

    /// The leader dies while many counts stand at strike 1 or 2; the new leader continues them
    /// (the strike batches in the store) and marks at strike 3, at most one check interval late.
    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func killingTheLeaderMidCountLosesNothingAndDelaysAtMostOneInterval(seed: UInt64) {
        var s = settings(seed: seed)
        s.kills = [(atMs: 700_000, node: .leader)]
        let report = ClusterSimulation.run(s)
        #expect(report.kills == 1)
        #expect(report.terms >= 2)
        #expect(report.falseMarks.isEmpty)
        #expect(report.lostMarks.isEmpty)
        #expect(report.duplicateMarks.isEmpty)
        #expect(!report.failoverLatenciesMs.isEmpty)
        for latency in report.failoverLatenciesMs {
            #expect(latency > Self.lower && latency <= Self.upper + Self.rule.checkIntervalMs, "latency across a failover \(latency) ms")
        }
    }

    /// Five nodes, the two lowest ids (the leader among them) cut off for 15 minutes: only the
    /// majority side marks, and no execution whose container talks to a majority node is marked.
    @Test(arguments: [21, 22] as [UInt64])
    func partitionOnlyTheMajorityMarks(seed: UInt64) {
        var s = settings(seed: seed, nodes: 5)
        s.partition = (window: 200_000..<1_100_000, minority: [0, 1])
        let report = ClusterSimulation.run(s)
        #expect(report.marksFromPartitionMinority == 0)
        #expect(report.minorityMarks == 0)
        #expect(report.falseMarksReachingMajority.isEmpty)
        #expect(report.duplicateMarks.isEmpty)
        #expect(report.lostMarks.isEmpty)
    }

    /// A 5-node cluster survives two failovers in a row (leader killed, then the next one).
    @Test func twoFailoversInARowOnFiveNodes() {
        var s = settings(seed: 31, nodes: 5)
        s.kills = [(atMs: 600_000, node: .leader), (atMs: 760_000, node: .leader)]
        s.restartAfterMs = 300_000
        let report = ClusterSimulation.run(s)
        #expect(report.kills == 2)
        #expect(report.falseMarks.isEmpty)
        #expect(report.lostMarks.isEmpty)
        #expect(report.duplicateMarks.isEmpty)
    }
}

extension ClusterSimulationTests {
    /// n2's membership view loses n1 for ten minutes (n1 still sees everyone) and n1's store
    /// follower stalls meanwhile, so n1 never reads n2's claim: both lead and both sweep. The
    /// fence decides: n1's marks after n2's cut are void for every reader (n1 included, once it
    /// reads again), so each dying execution has exactly one valid mark, no live one has any,
    /// and every node ends with the same view.
    @Test(arguments: [41, 42, 43] as [UInt64])
    func twoNodesThatBothBelieveTheyLeadMakeOneDecisionPerExecution(seed: UInt64) {
        var s = settings(seed: seed)
        s.blindness = (window: 400_000..<1_000_000, node: 1, blindTo: 0)
        s.storeStall = (window: 400_000..<1_000_000, node: 0)
        s.checkInvariants = true
        let report = ClusterSimulation.run(s)
        #expect(report.invariantViolation == nil)
        #expect(report.dualLeadershipTicks > 0, "the scenario must really have two leaders at once")
        #expect(report.fencedMarks > 0, "the superseded leader's late marks are in the store, and void")
        #expect(report.duplicateMarks.isEmpty)
        #expect(report.falseMarks.isEmpty)
        #expect(report.lostMarks.isEmpty)
        #expect(report.disagreements.isEmpty)
        #expect(report.minorityMarks == 0)
    }

    /// The same two leaders without the stall: n1 reads n2's claim within a poll and defers at
    /// once (n2 is alive in its view), so the two lead together for well under a second.
    @Test func aLeaderDefersToANewerClaimItSeesAlive() {
        var s = settings(seed: 44)
        s.blindness = (window: 400_000..<1_000_000, node: 1, blindTo: 0)
        s.checkInvariants = true
        let report = ClusterSimulation.run(s)
        #expect(report.invariantViolation == nil)
        #expect(report.dualLeadershipTicks > 0 && report.dualLeadershipTicks <= 12)  // at most ~1 s of 250 ms ticks on 3 nodes
        #expect(report.duplicateMarks.isEmpty && report.falseMarks.isEmpty && report.lostMarks.isEmpty && report.disagreements.isEmpty)
    }
}
