import CoordinatorCore
import Testing

/// The election and the sweep's timing composed, as ``NodeCore`` uses them (``SweepDuty/decide(_:)``):
/// who sweeps, when a new leader may start, and how often. The sweep itself is ``Sweeper``'s
/// (``SweeperTests``), run by the node core in chunks (``NodeCoreTests``).
@Suite struct SweepDutyTests {
    let rule = SweepRule(heartbeatTimeoutMs: 300_000, checkIntervalMs: 120_000, maxStrikes: 3)

    func input(_ now: Int64, alive: Set<String> = ["n1", "n2", "n3"], synced: Int64? = nil, paused: Bool = false) -> SweepDuty.Input {
        SweepDuty.Input(now: JudgeTime(ms: now), wall: WallTime(ms: now), alive: alive, highestTermSeen: 4, syncedAt: synced.map(JudgeTime.init(ms:)), paused: paused)
    }

    @Test func aNewLeaderWaitsUntilCaughtUpOrTheGraceHasPassed() {
        var duty = SweepDuty(me: "n1", configured: ["n1", "n2", "n3"], rule: rule)
        let first = duty.decide(input(0))
        #expect(first.change == .becameLeader(term: 5))  // above every term seen
        #expect(!first.sweeping && !first.sweepDue)
        // Synced, but by a read that started before it led: still waiting.
        #expect(!duty.decide(input(250, synced: -1)).sweepDue)
        // Store read and peers synced since it took over: it sweeps.
        let synced = duty.decide(input(500, synced: 400))
        #expect(synced.sweeping && synced.sweepDue)

        var unsynced = SweepDuty(me: "n1", configured: ["n1", "n2", "n3"], rule: rule)
        _ = unsynced.decide(input(0))
        #expect(!unsynced.decide(input(299_999)).sweepDue)
        #expect(unsynced.decide(input(300_000)).sweepDue)  // one heartbeat timeout of grace
    }

    /// Cut off from both peers, a leader still counts them alive while they are only suspect;
    /// it keeps leading (no flapping election) but sweeps only while confirmed nodes are a
    /// majority, so it cannot strike executions whose heartbeats reach only the other side.
    @Test func aLeaderWhosePeersAreOnlySuspectDoesNotSweep() {
        var duty = SweepDuty(me: "n1", configured: ["n1", "n2", "n3"], rule: rule)
        #expect(duty.decide(input(0, synced: 0)).sweepDue)
        var cutOff = input(120_000, synced: 120_000)
        cutOff.confirmed = ["n1"]
        let held = duty.decide(cutOff)
        #expect(held.leader == "n1" && held.quorum && !held.sweeping && !held.sweepDue)
        var oneSuspect = input(120_500, synced: 120_500)
        oneSuspect.confirmed = ["n1", "n3"]
        #expect(duty.decide(oneSuspect).sweepDue, "one confirmed peer is still a majority of three")
    }

    @Test func itSweepsAtMostOncePerIntervalWhileCheckedMoreOften() {
        var duty = SweepDuty(me: "n1", configured: ["n1"], rule: rule)
        var sweeps: [Int64] = []
        for now in stride(from: Int64(0), through: 600_000, by: 250) {
            let result = duty.decide(input(now, alive: ["n1"], synced: now))
            #expect(result.sweeping)
            if result.sweepDue { sweeps.append(now) }
        }
        #expect(sweeps == [0, 120_000, 240_000, 360_000, 480_000, 600_000])
    }

    @Test func followersAndPausedLeadersDoNotSweep() {
        var follower = SweepDuty(me: "n2", configured: ["n1", "n2", "n3"], rule: rule)
        let seen = follower.decide(input(1_000_000, synced: 1_000_000))
        #expect(seen.leader == "n1" && seen.quorum && !seen.sweeping && !seen.sweepDue)
        // n1 is gone: n2 leads, but sweeping is paused cluster-wide.
        let paused = follower.decide(input(1_000_250, alive: ["n2", "n3"], synced: 1_000_250, paused: true))
        #expect(paused.change == .becameLeader(term: 5) && !paused.sweeping && !paused.sweepDue)
        // Resumed: it sweeps at once.
        let resumed = follower.decide(input(1_000_500, alive: ["n2", "n3"], synced: 1_000_500))
        #expect(resumed.sweeping && resumed.sweepDue)
    }

    /// A change of leadership starts the interval afresh: a new term sweeps as soon as it may.
    @Test func aNewTermSweepsWithoutWaitingForTheOldInterval() {
        var duty = SweepDuty(me: "n2", configured: ["n1", "n2", "n3"], rule: rule)
        _ = duty.decide(input(0, alive: ["n2", "n3"], synced: 0))
        #expect(duty.decide(input(1_000, alive: ["n2", "n3"], synced: 1_000)).sweepDue == false)
        // n1 is back (it leads), then gone again: n2 leads a new term and sweeps at once.
        #expect(duty.decide(input(2_000, synced: 2_000)).leader == "n1")
        let again = duty.decide(input(3_000, alive: ["n2", "n3"], synced: 3_000))
        #expect(again.change == .becameLeader(term: 6))
        #expect(again.sweepDue)
    }
}
