import Gossip
import Testing

@Suite struct ReplicaTests {
    static let a = NodeIdentity(id: "a", generation: 1)
    static let b = NodeIdentity(id: "b", generation: 1)
    static func key(_ n: Int) -> EntryKey { EntryKey(high: UInt64(n) &* 0x9E37_79B9_7F4A_7C15, low: UInt64(n)) }
    static func at(_ s: Int64) -> Moment { Moment(nanoseconds: s * 1_000_000_000) }

    /// Pulls everything `source` has into `target`, one budget-cut answer at a time; returns rounds.
    static func sync(_ target: inout Replica, from source: Replica, budget: Int, now: Moment = .zero) -> Int {
        var rounds = 0
        while rounds < 10_000 {
            let deltas = source.deltas(for: target.digest(), budget: budget)
            if deltas.isEmpty { return rounds }
            rounds += 1
            var size = 1
            for delta in deltas {
                size += WireSize.originDelta(delta)
                _ = target.apply(delta, now: now)
                target.checkInvariants()
            }
            #expect(size <= budget)
        }
        return rounds
    }

    @Test func deltaSelectionUnderBudgetIsOldestFirstAndComplete() {
        var source = Replica(me: Self.a)
        for n in 0..<100 { _ = source.write(key: Self.key(n), value: Array(repeating: UInt8(n), count: n % 30), stamp: Int64(1000 + n), now: .zero) }
        // Overwrite some: only their latest version travels.
        for n in 0..<10 { _ = source.write(key: Self.key(n), value: [9], stamp: 5000, now: .zero) }
        source.checkInvariants()
        let first = source.deltas(for: [], budget: 400)
        #expect(first.count == 1)
        let block = first[0]
        #expect(block.more)
        #expect(block.base == 0)
        #expect(block.entries.map(\.value.version) == block.entries.map(\.value.version).sorted())
        #expect(block.upTo == block.entries.last!.value.version)
        #expect(1 + WireSize.originDelta(block) <= 400)
        var target = Replica(me: Self.b)
        let rounds = Self.sync(&target, from: source, budget: 400)
        #expect(rounds > 3)
        #expect(target.version(of: "a") == 110)
        #expect(target.entries(of: "a") == source.entries(of: "a"))
    }

    @Test func heldBackVersionHoldsBackEveryHigherOne() {
        var source = Replica(me: Self.a)
        _ = source.write(key: Self.key(1), value: [1], stamp: 0, now: .zero)
        _ = source.write(key: Self.key(2), value: Array(repeating: 7, count: 300), stamp: 0, now: .zero)
        _ = source.write(key: Self.key(3), value: [3], stamp: 0, now: .zero)
        let deltas = source.deltas(for: [], budget: 120)
        // Version 2 does not fit, so version 3 (which would) is not sent either.
        #expect(deltas.count == 1)
        #expect(deltas[0].entries.map(\.value.version) == [1])
        #expect(deltas[0].upTo == 1 && deltas[0].more)
    }

    @Test func stalestOriginFirst() {
        var b = Replica(me: Self.b)
        var c = Replica(me: NodeIdentity(id: "c", generation: 1))
        for n in 0..<5 { _ = b.write(key: Self.key(n), value: [1], stamp: 0, now: .zero) }
        for n in 0..<50 { _ = c.write(key: Self.key(n), value: [2], stamp: 0, now: .zero) }
        var hub = Replica(me: Self.a)
        _ = Self.sync(&hub, from: b, budget: 1000)
        _ = Self.sync(&hub, from: c, budget: 1000)
        let deltas = hub.deltas(for: [], budget: 1000)
        #expect(deltas.first?.origin.id == "c")
    }

    @Test func tombstonesReplicateThenPurgeAndLaggardsRestart() {
        var settings = ReplicaSettings()
        settings.tombstoneHorizon = .seconds(60)
        var source = Replica(me: Self.a, settings: settings)
        for n in 0..<10 { _ = source.write(key: Self.key(n), value: [UInt8(n)], stamp: 0, now: Self.at(0)) }
        var early = Replica(me: Self.b, settings: settings)
        _ = Self.sync(&early, from: source, budget: 1000)
        _ = source.write(key: Self.key(3), value: nil, stamp: 0, now: Self.at(1))
        var peer = Replica(me: NodeIdentity(id: "c", generation: 1), settings: settings)
        _ = Self.sync(&peer, from: source, budget: 1000, now: Self.at(1))
        #expect(peer.value(of: "a", key: Self.key(3))?.isTombstone == true)
        // After the horizon the tombstone is gone, and its version becomes the floor.
        source.purge(now: Self.at(62))
        source.checkInvariants()
        #expect(source.value(of: "a", key: Self.key(3)) == nil)
        // `early` never saw the deletion: it must restart the origin instead of keeping key 3.
        let rounds = Self.sync(&early, from: source, budget: 1000, now: Self.at(62))
        #expect(rounds >= 2)
        #expect(early.value(of: "a", key: Self.key(3)) == nil)
        #expect(early.entries(of: "a").count == 9)
        #expect(early.version(of: "a") == 11)
        early.checkInvariants()
    }

    @Test func newerGenerationReplacesOriginAndStaleBlocksAreRefused() {
        var source = Replica(me: Self.a)
        _ = source.write(key: Self.key(1), value: [1], stamp: 0, now: .zero)
        var target = Replica(me: Self.b)
        _ = Self.sync(&target, from: source, budget: 1000)
        let restarted = NodeIdentity(id: "a", generation: 2)
        let changes = target.observe([DigestEntry(origin: restarted, version: 0)])
        #expect(changes == [.originCleared(origin: Self.a)])
        #expect(target.entries(of: "a").isEmpty)
        #expect(target.origins.contains(restarted))
        let stale = source.deltas(for: [], budget: 1000)[0]
        #expect(target.apply(stale, now: .zero) == .staleGeneration)
        target.checkInvariants()
    }

    @Test func blockAboveWhatWeHoldIsAGap() {
        var source = Replica(me: Self.a)
        for n in 0..<5 { _ = source.write(key: Self.key(n), value: [1], stamp: 0, now: .zero) }
        let later = source.deltas(for: [DigestEntry(origin: Self.a, version: 3)], budget: 1000)[0]
        var target = Replica(me: Self.b)
        guard case .gap = target.apply(later, now: .zero) else { Issue.record("expected a gap"); return }
        #expect(target.version(of: "a") == 0)
    }

    @Test func pushTakesFreshWritesOnce() {
        var r = Replica(me: Self.a)
        for n in 0..<3 { _ = r.write(key: Self.key(n), value: [1], stamp: 0, now: .zero) }
        let taken = r.takePush(budget: 1000)
        let push = try! #require(taken)
        #expect(push.base == 0 && push.upTo == 3 && push.entries.count == 3)
        #expect(r.takePush(budget: 1000) == nil)
        _ = r.write(key: Self.key(9), value: [1], stamp: 0, now: .zero)
        #expect(r.takePush(budget: 1000)?.base == 3)
        r.checkInvariants()
    }
}
