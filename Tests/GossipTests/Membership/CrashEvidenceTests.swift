import Gossip
import Testing
import VigilCodec

@Suite struct CrashEvidenceTests {
    static func at(_ ms: Int64) -> Moment { Moment(nanoseconds: ms * 1_000_000) }
    let gap = Duration.milliseconds(60)

    @Test func twoRefusalsAGapApartConvictAnythingElseWaits() {
        #expect(CrashEvidence.verdict(first: (.refused, Self.at(0)), second: nil, gap: gap) == .lookAgain(at: Self.at(60)))
        #expect(CrashEvidence.verdict(first: (.refused, Self.at(0)), second: (.refused, Self.at(60)), gap: gap) == .convict)
        // A paused process's kernel accepts; an unreachable host does not answer: no evidence.
        #expect(CrashEvidence.verdict(first: (.accepted, Self.at(0)), second: nil, gap: gap) == .wait)
        #expect(CrashEvidence.verdict(first: (.noAnswer, Self.at(0)), second: nil, gap: gap) == .wait)
        #expect(CrashEvidence.verdict(first: (.refused, Self.at(0)), second: (.accepted, Self.at(60)), gap: gap) == .wait, "it came back (a restart)")
        #expect(CrashEvidence.verdict(first: (.refused, Self.at(0)), second: (.refused, Self.at(59)), gap: gap) == .wait, "too close together")
    }

    @Test func onlyASuspectAtTheSameIncarnationIsConvicted() {
        var m = MembershipTests.membership()
        var rng = SplitMix64(seed: 3)
        // Nobody answers: the probed member becomes suspect at the end of its probe period.
        let outputs = MembershipTests.tick(&m, from: 0, to: 900, rng: &rng)
        let target = try! #require(MembershipTests.pings(outputs).first?.to)
        let suspect = try! #require(m.members[target])
        #expect(suspect.status == .suspect)
        let alive = try! #require(m.members.values.first { $0.status == .alive }?.identity.id)
        #expect(m.convict(alive, incarnation: 0, now: MembershipTests.at(910)).isEmpty, "an alive member is never convicted")
        #expect(m.convict(target, incarnation: suspect.incarnation + 1, now: MembershipTests.at(910)).isEmpty, "a refuted suspicion is not convicted")
        let changes = m.convict(target, incarnation: suspect.incarnation, now: MembershipTests.at(920))
        m.checkInvariants()
        #expect(m.members[target]?.status == .dead)
        #expect(changes.contains { if case .changed(let change) = $0 { change.member.status == .dead } else { false } })
        // The claim is gossiped: the next piggyback carries it.
        #expect(m.piggyback(for: nil) { _ in true }.contains { $0.identity.id == target && $0.status == .dead })
    }
}
