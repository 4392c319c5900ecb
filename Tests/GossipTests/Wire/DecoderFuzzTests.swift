import VigilCodec
import Gossip
import Testing

/// A million random and mutated datagrams: the decoder answers each with a packet or a drop
/// reason, never a crash, and never accepts a datagram over the budget.
@Suite struct DecoderFuzzTests {
    @Test func oneMillionRandomAndMutatedDatagrams() throws {
        var rng = SplitMix64(seed: 0xF022)
        let plain = WireCodec(cluster: ClusterID(name: "fuzz"))
        let sealed = WireCodec(cluster: ClusterID(name: "fuzz"), keyring: try GossipKeyring(base64Keys: [base64Encode([UInt8](repeating: 7, count: 32))]))
        let seeds = WireCodecTests.samplePackets().map { plain.encode($0) }
        let sealedSeeds = WireCodecTests.samplePackets().map { sealed.encode($0) }
        var reasons: [DropReason: Int] = [:]
        var accepted = 0
        for iteration in 0..<1_000_000 {
            let useSealed = iteration % 16 == 1
            var datagram: [UInt8]
            switch iteration % 4 {
            case 0:
                datagram = (0..<Int.random(in: 0...1300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if iteration % 8 == 0, datagram.count >= 12 {
                    // Random bodies behind a valid header prefix reach deeper.
                    datagram.replaceSubrange(0..<12, with: seeds[0].prefix(12))
                }
            default:
                let source = useSealed ? sealedSeeds : seeds
                datagram = source[Int.random(in: 0..<source.count, using: &rng)]
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0 where !datagram.isEmpty:
                        datagram[Int.random(in: 0..<datagram.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    case 1 where !datagram.isEmpty:
                        datagram.removeLast(Int.random(in: 0...datagram.count, using: &rng))
                    case 2:
                        datagram.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...datagram.count, using: &rng))
                    default:
                        if !datagram.isEmpty { datagram[Int.random(in: 0..<datagram.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng) }
                    }
                }
            }
            do {
                let packet = try (useSealed ? sealed : plain).decode(datagram)
                accepted += 1
                #expect(datagram.count <= 1232)
                _ = packet
            } catch {
                reasons[error.reason, default: 0] += 1
            }
        }
        #expect(accepted + reasons.values.reduce(0, +) == 1_000_000)
        // The mutations reach every layer.
        for reason in [DropReason.truncated, .badMagic, .badVersion, .wrongCluster, .malformed, .keyMismatch, .badCompression] {
            #expect(reasons[reason, default: 0] > 0, "no \(reason) drop")
        }
    }
}
