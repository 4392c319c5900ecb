import CoordinatorCore
import Testing

/// The mass-failure guard (``SweepGuard``) on the pure sweeper: a mass silence with a healthy
/// monitor is judged by the rule; without the evidence, first strikes are held for at most the
/// hold, then judged; a release judges now. Table invariants are checked after every sweep.
@Suite struct SweepGuardTests {
    static let rule = SweepRule(heartbeatTimeoutMs: 300_000, checkIntervalMs: 120_000, maxStrikes: 3, massFailureShare: 0.5, massFailureMinimum: 10, massFailureHoldMs: 600_000)
    let sweeper = Sweeper(rule: Self.rule)

    static func id(_ i: Int) -> ExecutionID { ExecutionID(high: 9, low: UInt64(i)) }

    func beat(_ table: inout ExecutionTable, _ i: Int, at seen: Int64) {
        _ = table.apply(Heartbeat(executionID: Self.id(i), containerID: "c-\(i)", clientTimestamp: 1_700_000_000), nowMs: seen, seen: JudgeTime(ms: seen))
    }

    /// `count` executions that heartbeated at 0.
    func table(count: Int = 20) -> ExecutionTable {
        var t = ExecutionTable(localOrigin: "n1")
        for i in 0..<count { beat(&t, i, at: 0) }
        return t
    }

    /// Sweeps at `now`, after the live executions (index ≥ `live`) beat 10 s before; marks are applied.
    func sweep(_ t: inout ExecutionTable, at now: Int64, live: Int = 20, count: Int = 20, evidence: MonitorEvidence = MonitorEvidence()) -> SweepOutcome {
        for i in live..<count { beat(&t, i, at: now - 10_000) }
        let outcome = sweeper.sweep(&t, now: JudgeTime(ms: now), wall: WallTime(ms: now), evidence: evidence)
        for mark in outcome.marked {
            t.apply(fact: .finished(id: mark.executionID, status: .failed, source: .sweep, finishedAtMs: now, reason: "x", resultData: nil, errorMessage: nil))
        }
        #expect(t.checkInvariants())
        return outcome
    }

    @Test func aMassSilenceWithAHealthyMonitorIsAMassFailureJudgedByTheRule() {
        var t = table()
        let first = sweep(&t, at: 360_000, live: 14)
        #expect(first.massFailure == MassSilence(silent: 14, running: 20))
        #expect(first.degraded == nil && first.held == 0)
        #expect(first.struck.count == 14 && first.struck.allSatisfy { $0.strikes == 1 })
        #expect(first.onsetMs == 360_000)
        #expect(sweep(&t, at: 480_000, live: 14).struck.map(\.strikes) == Array(repeating: 2, count: 14))
        let third = sweep(&t, at: 600_000, live: 14)
        #expect(third.marked.count == 14, "all 14 marked within the rule's window")
        #expect(third.onsetMs == 360_000, "the episode began with the first strikes")
        let mark = third.marked[0]
        #expect(mark.context == .massFailure(MassSilence(silent: 14, running: 20)))
        let reason = FailureReason.text(mark: mark, record: nil, rule: Self.rule, leader: "n1", term: 1, timestamps: .utc)
        #expect(reason.contains("14 of 20 went silent at once; the monitor was healthy"))
        // The six live ones are never struck; the next sweep is normal again.
        let after = sweep(&t, at: 720_000, live: 14)
        #expect(after.massFailure == nil && after.processed == 6 && after.struck.isEmpty && after.marked.isEmpty)
    }

