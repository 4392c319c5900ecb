import Gossip
import VigilJSON

extension ConfigurationLoader.Reader {
    /// `nodes`: a non-empty list of `{"id", "http", "gossip"}`, ids and ports unique.
    func nodes(_ value: JSONValue, _ name: String) throws(ConfigurationError) -> [NodeAddress] {
        guard case .array(let list) = value, !list.isEmpty else {
            throw fail(name, #"is required: a non-empty array of {"id", "http", "gossip"}"#)
        }
        var nodes: [NodeAddress] = []
        for (r, n) in try items(value, name, problem: "must be an array") {
            try r.checkKeys(n, allowed: ["id", "http", "gossip"])
            guard let id = try r.string(n["id"], "id") else { throw r.fail("id", "is required") }
            guard id.utf8.count <= 32, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), id.allSatisfy(\.isASCII) else {
                throw r.fail("id", "must be 1-32 ASCII letters, digits, '-' or '_', got \"\(id)\"")
            }
            guard !nodes.contains(where: { $0.id == id }) else { throw r.fail("id", "\"\(id)\" is used by two nodes") }
            let node = NodeAddress(id: id, http: try r.hostPort(n["http"], "http"), gossip: try r.hostPort(n["gossip"], "gossip"))
            for other in nodes {
                if node.http.port != 0, node.http == other.http { throw r.fail("http", "\(node.http) is also used by node \(other.id)") }
                if node.gossip.port != 0, node.gossip == other.gossip { throw r.fail("gossip", "\(node.gossip) is also used by node \(other.id)") }
            }
            nodes.append(node)
        }
        return nodes
    }

    /// `http.tls`: `{"cert", "key"}`, both PEM files.
    func tls(_ value: JSONValue, _ name: String) throws(ConfigurationError) -> TLSFiles {
        let t = try asObject(value, name)
        let r = below(name)
        try r.checkKeys(t, allowed: ["cert", "key"])
        guard let cert = try r.string(t["cert"], "cert") else { throw r.fail("cert", "is required (a PEM certificate chain file)") }
        guard let key = try r.string(t["key"], "key") else { throw r.fail("key", "is required (a PEM private key file)") }
        return TLSFiles(certificatePath: cert, keyPath: key)
    }
}
