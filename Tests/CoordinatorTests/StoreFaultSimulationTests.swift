import Coordinator
import CoordinatorCore
import CoordinatorSimulation
import Testing

/// Seeded clusters whose leader's store misbehaves, run through the driver's interpreter (the
/// request/wait protocol, write batches, failures fed back typed) with every node's invariants
/// checked after each of its steps: no false mark, no lost mark, no mark twice.
@Suite struct StoreFaultSimulationTests {
    func settings(seed: UInt64) -> ClusterSimulation.Settings {
        var s = ClusterSimulation.Settings()
        s.seed = seed
        s.nodes = 3
        s.executions = 400
        s.dyingShare = 0.05
        s.completingShare = 0.05
        s.durationMs = 1_800_000
        s.checkInvariants = true
        s.retryShare = 0.05
        return s
    }

    func expectClean(_ report: ClusterSimulation.Report) {
        #expect(report.invariantViolation == nil)
        #expect(report.falseMarks.isEmpty)
        #expect(report.lostMarks.isEmpty)
        #expect(report.duplicateMarks.isEmpty)
        #expect(report.disagreements.isEmpty)
    }

    /// 70% of n1's appends fail (EIO) for 12.5 minutes while it leads and executions die and
    /// complete: completions sent to it get 503s and are retried, its claims, strikes and marks
    /// are written again, and every dead execution is still marked exactly once.
    @Test(arguments: [51, 52, 53] as [UInt64])
    func aLeaderWhoseWritesFailLosesNothingAndMarksNothingFalsely(seed: UInt64) {
        var s = settings(seed: seed)
        s.completingShare = 0.1
        s.writeFailure = (window: 150_000..<900_000, node: 0, share: 0.7)
        let report = ClusterSimulation.run(s)
        expectClean(report)
        #expect(report.failedAppends >= 3)
        #expect(report.refusedRequests > 0)
        #expect(!report.detectionLatenciesMs.isEmpty)
    }

    /// n1's store hangs for 140 s (a frozen network mount), longer than a check interval: it
    /// stops leading once its appends run past the stall limit, n2 takes over and judges: what it was writing completes after
    /// the stall, requests behind it wait, and nothing is lost, doubled or marked falsely.
    @Test(arguments: [61, 62, 63] as [UInt64])
    func aLeaderWhoseStoreStallsLosesNothing(seed: UInt64) {
        var s = settings(seed: seed)
        s.writeStall = (window: 640_000..<780_000, node: 0)
        let report = ClusterSimulation.run(s)
        expectClean(report)
        #expect(report.stalledAppends > 0)
        #expect(!report.detectionLatenciesMs.isEmpty)
        // n1 stops leading within the stall limit; the next node leads and marks during the stall.
        #expect(report.terms >= 2)
        #expect(report.marksDuringStall["n2", default: 0] > 0)
        #expect(report.marksDuringStall["n1", default: 0] == 0)
    }

    /// Containers that resend their first heartbeat at once: the second waits behind the
    /// registration in flight and is answered from it (one registration each, same view).
    @Test(arguments: [71, 72] as [UInt64])
    func duplicateFirstHeartbeatsWaitBehindTheRegistration(seed: UInt64) {
        var s = settings(seed: seed)
        s.retryShare = 0.3
        s.storeLatencyMs = 5...40
        let report = ClusterSimulation.run(s)
        expectClean(report)
        #expect(report.parkedRequests > 20)
        #expect(report.refusedRequests == 0)
    }
}
