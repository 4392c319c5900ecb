import VigilCodec

/// Exact encoded sizes, so that cores can fill a datagram up to its byte budget without encoding.
///
/// Must agree with ``BodyCodec``; the codec tests check that it does.
public enum WireSize {
    /// A length-prefixed UTF-8 string (one length byte).
    @inline(__always) public static func string(_ text: String) -> Int { 1 + text.utf8.count }

    /// A peer address: host string plus a two-byte port.
    public static func address(_ address: HostPort) -> Int { string(address.host) + 2 }

    /// One membership claim.
    public static func update(_ update: MemberUpdate) -> Int {
        1 + string(update.identity.id) + Varint.size(update.identity.generation) + Varint.size(update.incarnation)
            + address(update.address) + (update.suspector.map(string) ?? 0)
    }

    /// One digest row.
    public static func digestEntry(_ entry: DigestEntry) -> Int {
        string(entry.origin.id) + Varint.size(entry.origin.generation) + Varint.size(entry.version)
    }

    /// A whole digest, presence byte included.
    public static func digest(_ digest: [DigestEntry]?) -> Int {
        guard let digest else { return 1 }
        return 1 + Varint.size(UInt64(digest.count)) + digest.reduce(0) { $0 + digestEntry($1) }
    }

    /// One entry, encoded after an entry of `previousVersion` / `previousStamp` (the block's base
    /// version and 0 for the first).
    @inline(__always) public static func entry(_ entry: DeltaEntry, previousVersion: UInt64, previousStamp: Int64) -> Int {
        let valueBytes = entry.value.value?.count ?? 0
        return EntryKey.byteCount
            + Varint.size(entry.value.version &- previousVersion)
            + Varint.size(Varint.zigzag(entry.value.stamp &- previousStamp))
            + Varint.size(UInt64(valueBytes) << 1 | (entry.value.isTombstone ? 0 : 1))
            + valueBytes
    }

    /// An origin block's header.
    public static func originHeader(origin: NodeIdentity, base: UInt64, span: UInt64, floor: UInt64, count: Int) -> Int {
        string(origin.id) + Varint.size(origin.generation) + Varint.size(base) + Varint.size(span) + Varint.size(floor << 1 | 1)
            + Varint.size(UInt64(count))
    }

    /// A whole origin block.
    public static func originDelta(_ delta: OriginDelta) -> Int {
        var size = originHeader(origin: delta.origin, base: delta.base, span: delta.upTo &- delta.base, floor: delta.floor, count: delta.entries.count)
        var version = delta.base
        var stamp: Int64 = 0
        for entry in delta.entries {
            size += Self.entry(entry, previousVersion: version, previousStamp: stamp)
            version = entry.value.version
            stamp = entry.value.stamp
        }
        return size
    }

    /// The probe-level fields of a kind.
    public static func kind(_ kind: PacketKind) -> Int {
        switch kind {
        case .ping(let seq), .ack(let seq), .nack(let seq): Varint.size(UInt64(seq))
        case .pingRequest(let seq, let target, let address):
            Varint.size(UInt64(seq)) + string(target.id) + Varint.size(target.generation) + Self.address(address)
        case .gossip, .leave: 0
        }
    }

    /// The uncompressed body of a packet.
    public static func body(_ packet: Packet) -> Int {
        kind(packet.kind) + Varint.size(packet.incarnation)
            + Varint.size(UInt64(packet.updates.count)) + packet.updates.reduce(0) { $0 + update($1) }
            + digest(packet.digest)
            + Varint.size(UInt64(packet.deltas.count)) + packet.deltas.reduce(0) { $0 + originDelta($1) }
    }

    /// Frame bytes before the body: magic, version, flags, cluster id, sender, type.
    public static func frameHeader(sender: NodeIdentity) -> Int {
        2 + 1 + 1 + 8 + string(sender.id) + Varint.size(sender.generation) + 1
    }

    /// What sealing adds: key tag, nonce, authentication tag.
    public static let sealOverhead = 1 + 12 + 16

    /// The largest uncompressed body a sender may produce so that its datagrams stay within
    /// `maxDatagramBytes` (compression is used only when it makes the body smaller).
    public static func bodyBudget(maxDatagramBytes: Int, sender: NodeIdentity, sealed: Bool) -> Int {
        maxDatagramBytes - frameHeader(sender: sender) - (sealed ? sealOverhead : 0)
    }
}
