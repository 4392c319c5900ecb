import Coordinator
import Testing

@Suite struct SweeperTests {
    static let rule = SweepRule(heartbeatTimeoutMs: 300_000, checkIntervalMs: 120_000, maxStrikes: 3, massFailureShare: 0.5, massFailureMinimum: 10)
    let a = ExecutionID(high: 1, low: 1)
    let b = ExecutionID(high: 2, low: 2)

    /// Runs checks every interval from `start` until `end`, returning the time each execution was marked.
    func run(_ sweeper: inout Sweeper, from start: Int64, to end: Int64) -> [ExecutionID: (Int64, SweepMark)] {
        var marks: [ExecutionID: (Int64, SweepMark)] = [:]
        var now = start
        while now <= end {
            let outcome = sweeper.sweep(nowMs: now, wallMs: 1_700_000_000_000 + now)
            for mark in outcome.marked { marks[mark.executionID] = (now, mark) }
            #expect(sweeper.checkInvariants())
            now += Self.rule.checkIntervalMs
        }
        return marks
    }

    @Test func neverHeartbeatedIsLostOnceTheTimeoutPasses() {
        var s = Sweeper(rule: Self.rule)
        s.observe(a, heartbeatVersion: nil, nowMs: 0)
        #expect(s.sweep(nowMs: 300_000, wallMs: 0).marked.isEmpty)  // exactly at the timeout: not yet
        let outcome = s.sweep(nowMs: 300_001, wallMs: 0)
        #expect(outcome.marked == [SweepMark(executionID: a, rule: .neverHeartbeated, strikes: 0, strikeTimesMs: [])])
        #expect(s.tracked[a] == nil)
    }

    @Test func threeStrikesMarkAStaleExecution() {
        var s = Sweeper(rule: Self.rule)
        s.observe(a, heartbeatVersion: 1, nowMs: 0)
        #expect(s.sweep(nowMs: 120_000, wallMs: 1).struck.isEmpty)
        #expect(s.sweep(nowMs: 240_000, wallMs: 2).struck.isEmpty)
        #expect(s.sweep(nowMs: 360_000, wallMs: 3).struck == [SweepStrike(executionID: a, strikes: 1)])
        #expect(s.sweep(nowMs: 480_000, wallMs: 4).struck == [SweepStrike(executionID: a, strikes: 2)])
        let third = s.sweep(nowMs: 600_000, wallMs: 5)
        #expect(third.struck.isEmpty)
        #expect(third.marked == [SweepMark(executionID: a, rule: .stale, strikes: 3, strikeTimesMs: [3, 4, 5])])
    }

    @Test func exactlyAtTheTimeoutIsNotAStrike() {
        var s = Sweeper(rule: Self.rule)
        s.observe(a, heartbeatVersion: 7, nowMs: 1_000)
        #expect(s.sweep(nowMs: 301_000, wallMs: 0).struck.isEmpty)
        #expect(s.sweep(nowMs: 301_001, wallMs: 0).struck.count == 1)
    }

    @Test func aFreshHeartbeatAfterStrikeTwoClearsTheCount() {
        var s = Sweeper(rule: Self.rule)
        s.observe(a, heartbeatVersion: 1, nowMs: 0)
        _ = s.sweep(nowMs: 360_000, wallMs: 0)
        _ = s.sweep(nowMs: 480_000, wallMs: 0)
        #expect(s.tracked[a]?.strikes == 2)
        s.observe(a, heartbeatVersion: 2, nowMs: 500_000)
        #expect(s.tracked[a]?.strikes == 0)
        let outcome = s.sweep(nowMs: 600_000, wallMs: 0)
        #expect(outcome.marked.isEmpty)
        #expect(outcome.struck.isEmpty)
        // The same version seen again does not refresh the age.
        s.observe(a, heartbeatVersion: 2, nowMs: 700_000)
        #expect(s.tracked[a]?.firstSeenMs == 500_000)
        // An older version (reordered gossip) does not either.
        s.observe(a, heartbeatVersion: 1, nowMs: 710_000)
        #expect(s.tracked[a]?.heartbeatVersion == 2)
    }

    /// Detection latency with the default rule, for every phase of the heartbeat against the
    /// sweep schedule: within [timeout + 2·interval, timeout + 3·interval].
    @Test(arguments: Array(stride(from: Int64(0), to: 120_000, by: 7_919)))
    func detectionLatencyIsWithinTheSeedsBounds(phase: Int64) {
        var s = Sweeper(rule: Self.rule)
        s.observe(a, heartbeatVersion: 1, nowMs: phase)
        let marks = run(&s, from: 120_000, to: 2_000_000)
        let latency = marks[a]!.0 - phase
        #expect(latency > 300_000 + 2 * 120_000 && latency <= 300_000 + 3 * 120_000, "latency \(latency)")
    }

    @Test func newLeaderContinuesTheCount() {
        var old = Sweeper(rule: Self.rule)
        old.observe(a, heartbeatVersion: 1, nowMs: 0)
        _ = old.sweep(nowMs: 360_000, wallMs: 0)
        _ = old.sweep(nowMs: 480_000, wallMs: 0)
        // The old leader dies between strike 2 and 3; the new one learned the strikes by gossip.
        var new = Sweeper(rule: Self.rule)
        new.observe(a, heartbeatVersion: 1, nowMs: 10_000)  // its own clock: first saw it a little later
        new.restoreStrikes(old.strikes)
        let outcome = new.sweep(nowMs: 600_000, wallMs: 0)
        #expect(outcome.marked.map(\.executionID) == [a])
    }

    @Test func massSilenceStrikesNobody() {
        var s = Sweeper(rule: Self.rule)
        for i in 0..<20 { s.observe(ExecutionID(high: 9, low: UInt64(i)), heartbeatVersion: 1, nowMs: i < 11 ? 0 : 400_000) }
        let outcome = s.sweep(nowMs: 400_001, wallMs: 0)
        #expect(outcome.degraded == .massSilence(silent: 11, running: 20))
        #expect(outcome.struck.isEmpty && outcome.marked.isEmpty)
        #expect(s.strikes.isEmpty)
    }

    @Test func silenceBehindOneDeadCoordinatorStrikesNobody() {
        var s = Sweeper(rule: Self.rule)
        s.observe(a, heartbeatVersion: 1, nowMs: 0)
        s.observe(b, heartbeatVersion: 1, nowMs: 0)
        let outcome = s.sweep(nowMs: 300_001, wallMs: 0) { _ in (node: "n2", alive: false) }
        #expect(outcome.degraded == .coordinatorLost(node: "n2", silent: 2))
        // Same silence, but the coordinator is alive: the jobs really are silent.
        let real = s.sweep(nowMs: 300_002, wallMs: 0) { _ in (node: "n2", alive: true) }
        #expect(real.struck.count == 2)
    }
}
