import VigilCodec
import Gossip
import Testing

/// One scenario per test; invariants checked after every step.
@Suite struct MembershipTests {
    static let a = NodeIdentity(id: "a", generation: 1)
    static func address(_ id: String) -> HostPort { HostPort(host: "10.0.0.\(id.unicodeScalars.first!.value - 96)", port: 7946) }

    /// A node `a` that knows `peers` alive (via direct contact).
    static func membership(me: NodeIdentity = a, peers: [String] = ["b", "c", "d", "e"]) -> Membership {
        var m = Membership(me: me, seeds: [], now: .zero)
        for peer in peers {
            _ = m.contact(from: NodeIdentity(id: peer, generation: 1), incarnation: 0, address: address(peer), now: .zero)
            m.checkInvariants()
        }
        return m
    }

    static func at(_ ms: Int64) -> Moment { Moment(nanoseconds: ms * 1_000_000) }

    /// Ticks every 10 ms from `from` to `to`, collecting outputs.
    static func tick(_ m: inout Membership, from: Int64, to: Int64, rng: inout SplitMix64) -> [MembershipOutput] {
        var outputs: [MembershipOutput] = []
        var t = from
        while t <= to {
            outputs += m.tick(now: at(t), using: &rng)
            m.checkInvariants()
            t += 10
        }
        return outputs
    }

    static func pings(_ outputs: [MembershipOutput]) -> [(seq: UInt32, to: String?)] {
        outputs.compactMap { if case .send(.ping(let seq), _, let recipient) = $0 { (seq, recipient) } else { nil } }
    }

    @Test func probeThenAckKeepsTargetAlive() {
        var m = Self.membership()
        var rng = SplitMix64(seed: 1)
        let outputs = Self.tick(&m, from: 0, to: 400, rng: &rng)
        let ping = try! #require(Self.pings(outputs).first)
        let target = try! #require(ping.to)
        _ = m.handle(.ack(seq: ping.seq), from: NodeIdentity(id: target, generation: 1), address: Self.address(target), now: Self.at(410))
        m.checkInvariants()
        let later = Self.tick(&m, from: 420, to: 790, rng: &rng)
        #expect(!later.contains { if case .send(.pingRequest, _, _) = $0 { true } else { false } })
        #expect(m.members[target]?.status == .alive)
        #expect(m.localHealth == 0)
    }

    @Test func probeThenPingRequestThenRelayedAck() {
        var m = Self.membership()
        var rng = SplitMix64(seed: 2)
        let first = Self.tick(&m, from: 0, to: 400, rng: &rng)
        let ping = try! #require(Self.pings(first).first)
        let target = try! #require(ping.to)
        // No direct ack: after the probe timeout, k = 3 ping-reqs go to the other members.
        let second = Self.tick(&m, from: 410, to: 600, rng: &rng)
        let requests = second.compactMap { output -> String? in
            if case .send(.pingRequest(let seq, let about, _), _, let helper) = output, seq == ping.seq, about.id == target { helper } else { nil }
        }
        #expect(requests.count == 3)
        #expect(!requests.contains(target))
        // A helper relays the target's ack.
        _ = m.handle(.ack(seq: ping.seq), from: NodeIdentity(id: requests[0], generation: 1), address: Self.address(requests[0]), now: Self.at(650))
        m.checkInvariants()
        _ = Self.tick(&m, from: 660, to: 1000, rng: &rng)
        #expect(m.members[target]?.status == .alive)
    }

