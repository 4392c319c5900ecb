import VigilJSON
import Foundation
import CoordinatorCore
import Gossip

/// Reads `cluster.json`, then applies environment overrides (the seeds' names), strictly:
/// unknown keys, wrong types and out-of-range values are errors that name the key.
public enum ConfigurationLoader {
    /// Loads and validates a configuration file.
    public static func load(path: String) throws(ConfigurationError) -> VigilConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigurationError(key: path, problem: exists ? "cannot read the file (permissions?)" : "file not found")
        }
        return try parse(Array(data), source: path)
    }

    /// Parses and validates configuration JSON.
    public static func parse(_ bytes: [UInt8], source: String = "config") throws(ConfigurationError) -> VigilConfiguration {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw ConfigurationError(key: source, problem: "not valid JSON: \(error)")
        }
        var r = Reader(path: "")
        guard case .object(let object) = root else { throw ConfigurationError(key: source, problem: "must be a JSON object") }
        return try r.configuration(object)
    }

    /// Applies the seed's environment variables on top of `configuration`.
    ///
    /// The sweep: `HEARTBEAT_TIMEOUT` (seed 000), `SWEEP_CHECK_INTERVAL`, `HEARTBEAT_MAX_STRIKES`.
    /// The prober, with seed 002's names: `HEARTBEAT_ENABLED`, `HEARTBEAT_AUTO_START`,
    /// `HEARTBEAT_CHECK_INTERVAL` (the probe interval, 30 s), `HEARTBEAT_MAX_RETRIES`,
    /// `HEARTBEAT_RESTART_COOLDOWN` (defaults for every service). And `TIMEZONE`,
    /// `VIGIL_STORE_PATH`, `VIGIL_RETENTION`, `VIGIL_MAX_BODY_BYTES`, `VIGIL_GOSSIP_KEY`, and the HTTP
    /// tokens `VIGIL_ADMIN_TOKEN`, `VIGIL_READ_TOKEN`, `VIGIL_INGEST_TOKENS` (comma-separated).
    public static func applyEnvironment(_ environment: [String: String], to configuration: VigilConfiguration) throws(ConfigurationError) -> VigilConfiguration {
        var c = configuration
        if let v = environment["HEARTBEAT_TIMEOUT"] { c.executions.heartbeatTimeoutS = try seconds(v, key: "HEARTBEAT_TIMEOUT") }
        if let v = environment["SWEEP_CHECK_INTERVAL"] { c.executions.checkIntervalS = try seconds(v, key: "SWEEP_CHECK_INTERVAL") }
        try applyProbeEnvironment(environment, to: &c.probes)
        if let v = environment["HEARTBEAT_MAX_STRIKES"] { c.executions.maxStrikes = try strikes(v, key: "HEARTBEAT_MAX_STRIKES") }
        if let v = environment["VIGIL_RETENTION"] { c.executions.retentionS = try seconds(v, key: "VIGIL_RETENTION", allowZero: true) }
        if let v = environment["TIMEZONE"] { c.timezone = try timezone(v, key: "TIMEZONE") }
        if let v = environment["VIGIL_STORE_PATH"] {
            guard !v.isEmpty else { throw ConfigurationError(key: "VIGIL_STORE_PATH", problem: "must not be empty") }
            c.store.path = v
        }
        if let v = environment["VIGIL_MAX_BODY_BYTES"] {
            guard let n = Int(v), (1024...(64 << 20)).contains(n) else {
                throw ConfigurationError(key: "VIGIL_MAX_BODY_BYTES", problem: "must be an integer from 1024 to 67108864, got \"\(v)\"")
            }
            c.http.maxBodyBytes = n
        }
        if let v = environment["VIGIL_GOSSIP_KEY"] { c.gossip.keys = [try gossipKey(v, key: "VIGIL_GOSSIP_KEY")] }
        if let v = environment["VIGIL_ADMIN_TOKEN"] { c.http.adminToken = try token(v, key: "VIGIL_ADMIN_TOKEN") }
        if let v = environment["VIGIL_READ_TOKEN"] { c.http.readToken = try token(v, key: "VIGIL_READ_TOKEN") }
        if let v = environment["VIGIL_INGEST_TOKENS"] {
            c.http.ingestTokens = try v.split(separator: ",").map { part throws(ConfigurationError) in
                try token(part.trimmingCharacters(in: .whitespaces), key: "VIGIL_INGEST_TOKENS")
            }
        }
        return c
    }

    /// Parses a duration in seconds; fractions allowed (`0.2`).
    public static func seconds(_ text: String, key: String, allowZero: Bool = false) throws(ConfigurationError) -> Double {
        guard let d = Double(text.trimmingCharacters(in: .whitespaces)), d.isFinite, allowZero ? d >= 0 : d > 0, d <= 365 * 86_400 else {
            throw ConfigurationError(key: key, problem: "must be a \(allowZero ? "non-negative" : "positive") number of seconds (fractions allowed), got \"\(text)\"")
        }
        return d
    }

    public static func strikes(_ text: String, key: String) throws(ConfigurationError) -> Int {
        guard let n = Int(text), (1...255).contains(n) else {
            throw ConfigurationError(key: key, problem: "must be an integer from 1 to 255, got \"\(text)\"")
        }
        return n
    }

    public static func timezone(_ text: String, key: String) throws(ConfigurationError) -> String {
        guard TimeZone(identifier: text) != nil else {
            throw ConfigurationError(key: key, problem: "unknown time zone \"\(text)\" (use an IANA name such as Asia/Shanghai or UTC)")
        }
        return text
    }

    public static func gossipKey(_ text: String, key: String) throws(ConfigurationError) -> String {
        guard let data = Data(base64Encoded: text), data.count == 32 else {
            throw ConfigurationError(key: key, problem: "must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)")
        }
        return text
    }

    /// Checks an HTTP token's form (``HTTPSettings/isValidToken(_:)``); the error never echoes it.
    public static func token(_ text: String, key: String) throws(ConfigurationError) -> String {
        guard HTTPSettings.isValidToken(text) else {
            throw ConfigurationError(key: key, problem: "a token must be 16-512 characters of A-Z a-z 0-9 - . _ ~ (make one with `vigil keygen --token`)")
        }
        return text
    }

    /// Walks the JSON tree with the current key path, so errors name the exact key.
    struct Reader {
        var path: String

        func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

        func fail(_ name: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(key: key(name), problem: problem)
        }

        func checkKeys(_ object: JSONObject, allowed: Set<String>) throws(ConfigurationError) {
            for member in object.members where !allowed.contains(member.key) {
                throw fail(member.key, "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }

        func object(_ value: JSONValue?, _ name: String) throws(ConfigurationError) -> JSONObject? {
            guard let value else { return nil }
            guard case .object(let o) = value else { throw fail(name, "must be an object, got \(value.kindName)") }
            return o
        }

        func string(_ value: JSONValue?, _ name: String) throws(ConfigurationError) -> String? {
            guard let value else { return nil }
            guard case .string(let s) = value, !s.isEmpty else { throw fail(name, "must be a non-empty string, got \(value.kindName)") }
            return s
        }

        func number(_ value: JSONValue?, _ name: String, allowZero: Bool = false) throws(ConfigurationError) -> Double? {
            guard let value else { return nil }
            guard let d = value.numberValue, allowZero ? d >= 0 : d > 0, d <= 365 * 86_400 else {
                throw fail(name, "must be a \(allowZero ? "non-negative" : "positive") number of seconds (fractions allowed)")
            }
            return d
        }

        func integer(_ value: JSONValue?, _ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let value else { return nil }
            guard case .int(let i) = value, range.contains(Int(i)) else {
                throw fail(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return Int(i)
        }

        func hostPort(_ value: JSONValue?, _ name: String) throws(ConfigurationError) -> HostPort {
            guard let text = try string(value, name) else { throw fail(name, "is required (\"host:port\")") }
            guard let hp = HostPort(text) else { throw fail(name, "must be \"host:port\" with a port from 0 to 65535, got \"\(text)\"") }
            return hp
        }

        mutating func configuration(_ o: JSONObject) throws(ConfigurationError) -> VigilConfiguration {
            try checkKeys(o, allowed: ["cluster", "nodes", "store", "executions", "gossip", "http", "timezone", "notifications", "probes", "services"])
            let cluster = try string(o["cluster"], "cluster") ?? "vigil"
            guard cluster.utf8.count <= 64 else { throw fail("cluster", "must be at most 64 bytes") }
            guard case .array(let list)? = o["nodes"], !list.isEmpty else {
                throw fail("nodes", "is required: a non-empty array of {\"id\", \"http\", \"gossip\"}")
            }
            var nodes: [NodeAddress] = []
            for (i, entry) in list.enumerated() {
                let r = Reader(path: key("nodes[\(i)]"))
                guard case .object(let n) = entry else { throw fail("nodes[\(i)]", "must be an object") }
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
            var config = VigilConfiguration(cluster: cluster, nodes: nodes)
            if let s = try object(o["store"], "store") {
                let r = Reader(path: key("store"))
                try r.checkKeys(s, allowed: ["path", "segment_bytes", "snapshot_interval_s"])
                if let p = try r.string(s["path"], "path") { config.store.path = p }
                if let b = try r.integer(s["segment_bytes"], "segment_bytes", in: 4096...(1 << 30)) { config.store.segmentBytes = b }
                if let v = try r.number(s["snapshot_interval_s"], "snapshot_interval_s") { config.store.snapshotIntervalS = v }
            }
            if let e = try object(o["executions"], "executions") {
                let r = Reader(path: key("executions"))
                try r.checkKeys(e, allowed: ["heartbeat_timeout_s", "check_interval_s", "max_strikes", "retention_s", "mass_failure_share"])
                if let v = try r.number(e["heartbeat_timeout_s"], "heartbeat_timeout_s") { config.executions.heartbeatTimeoutS = v }
                if let v = try r.number(e["check_interval_s"], "check_interval_s") { config.executions.checkIntervalS = v }
                if let v = try r.integer(e["max_strikes"], "max_strikes", in: 1...255) { config.executions.maxStrikes = v }
                if let v = try r.number(e["retention_s"], "retention_s", allowZero: true) { config.executions.retentionS = v }
                if let value = e["mass_failure_share"] {
                    guard let v = value.numberValue, v > 0, v <= 1 else { throw r.fail("mass_failure_share", "must be a number in (0, 1]") }
                    config.executions.massFailureShare = v
                }
            }
            if let g = try object(o["gossip"], "gossip") {
                let r = Reader(path: key("gossip"))
                try r.checkKeys(g, allowed: ["interval_s", "fanout", "max_datagram_bytes", "key", "keys", "insecure", "crash_probe"])
                if let v = try r.bool(g["crash_probe"], "crash_probe") { config.gossip.crashProbe = v }
                if let v = try r.bool(g["insecure"], "insecure") { config.gossip.insecure = v }
                if let v = try r.number(g["interval_s"], "interval_s") { config.gossip.intervalS = v }
                if let v = try r.integer(g["fanout"], "fanout", in: 1...16) { config.gossip.fanout = v }
                if let v = try r.integer(g["max_datagram_bytes"], "max_datagram_bytes", in: 512...65_507) { config.gossip.maxDatagramBytes = v }
                if let value = g["key"], value != .null {
                    guard case .string(let k) = value else { throw r.fail("key", "must be a base64 string") }
                    config.gossip.keys = [try gossipKey(k, key: r.key("key"))]
                }
                if let value = g["keys"] {
                    guard case .array(let keys) = value else { throw r.fail("keys", "must be an array of base64 strings") }
                    for (i, k) in keys.enumerated() {
                        guard case .string(let s) = k else { throw r.fail("keys[\(i)]", "must be a base64 string") }
                        config.gossip.keys.append(try gossipKey(s, key: r.key("keys[\(i)]")))
                    }
                }
            }
            if let h = try object(o["http"], "http") {
                let r = Reader(path: key("http"))
                try r.checkKeys(h, allowed: [
                    "max_body_bytes", "max_progress_bytes", "admin_token", "read_token", "ingest_tokens", "protect_health", "protect_metrics",
                    "max_connections", "max_connections_per_client", "header_timeout_s", "body_timeout_s", "idle_timeout_s", "tls",
                ])
                if let v = try r.integer(h["max_body_bytes"], "max_body_bytes", in: 1024...(64 << 20)) { config.http.maxBodyBytes = v }
                if let v = try r.integer(h["max_progress_bytes"], "max_progress_bytes", in: 64...(1 << 20)) { config.http.maxProgressBytes = v }
                if let v = h["admin_token"], v != .null { config.http.adminToken = try token(try r.string(v, "admin_token") ?? "", key: r.key("admin_token")) }
                if let v = h["read_token"], v != .null { config.http.readToken = try token(try r.string(v, "read_token") ?? "", key: r.key("read_token")) }
                if let value = h["ingest_tokens"] {
                    guard case .array(let list) = value else { throw r.fail("ingest_tokens", "must be an array of tokens") }
                    config.http.ingestTokens = try list.enumerated().map { (i, item) throws(ConfigurationError) in
                        guard case .string(let text) = item else { throw r.fail("ingest_tokens[\(i)]", "must be a string") }
                        return try token(text, key: r.key("ingest_tokens[\(i)]"))
                    }
                }
                if let v = try r.bool(h["protect_health"], "protect_health") { config.http.protectHealth = v }
                if let v = try r.bool(h["protect_metrics"], "protect_metrics") { config.http.protectMetrics = v }
                if let v = try r.integer(h["max_connections"], "max_connections", in: 1...1_000_000) { config.http.maxConnections = v }
                if let v = try r.integer(h["max_connections_per_client"], "max_connections_per_client", in: 1...1_000_000) { config.http.maxConnectionsPerClient = v }
                if let v = try r.number(h["header_timeout_s"], "header_timeout_s") { config.http.headerTimeoutS = v }
                if let v = try r.number(h["body_timeout_s"], "body_timeout_s") { config.http.bodyTimeoutS = v }
                if let v = try r.number(h["idle_timeout_s"], "idle_timeout_s") { config.http.idleTimeoutS = v }
                if let t = try r.object(h["tls"], "tls") {
                    let tr = Reader(path: r.key("tls"))
                    try tr.checkKeys(t, allowed: ["cert", "key"])
                    guard let cert = try tr.string(t["cert"], "cert") else { throw tr.fail("cert", "is required (a PEM certificate chain file)") }
                    guard let key = try tr.string(t["key"], "key") else { throw tr.fail("key", "is required (a PEM private key file)") }
                    config.http.tls = TLSFiles(certificatePath: cert, keyPath: key)
                }
            }
            if let tz = try string(o["timezone"], "timezone") { config.timezone = try timezone(tz, key: key("timezone")) }
            if let n = try object(o["notifications"], "notifications") {
                var r = Reader(path: key("notifications"))
                config.notifications = try r.notifications(n)
            }
            config.probes = try probes(try object(o["probes"], "probes"), services: o["services"])
            return config
        }
    }
}

extension ConfigurationLoader {
    /// Seed 002's names; the timings become every service's default (a service's own key wins).
    static func applyProbeEnvironment(_ environment: [String: String], to probes: inout ProbeSettings) throws(ConfigurationError) {
        func flag(_ name: String) throws(ConfigurationError) -> Bool? {
            guard let v = environment[name] else { return nil }
            switch v.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: throw ConfigurationError(key: name, problem: "must be True or False, got \"\(v)\"")
            }
        }
        if let v = try flag("HEARTBEAT_ENABLED") { probes.enabled = v }
        if let v = try flag("HEARTBEAT_AUTO_START") { probes.autoStart = v }
        // Each becomes the default, and the value of every service that did not set its own.
        let base = ServiceSettings.Timing()
        func apply<T: Equatable>(_ value: T?, _ field: WritableKeyPath<ServiceSettings.Timing, T>) {
            guard let value else { return }
            probes.defaults[keyPath: field] = value
            for i in probes.services.indices where probes.services[i].timing[keyPath: field] == base[keyPath: field] {
                probes.services[i].timing[keyPath: field] = value
            }
        }
        apply(try environment["HEARTBEAT_CHECK_INTERVAL"].map { v throws(ConfigurationError) in try seconds(v, key: "HEARTBEAT_CHECK_INTERVAL") }, \.intervalS)
        apply(try environment["HEARTBEAT_MAX_RETRIES"].map { v throws(ConfigurationError) in
            guard let n = Int(v), (1...1000).contains(n) else { throw ConfigurationError(key: "HEARTBEAT_MAX_RETRIES", problem: "must be an integer from 1 to 1000, got \"\(v)\"") }
            return n
        }, \.maxRetries)
        apply(try environment["HEARTBEAT_RESTART_COOLDOWN"].map { v throws(ConfigurationError) in try seconds(v, key: "HEARTBEAT_RESTART_COOLDOWN", allowZero: true) }, \.restartCooldownS)
    }
}
