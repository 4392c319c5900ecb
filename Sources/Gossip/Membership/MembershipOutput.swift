/// The probe-level message a datagram carries, besides the piggybacked state.
public enum PacketKind: Sendable, Hashable {
    /// "Are you there?" Answered by an ``ack(seq:)`` with the same sequence number.
    case ping(seq: UInt32)
    /// The answer to a ping, or a relayed answer to a ping-req.
    case ack(seq: UInt32)
    /// "Please ping `target` for me and relay its ack" (SWIM's indirect probe).
    case pingRequest(seq: UInt32, target: NodeIdentity, address: HostPort)
    /// Lifeguard: "I relayed your ping-req but the target did not answer me either".
    case nack(seq: UInt32)
    /// Scuttlebutt traffic only: digest and/or deltas.
    case gossip
    /// The sender is leaving the cluster for good (this generation).
    case leave
}

/// What the membership core asks its owner to do.
public enum MembershipOutput: Sendable, Hashable {
    /// Send a datagram of this kind to `address`; `recipient` is the member id when known, so
    /// that the piggyback can carry what we believe about the recipient itself.
    case send(PacketKind, to: HostPort, recipient: String?)
    /// A member changed; publish it.
    case changed(MemberChange)
}
