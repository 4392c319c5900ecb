import VigilCodec

/// Turns packets into datagrams and back: the versioned frame, LZ4 and optional AEAD sealing.
///
/// ```
/// magic "VG" · version 1 · flags (bit 0 LZ4, bit 1 sealed, bit 2 AES-GCM instead of ChaChaPoly)
/// · cluster id (u64 LE) · sender id (length byte + UTF-8) · sender generation (varint) · type
/// · payload
/// ```
/// The header travels in clear but is authenticated as associated data when sealed, so a key
/// mismatch can name the peer. The payload is the body, or `varint(raw length) + LZ4 block` when
/// that is smaller, then sealed (key tag, nonce, ciphertext, tag) when a keyring is configured.
/// Decoding is total: any input yields a packet or a ``WireError`` with a ``DropReason``; LZ4
/// output is capped at the announced size, itself capped at ``maxDecodedBody``.
public struct WireCodec: Sendable {
    /// This cluster's id; datagrams of another cluster are dropped.
    public let cluster: ClusterID
    /// Keys to open with (the first seals when ``sealing``), or `nil` for plain datagrams.
    public let keyring: GossipKeyring?
    /// Whether outgoing datagrams are sealed (with the keyring's first key).
    public let sealing: Bool
    /// Whether unsealed datagrams are accepted although a keyring is set: while a running
    /// cluster turns encryption on, or off.
    public let acceptsPlaintext: Bool
    /// The largest datagram accepted or produced.
    public let maxDatagramBytes: Int

    static let magic: (UInt8, UInt8) = (0x56, 0x47)
    /// The wire version this codec speaks.
    public static let version: UInt8 = 1
    static let flagLZ4: UInt8 = 0x01
    static let flagSealed: UInt8 = 0x02
    static let flagAESGCM: UInt8 = 0x04
    /// No body decompresses beyond this, whatever it announces (the largest UDP payload).
    public static let maxDecodedBody = 65_507

    /// - Parameters:
    ///   - keyring: keys to open with; `nil`: plain datagrams only.
    ///   - sealing: seal outgoing datagrams with the keyring's first key (default: when there is one).
    ///   - acceptsPlaintext: accept unsealed datagrams even with a keyring (default: only without).
    public init(cluster: ClusterID, keyring: GossipKeyring? = nil, sealing: Bool? = nil, acceptsPlaintext: Bool? = nil, maxDatagramBytes: Int = 1232) {
        self.cluster = cluster
        self.keyring = keyring
        self.sealing = keyring != nil && (sealing ?? true)
        self.acceptsPlaintext = keyring == nil || (acceptsPlaintext ?? false)
        self.maxDatagramBytes = maxDatagramBytes
    }

    /// Whether datagrams are sealed.
    public var isSealed: Bool { sealing }

    /// The largest uncompressed body `sender` may put in one datagram.
    public func bodyBudget(for sender: NodeIdentity) -> Int {
        WireSize.bodyBudget(maxDatagramBytes: maxDatagramBytes, sender: sender, sealed: isSealed)
    }

    static func typeByte(_ kind: PacketKind) -> UInt8 {
        switch kind {
        case .ping: 1
        case .ack: 2
        case .pingRequest: 3
        case .nack: 4
        case .gossip: 5
        case .leave: 6
        }
    }

