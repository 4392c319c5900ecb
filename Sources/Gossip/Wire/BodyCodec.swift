import VigilCodec

/// The binary layout of a packet body (after decompression and opening).
///
/// ```
/// kind fields   ping/ack/nack: seq · ping-req: seq, target id, generation, address · gossip/leave: —
/// incarnation   varint
/// updates       varint count, each: status byte (bit 2: has suspector), id, generation,
///               incarnation, address (host, u16 port LE), [suspector id]
/// digest        presence byte, then varint count, each: origin id, generation, version
/// deltas        varint count, each origin block: id, generation, base, upTo − base,
///               floor << 1 | more (the sender holds more above upTo),
///               varint count, entries: 16-byte key, version − previous version,
///               zigzag(stamp − previous stamp), (value length << 1 | has value), value bytes
/// ```
/// Strings are one length byte plus UTF-8. The first entry of a block is relative to the block's
/// base version and to stamp 0, so a block of consecutive writes costs 1 byte of version and
/// 1–2 bytes of stamp per entry. Decoding never trusts a count or a length: each is checked
/// against the bytes that remain before anything is allocated.
enum BodyCodec {
    static func encode(_ packet: Packet, into out: inout [UInt8]) {
        switch packet.kind {
        case .ping(let seq), .ack(let seq), .nack(let seq):
            Varint.append(UInt64(seq), to: &out)
        case .pingRequest(let seq, let target, let address):
            Varint.append(UInt64(seq), to: &out)
            appendString(target.id, to: &out)
            Varint.append(target.generation, to: &out)
            appendAddress(address, to: &out)
        case .gossip, .leave:
            break
        }
        Varint.append(packet.incarnation, to: &out)
        Varint.append(UInt64(packet.updates.count), to: &out)
        for update in packet.updates {
            out.append(update.status.rawValue | (update.suspector == nil ? 0 : 0x04))
            appendString(update.identity.id, to: &out)
            Varint.append(update.identity.generation, to: &out)
            Varint.append(update.incarnation, to: &out)
            appendAddress(update.address, to: &out)
            if let suspector = update.suspector { appendString(suspector, to: &out) }
        }
        if let digest = packet.digest {
            out.append(1)
            Varint.append(UInt64(digest.count), to: &out)
            for entry in digest {
                appendString(entry.origin.id, to: &out)
                Varint.append(entry.origin.generation, to: &out)
                Varint.append(entry.version, to: &out)
            }
        } else {
            out.append(0)
        }
        Varint.append(UInt64(packet.deltas.count), to: &out)
        for delta in packet.deltas {
            appendString(delta.origin.id, to: &out)
            Varint.append(delta.origin.generation, to: &out)
            Varint.append(delta.base, to: &out)
            Varint.append(delta.upTo &- delta.base, to: &out)
            Varint.append(delta.floor << 1 | (delta.more ? 1 : 0), to: &out)
            Varint.append(UInt64(delta.entries.count), to: &out)
            var version = delta.base
            var stamp: Int64 = 0
            for entry in delta.entries {
                entry.key.append(to: &out)
                Varint.append(entry.value.version &- version, to: &out)
                Varint.append(Varint.zigzag(entry.value.stamp &- stamp), to: &out)
                if let value = entry.value.value {
                    Varint.append(UInt64(value.count) << 1 | 1, to: &out)
                    out += value
                } else {
                    out.append(0)
                }
                version = entry.value.version
                stamp = entry.value.stamp
            }
        }
    }

    /// Decodes a body of a packet of `type` from `sender`.
    static func decode(_ bytes: ArraySlice<UInt8>, type: UInt8, sender: NodeIdentity) throws(DropReason) -> Packet {
        var reader = ByteReader(bytes)
        let kind = try decodeKind(&reader, type: type)
        let incarnation = try readVarint(&reader)
        let updates = try decodeUpdates(&reader)
        let digest = try decodeDigest(&reader)
        // Smallest delta: origin id (2), generation, base, span, floor, entry count.
        let deltaCount = try readCount(&reader, minimumItemBytes: 7)
        var deltas: [OriginDelta] = []
        deltas.reserveCapacity(deltaCount)
        for _ in 0..<deltaCount { deltas.append(try decodeDelta(&reader)) }
        guard reader.isAtEnd else { throw .malformed }
        return Packet(sender: sender, kind: kind, incarnation: incarnation, updates: updates, digest: digest, deltas: deltas)
    }

    private static func decodeKind(_ reader: inout ByteReader, type: UInt8) throws(DropReason) -> PacketKind {
        switch type {
        case 1: return .ping(seq: try readSeq(&reader))
        case 2: return .ack(seq: try readSeq(&reader))
        case 3:
            let seq = try readSeq(&reader)
            let target = NodeIdentity(id: try readID(&reader), generation: try readVarint(&reader))
            return .pingRequest(seq: seq, target: target, address: try readAddress(&reader))
        case 4: return .nack(seq: try readSeq(&reader))
        case 5: return .gossip
        case 6: return .leave
        default: throw .badType
        }
    }

