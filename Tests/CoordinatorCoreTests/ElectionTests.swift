import CoordinatorCore
import VigilJSON
import Testing

@Suite struct ElectionTests {
    @Test func lowestAliveIdLeadsWithQuorum() {
        var n2 = Election(me: "n2", configured: ["n1", "n2", "n3"], graceMs: 300_000)
        #expect(n2.update(alive: ["n1", "n2", "n3"], highestTermSeen: 0, now: 0) == .none)
        #expect(n2.leader == "n1")
        #expect(n2.update(alive: ["n2", "n3"], highestTermSeen: 4, now: 10) == .becameLeader(term: 5))
        #expect(n2.leader == "n2")
        #expect(n2.checkInvariants())
        #expect(n2.update(alive: ["n1", "n2", "n3"], highestTermSeen: 5, now: 20) == .stoppedLeading)
        #expect(n2.leader == "n1")
    }

    @Test func noQuorumNoLeader() {
        var n1 = Election(me: "n1", configured: ["n1", "n2", "n3", "n4", "n5"], graceMs: 1)
        #expect(n1.update(alive: ["n1", "n2"], highestTermSeen: 0, now: 0) == .none)
        #expect(n1.leader == nil)
        #expect(!n1.maySweep(now: 100))
        #expect(n1.update(alive: ["n1", "n2", "n5"], highestTermSeen: 0, now: 1) == .becameLeader(term: 1))
    }

    @Test func termsOnlyGrow() {
        var n1 = Election(me: "n1", configured: ["n1", "n2", "n3"], graceMs: 1)
        var terms: [UInt64] = []
        for round in 0..<10 {
            let alive: Set<String> = round % 2 == 0 ? ["n1", "n2"] : ["n1"]
            if case .becameLeader(let term) = n1.update(alive: alive, highestTermSeen: UInt64(round), now: JudgeTime(ms: Int64(round))) { terms.append(term) }
            #expect(n1.checkInvariants())
        }
        #expect(terms.count == 5)
        #expect(zip(terms, terms.dropFirst()).allSatisfy { $0 < $1 })
        #expect(terms.allSatisfy { $0 > 0 })
    }

    @Test func newLeaderCatchesUpBeforeStriking() {
        var n1 = Election(me: "n1", configured: ["n1", "n2", "n3"], graceMs: 300_000)
        _ = n1.update(alive: ["n1", "n2"], highestTermSeen: 0, now: 1_000)
        #expect(!n1.maySweep(now: 1_000))
        #expect(!n1.maySweep(now: 300_999))
        #expect(n1.maySweep(now: 301_000))  // grace of one heartbeat timeout
        var n1b = Election(me: "n1", configured: ["n1", "n2", "n3"], graceMs: 300_000)
        _ = n1b.update(alive: ["n1", "n3"], highestTermSeen: 0, now: 0)
        n1b.markCaughtUp(at: -1)
        #expect(!n1b.maySweep(now: 1))  // a sync from before the leadership does not count
        n1b.markCaughtUp(at: 0)
        #expect(n1b.maySweep(now: 1))  // store read and peers synced since: no need to wait
    }
}

@Suite struct ElectionHoldoffTests {
    /// A leader superseded by a claim from a node that saw it dead holds off while that claim
    /// stands (no taking turns), but not a moment longer: when the holder yields back (it saw
    /// the lower id alive again and released), the lower id leads at once, so a healed partition
    /// is never left without a leader for the rest of the hold-off.
    @Test func aSupersededLeaderHoldsOffOnlyWhileTheSupersedingClaimStands() {
        var n1 = Election(me: "n1", configured: ["n1", "n2", "n3"], graceMs: 1_000, holdoffMs: 10_000)
        let all: Set<String> = ["n1", "n2", "n3"]
        #expect(n1.update(alive: all, highestTermSeen: 0, now: JudgeTime(ms: 0)) == .becameLeader(term: 1))
        let n2Claim = TermClaim(term: 2, node: "n2", cut: nil)
        #expect(n1.update(alive: all, highestTermSeen: 2, activeClaim: n2Claim, now: JudgeTime(ms: 1_000)) == .stoppedLeading)
        // While n2's claim stands, n1 defers (n2 is alive) and, n2 gone, still holds off.
        #expect(n1.update(alive: ["n1", "n3"], highestTermSeen: 2, activeClaim: n2Claim, now: JudgeTime(ms: 2_000)) == .none)
        #expect(n1.leader == nil)
        // n2 released its claim: n1 leads now, 9 s before the hold-off would have ended.
        let ownOld = TermClaim(term: 1, node: "n1", cut: nil)
        #expect(n1.update(alive: all, highestTermSeen: 2, activeClaim: ownOld, now: JudgeTime(ms: 2_500)) == .becameLeader(term: 3))
        var n1b = Election(me: "n1", configured: ["n1", "n2", "n3"], graceMs: 1_000, holdoffMs: 10_000)
        _ = n1b.update(alive: all, highestTermSeen: 0, now: JudgeTime(ms: 0))
        _ = n1b.update(alive: all, highestTermSeen: 2, activeClaim: n2Claim, now: JudgeTime(ms: 1_000))
        #expect(n1b.update(alive: all, highestTermSeen: 2, activeClaim: nil, now: JudgeTime(ms: 2_500)) == .becameLeader(term: 3))
    }
}