    @Test func helperRelaysPingRequestAndNacksOnSilence() {
        var m = Self.membership()
        let requester = HostPort(host: "10.0.0.2", port: 7946)
        let out = m.handle(.pingRequest(seq: 77, target: NodeIdentity(id: "c", generation: 1), address: Self.address("c")), from: NodeIdentity(id: "b", generation: 1), address: requester, now: Self.at(0))
        guard case .send(.ping(let mine), let to, _) = try! #require(out.first) else { Issue.record("no ping"); return }
        #expect(to == Self.address("c"))
        // The target answers: the ack goes to the requester under its own sequence number.
        let relayed = m.handle(.ack(seq: mine), from: NodeIdentity(id: "c", generation: 1), address: Self.address("c"), now: Self.at(20))
        #expect(relayed == [.send(.ack(seq: 77), to: requester, recipient: nil)])
        // Another request, unanswered: a nack before the requester's period ends.
        _ = m.handle(.pingRequest(seq: 78, target: NodeIdentity(id: "c", generation: 1), address: Self.address("c")), from: NodeIdentity(id: "b", generation: 1), address: requester, now: Self.at(100))
        var rng = SplitMix64(seed: 3)
        let later = Self.tick(&m, from: 100, to: 300, rng: &rng)
        #expect(later.contains(.send(.nack(seq: 78), to: requester, recipient: nil)))
        m.checkInvariants()
    }

    /// Runs probes with no answer at all until `target` is suspect; returns when.
    static func suspectByProbe(_ m: inout Membership, rng: inout SplitMix64) -> (target: String, at: Int64) {
        var t: Int64 = 0
        while t < 20_000 {
            _ = m.tick(now: at(t), using: &rng)
            m.checkInvariants()
            if let suspect = m.members.values.first(where: { $0.status == .suspect }) { return (suspect.identity.id, t) }
            t += 10
        }
        Issue.record("nobody became suspect")
        return ("", t)
    }

    @Test func suspectThenRefute() {
        var m = Self.membership()
        var rng = SplitMix64(seed: 4)
        let (target, t) = Self.suspectByProbe(&m, rng: &rng)
        #expect(m.suspicionsRaised == 1)
        // The suspect is told: our next datagram to it leads with the claim about it.
        let claims = m.piggyback(for: target) { _ in true }
        #expect(claims.first?.identity.id == target && claims.first?.status == .suspect)
        // It refutes with a higher incarnation (its datagram header carries it).
        let outcome = m.contact(from: NodeIdentity(id: target, generation: 1), incarnation: 1, address: Self.address(target), now: Self.at(t + 100))
        guard case .accepted(let outputs) = outcome else { Issue.record("not accepted"); return }
        #expect(outputs.contains { if case .changed(let change) = $0 { change.member.status == .alive && change.previous == .suspect } else { false } })
        #expect(m.suspicionsRefuted == 1)
        m.checkInvariants()
    }

    @Test func suspectThenDeadAfterTimeout() {
        var m = Self.membership(peers: ["b", "c", "d", "e"])
        var rng = SplitMix64(seed: 5)
        let (target, t) = Self.suspectByProbe(&m, rng: &rng)
        let timeout = m.suspicionTimeout(confirmations: 0)
        var deadAt: Int64?
        var now = t
        while now < t + 20_000, deadAt == nil {
            now += 10
            // Keep the other members heard from, and answer every probe except the target's.
            for output in m.tick(now: Self.at(now), using: &rng) {
                if case .send(.ping(let seq), _, let recipient?) = output, recipient != target {
                    _ = m.handle(.ack(seq: seq), from: NodeIdentity(id: recipient, generation: 1), address: Self.address(recipient), now: Self.at(now))
                }
            }
            m.checkInvariants()
            if m.members[target]?.status == .dead { deadAt = now }
        }
        let observed = try! #require(deadAt)
        // Our own further failed probes confirm nothing new (same suspector), so the full timeout applies.
        #expect(Self.at(observed) - Self.at(t) >= timeout)
        #expect(Self.at(observed) - Self.at(t) <= timeout + .milliseconds(20))
    }

