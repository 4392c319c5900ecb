/// What one node believes about a peer's liveness.
public enum MemberStatus: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Answering probes (or refuted every suspicion so far).
    case alive = 0
    /// A probe failed; it will be declared dead unless it refutes before the suspicion times out.
    case suspect = 1
    /// Declared dead. Still re-probed slowly forever, so it comes back by refuting.
    case dead = 2
    /// Left gracefully. Only a restart (a higher generation) brings it back.
    case left = 3

    public var description: String {
        switch self {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        case .left: "left"
        }
    }

    /// Alive or suspect: still in the probe rotation and still counted for quorum.
    public var isReachable: Bool { self == .alive || self == .suspect }
}

/// One peer as this node sees it.
public struct Member: Sendable, Hashable, CustomStringConvertible {
    /// The peer's id and generation (a restart raises the generation).
    public var identity: NodeIdentity
    /// Where its datagrams come from and where we send ours.
    public var address: HostPort
    /// Its liveness as this node believes it.
    public var status: MemberStatus
    /// The SWIM incarnation the status refers to; only the peer itself raises it (to refute).
    public var incarnation: UInt64
    /// When this node last received a datagram directly from it, if ever.
    public var lastHeard: Moment?
    /// When ``status`` last changed on this node.
    public var since: Moment

    public init(identity: NodeIdentity, address: HostPort, status: MemberStatus, incarnation: UInt64, lastHeard: Moment?, since: Moment) {
        self.identity = identity
        self.address = address
        self.status = status
        self.incarnation = incarnation
        self.lastHeard = lastHeard
        self.since = since
    }

    public var description: String { "\(identity)@\(address) \(status)/\(incarnation)" }
}

/// A membership claim as it travels piggybacked on datagrams: "`identity` is `status` at `incarnation`".
public struct MemberUpdate: Sendable, Hashable, CustomStringConvertible {
    public var identity: NodeIdentity
    public var address: HostPort
    public var status: MemberStatus
    public var incarnation: UInt64
    /// For `.suspect`: who suspects it, so that independent confirmations can be counted.
    public var suspector: String?

    public init(identity: NodeIdentity, address: HostPort, status: MemberStatus, incarnation: UInt64, suspector: String? = nil) {
        self.identity = identity
        self.address = address
        self.status = status
        self.incarnation = incarnation
        self.suspector = suspector
    }

    public var description: String { "\(identity) \(status)/\(incarnation)" + (suspector.map { " by \($0)" } ?? "") }
}

/// A change of a member as seen by this node, published to the application.
public struct MemberChange: Sendable, Hashable, CustomStringConvertible {
    /// The member after the change.
    public var member: Member
    /// Its status before, or `nil` when it was not known (or an older generation was replaced).
    public var previous: MemberStatus?

    public init(member: Member, previous: MemberStatus?) {
        self.member = member
        self.previous = previous
    }

    public var description: String { "\(member.identity): \(previous.map(\.description) ?? "new") -> \(member.status)" }
}
