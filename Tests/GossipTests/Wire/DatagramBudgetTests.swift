import VigilCodec
import Gossip
import Testing

/// Property: whatever the tables, digests and membership news, no datagram exceeds the budget.
@Suite struct DatagramBudgetTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func noDatagramExceedsTheBudget(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var settings = GossipSettings()
        settings.maxDatagramBytes = [1232, 512, 1400, 9000][Int(seed - 1)]
        settings.sealed = seed % 2 == 0
        let keyring = settings.sealed ? try GossipKeyring(base64Keys: [base64Encode([UInt8](repeating: 3, count: 32))]) : nil
        let codec = WireCodec(cluster: ClusterID(name: "p"), keyring: keyring, maxDatagramBytes: settings.maxDatagramBytes)
        let me = NodeIdentity(id: String(repeating: "n", count: Int.random(in: 1...64, using: &rng)), generation: UInt64.random(in: 0...UInt64.max, using: &rng))
        var node = GossipNode(identity: me, seeds: [], settings: settings, now: .zero)
        // Many peers with long ids, so claims and digests are large too.
        for index in 0..<40 {
            let peer = NodeIdentity(id: "peer-\(index)-" + String(repeating: "x", count: Int.random(in: 0...50, using: &rng)), generation: UInt64.random(in: 0...1 << 40, using: &rng))
            let hello = Packet(sender: peer, kind: .ping(seq: 1), incarnation: UInt64.random(in: 0...1 << 30, using: &rng))
            _ = node.receive(hello, from: HostPort(host: "2001:db8::\(index)", port: UInt16(index)), now: .zero, using: &rng)
        }
        let entries = [100_000, 20_000, 5_000, 1_000][Int(seed - 1)]
        for n in 0..<entries {
            let size = Int.random(in: 0...min(node.maxValueBytes, n % 10 == 0 ? node.maxValueBytes : 80), using: &rng)
            let value = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try node.set(key: EntryKey(high: rng.next(), low: rng.next()), value: value, stamp: Int64.random(in: -1 << 50...1 << 50, using: &rng), now: .zero)
            if n % 97 == 0 { _ = node.delete(key: EntryKey(high: rng.next(), low: 0), stamp: 0, now: .zero) }
        }
        var largest = 0
        var datagrams = 0
        var now = Moment.zero
        for round in 0..<300 {
            now = now + .milliseconds(50)
            var actions = node.tick(now: now, using: &rng)
            // Random digests asking for everything above random versions.
            let digest = [DigestEntry(origin: me, version: UInt64.random(in: 0...UInt64(entries), using: &rng))]
            let asker = NodeIdentity(id: "peer-\(round % 40)", generation: 0)
            actions += node.receive(Packet(sender: asker, kind: .gossip, incarnation: 0, digest: digest), from: HostPort(host: "10.0.0.1", port: 1), now: now, using: &rng)
            for case .send(let packet, _) in actions {
                let datagram = codec.encode(packet)
                datagrams += 1
                largest = max(largest, datagram.count)
                #expect(datagram.count <= settings.maxDatagramBytes, "\(datagram.count) > \(settings.maxDatagramBytes)")
            }
        }
        #expect(datagrams > 300)
        #expect(largest > settings.maxDatagramBytes / 2)
        node.checkInvariants()
    }
}