    @Test func confirmationsShortenTheTimeout() {
        let m = Self.membership()
        let timeouts = (0...4).map { m.suspicionTimeout(confirmations: $0) }
        #expect(timeouts[0] == .milliseconds(5600))
        #expect(timeouts[0] > timeouts[1] && timeouts[1] > timeouts[2] && timeouts[2] > timeouts[3])
        #expect(timeouts[3] == .milliseconds(2800))
        #expect(timeouts[4] == timeouts[3])

        // Scenario: b suspects e, c and d confirm; e dies at the minimum, not the maximum.
        var fast = Self.membership()
        var slow = Self.membership()
        let e = NodeIdentity(id: "e", generation: 1)
        for (index, suspector) in ["b", "c", "d"].enumerated() {
            _ = fast.apply(MemberUpdate(identity: e, address: Self.address("e"), status: .suspect, incarnation: 0, suspector: suspector), now: Self.at(Int64(index) * 100))
            fast.checkInvariants()
        }
        _ = slow.apply(MemberUpdate(identity: e, address: Self.address("e"), status: .suspect, incarnation: 0, suspector: "b"), now: .zero)
        var rng = SplitMix64(seed: 6)
        func deadline(_ m: inout Membership) -> Int64? {
            var t: Int64 = 0
            while t < 10_000 {
                t += 10
                _ = m.tick(now: Self.at(t), using: &rng)
                for id in ["b", "c", "d"] { _ = m.contact(from: NodeIdentity(id: id, generation: 1), incarnation: 0, address: Self.address(id), now: Self.at(t)) }
                if m.members["e"]?.status == .dead { return t }
            }
            return nil
        }
        let fastDead = try! #require(deadline(&fast))
        let slowDead = try! #require(deadline(&slow))
        // Three independent suspectors: the minimum. One (plus our own failed probe): 4.2 s.
        #expect(fastDead <= 2800 + 20)
        #expect(slowDead >= 4200)
    }

    @Test func rejoinWithHigherGenerationReplacesAtOnceEvenFromNewAddress() {
        var m = Self.membership()
        _ = m.apply(MemberUpdate(identity: NodeIdentity(id: "c", generation: 1), address: Self.address("c"), status: .dead, incarnation: 0), now: Self.at(10))
        #expect(m.members["c"]?.status == .dead)
        let newAddress = HostPort(host: "10.9.9.9", port: 9000)
        let outcome = m.contact(from: NodeIdentity(id: "c", generation: 2), incarnation: 0, address: newAddress, now: Self.at(20))
        guard case .accepted(let outputs) = outcome else { Issue.record("not accepted"); return }
        #expect(outputs.count == 1)
        #expect(m.members["c"]?.identity.generation == 2 && m.members["c"]?.status == .alive && m.members["c"]?.address == newAddress)
        // The old incarnation is stale from now on, as are claims about it.
        #expect(m.contact(from: NodeIdentity(id: "c", generation: 1), incarnation: 9, address: Self.address("c"), now: Self.at(30)) == .staleGeneration)
        #expect(m.apply(MemberUpdate(identity: NodeIdentity(id: "c", generation: 1), address: Self.address("c"), status: .dead, incarnation: 9), now: Self.at(40)).isEmpty)
        #expect(m.members["c"]?.status == .alive)
        m.checkInvariants()
    }

    @Test func claimAboutSelfIsRefutedWithHigherIncarnation() {
        var m = Self.membership()
        _ = m.apply(MemberUpdate(identity: Self.a, address: Self.address("a"), status: .suspect, incarnation: 0, suspector: "b"), now: Self.at(5))
        #expect(m.incarnation == 1)
        #expect(m.isRefuting(now: Self.at(10)))
        _ = m.apply(MemberUpdate(identity: Self.a, address: Self.address("a"), status: .dead, incarnation: 3), now: Self.at(6))
        #expect(m.incarnation == 4)
        // A stale claim changes nothing; a claim about an older generation of us neither.
        _ = m.apply(MemberUpdate(identity: Self.a, address: Self.address("a"), status: .suspect, incarnation: 2), now: Self.at(7))
        _ = m.apply(MemberUpdate(identity: NodeIdentity(id: "a", generation: 0), address: Self.address("a"), status: .dead, incarnation: 9), now: Self.at(8))
        #expect(m.incarnation == 4)
        let claims = m.piggyback(for: "b") { _ in true }
        #expect(claims.contains { $0.identity == Self.a && $0.status == .alive && $0.incarnation == 4 })
        m.checkInvariants()
    }

