import Gossip

extension GossipConfiguration {
    /// Node `node`'s gossip settings from the cluster configuration: its bind address, the other
    /// nodes as seeds, the keys, the timings, and (with `gossip.crash_probe`) the other nodes'
    /// HTTP ports to look at when one becomes suspect.
    /// - Throws: ``ConfigurationError`` when `node` is not configured.
    public init(node: String, generation: UInt64, configuration: VigilConfiguration) throws(ConfigurationError) {
        let me = try configuration.node(node)
        var settings = GossipSettings()
        settings.interval = configuration.gossip.interval
        settings.fanout = configuration.gossip.fanout
        settings.maxDatagramBytes = configuration.gossip.maxDatagramBytes
        let others = configuration.nodes.filter { $0.id != node }
        self.init(
            clusterName: configuration.cluster, identity: NodeIdentity(id: node, generation: generation), bindAddress: me.gossip,
            seeds: others.map(\.gossip), keys: configuration.gossip.keys, settings: settings
        )
        // A suspect whose HTTP port refuses connections twice has crashed: convicted at once.
        if configuration.gossip.crashProbe {
            crashProbePorts = Dictionary(others.filter { $0.http.port != 0 }.map { ($0.id, $0.http) }, uniquingKeysWith: { a, _ in a })
        }
    }
}