    private static func decodeUpdates(_ reader: inout ByteReader) throws(DropReason) -> [MemberUpdate] {
        // Smallest update: status, id (2), generation, incarnation, host (2), port (2).
        let updateCount = try readCount(&reader, minimumItemBytes: 8)
        var updates: [MemberUpdate] = []
        updates.reserveCapacity(updateCount)
        for _ in 0..<updateCount {
            guard let flags = reader.readByte() else { throw .truncated }
            guard flags & ~0x07 == 0, let status = MemberStatus(rawValue: flags & 0x03) else { throw .malformed }
            let identity = NodeIdentity(id: try readID(&reader), generation: try readVarint(&reader))
            let updateIncarnation = try readVarint(&reader)
            let address = try readAddress(&reader)
            let suspector = flags & 0x04 != 0 ? try readID(&reader) : nil
            updates.append(MemberUpdate(identity: identity, address: address, status: status, incarnation: updateIncarnation, suspector: suspector))
        }
        return updates
    }

    private static func decodeDigest(_ reader: inout ByteReader) throws(DropReason) -> [DigestEntry]? {
        guard let hasDigest = reader.readByte() else { throw .truncated }
        switch hasDigest {
        case 0: return nil
        case 1:
            let count = try readCount(&reader, minimumItemBytes: 4)
            var entries: [DigestEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let origin = NodeIdentity(id: try readID(&reader), generation: try readVarint(&reader))
                entries.append(DigestEntry(origin: origin, version: try readVarint(&reader)))
            }
            return entries
        default: throw .malformed
        }
    }

    private static func decodeDelta(_ reader: inout ByteReader) throws(DropReason) -> OriginDelta {
        let origin = NodeIdentity(id: try readID(&reader), generation: try readVarint(&reader))
        let base = try readVarint(&reader)
        let span = try readVarint(&reader)
        let (upTo, overflow) = base.addingReportingOverflow(span)
        guard !overflow else { throw .malformed }
        let floorAndMore = try readVarint(&reader)
        let count = try readCount(&reader, minimumItemBytes: EntryKey.byteCount + 3)
        var entries: [DeltaEntry] = []
        entries.reserveCapacity(count)
        var version = base
        var stamp: Int64 = 0
        for _ in 0..<count {
            guard let keyBytes = reader.readBytes(EntryKey.byteCount), let key = EntryKey(bytes: keyBytes) else { throw .truncated }
            let step = try readVarint(&reader)
            let (next, versionOverflow) = version.addingReportingOverflow(step)
            guard step > 0, !versionOverflow, next <= upTo else { throw .malformed }
            version = next
            stamp = stamp &+ Varint.unzigzag(try readVarint(&reader))
            entries.append(DeltaEntry(key: key, value: VersionedValue(version: version, stamp: stamp, value: try decodeValue(&reader))))
        }
        return OriginDelta(origin: origin, base: base, upTo: upTo, floor: floorAndMore >> 1, more: floorAndMore & 1 == 1, entries: entries)
    }

    /// A value, or `nil` for a tombstone: its length shifted left, the low bit set when present.
    private static func decodeValue(_ reader: inout ByteReader) throws(DropReason) -> [UInt8]? {
        let lengthAndFlag = try readVarint(&reader)
        if lengthAndFlag & 1 == 1 {
            let length = lengthAndFlag >> 1
            guard length <= UInt64(reader.remaining), let slice = reader.readBytes(Int(length)) else { throw .truncated }
            return Array(slice)
        }
        guard lengthAndFlag == 0 else { throw .malformed }
        return nil
    }

    // MARK: Fields

    static func appendString(_ text: String, to out: inout [UInt8]) {
        let utf8 = text.utf8
        precondition(utf8.count <= 255, "wire strings are at most 255 bytes")
        out.append(UInt8(utf8.count))
        out += utf8
    }

    static func appendAddress(_ address: HostPort, to out: inout [UInt8]) {
        appendString(address.host, to: &out)
        out.append(UInt8(truncatingIfNeeded: address.port))
        out.append(UInt8(truncatingIfNeeded: address.port >> 8))
    }

    static func readVarint(_ reader: inout ByteReader) throws(DropReason) -> UInt64 {
        guard let value = reader.readVarint() else { throw .truncated }
        return value
    }

    static func readSeq(_ reader: inout ByteReader) throws(DropReason) -> UInt32 {
        let value = try readVarint(&reader)
        guard let seq = UInt32(exactly: value) else { throw .malformed }
        return seq
    }

    /// A count, refused when the remaining bytes cannot hold that many items of at least `minimumItemBytes`.
    static func readCount(_ reader: inout ByteReader, minimumItemBytes: Int) throws(DropReason) -> Int {
        let value = try readVarint(&reader)
        guard value <= UInt64(reader.remaining / minimumItemBytes) else { throw .malformed }
        return Int(value)
    }

    /// A node id: 1…64 bytes of UTF-8.
    static func readID(_ reader: inout ByteReader) throws(DropReason) -> String {
        let text = try readString(&reader)
        guard !text.isEmpty, text.utf8.count <= NodeIdentity.maxIDBytes else { throw .malformed }
        return text
    }

    static func readString(_ reader: inout ByteReader) throws(DropReason) -> String {
        guard let length = reader.readByte(), let bytes = reader.readBytes(Int(length)) else { throw .truncated }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .malformed }
        return text
    }

    static func readAddress(_ reader: inout ByteReader) throws(DropReason) -> HostPort {
        let host = try readString(&reader)
        guard !host.isEmpty, host.utf8.count <= HostPort.maxHostBytes else { throw .malformed }
        guard let low = reader.readByte(), let high = reader.readByte() else { throw .truncated }
        return HostPort(host: host, port: UInt16(low) | UInt16(high) << 8)
    }
}

extension NodeIdentity {
    /// The longest node id the wire format carries.
    public static let maxIDBytes = 64
}
