import CoordinatorCore
import Gossip

/// Everything a node needs to know, built once (file, then environment, then flags) and passed
/// down. Defaults follow the seeds: 300 s heartbeat timeout, 120 s check interval, 3 strikes,
/// `Asia/Shanghai`.
public struct VigilConfiguration: Sendable, Equatable {
    /// A name shared by every node of one cluster; packets from another cluster are dropped.
    public var cluster: String
    /// Every configured coordinator node. Quorum is a majority of this list.
    public var nodes: [NodeAddress]
    public var store: StoreSettings
    public var executions: ExecutionSettings
    public var gossip: GossipOptions
    public var http: HTTPSettings
    /// IANA time zone for times shown to people (API, CLI); never used for liveness.
    public var timezone: String
    /// Where events are sent (none by default).
    public var notifications: NotificationSettings = .init()
    /// Seed 002's prober and the services it watches.
    public var probes: ProbeSettings = .init()

    public init(
        cluster: String = "vigil", nodes: [NodeAddress], store: StoreSettings = .init(),
        executions: ExecutionSettings = .init(), gossip: GossipOptions = .init(), http: HTTPSettings = .init(),
        timezone: String = "Asia/Shanghai"
    ) {
        self.cluster = cluster
        self.nodes = nodes
        self.store = store
        self.executions = executions
        self.gossip = gossip
        self.http = http
        self.timezone = timezone
    }

    /// The entry for node `id`.
    public func node(_ id: String) throws(ConfigurationError) -> NodeAddress {
        guard let node = nodes.first(where: { $0.id == id }) else {
            throw ConfigurationError(key: "nodes", problem: "no node with id \"\(id)\" (configured: \(nodes.map(\.id).joined(separator: ", ")))")
        }
        return node
    }
}

/// One coordinator node's addresses.
public struct NodeAddress: Sendable, Equatable {
    /// Short unique id (`n1`); the lowest alive id leads the sweep.
    public var id: String
    /// Where the HTTP API listens (containers' `API_BASE_URL`).
    public var http: HostPort
    /// Where gossip UDP listens.
    public var gossip: HostPort

    public init(id: String, http: HostPort, gossip: HostPort) {
        self.id = id
        self.http = http
        self.gossip = gossip
    }
}

/// Where the shared append-only store lives.
public struct StoreSettings: Sendable, Equatable {
    /// Directory every node can reach; relative paths are relative to the working directory.
    public var path: String
    /// Size at which a segment file is closed and a new one started.
    public var segmentBytes: Int
    /// How often the node writes a snapshot of its state (a restart starts from the newest; a
    /// segment every node's snapshot has passed, and older than the retention, is deleted).
    /// Default 300 s.
    public var snapshotInterval: Duration
    /// An append unfinished this long makes the store stalled (``StoreHealth``). Default 5 s:
    /// a healthy fsync on a network filesystem takes milliseconds (a few hundred under load),
    /// while GlusterFS blocks 42 s and NFS `hard` forever when their server is gone.
    public var stallLimit: Duration = .seconds(5)
    /// Time from the start of one read of the peers' files to the next. Default 200 ms.
    public var pollInterval: Duration = .milliseconds(200)

    public init(path: String = "data/store", segmentBytes: Int = 64 << 20, snapshotInterval: Duration = .seconds(300)) {
        self.path = path
        self.segmentBytes = segmentBytes
        self.snapshotInterval = snapshotInterval
    }
}

/// The sweep rule of seed 000.
public struct ExecutionSettings: Sendable, Equatable {
    /// A heartbeat older than this is a strike (`HEARTBEAT_TIMEOUT`). Default 300 s.
    public var heartbeatTimeout: Duration
    /// How often the leader sweeps (`SWEEP_CHECK_INTERVAL`). Default 120 s. (Seed 002's
    /// `HEARTBEAT_CHECK_INTERVAL` is the probe interval: ``ProbeSettings``.)
    public var checkInterval: Duration
    /// Strikes that mark an execution FAILED.
    public var maxStrikes: Int
    /// How long finished executions stay in memory (the seed's daily cleanup). Default 24 h.
    public var retention: Duration
    /// More than this share of running executions silent in one sweep is a mass silence (the
    /// mass-failure guard weighs it). Default 0.5.
    public var massFailureShare: Double
    /// How long the guard holds a silent execution's first strike, past its timeout, while the
    /// monitor may be blind. Default 600 s (about the seed's own window for one failure).
    public var massFailureHold: Duration

    public init(
        heartbeatTimeout: Duration = .seconds(300), checkInterval: Duration = .seconds(120), maxStrikes: Int = 3, retention: Duration = .seconds(86_400),
        massFailureShare: Double = 0.5, massFailureHold: Duration = .seconds(600)
    ) {
        self.heartbeatTimeout = heartbeatTimeout
        self.checkInterval = checkInterval
        self.maxStrikes = maxStrikes
        self.retention = retention
        self.massFailureShare = massFailureShare
        self.massFailureHold = massFailureHold
    }
}

