import CoordinatorCore
import Testing

/// A leader whose reading of the store lags (a slow network filesystem) must not strike a job
/// whose completion another node has acknowledged but this one has not read yet: the first
/// strike waits for a store read begun half a timeout after the newest heartbeat.
@Suite struct SweepReadLagTests {
    static let rule = SweepRule(heartbeatTimeoutMs: 2_000, checkIntervalMs: 500, maxStrikes: 3, massFailureShare: 0.5, massFailureMinimum: 10)
    let a = ExecutionID(high: 7, low: 7)
    let sweeper = Sweeper(rule: Self.rule)

    func table(lastBeatAt seen: Int64) -> ExecutionTable {
        var table = ExecutionTable()
        _ = table.apply(Heartbeat(executionID: a, containerID: "c", clientTimestamp: 1_700_000_000), nowMs: seen, seen: JudgeTime(ms: seen))
        return table
    }

    @Test func aStaleReadDefersTheFirstStrike() {
        var t = table(lastBeatAt: 0)
        // Due at 2 s; the latest complete read began at 0.9 s (before 0 + timeout / 2).
        let deferred = sweeper.sweep(&t, now: 2_500, wall: 2_500, evidence: MonitorEvidence(readThrough: 900))
        #expect(deferred.struck.isEmpty && deferred.marked.isEmpty)
        #expect(t[a]?.strikes == 0)
        // A read begun at 1 s covers a completion sent after the last heartbeat: strike.
        let struck = sweeper.sweep(&t, now: 3_000, wall: 3_000, evidence: MonitorEvidence(readThrough: 1_000))
        #expect(struck.struck.map(\.strikes) == [1])
    }

    @Test func theCompletionReadLateWinsOverTheLaggingLeader() {
        var t = table(lastBeatAt: 0)
        // The read lags by 10 s: no strike however long the wait, until a read covers the heartbeat.
        for now in stride(from: Int64(2_500), through: 10_000, by: 500) {
            let outcome = sweeper.sweep(&t, now: JudgeTime(ms: now), wall: WallTime(ms: now), evidence: MonitorEvidence(readThrough: 500))
            #expect(outcome.struck.isEmpty && outcome.marked.isEmpty, "struck at \(now) with a read from 0.5 s")
        }
        // That read brings the completion acknowledged elsewhere: nothing left to judge.
        t.apply(fact: .finished(id: a, status: .completed, source: .completion, finishedAtMs: 100, reason: nil, resultData: nil, errorMessage: nil))
        let after = sweeper.sweep(&t, now: 10_500, wall: 10_500, evidence: MonitorEvidence(readThrough: 10_000))
        #expect(after.struck.isEmpty && after.marked.isEmpty)
        #expect(t[a]?.status == .completed)
    }

    @Test func laterStrikesDoNotWaitForReads() {
        var t = table(lastBeatAt: 0)
        #expect(sweeper.sweep(&t, now: 2_500, wall: 2_500, evidence: MonitorEvidence(readThrough: 2_400)).struck.map(\.strikes) == [1])
        // The read then stalls at 2.4 s: strikes 2 and 3 still come an interval apart.
        #expect(sweeper.sweep(&t, now: 3_000, wall: 3_000, evidence: MonitorEvidence(readThrough: 2_400)).struck.map(\.strikes) == [2])
        #expect(sweeper.sweep(&t, now: 3_500, wall: 3_500, evidence: MonitorEvidence(readThrough: 2_400)).marked.map(\.strikes) == [3])
    }

    @Test func noStoreMeansNoConstraint() {
        var t = table(lastBeatAt: 0)
        #expect(sweeper.sweep(&t, now: 2_500, wall: 2_500).struck.map(\.strikes) == [1])
    }
}
