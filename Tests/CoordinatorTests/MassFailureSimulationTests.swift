import Coordinator
import CoordinatorCore
import CoordinatorSimulation
import Testing

/// Issue 22's big silences on the simulated cluster (3 nodes, real cores and gossip, seed 000's
/// rule, the default 600 s hold; see ``ClusterSimulation/Settings/workerHostLost(seed:executions:share:atMs:)``):
/// a worker host lost with 70% of the executions is a mass failure, judged by the rule and
/// reported once; every container lost at once is held, then judged; a cut-off shorter than the
/// hold marks nobody.
@Suite struct MassFailureSimulationTests {
    static let rule = SweepRule()
    /// The rule's window for one failure: (timeout + 2·interval, timeout + 3·interval + 1 s].
    static let lower = rule.heartbeatTimeoutMs + 2 * rule.checkIntervalMs
    static let upper = rule.heartbeatTimeoutMs + 3 * rule.checkIntervalMs + 1_000

    @Test(arguments: [81, 82, 83] as [UInt64])
    func aWorkerHostLostWithMostExecutionsIsMarkedWithinTheWindowAndReportedOnce(seed: UInt64) {
        let report = ClusterSimulation.run(.workerHostLost(seed: seed))
        let figures = MassFailureFigures(report)
        #expect(report.invariantViolation == nil)
        #expect(figures.dying == 140)
        #expect(figures.marked == 140, "all of them FAILED")
        #expect(figures.falseMarks == 0 && figures.lostMarks == 0 && figures.duplicateMarks == 0)
        for latency in report.detectionLatenciesMs {
            #expect(latency > Self.lower && latency <= Self.upper + Self.rule.checkIntervalMs, "latency \(latency) ms")
        }
        #expect(figures.massFailureEvents == 1, "one grouped monitor.mass_failure event: \(report.received.keys.sorted())")
        #expect(figures.degradedEvents == 0)
        #expect(report.lostNotifications.isEmpty, "every execution.failed delivered too")
    }

    @Test(arguments: [91, 92] as [UInt64])
    func everyContainerLostAtOnceIsDegradedHeldForTheHoldThenMarked(seed: UInt64) {
        let settings = ClusterSimulation.Settings.everyContainerLost(seed: seed)
        let report = ClusterSimulation.run(settings)
        let figures = MassFailureFigures(report)
        let hold = Self.rule.massFailureHoldMs
        #expect(report.invariantViolation == nil)
        #expect(figures.dying == 200 && figures.marked == 200)
        #expect(figures.falseMarks == 0 && figures.lostMarks == 0 && figures.duplicateMarks == 0)
        // monitor.degraded within one interval of the silence passing the timeout.
        #expect(figures.degradedEvents == 1)
        #expect(figures.firstDegradedAtMs.map { $0 <= 400_000 + Self.rule.heartbeatTimeoutMs + Self.rule.checkIntervalMs + 2_000 } == true, "\(figures.firstDegradedAtMs ?? -1)")
        // No mark before the hold ends; then the rule's three strikes.
        for latency in report.detectionLatenciesMs {
            #expect(latency > Self.rule.heartbeatTimeoutMs + hold + 2 * Self.rule.checkIntervalMs - 2_000, "latency \(latency) ms")
            #expect(latency <= Self.upper + hold, "latency \(latency) ms")
        }
        #expect(figures.massFailureEvents == 0)
        #expect(figures.restoredEvents == 1, "restored once nothing is silent any more")
    }

    @Test(arguments: [95] as [UInt64])
    func aCutOffShorterThanTheHoldMarksNobody(seed: UInt64) {
        let settings = ClusterSimulation.Settings.everyContainerCutOff(seed: seed)
        let report = ClusterSimulation.run(settings)
        let figures = MassFailureFigures(report)
        #expect(report.invariantViolation == nil)
        #expect(figures.marked == 0 && figures.falseMarks == 0)
        #expect(figures.degradedEvents == 1 && figures.restoredEvents == 1)
        #expect(figures.firstRestoredAtMs.map { $0 > settings.cutOff!.upperBound } == true)
        #expect(!report.received.keys.contains { $0.hasPrefix("execution.failed:") })
    }
}
