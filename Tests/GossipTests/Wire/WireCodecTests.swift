import Gossip
import Testing
import VigilCodec

@Suite struct WireCodecTests {
    static let sender = NodeIdentity(id: "n1", generation: 42)
    static let keyA = [UInt8](repeating: 0xA1, count: 32)
    static let keyB = [UInt8](repeating: 0xB2, count: 32)
    static func base64(_ bytes: [UInt8]) -> String { base64Encode(bytes) }

    static func samplePackets() -> [Packet] {
        let address = HostPort(host: "127.0.0.1", port: 7001)
        let update = MemberUpdate(identity: NodeIdentity(id: "n2", generation: 3), address: address, status: .suspect, incarnation: 7, suspector: "n3")
        var entries: [DeltaEntry] = []
        for n in 0..<30 {
            let value: [UInt8]? = n % 7 == 0 ? nil : [1, UInt8(n)]
            let stamp: Int64 = 1_700_000_000_000 + Int64(n * 30_000)
            entries.append(DeltaEntry(key: EntryKey(high: UInt64(n), low: ~UInt64(n)), value: VersionedValue(version: UInt64(10 + n), stamp: stamp, value: value)))
        }
        return [
            Packet(sender: sender, kind: .ping(seq: 1), incarnation: 0),
            Packet(sender: sender, kind: .ack(seq: .max), incarnation: 5, updates: [update]),
            Packet(sender: sender, kind: .pingRequest(seq: 9, target: NodeIdentity(id: "n4", generation: 1), address: address), incarnation: 1),
            Packet(sender: sender, kind: .nack(seq: 9), incarnation: 1),
            Packet(sender: sender, kind: .leave, incarnation: 2),
            Packet(sender: sender, kind: .gossip, incarnation: 3, updates: [update, update], digest: [DigestEntry(origin: sender, version: 99)],
                   deltas: [OriginDelta(origin: NodeIdentity(id: "n5", generation: 2), base: 9, upTo: 45, floor: 3, more: true, entries: entries)]),
        ]
    }

    @Test func roundTripsEveryKindPlainAndSealed() throws {
        let plain = WireCodec(cluster: ClusterID(name: "prod"))
        let chacha = WireCodec(cluster: ClusterID(name: "prod"), keyring: try GossipKeyring(base64Keys: [Self.base64(Self.keyA)]))
        let gcm = WireCodec(cluster: ClusterID(name: "prod"), keyring: try GossipKeyring(base64Keys: [Self.base64(Self.keyA)], cipher: .aesGCM))
        for codec in [plain, chacha, gcm] {
            for packet in Self.samplePackets() {
                let datagram = codec.encode(packet)
                #expect(try codec.decode(datagram) == packet)
                let expected = WireSize.frameHeader(sender: packet.sender) + (codec.isSealed ? WireSize.sealOverhead : 0)
                #expect(datagram.count <= expected + WireSize.body(packet))
            }
        }
    }

