import CoordinatorCore
import VigilJSON
import Testing

/// The election and the sweep composed: who sweeps, when a new leader may start, and how often.
@Suite struct SweepDutyTests {
    let rule = SweepRule(heartbeatTimeoutMs: 300_000, checkIntervalMs: 120_000, maxStrikes: 3)
    let id = ExecutionID(high: 3, low: 3)

    func input(_ now: Int64, alive: Set<String> = ["n1", "n2", "n3"], synced: Int64? = nil, paused: Bool = false) -> SweepDuty.Input {
        SweepDuty.Input(now: JudgeTime(ms: now), wall: WallTime(ms: now), alive: alive, highestTermSeen: 4, syncedAt: synced.map(JudgeTime.init(ms:)), paused: paused)
    }

    @Test func aNewLeaderWaitsUntilCaughtUpOrTheGraceHasPassed() {
        var duty = SweepDuty(me: "n1", configured: ["n1", "n2", "n3"], rule: rule)
        var table = ExecutionTable(localOrigin: "n1")
        let first = duty.check(input(0), table: &table)
        #expect(first.change == .becameLeader(term: 5))  // above every term seen
        #expect(!first.sweeping && first.outcome == nil)
        // Synced, but by a read that started before it led: still waiting.
        #expect(duty.check(input(250, synced: -1), table: &table).outcome == nil)
        // Store read and peers synced since it took over: it sweeps.
        #expect(duty.check(input(500, synced: 400), table: &table).outcome != nil)

        var unsynced = SweepDuty(me: "n1", configured: ["n1", "n2", "n3"], rule: rule)
        _ = unsynced.check(input(0), table: &table)
        #expect(unsynced.check(input(299_999), table: &table).outcome == nil)
        #expect(unsynced.check(input(300_000), table: &table).outcome != nil)  // one heartbeat timeout of grace
    }

    /// Cut off from both peers, a leader still counts them alive while they are only suspect;
    /// it keeps leading (no flapping election) but sweeps only while confirmed nodes are a
    /// majority, so it cannot strike executions whose heartbeats reach only the other side.
    @Test func aLeaderWhosePeersAreOnlySuspectDoesNotSweep() {
        var duty = SweepDuty(me: "n1", configured: ["n1", "n2", "n3"], rule: rule)
        var table = ExecutionTable(localOrigin: "n1")
        #expect(duty.check(input(0, synced: 0), table: &table).outcome != nil)
        var cutOff = input(120_000, synced: 120_000)
        cutOff.confirmed = ["n1"]
        let held = duty.check(cutOff, table: &table)
        #expect(held.leader == "n1" && held.quorum && !held.sweeping && held.outcome == nil)
        var oneSuspect = input(120_500, synced: 120_500)
        oneSuspect.confirmed = ["n1", "n3"]
        #expect(duty.check(oneSuspect, table: &table).outcome != nil, "one confirmed peer is still a majority of three")
    }

    @Test func itSweepsAtMostOncePerIntervalWhileCheckedMoreOften() {
        var duty = SweepDuty(me: "n1", configured: ["n1"], rule: rule)
        var table = ExecutionTable(localOrigin: "n1")
        var sweeps: [Int64] = []
        for now in stride(from: Int64(0), through: 600_000, by: 250) {
            if duty.check(input(now, alive: ["n1"], synced: now), table: &table).outcome != nil { sweeps.append(now) }
        }
        #expect(sweeps == [0, 120_000, 240_000, 360_000, 480_000, 600_000])
    }

    @Test func followersAndPausedLeadersDoNotSweep() {
        var table = ExecutionTable(localOrigin: "n2")
        _ = table.apply(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), nowMs: 0)
        var follower = SweepDuty(me: "n2", configured: ["n1", "n2", "n3"], rule: rule)
        let seen = follower.check(input(1_000_000, synced: 1_000_000), table: &table)
        #expect(seen.leader == "n1" && seen.quorum && !seen.sweeping && seen.outcome == nil)
        // n1 is gone: n2 leads, but sweeping is paused cluster-wide.
        let paused = follower.check(input(1_000_250, alive: ["n2", "n3"], synced: 1_000_250, paused: true), table: &table)
        #expect(paused.change == .becameLeader(term: 5) && !paused.sweeping && paused.outcome == nil)
        #expect(table[id]?.strikes == 0)
        // Resumed: the silent execution gets its first strike.
        let resumed = follower.check(input(1_000_500, alive: ["n2", "n3"], synced: 1_000_500), table: &table)
        #expect(resumed.outcome?.struck.map(\.executionID) == [id])
    }
}
