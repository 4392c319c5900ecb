import Coordinator
import CoordinatorSimulation
import Foundation
import VigilCodec
import CoordinatorCore

/// `runs` seeded simulated clusters (3 nodes, `executions` executions, seed 000's default rule),
/// each with its leader SIGKILLed at a random moment while strike counts are under way and
/// restarted a minute later. Counts false, lost and duplicate marks over all runs and the
/// detection latency (last heartbeat → mark) with and without a failover in the count.
enum FailoverBenchmark {
    static func run(runs: Int, executions: Int, workers: Int, notifications: Bool = false) async {
        let rule = SweepRule()
        let started = ContinuousClock.now
        let reports = await withTaskGroup(of: [ClusterSimulation.Report].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var reports: [ClusterSimulation.Report] = []
                    var seed = UInt64(worker + 1)
                    while seed <= UInt64(runs) {
                        var settings = ClusterSimulation.Settings()
                        settings.seed = seed
                        settings.executions = executions
                        settings.durationMs = ProcessInfo.processInfo.environment["VIGIL_SIM_DURATION_MS"].flatMap { Int64($0) } ?? 1_400_000
                        settings.trace = ProcessInfo.processInfo.environment["VIGIL_SIM_TRACE"] != nil
                        var rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D)
                        settings.kills = [(atMs: 450_000 + Int64(rng.next() % 400_000), node: .leader)]
                        if notifications {
                            // The leader dies right after sending (marks fall from ~11 min on);
                            // the receiver fails 30% of first attempts and is down for 100 s.
                            settings.kills = []
                            settings.killSenderAfterMs = 660_000 + Int64(rng.next() % 300_000)
                            let downAt = 600_000 + Int64(rng.next() % 400_000)
                            settings.receiverDown = downAt..<(downAt + 100_000)
                            settings.receiverFailShare = 0.3
                            var outbox = Outbox.Settings(channels: [ChannelRule(name: "hook", events: [EventPattern("execution.failed")!])])
                            outbox.maxRetryMs = 60_000
                            settings.notifications = outbox
                        }
                        let report = ClusterSimulation.run(settings)
                        if ProcessInfo.processInfo.environment["VIGIL_BENCH_VERBOSE"] != nil, let worst = report.failoverLatenciesMs.max() {
                            print("seed \(seed) kill_at \(settings.kills[0].atMs) worst_failover_latency_s \(Double(worst) / 1000) terms \(report.terms)")
                        }
                        reports.append(report)
                        seed += UInt64(workers)
                    }
                    return reports
                }
            }
            var all: [ClusterSimulation.Report] = []
            for await part in group { all += part }
            return all
        }
        let elapsed = ContinuousClock.now - started
        if notifications { return reportNotifications(reports, executions: executions, seconds: elapsed.components.seconds) }
        let falseMarks = reports.reduce(0) { $0 + $1.falseMarks.count }
        let lost = reports.reduce(0) { $0 + $1.lostMarks.count }
        let duplicates = reports.reduce(0) { $0 + $1.duplicateMarks.count }
        let kills = reports.reduce(0) { $0 + $1.kills }
        let normal = reports.flatMap(\.detectionLatenciesMs).sorted()
        let failover = reports.flatMap(\.failoverLatenciesMs).sorted()
        let bound = rule.heartbeatTimeoutMs + 3 * rule.checkIntervalMs + 1_000
        let lower = rule.heartbeatTimeoutMs + 2 * rule.checkIntervalMs
        print("failover: events \(reports.reduce(0) { $0 + $1.events }) dual_leadership_ticks \(reports.reduce(0) { $0 + $1.dualLeadershipTicks }) fenced_marks \(reports.reduce(0) { $0 + $1.fencedMarks }) disagreements \(reports.reduce(0) { $0 + $1.disagreements.count }) minority_marks \(reports.reduce(0) { $0 + $1.minorityMarks })")
        print("failover: runs \(reports.count) executions_per_run \(executions) leader_kills \(kills) marks \(normal.count) seconds \(elapsed.components.seconds)")
        print("failover: false_marks \(falseMarks) lost_marks \(lost) duplicate_marks \(duplicates)")
        if let first = normal.first, let last = normal.last {
            print("failover: detection_latency_s min \(Double(first) / 1000) median \(Double(normal[normal.count / 2]) / 1000) max \(Double(last) / 1000) (seed window (\(Double(lower) / 1000), \(Double(bound) / 1000)])")
            let outside = normal.filter { $0 <= lower || $0 > bound }.count - failover.filter { $0 <= lower || $0 > bound }.count
            print("failover: outside_window_without_failover \(outside) of \(normal.count - failover.count)")
        }
        if let last = failover.last {
            print("failover: marks_spanning_a_failover \(failover.count) max_latency_s \(Double(last) / 1000) extra_over_window_s \(Double(max(0, last - bound)) / 1000) (target <= one interval = \(Double(rule.checkIntervalMs) / 1000))")
        }
    }
}


extension FailoverBenchmark {
    static func reportNotifications(_ reports: [ClusterSimulation.Report], executions: Int, seconds: Int64) {
        let marked = reports.reduce(0) { $0 + $1.firstAttemptLatenciesMs.count }
        let lost = reports.reduce(0) { $0 + $1.lostNotifications.count }
        let twoKeys = reports.reduce(0) { $0 + $1.notifiedUnderTwoKeys.count }
        let forLive = reports.reduce(0) { $0 + $1.notificationsForLive.count }
        let sameKeyRepeats = reports.reduce(0) { $0 + $1.received.values.reduce(0) { $0 + max(0, $1 - 1) } }
        let killed = reports.reduce(0) { $0 + $1.sendersKilled }
        let attempts = reports.reduce(0) { $0 + $1.attempts }
        let latencies = reports.flatMap(\.firstAttemptLatenciesMs).sorted()
        print("notify-failover: runs \(reports.count) executions_per_run \(executions) senders_killed_mid_send \(killed) seconds \(seconds)")
        print("notify-failover: marked_executions \(marked) lost_events \(lost) notified_under_two_keys \(twoKeys) notified_while_live \(forLive)")
        print("notify-failover: attempts \(attempts) same_key_repeat_deliveries \(sameKeyRepeats) false_marks \(reports.reduce(0) { $0 + $1.falseMarks.count })")
        if !latencies.isEmpty {
            print("notify-failover: mark_to_first_attempt_ms (simulated) p50 \(latencies[latencies.count / 2]) p99 \(latencies[min(latencies.count - 1, latencies.count * 99 / 100)]) max \(latencies.last!)")
        }
    }
}
