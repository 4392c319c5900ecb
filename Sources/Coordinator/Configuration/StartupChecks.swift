import Gossip

/// What `vigil serve` checks about security before it starts: a refusal it cannot start with,
/// and warnings it logs. Pure (the configuration in, findings out).
public enum StartupChecks {
    /// A setting that makes the node refuse to start, with how to fix it (one line).
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Gossip off loopback needs a key, unless `gossip.insecure: true` says the operator means
    /// it. `sealed`: the keyring in force (the configuration's, or the store's once changed
    /// there) seals datagrams and refuses plaintext.
    public static func gossip(node: NodeAddress, sealed: Bool, insecure: Bool) throws(Refusal) {
        guard !node.gossip.isLoopback, !sealed, !insecure else { return }
        throw Refusal(
            description: "gossip address \(node.gossip) of node \(node.id) is not loopback and gossip has no key: anyone who can send it a datagram can join the cluster. Make a key with `vigil keygen` and put it in gossip.keys (or VIGIL_GOSSIP_KEY), or set gossip.insecure: true if you mean it"
        )
    }

    /// Warnings worth a log line at start.
    public static func warnings(node: NodeAddress, http: HTTPSettings, bind: HostPort) -> [String] {
        var out: [String] = []
        if !bind.isLoopback, http.adminToken == nil {
            out.append("HTTP listens on \(bind) (not loopback) without http.admin_token: anyone who can reach it can pause sweeping and register executions")
        }
        return out
    }
}
