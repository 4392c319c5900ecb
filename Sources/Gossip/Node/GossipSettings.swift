/// Settings of one gossip node, with documented defaults.
public struct GossipSettings: Sendable, Hashable {
    /// The gossip round: a digest goes to a random peer and fresh writes are pushed. Default 0.2 s.
    public var interval: Duration = .milliseconds(200)
    /// How many random peers fresh writes (and pending membership news) go to each round. Default 3.
    public var fanout: Int = 3
    /// No datagram is larger, sealing included. Default 1232 (the IPv6 minimum MTU less headers).
    public var maxDatagramBytes: Int = 1232
    /// Whether datagrams are sealed (the shell sets it from the keyring): sealing costs 29 bytes.
    public var sealed: Bool = false
    /// The failure detector's timings.
    public var membership = MembershipSettings()
    /// The replica's settings.
    public var replica = ReplicaSettings()

    public init() {}

    /// Checks that the settings can work.
    ///
    /// - Throws: ``GossipConfigurationError`` naming the first unusable setting.
    public func validate() throws(GossipConfigurationError) {
        func fail(_ detail: String) -> GossipConfigurationError { GossipConfigurationError(code: .invalidSetting, detail: detail) }
        guard interval > .zero else { throw fail("gossip.interval must be positive") }
        guard fanout >= 1 else { throw fail("gossip.fanout must be at least 1") }
        guard (512...65_507).contains(maxDatagramBytes) else { throw fail("gossip.max_datagram_bytes must be within 512...65507") }
        guard membership.probeTimeout > .zero, membership.probeTimeout < membership.probeInterval else {
            throw fail("gossip.probe_timeout must be positive and shorter than gossip.probe_interval")
        }
        guard membership.indirectProbes >= 0 else { throw fail("gossip.indirect_probes must not be negative") }
    }
}

/// A write this node cannot make.
public struct GossipError: Error, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The value would not fit in one datagram with its entry header.
        case valueTooLarge
        /// The node has left the cluster.
        case left
    }

    public var code: Code
    public var detail: String

    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { detail }
}
