import CoordinatorCore
import CoordinatorSimulation
import Foundation

/// Issue 22's big silences, RUNS seeds each, on the simulated cluster (3 nodes, seed 000's rule,
/// the default 600 s hold; ``ClusterSimulation/Settings/workerHostLost(seed:executions:share:atMs:)``):
/// a worker host lost with 70% of the executions, every container lost at once, and every
/// container cut off for 500 s. Prints marks, latencies against the rule's window and the
/// monitor events the receiver got.
enum MassFailureBenchmark {
    static func run(runs: Int, executions: Int) {
        let rule = SweepRule()
        let window = "rule's window (\(seconds(rule.heartbeatTimeoutMs + 2 * rule.checkIntervalMs)), \(seconds(rule.heartbeatTimeoutMs + 3 * rule.checkIntervalMs + 1_000))] s"
        let scenarios: [(String, (UInt64) -> ClusterSimulation.Settings)] = [
            ("host-lost-70%", { .workerHostLost(seed: $0, executions: executions) }),
            ("all-lost", { .everyContainerLost(seed: $0, executions: executions) }),
            ("all-cut-off-500s", { .everyContainerCutOff(seed: $0, executions: executions) }),
        ]
        print("mass-failure: \(runs) seeds per scenario, \(executions) executions, silence at 400 s; \(window), hold \(seconds(rule.massFailureHoldMs)) s")
        for (name, make) in scenarios {
            for seed in 1...UInt64(runs) {
                let settings = make(seed &+ 100)
                let report = ClusterSimulation.run(settings)
                let f = MassFailureFigures(report)
                let latency = f.latencyMs.map { "\(seconds($0.lowerBound))–\(seconds($0.upperBound)) s" } ?? "-"
                let degraded = f.firstDegradedAtMs.map { "at \(seconds($0)) s" } ?? "-"
                print(
                    "mass-failure: \(name) seed \(seed &+ 100) dying \(f.dying) marked \(f.marked) false \(f.falseMarks) lost \(f.lostMarks) duplicate \(f.duplicateMarks) latency \(latency) mass_failure_events \(f.massFailureEvents) degraded_events \(f.degradedEvents) (\(degraded)) restored_events \(f.restoredEvents) invariant \(report.invariantViolation ?? "ok")"
                )
            }
        }
    }

    static func seconds(_ ms: Int64) -> String { String(format: "%.1f", Double(ms) / 1000) }
}
