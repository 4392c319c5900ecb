/// What the gossip core asks its shell to do; the shell handles each with one exhaustive switch.
public enum GossipAction: Sendable, Hashable {
    /// Encode `packet` and send it to `address`.
    case send(Packet, to: HostPort)
    /// A member changed: publish it.
    case memberChanged(MemberChange)
    /// The replica changed (a write here, or one applied from a peer): publish it.
    case replicaChanged(ReplicaChange)
    /// Part or all of a datagram from `address` was dropped: count it.
    case dropped(DropReason, from: HostPort, sender: NodeIdentity?)
}
