/// Everything a ``GossipService`` needs, built once from the node's configuration.
public struct GossipConfiguration: Sendable {
    /// The cluster's name; hashed to the cluster id every datagram carries.
    public var clusterName: String
    /// This node's id and generation (the generation grows at every start).
    public var identity: NodeIdentity
    /// The UDP address to bind; port 0 picks a free port (see ``GossipService/boundAddress()``).
    public var bindAddress: HostPort
    /// The address peers reach this node at, when it differs from the bound one (e.g. bound to
    /// 0.0.0.0). Default: the bound address.
    public var advertisedAddress: HostPort?
    /// Gossip addresses of the configured nodes; this node's own address is ignored.
    public var seeds: [HostPort]
    /// Base64 32-byte keys; the first seals, all open. Empty: datagrams travel unsealed.
    public var keys: [String]
    /// The AEAD for sealing. Default ChaChaPoly.
    public var cipher: GossipKeyring.Cipher
    /// Timings and sizes.
    public var settings: GossipSettings
    /// A TCP port per member id whose refusal convicts a suspect at once (``CrashEvidence``);
    /// Vigil gives each node's HTTP address. Empty: suspects always get the full suspicion time.
    public var crashProbePorts: [String: HostPort] = [:]

    public init(
        clusterName: String,
        identity: NodeIdentity,
        bindAddress: HostPort,
        advertisedAddress: HostPort? = nil,
        seeds: [HostPort] = [],
        keys: [String] = [],
        cipher: GossipKeyring.Cipher = .chaChaPoly,
        settings: GossipSettings = GossipSettings()
    ) {
        self.clusterName = clusterName
        self.identity = identity
        self.bindAddress = bindAddress
        self.advertisedAddress = advertisedAddress
        self.seeds = seeds
        self.keys = keys
        self.cipher = cipher
        self.settings = settings
    }
}

/// What a ``GossipService`` publishes to the application.
public enum GossipEvent: Sendable, Hashable {
    /// A member changed (joined, suspected, died, left, refuted, restarted).
    case member(MemberChange)
    /// The replica changed: a local write or one applied from a peer.
    case replica(ReplicaChange)
    /// A peer's datagrams cannot be opened with our keys (reported once per peer).
    case keyMismatch(peer: NodeIdentity, address: HostPort)
}
