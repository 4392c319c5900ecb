import CoordinatorCore
import VigilJSON
import Testing

/// Seed 000's rule on virtual time, table-driven: the sweeper judges an ``ExecutionTable``.
@Suite struct SweeperTests {
    static let rule = SweepRule(heartbeatTimeoutMs: 300_000, checkIntervalMs: 120_000, maxStrikes: 3, massFailureShare: 0.5, massFailureMinimum: 10)
    let a = ExecutionID(high: 1, low: 1)
    let b = ExecutionID(high: 2, low: 2)
    let sweeper = Sweeper(rule: Self.rule)

    /// A table where `id` last heartbeated at judge time `seenMs` (wall time = judge time here).
    func beat(_ table: inout ExecutionTable, _ id: ExecutionID, at seen: Int64) {
        _ = table.apply(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), nowMs: seen, seen: JudgeTime(ms: seen))
    }

    func register(_ table: inout ExecutionTable, _ id: ExecutionID, at seen: Int64) {
        _ = table.apply(Registration(executionID: id, containerID: "c", startedAtMs: nil), nowMs: seen, seen: JudgeTime(ms: seen))
    }

    /// Checks every interval from `start` to `end`; the time each execution was marked. Marks
    /// are applied as the node would (the execution becomes FAILED).
    func run(_ table: inout ExecutionTable, from start: Int64, to end: Int64) -> [ExecutionID: (Int64, SweepMark)] {
        var marks: [ExecutionID: (Int64, SweepMark)] = [:]
        var now = start
        while now <= end {
            let outcome = sweeper.sweep(&table, now: JudgeTime(ms: now), wall: WallTime(ms: now))
            for mark in outcome.marked {
                marks[mark.executionID] = (now, mark)
                table.apply(fact: .finished(id: mark.executionID, status: .failed, source: .sweep, finishedAtMs: now, reason: "x", resultData: nil, errorMessage: nil))
            }
            now += Self.rule.checkIntervalMs
        }
        return marks
    }

    @Test func neverHeartbeatedIsLostOnceTheTimeoutPasses() {
        var t = ExecutionTable()
        register(&t, a, at: 0)
        #expect(sweeper.sweep(&t, now: 300_000, wall: 0).marked.isEmpty)  // exactly at the timeout: not yet
        let outcome = sweeper.sweep(&t, now: 300_001, wall: 0)
        #expect(outcome.marked == [SweepMark(executionID: a, rule: .neverHeartbeated, strikes: 0, strikeTimesMs: [])])
    }

    @Test func threeStrikesMarkAStaleExecution() {
        var t = ExecutionTable()
        beat(&t, a, at: 0)
        #expect(sweeper.sweep(&t, now: 120_000, wall: 120_000).struck.isEmpty)
        #expect(sweeper.sweep(&t, now: 240_000, wall: 240_000).struck.isEmpty)
        #expect(sweeper.sweep(&t, now: 360_000, wall: 360_000).struck == [StrikeEntry(executionID: a, strikes: 1, lastHeartbeatMs: 0, strikeTimesMs: [360_000])])
        #expect(t[a]?.strikes == 1)
        #expect(sweeper.sweep(&t, now: 480_000, wall: 480_000).struck.map(\.strikes) == [2])
        let third = sweeper.sweep(&t, now: 600_000, wall: 600_000)
        #expect(third.struck.isEmpty)
        #expect(third.marked == [SweepMark(executionID: a, rule: .stale, strikes: 3, strikeTimesMs: [360_000, 480_000, 600_000])])
    }

    @Test func exactlyAtTheTimeoutIsNotAStrike() {
        var t = ExecutionTable()
        beat(&t, a, at: 1_000)
        #expect(sweeper.sweep(&t, now: 301_000, wall: 301_000).struck.isEmpty)
        #expect(sweeper.sweep(&t, now: 301_001, wall: 301_001).struck.count == 1)
    }

    @Test func aFreshHeartbeatAfterStrikeTwoClearsTheCount() {
        var t = ExecutionTable()
        beat(&t, a, at: 0)
        _ = sweeper.sweep(&t, now: 360_000, wall: 360_000)
        _ = sweeper.sweep(&t, now: 480_000, wall: 480_000)
        #expect(t[a]?.strikes == 2)
        beat(&t, a, at: 500_000)
        #expect(t[a]?.strikes == 0)
        #expect(t.strikeTimes(a).isEmpty)
        let outcome = sweeper.sweep(&t, now: 600_000, wall: 600_000)
        #expect(outcome.marked.isEmpty && outcome.struck.isEmpty)
        // Silent again: the count starts from one.
        #expect(sweeper.sweep(&t, now: 840_000, wall: 840_000).struck.map(\.strikes) == [1])
    }

    @Test func aHeartbeatMergedFromAnotherOriginAlsoClearsTheCount() {
        var t = ExecutionTable(localOrigin: "n1")
        beat(&t, a, at: 0)
        _ = sweeper.sweep(&t, now: 360_000, wall: 360_000)
        let entry = HeartbeatEntry(status: .running, registeredAtMs: 0, clientTimestamp: nil, containerID: "c", progress: nil)
        let n2 = t.originIndex("n2")!, n3 = t.originIndex("n3")!
        let merged = t.apply(remote: entry, id: a, origin: n2, stampMs: 370_000, seen: 371_000)
        #expect(merged)
        #expect(t[a]?.strikes == 0 && t[a]?.seen == 371_000 && t[a]?.lastHeartbeatMs == 370_000)
        // An older entry (reordered gossip) changes nothing.
        let stale = t.apply(remote: entry, id: a, origin: n3, stampMs: 365_000, seen: 380_000)
        #expect(!stale)
        #expect(t[a]?.seen == 371_000)
    }

    /// Detection latency with the default rule, for every phase of the heartbeat against the
    /// sweep schedule: within [timeout + 2·interval, timeout + 3·interval].
    @Test(arguments: Array(stride(from: Int64(0), to: 120_000, by: 7_919)))
    func detectionLatencyIsWithinTheSeedsBounds(phase: Int64) {
        var t = ExecutionTable()
        beat(&t, a, at: phase)
        let marks = run(&t, from: 120_000, to: 2_000_000)
        let latency = marks[a]!.0 - phase
        #expect(latency > 300_000 + 2 * 120_000 && latency <= 300_000 + 3 * 120_000, "latency \(latency)")
    }

    @Test func newLeaderContinuesTheCountFromPersistedStrikes() {
        var old = ExecutionTable(localOrigin: "n1")
        beat(&old, a, at: 0)
        _ = sweeper.sweep(&old, now: 360_000, wall: 360_000)
        let second = sweeper.sweep(&old, now: 480_000, wall: 480_000)
        // The old leader dies between strike 2 and 3; the new one read its strike batches.
        var new = ExecutionTable(localOrigin: "n2")
        let entry = HeartbeatEntry(status: .running, registeredAtMs: 0, clientTimestamp: nil, containerID: "c", progress: nil)
        new.apply(remote: entry, id: a, origin: new.originIndex("n1")!, stampMs: 0, seen: 10_000)  // it first saw it a little later
        new.apply(strikes: StrikeBatch.decode(StrikeBatch.encode(second.struck))!, seen: 480_000)
        #expect(new[a]?.strikes == 2)
        // Its first check, 30 s after the old leader's last one: too soon for another strike.
        #expect(sweeper.sweep(&new, now: 510_000, wall: 510_000).marked.isEmpty)
        let outcome = sweeper.sweep(&new, now: 630_000, wall: 630_000)
        #expect(outcome.marked.map(\.executionID) == [a])
        #expect(outcome.marked.first?.strikeTimesMs == [360_000, 480_000, 630_000])
    }

    /// The leader's wall clock is stepped back 5 minutes after the first strike (NTP, an
    /// operator): strikes stay an interval apart on the judge clock, so the mark comes on time.
    @Test func aWallClockSteppedBackDoesNotDelayTheMark() {
        var t = ExecutionTable()
        beat(&t, a, at: 0)
        #expect(sweeper.sweep(&t, now: 360_000, wall: 360_000).struck.count == 1)
        #expect(sweeper.sweep(&t, now: 480_000, wall: 180_000).struck.count == 1)
        let outcome = sweeper.sweep(&t, now: 600_000, wall: 300_000)
        #expect(outcome.marked.map(\.executionID) == [a])
        // And stepped forward: no strike comes early either.
        var u = ExecutionTable()
        beat(&u, a, at: 0)
        _ = sweeper.sweep(&u, now: 360_000, wall: 360_000)
        #expect(sweeper.sweep(&u, now: 400_000, wall: 700_000).struck.isEmpty)
    }

    @Test func strikesForAnOlderHeartbeatAreIgnored() {
        var t = ExecutionTable()
        beat(&t, a, at: 1_000)
        t.apply(strikes: [StrikeEntry(executionID: a, strikes: 2, lastHeartbeatMs: 500, strikeTimesMs: [1, 2])], seen: 2_000)
        #expect(t[a]?.strikes == 0)
        t.apply(strikes: [StrikeEntry(executionID: a, strikes: 2, lastHeartbeatMs: 1_000, strikeTimesMs: [1, 2])], seen: 2_000)
        #expect(t[a]?.strikes == 2)
    }

    @Test func strikeBatchesRoundTrip() {
        let entries = [
            StrikeEntry(executionID: a, strikes: 2, lastHeartbeatMs: 1_700_000_000_123, strikeTimesMs: [1_700_000_100_000, 1_700_000_220_000]),
            StrikeEntry(executionID: b, strikes: 1, lastHeartbeatMs: nil, strikeTimesMs: [5]),
        ]
        #expect(StrikeBatch.decode(StrikeBatch.encode(entries)) == entries)
        #expect(StrikeBatch.decode([1, 2, 3]) == nil)
        #expect(StrikeBatch.decode(StrikeBatch.encode(entries) + [0]) == nil)
    }
}