    @Test func wireSizeMatchesTheEncoding() {
        let codec = WireCodec(cluster: ClusterID(name: "x"), maxDatagramBytes: 65_507)
        for packet in Self.samplePackets() {
            // Incompressible stand-in: the LZ4 path only ever shrinks, so check sizes on a plain body.
            let datagram = codec.encode(packet)
            let header = WireSize.frameHeader(sender: packet.sender)
            if datagram[3] & 1 == 0 { #expect(datagram.count == header + WireSize.body(packet)) }
        }
    }

    @Test func keyRotationOpensWithAnyKeyAndSealsWithTheFirst() throws {
        let old = WireCodec(cluster: ClusterID(name: "c"), keyring: try GossipKeyring(base64Keys: [Self.base64(Self.keyA)]))
        let rotating = WireCodec(cluster: ClusterID(name: "c"), keyring: try GossipKeyring(base64Keys: [Self.base64(Self.keyB), Self.base64(Self.keyA)]))
        let packet = Self.samplePackets()[1]
        #expect(try rotating.decode(old.encode(packet)) == packet)
        #expect(throws: WireError(reason: .keyMismatch, sender: Self.sender)) { try old.decode(rotating.encode(packet)) }
    }

    @Test func dropsAreClassifiedByReason() throws {
        let codec = WireCodec(cluster: ClusterID(name: "prod"))
        let sealed = WireCodec(cluster: ClusterID(name: "prod"), keyring: try GossipKeyring(base64Keys: [Self.base64(Self.keyA)]))
        let packet = Self.samplePackets()[5]
        let good = codec.encode(packet)
        func reason(_ bytes: [UInt8], _ c: WireCodec = codec) -> DropReason? {
            do { _ = try c.decode(bytes); return nil } catch { return error.reason }
        }
        #expect(reason([]) == .truncated)
        #expect(reason([0x00, 0x01, 1, 0]) == .badMagic)
        var version = good; version[2] = 9
        #expect(reason(version) == .badVersion)
        var flags = good; flags[3] |= 0x80
        #expect(reason(flags) == .badType)
        #expect(reason(WireCodec(cluster: ClusterID(name: "other")).encode(packet)) == .wrongCluster)
        #expect(reason(good, sealed) == .unsealed)
        #expect(reason(sealed.encode(packet)) == .unexpectedSeal)
        var tampered = sealed.encode(packet); tampered[tampered.count - 20] ^= 1
        #expect(reason(tampered, sealed) == .keyMismatch)
        #expect(reason(good + [0]) == .malformed || reason(good + [0]) == .badCompression)
        #expect(reason([UInt8](repeating: 0, count: 1233)) == .oversize)
        // Every strict prefix is refused, never accepted as something else.
        for length in 0..<good.count { #expect(reason(Array(good.prefix(length))) != nil) }
    }

    @Test func lz4BombsAndGarbageAreRefused() {
        let codec = WireCodec(cluster: ClusterID(name: "prod"))
        let header = Array(codec.encode(Packet(sender: Self.sender, kind: .gossip, incarnation: 0)).prefix(WireSize.frameHeader(sender: Self.sender)))
        var bomb = header
        bomb[3] = 0x01
        Varint.append(UInt64(1 << 40), to: &bomb)
        bomb += [0x1F, 0x00, 0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: WireError(reason: .badCompression, sender: Self.sender)) { try codec.decode(bomb) }
        // A real block that expands beyond what it announces.
        let big = try! LZ4.compress([UInt8](repeating: 0, count: 60_000))
        var liar = header
        liar[3] = 0x01
        Varint.append(100, to: &liar)
        liar += big.prefix(900)
        #expect(throws: WireError(reason: .badCompression, sender: Self.sender)) { try codec.decode(liar) }
    }

    @Test func lyingCountsAreRefusedBeforeAllocating() {
        let codec = WireCodec(cluster: ClusterID(name: "prod"))
        var datagram = Array(codec.encode(Packet(sender: Self.sender, kind: .gossip, incarnation: 0)).prefix(WireSize.frameHeader(sender: Self.sender)))
        datagram += [0]  // incarnation
        Varint.append(UInt64(Int32.max), to: &datagram)  // a billion updates in a few bytes
        #expect(throws: WireError(reason: .malformed, sender: Self.sender)) { try codec.decode(datagram) }
    }

    @Test func clusterIDIsStableFNV1a() {
        #expect(ClusterID(name: "").rawValue == 0xCBF2_9CE4_8422_2325)
        #expect(ClusterID(name: "a").rawValue == 0xAF63_DC4C_8601_EC8C)
        #expect(ClusterID(name: "vigil") != ClusterID(name: "vigil2"))
    }

    @Test func keysMustBeBase64Of32Bytes() {
        #expect(throws: GossipConfigurationError.self) { try GossipKeyring(base64Keys: ["c2hvcnQ="]) }
        #expect(throws: GossipConfigurationError.self) { try GossipKeyring(base64Keys: []) }
        #expect(throws: GossipConfigurationError.self) { try GossipKeyring(base64Keys: ["!!!"]) }
    }
}

/// Standard base64, for building test keys.
func base64Encode(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var out = ""
    var index = 0
    while index < bytes.count {
        let chunk = bytes[index..<min(index + 3, bytes.count)]
        var word: UInt32 = 0
        for (offset, byte) in chunk.enumerated() { word |= UInt32(byte) << UInt32(16 - 8 * offset) }
        for position in 0..<4 { out.append(position <= chunk.count ? alphabet[Int(word >> UInt32(18 - 6 * position) & 0x3F)] : "=") }
        index += 3
    }
    return out
}

@Suite struct EncryptionTransitionTests {
    static let key = WireCodecTests.base64(WireCodecTests.keyA)

    /// The three steps of turning encryption on for a running cluster (install, use, remove
    /// plaintext): at every step each node can open what the nodes one step behind or ahead send.
    @Test func turningEncryptionOnNeverCutsTwoNeighbouringStepsApart() throws {
        let cluster = ClusterID(name: "c")
        let ring = try GossipKeyring(base64Keys: [Self.key])
        let steps = [
            WireCodec(cluster: cluster),  // insecure
            WireCodec(cluster: cluster, keyring: ring, sealing: false, acceptsPlaintext: true),  // installed
            WireCodec(cluster: cluster, keyring: ring, sealing: true, acceptsPlaintext: true),  // in use
            WireCodec(cluster: cluster, keyring: ring),  // plaintext removed
        ]
        let packet = WireCodecTests.samplePackets()[0]
        for i in steps.indices.dropLast() {
            let (a, b) = (steps[i], steps[i + 1])
            #expect(throws: Never.self) { try a.decode(b.encode(packet)) }
            #expect(throws: Never.self) { try b.decode(a.encode(packet)) }
        }
        // Only the end state refuses plaintext, and only it and "in use" seal.
        #expect(steps.map(\.isSealed) == [false, false, true, true])
        #expect(throws: WireError(reason: .unsealed, sender: packet.sender)) { try steps[3].decode(steps[0].encode(packet)) }
        #expect(throws: WireError(reason: .unexpectedSeal, sender: packet.sender)) { try steps[0].decode(steps[2].encode(packet)) }
    }
}