/// The `gossip` section of the cluster file (the protocol's own timings are ``Gossip/GossipSettings``).
public struct GossipOptions: Sendable, Equatable {
    /// Time between gossip rounds. Default 0.2 s.
    public var interval: Duration
    /// Peers each fresh update is pushed to at once.
    public var fanout: Int
    /// Hard ceiling for one datagram on the wire, encryption included (1232 fits the IPv6
    /// minimum MTU, so packets are never fragmented).
    public var maxDatagramBytes: Int
    /// Base64 32-byte keys; the first seals outgoing packets, all are tried on incoming ones
    /// (rotation without downtime). Empty: packets are authenticated by cluster name only.
    public var keys: [String]
    /// The operator means to run gossip unencrypted off loopback (without it, a node whose gossip
    /// address is not loopback refuses to start without a key).
    public var insecure: Bool
    /// Convict a suspect at once when its HTTP port refuses connections twice (its process
    /// crashed on a live host); off: every suspect gets the full suspicion time.
    public var crashProbe: Bool = true

    public init(interval: Duration = .milliseconds(200), fanout: Int = 3, maxDatagramBytes: Int = 1232, keys: [String] = [], insecure: Bool = false) {
        self.interval = interval
        self.fanout = fanout
        self.maxDatagramBytes = maxDatagramBytes
        self.keys = keys
        self.insecure = insecure
    }
}

/// The HTTP front: sizes, tokens, connection limits and TLS.
public struct HTTPSettings: Sendable, Equatable {
    /// Largest request body accepted; larger gets 413.
    public var maxBodyBytes: Int
    /// Largest `progress` object (and `result_data`), as sent, in bytes.
    public var maxProgressBytes: Int
    /// Needed (as a bearer token) for `/admin/*` and every state-changing call that is not a
    /// container's own; `nil`: such calls are open.
    public var adminToken: String?
    /// Needed for the read API and the dashboard; `nil`: they are open.
    public var readToken: String?
    /// Any one of these is needed for heartbeats and completions; empty (the default): open, so
    /// the seed client works unchanged.
    public var ingestTokens: [String]
    /// `/health*` needs the read token too (default: open, for load balancers).
    public var protectHealth: Bool
    /// `/metrics` needs the read token too (default: open, for scrapers).
    public var protectMetrics: Bool
    /// Connections open at once, all clients together; the next one is answered 503 and closed.
    public var maxConnections: Int
    /// Connections open at once from one client address; the next one is answered 429 and closed.
    public var maxConnectionsPerClient: Int
    /// A request's head must arrive whole within this long of its first byte (slowloris). Default 10 s.
    public var headerTimeout: Duration
    /// A request's body must arrive whole within this long of its head. Default 30 s.
    public var bodyTimeout: Duration
    /// A keep-alive connection with no request for this long is closed. Default 75 s.
    public var idleTimeout: Duration
    /// Serve HTTPS with this certificate and key (PEM files); `nil`: plain HTTP.
    public var tls: TLSFiles?

    public init(
        maxBodyBytes: Int = 65_536, maxProgressBytes: Int = 4_096, adminToken: String? = nil, readToken: String? = nil,
        ingestTokens: [String] = [], protectHealth: Bool = false, protectMetrics: Bool = false, maxConnections: Int = 4_096,
        maxConnectionsPerClient: Int = 1_024, headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(75),
        tls: TLSFiles? = nil
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxProgressBytes = maxProgressBytes
        self.adminToken = adminToken
        self.readToken = readToken
        self.ingestTokens = ingestTokens
        self.protectHealth = protectHealth
        self.protectMetrics = protectMetrics
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.tls = tls
    }

    /// A token's allowed form: 16 to 512 characters of RFC 3986's unreserved set
    /// (`A-Z a-z 0-9 - . _ ~`), so it can sit in a URL path (`/k/<token>/…`) unescaped.
    public static func isValidToken(_ text: String) -> Bool {
        (16...512).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            }
    }
}

/// A certificate chain and its private key, PEM files (read at start and on SIGHUP).
public struct TLSFiles: Sendable, Equatable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

/// A configuration problem, naming the key so the operator knows what to fix.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// Dotted path of the offending key (`executions.heartbeat_timeout_s`), or an environment
    /// variable / flag name.
    public var key: String
    public var problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(key): \(problem)" }
}

extension SweepRule {
    /// The rule a configuration asks for.
    public init(_ settings: ExecutionSettings) {
        self.init(
            heartbeatTimeoutMs: settings.heartbeatTimeout.wholeMilliseconds, checkIntervalMs: settings.checkInterval.wholeMilliseconds,
            maxStrikes: settings.maxStrikes, massFailureShare: settings.massFailureShare, massFailureHoldMs: settings.massFailureHold.wholeMilliseconds
        )
    }
}