    /// Encodes `packet` into one datagram.
    public func encode(_ packet: Packet) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(256)
        BodyCodec.encode(packet, into: &body)
        var flags: UInt8 = 0
        var payload = body
        if body.count >= 48, let compressed = try? LZ4.compress(body) {
            var framed: [UInt8] = []
            Varint.append(UInt64(body.count), to: &framed)
            if framed.count + compressed.count < body.count {
                framed += compressed
                payload = framed
                flags |= Self.flagLZ4
            }
        }
        if let keyring, sealing {
            flags |= Self.flagSealed | (keyring.cipher == .aesGCM ? Self.flagAESGCM : 0)
        }
        var out: [UInt8] = [Self.magic.0, Self.magic.1, Self.version, flags]
        out.reserveCapacity(WireSize.frameHeader(sender: packet.sender) + payload.count + WireSize.sealOverhead)
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: cluster.rawValue >> UInt64(shift))) }
        BodyCodec.appendString(packet.sender.id, to: &out)
        Varint.append(packet.sender.generation, to: &out)
        out.append(Self.typeByte(packet.kind))
        if let keyring, sealing {
            out += keyring.seal(payload, header: out)
        } else {
            out += payload
        }
        return out
    }

    /// Decodes one datagram.
    ///
    /// - Throws: ``WireError`` with the reason to count, and the sender when the header named it.
    public func decode(_ datagram: [UInt8]) throws(WireError) -> Packet {
        guard datagram.count <= maxDatagramBytes else { throw WireError(reason: .oversize, sender: nil) }
        var reader = ByteReader(datagram[...])
        guard let m0 = reader.readByte(), let m1 = reader.readByte() else { throw WireError(reason: .truncated, sender: nil) }
        guard (m0, m1) == Self.magic else { throw WireError(reason: .badMagic, sender: nil) }
        guard let version = reader.readByte() else { throw WireError(reason: .truncated, sender: nil) }
        guard version == Self.version else { throw WireError(reason: .badVersion, sender: nil) }
        guard let flags = reader.readByte() else { throw WireError(reason: .truncated, sender: nil) }
        guard flags & ~(Self.flagLZ4 | Self.flagSealed | Self.flagAESGCM) == 0 else { throw WireError(reason: .badType, sender: nil) }
        guard let cluster = reader.readUInt64LE() else { throw WireError(reason: .truncated, sender: nil) }
        guard cluster == self.cluster.rawValue else { throw WireError(reason: .wrongCluster, sender: nil) }
        let sender: NodeIdentity
        let type: UInt8
        do throws(DropReason) {
            sender = NodeIdentity(id: try BodyCodec.readID(&reader), generation: try BodyCodec.readVarint(&reader))
            guard let byte = reader.readByte() else { throw DropReason.truncated }
            type = byte
        } catch {
            throw WireError(reason: error, sender: nil)
        }
        let header = datagram[..<reader.position]
        var payload = datagram[reader.position...]
        if flags & Self.flagSealed != 0 {
            guard let keyring else { throw WireError(reason: .unexpectedSeal, sender: sender) }
            let cipher: GossipKeyring.Cipher = flags & Self.flagAESGCM != 0 ? .aesGCM : .chaChaPoly
            guard let opened = keyring.open(payload, header: header, cipher: cipher) else { throw WireError(reason: .keyMismatch, sender: sender) }
            payload = opened[...]
        } else if !acceptsPlaintext {
            throw WireError(reason: .unsealed, sender: sender)
        }
        if flags & Self.flagLZ4 != 0 {
            var inner = ByteReader(payload)
            guard let announced = inner.readVarint() else { throw WireError(reason: .badCompression, sender: sender) }
            guard announced > 0, announced <= UInt64(Self.maxDecodedBody) else { throw WireError(reason: .badCompression, sender: sender) }
            let block = payload[inner.position...]
            guard let raw = try? LZ4.decompress(block, maxOutputSize: Int(announced)), raw.count == Int(announced) else {
                throw WireError(reason: .badCompression, sender: sender)
            }
            payload = raw[...]
        }
        do throws(DropReason) {
            return try BodyCodec.decode(payload, type: type, sender: sender)
        } catch {
            throw WireError(reason: error, sender: sender)
        }
    }
}

/// Why a datagram was dropped, and who sent it when the header got that far.
public struct WireError: Error, Hashable, CustomStringConvertible {
    public var reason: DropReason
    public var sender: NodeIdentity?

    public init(reason: DropReason, sender: NodeIdentity?) {
        self.reason = reason
        self.sender = sender
    }

    public var description: String { "\(reason)" + (sender.map { " from \($0)" } ?? "") }
}

extension DropReason: Error {}