    @Test func everyExecutionSilentAtOnceHoldsFirstStrikesForTheHoldThenJudges() {
        var t = table()
        var markedAt: Int64?
        for now in stride(from: Int64(360_000), through: 1_500_000, by: 120_000) {
            let outcome = sweep(&t, at: now, live: 20)
            if now <= 1_200_000 {
                #expect(outcome.degraded == .massSilence(silent: 20, running: 20, doubt: .noRecentHeartbeats(windowMs: 150_000)), "at \(now)")
            }
            // Stale since 300 s: held while now − 300 s < 600 s.
            #expect(outcome.held == (now < 900_000 ? 20 : 0), "at \(now)")
            if now < 900_000 { #expect(outcome.struck.isEmpty && outcome.marked.isEmpty) }
            if !outcome.marked.isEmpty, markedAt == nil {
                markedAt = now
                #expect(outcome.marked.allSatisfy { $0.context == .degraded(.massSilence(silent: 20, running: 20, doubt: .noRecentHeartbeats(windowMs: 150_000))) })
                let reason = FailureReason.text(mark: outcome.marked[0], record: nil, rule: Self.rule, leader: "n1", term: 1, timestamps: .utc)
                #expect(reason.contains("strikes were held for up to 600 s"))
            }
        }
        // First strike at 960 s (the first sweep past the hold), marks two intervals later.
        #expect(markedAt == 1_200_000)
        #expect(t.counts.running == 0)
    }

    @Test func aCoordinatorNotConfirmedAliveMakesAMassSilenceBlind() {
        var t = table()
        let outcome = sweep(&t, at: 360_000, live: 14, evidence: MonitorEvidence(unconfirmed: ["n3"]))
        #expect(outcome.degraded == .massSilence(silent: 14, running: 20, doubt: .unconfirmed(["n3"])))
        #expect(outcome.held == 14 && outcome.struck.isEmpty && outcome.massFailure == nil)
        // A node that is down is not confirmed either.
        let down = sweep(&t, at: 480_000, live: 14, evidence: MonitorEvidence(down: ["n2"]))
        #expect(down.degraded == .massSilence(silent: 14, running: 20, doubt: .unconfirmed(["n2"])))
    }

    @Test func aFailingStoreMakesAMassSilenceBlind() {
        var t = table()
        let outcome = sweep(&t, at: 360_000, live: 14, evidence: MonitorEvidence(storeFailure: "EIO"))
        #expect(outcome.degraded == .massSilence(silent: 14, running: 20, doubt: .storeFailing("EIO")))
        #expect(outcome.held == 14 && outcome.struck.isEmpty)
        #expect(outcome.degraded?.description.contains("the store's last write failed (EIO)") == true)
    }

    @Test func aReleaseJudgesWhatWasStaleWhenItWasMadeAndNothingLater() {
        var t = table()
        beat(&t, 19, at: 100_000)  // stale only from 400 s, after the release
        let released = MonitorEvidence(releasedThrough: 360_000)
        let outcome = sweep(&t, at: 480_000, live: 20, evidence: released)
        #expect(outcome.degraded != nil, "still blind: nothing arrives")
        #expect(outcome.struck.count == 19 && outcome.held == 1)
        #expect(!outcome.struck.contains { $0.executionID == Self.id(19) })
        // Once struck, the count goes on under the blind verdict; the late one stays held.
        let next = sweep(&t, at: 600_000, live: 20, evidence: released)
        #expect(next.struck.count == 19 && next.struck.allSatisfy { $0.strikes == 2 } && next.held == 1)
    }

    @Test func executionsAlreadyStruckAreNeverHeld() {
        var t = table()
        #expect(sweep(&t, at: 360_000, live: 14).struck.count == 14)
        // Then a coordinator goes suspect: blind, but their counts go on.
        let outcome = sweep(&t, at: 480_000, live: 14, evidence: MonitorEvidence(unconfirmed: ["n2"]))
        #expect(outcome.degraded != nil && outcome.held == 0)
        #expect(outcome.struck.count == 14 && outcome.struck.allSatisfy { $0.strikes == 2 })
    }

    /// All containers cut off, but their heartbeats were spread: the first sweep finds only a
    /// few stale. With nothing arriving that is blind too (else those few would be struck and
    /// marked before the hold ends).
    @Test func aSmallSilenceWhileNothingArrivesIsBlindToo() {
        var t = ExecutionTable(localOrigin: "n1")
        for i in 0..<20 { beat(&t, i, at: i < 5 ? 0 : 50_000) }
        let outcome = sweep(&t, at: 310_000, live: 20)
        #expect(outcome.degraded == .massSilence(silent: 5, running: 20, doubt: .noRecentHeartbeats(windowMs: 150_000)))
        #expect(outcome.held == 5 && outcome.struck.isEmpty)
        // The same few with heartbeats still arriving for the rest: judged at once.
        var u = ExecutionTable(localOrigin: "n1")
        for i in 0..<20 { beat(&u, i, at: 0) }
        let normal = sweep(&u, at: 310_000, live: 5)
        #expect(normal.degraded == nil && normal.massFailure == nil && normal.struck.count == 5)
    }

    @Test func belowTheMinimumEverySilenceIsJudged() {
        var t = ExecutionTable(localOrigin: "n1")
        for i in 0..<3 { beat(&t, i, at: 0) }
        let outcome = sweep(&t, at: 310_000, live: 3, count: 3)
        #expect(outcome.degraded == nil && outcome.struck.count == 3)
    }

    @Test func silenceBehindOneDeadCoordinatorIsHeldForTheHoldThenJudged() {
        var t = ExecutionTable(localOrigin: "n1")
        let entry = HeartbeatEntry(status: .running, registeredAtMs: 0, clientTimestamp: nil, containerID: "c", progress: nil)
        for i in 0..<2 { t.apply(remote: entry, id: Self.id(i), origin: t.originIndex("n2")!, stampMs: 0, seen: 0) }
        let dead = MonitorEvidence(down: ["n2"])
        let held = sweeper.sweep(&t, now: 300_001, wall: 300_001, evidence: dead)
        #expect(held.degraded == .coordinatorLost(node: "n2", silent: 2))
        #expect(held.held == 2 && held.struck.isEmpty)
        // Same silence, but the coordinator is alive: the jobs really are silent.
        var alive = t
        #expect(sweeper.sweep(&alive, now: 300_002, wall: 300_002).struck.count == 2)
        // Still down, after the hold (stale since 300 s, hold 600 s): judged.
        let judged = sweeper.sweep(&t, now: 900_000, wall: 900_000, evidence: dead)
        #expect(judged.degraded == .coordinatorLost(node: "n2", silent: 2) && judged.held == 0 && judged.struck.count == 2)
        #expect(t.checkInvariants())
    }
}
