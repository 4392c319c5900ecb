/// One gossip datagram, decoded: who sent it, its probe-level kind, and what it piggybacks.
///
/// Every packet carries the sender's incarnation and a few membership claims; Scuttlebutt traffic
/// adds a digest ("send me what I lack; here is what I hold") and/or origin deltas.
public struct Packet: Sendable, Hashable {
    /// The sender's id and generation (in the frame header).
    public var sender: NodeIdentity
    /// The probe-level message.
    public var kind: PacketKind
    /// The sender's current incarnation: a refutation when higher than a suspicion.
    public var incarnation: UInt64
    /// Piggybacked membership claims.
    public var updates: [MemberUpdate]
    /// The sender's digest, asking for deltas above it; `nil` when no reply is wanted.
    public var digest: [DigestEntry]?
    /// Entries above the receiver's last digest (or fresh pushes).
    public var deltas: [OriginDelta]

    public init(sender: NodeIdentity, kind: PacketKind, incarnation: UInt64, updates: [MemberUpdate] = [], digest: [DigestEntry]? = nil, deltas: [OriginDelta] = []) {
        self.sender = sender
        self.kind = kind
        self.incarnation = incarnation
        self.updates = updates
        self.digest = digest
        self.deltas = deltas
    }
}
