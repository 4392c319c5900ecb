import Coordinator
import Foundation
import CoordinatorCore

/// One sweep over `count` RUNNING executions on one core: the leader's check of the whole table
/// (seed 000's rule), median of several runs. 1% of the executions are stale, so the sweep
/// also strikes (and every third run marks) a realistic few.
///
/// With `kinds` (issue 24), the executions are spread over four rules: the default, `crawler`
/// (progress timeout 30 min: its progress is compared and its stall judged), `etl` (timeout
/// 15 min, 2 strikes, max runtime 6 h) and `fast` (timeout 60 s); the target is ≤ 1.3× the
/// one-rule sweep.
enum SweepBenchmark {
    /// The rule of execution number `i` in the mixed run (`nil`: the default).
    static func mixedRule(_ i: Int) -> ExecutionRule? {
        switch i % 4 {
        case 1: ExecutionRule(kind: "crawler", heartbeatTimeoutMs: 300_000, maxStrikes: 3, progressTimeoutMs: 1_800_000)
        case 2: ExecutionRule(kind: "etl", heartbeatTimeoutMs: 900_000, maxStrikes: 2, maxRuntimeMs: 21_600_000)
        case 3: ExecutionRule(kind: "fast", heartbeatTimeoutMs: 60_000, maxStrikes: 3)
        default: nil
        }
    }

    /// - Parameter old: the executions registered 2 h before their heartbeat, so every crawler is
    ///   older than its progress timeout and its progress-changed stamp is read at each sweep.
    static func run(count: Int, runs: Int = 9, kinds: Bool = false, old: Bool = false) {
        let rule = SweepRule()
        var table = ExecutionTable(localOrigin: "n1")
        for i in 0..<count {
            let id = ExecutionID(high: UInt64(i) &* 0x9E37_79B9_7F4A_7C15, low: UInt64(i))
            let seen: JudgeTime = i % 100 == 0 ? 0 : 1_000_000_000  // 1% silent, the rest fresh throughout
            let heartbeat = Heartbeat(
                executionID: id, containerID: "crawler-\(i % 1000)", clientTimestamp: 1_640_995_200, progress: MemoryBenchmark.seedProgress(i),
                rule: kinds ? mixedRule(i) : nil
            )
            if old {
                let registration = Registration(executionID: id, containerID: heartbeat.containerID, startedAtMs: 1_700_000_000_000 - 7_200_000, rule: heartbeat.rule)
                _ = table.apply(registration, nowMs: 1_700_000_000_000, seen: seen)
            }
            _ = table.apply(heartbeat, nowMs: 1_700_000_000_000, seen: seen)
        }
        let sweeper = Sweeper(rule: rule)
        var timesMs: [Double] = []
        var struck = 0
        for run in 0..<runs {
            let now = JudgeTime(ms: 10_000_000 + Int64(run + 1) * rule.checkIntervalMs)
            let start = ContinuousClock.now
            let outcome = sweeper.sweep(&table, now: now, wall: WallTime(ms: 1_700_000_000_000 + now.ms))
            let elapsed = ContinuousClock.now - start
            struck += outcome.struck.count + outcome.marked.count
            timesMs.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            if ProcessInfo.processInfo.environment["VIGIL_BENCH_VERBOSE"] != nil { print("run \(run): \(timesMs.last!) ms struck \(outcome.struck.count) marked \(outcome.marked.count) processed \(outcome.processed)") }
        }
        // The worst case: everything went silent at once (the mass-failure guard answers).
        let silentStart = ContinuousClock.now
        let silent = sweeper.sweep(&table, now: 2_000_000_000, wall: WallTime(ms: 1_700_000_000_000 + 2_000_000_000))
        let silentElapsed = ContinuousClock.now - silentStart
        timesMs.sort()
        print(String(format: "sweep%@: running %d runs %d median_ms %.1f min_ms %.1f max_ms %.1f (struck or marked per run %d)", kinds ? (old ? " (mixed kinds, 2 h old)" : " (mixed kinds)") : "", count, runs, timesMs[runs / 2], timesMs[0], timesMs[runs - 1], struck / runs))
        print(String(format: "sweep%@: all %d silent at once: %.1f ms (%@)", kinds ? " (mixed kinds)" : "", count, Double(silentElapsed.components.attoseconds) / 1e15 + Double(silentElapsed.components.seconds) * 1000, silent.degraded?.description ?? "not degraded"))
    }
}