    @Test func pausedNodeConvictsNobodyUntilItHearsFromPeers() {
        var m = Self.membership()
        _ = m.apply(MemberUpdate(identity: NodeIdentity(id: "c", generation: 1), address: Self.address("c"), status: .suspect, incarnation: 0, suspector: "b"), now: Self.at(0))
        var rng = SplitMix64(seed: 7)
        _ = m.tick(now: Self.at(10), using: &rng)
        // Paused for 30 s: far beyond the suspicion timeout.
        _ = m.tick(now: Self.at(30_000), using: &rng)
        #expect(m.awaitingPeers)
        #expect(m.members["c"]?.status == .suspect)
        _ = Self.tick(&m, from: 30_010, to: 40_000, rng: &rng)
        #expect(m.members.values.allSatisfy { $0.status != .dead })
        // Hearing from a peer ends the guard; timers restart from then.
        _ = m.contact(from: NodeIdentity(id: "b", generation: 1), incarnation: 0, address: Self.address("b"), now: Self.at(40_000))
        #expect(!m.awaitingPeers)
        _ = Self.tick(&m, from: 40_010, to: 41_000, rng: &rng)
        #expect(m.members["c"]?.status == .suspect)
        m.checkInvariants()
    }

    @Test func deadMembersAndUnansweredSeedsAreReprobedForever() {
        let seed = HostPort(host: "10.0.0.99", port: 7946)
        var m = Membership(me: Self.a, seeds: [seed], now: .zero)
        #expect(m.start(now: .zero).count == 1)
        _ = m.contact(from: NodeIdentity(id: "b", generation: 1), incarnation: 0, address: Self.address("b"), now: .zero)
        _ = m.apply(MemberUpdate(identity: NodeIdentity(id: "b", generation: 1), address: Self.address("b"), status: .dead, incarnation: 0), now: Self.at(1))
        var rng = SplitMix64(seed: 8)
        // An hour later, both are still being probed, about once a second between them.
        let outputs = Self.tick(&m, from: 3_600_000, to: 3_604_000, rng: &rng)
        let targets = outputs.compactMap { if case .send(.ping, let to, _) = $0 { to } else { nil } }
        #expect(targets.contains(seed) && targets.contains(Self.address("b")))
        #expect(m.members["b"]?.status == .dead)
    }

    @Test func updatesArePiggybackedALimitedNumberOfTimes() {
        var m = Self.membership(peers: ["b"])
        _ = m.apply(MemberUpdate(identity: NodeIdentity(id: "z", generation: 1), address: Self.address("z"), status: .alive, incarnation: 0), now: .zero)
        var sent = 0
        for _ in 0..<20 { sent += m.piggyback(for: nil) { _ in true }.filter { $0.identity.id == "z" }.count }
        #expect(sent == 4)
        m.checkInvariants()
    }

    @Test func gracefulLeaveMarksLeftAndStopsProbing() {
        var m = Self.membership()
        let out = m.leave(now: Self.at(0))
        #expect(out.count == 4)
        var rng = SplitMix64(seed: 9)
        #expect(Self.tick(&m, from: 10, to: 2000, rng: &rng).isEmpty)
        var other = Self.membership(me: NodeIdentity(id: "b", generation: 1), peers: ["a"])
        _ = other.handle(.leave, from: NodeIdentity(id: "a", generation: 1), address: Self.address("a"), now: Self.at(5))
        _ = other.contact(from: NodeIdentity(id: "a", generation: 1), incarnation: 0, address: Self.address("a"), now: Self.at(6))
        #expect(other.members["a"]?.status == .left)
        m.checkInvariants()
        other.checkInvariants()
    }
}
