import ArgumentParser
import Coordinator
import Foundation
import Gossip
import Hummingbird
import Ingest
import Outbound
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import Store
import UnixSignals
import CoordinatorCore

/// `vigil serve --config FILE --node ID`: runs one coordinator node until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one coordinator node.",
        discussion: """
            Settings come from the config file, then the environment (HEARTBEAT_TIMEOUT, \
            SWEEP_CHECK_INTERVAL, HEARTBEAT_MAX_STRIKES; the prober's HEARTBEAT_ENABLED, \
            HEARTBEAT_AUTO_START, HEARTBEAT_CHECK_INTERVAL, HEARTBEAT_MAX_RETRIES, \
            HEARTBEAT_RESTART_COOLDOWN; TIMEZONE, VIGIL_STORE_PATH, \
            VIGIL_RETENTION, VIGIL_MAX_BODY_BYTES, VIGIL_GOSSIP_KEY), then these flags. \
            An invalid configuration exits with code 2 and one line naming the key.
            """
    )

    @Option(help: "Cluster configuration file.")
    var config: String = "cluster.example.json"

    @Option(help: "This node's id in the configuration.")
    var node: String = "n1"

    @Option(help: "Override the HTTP listen address (host:port; port 0 picks a free port).")
    var http: String?

    @Option(help: "Override executions.heartbeat_timeout_s (seconds, fractions allowed).")
    var heartbeatTimeout: String?

    @Option(help: "Override executions.check_interval_s (seconds, fractions allowed).")
    var checkInterval: String?

    @Option(help: "Override executions.max_strikes.")
    var maxStrikes: String?

    @Option(help: "Override the display time zone (IANA name).")
    var timezone: String?

    @Option(help: "Override store.path.")
    var store: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        let settings: (VigilConfiguration, HostPort)
        do {
            settings = try resolveConfiguration()
        } catch {
            FileHandle.standardError.write(Data("vigil: invalid configuration: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let (configuration, bind) = settings
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: "vigil")
        logger[metadataKey: "node"] = "\(node)"

        let store: FileStore
        do {
            store = try FileStore(root: configuration.store.path, node: node, segmentBytes: configuration.store.segmentBytes, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("vigil: cannot open the store: \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { store.close() }
        let restored: (snapshot: [UInt8]?, records: [StoreRecord], damages: [StoreDamage], cursor: StoreCursor)
        do {
            restored = try store.restore()
        } catch {
            FileHandle.standardError.write(Data("vigil: cannot read the store: \(error)\n".utf8))
            throw ExitCode(1)
        }
        for damage in restored.damages { logger.warning("Store damage skipped", metadata: ["store.damage": "\(damage)"]) }
        let snapshot = restored.snapshot.flatMap(NodeSnapshot.init(decoding:))
        if restored.snapshot != nil, snapshot == nil {
            FileHandle.standardError.write(Data("vigil: the store's snapshot of node \(node) cannot be read; move \(configuration.store.path)/\(node)/snapshot.idx aside to replay the full history\n".utf8))
            throw ExitCode(1)
        }
        let generation: UInt64
        let gossip: GossipService<ContinuousClock>
        do {
            generation = try await NodeGeneration.claim(
                node: node, restored: restored.records, atLeast: snapshot?.generation ?? 0, store: store, wallMs: WallClock.unixMs()
            )
            let me = try configuration.node(node)
            var settings = GossipSettings()
            settings.interval = configuration.gossip.interval
            settings.fanout = configuration.gossip.fanout
            settings.maxDatagramBytes = configuration.gossip.maxDatagramBytes
            var gossipConfiguration = GossipConfiguration(
                clusterName: configuration.cluster, identity: NodeIdentity(id: node, generation: generation),
                bindAddress: me.gossip,
                seeds: configuration.nodes.filter { $0.id != node }.map(\.gossip),
                keys: configuration.gossip.keys, settings: settings
            )
            // A suspect whose HTTP port refuses connections twice has crashed: convicted at once.
            if configuration.gossip.crashProbe {
                gossipConfiguration.crashProbePorts = Dictionary(
                    configuration.nodes.filter { $0.id != node && $0.http.port != 0 }.map { ($0.id, $0.http) }, uniquingKeysWith: { a, _ in a }
                )
            }
            gossip = try GossipService(configuration: gossipConfiguration, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("vigil: cannot start gossip: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let clusterView = GossipClusterView(gossip: gossip, configuration: configuration)
        guard let timestamps = TimestampFormatter(timeZoneIdentifier: configuration.timezone) else {
            FileHandle.standardError.write(Data("vigil: invalid configuration: timezone: unknown time zone \(configuration.timezone)\n".utf8))
            throw ExitCode(2)
        }
        let sender = ChannelSender(
            settings: configuration.notifications, body: NotificationBody(timestamps: timestamps, sender: node), wallClock: WallClock.unixMs
        )
        let prober = HTTPServiceProber(wallClock: WallClock.unixMs)
        let coordinator: CoordinatorNode
        do {
            coordinator = try CoordinatorNode(
                id: node, configuration: configuration, store: store, replication: GossipHeartbeatSink(gossip: gossip, logger: logger),
                cluster: clusterView, notifier: sender, serviceProber: prober, logger: logger
            )
        } catch {
            await sender.shutdown()
            await prober.shutdown()
            throw error
        }
        await coordinator.restore(restored.records.map(StoredRecord.init), from: snapshot)
        logger.info("Restored from the store", metadata: ["store.records": "\(restored.records.count)", "store.path": "\(configuration.store.path)"])
        /// Stops before serving: one line on stderr, the outbound clients shut down, exit 2.
        func refuse(_ line: String) async -> ExitCode {
            FileHandle.standardError.write(Data("vigil: \(line)\n".utf8))
            await sender.shutdown()
            await prober.shutdown()
            return ExitCode(2)
        }
        do {
            try StartupChecks.gossip(node: try configuration.node(node), sealed: coordinator.keyring.isSealed, insecure: configuration.gossip.insecure)
        } catch {
            throw await refuse("refusing to start: \(error)")
        }
        // The store's keyring may differ from the configuration's (rotated at run time).
        let startKeyring = KeyringService.apply(coordinator.keyring, to: gossip, logger: logger) ? coordinator.keyring : nil
        for warning in StartupChecks.warnings(node: try configuration.node(node), http: configuration.http, bind: bind) {
            logger.warning("\(warning)")
        }
        var tls: ServerTLS?
        if let files = configuration.http.tls {
            do {
                tls = try ServerTLS(files: files)
            } catch {
                throw await refuse("invalid configuration: http.tls: \(error)")
            }
        }
        let access = AccessControl(policy: AccessPolicy(tokens: AccessTokens(configuration.http)), logger: logger)
        let server = IngestServer(
            node: coordinator, logger: logger, metricsText: { registry.emitToBuffer() }, access: access,
            front: HTTPFront(settings: configuration.http, tls: tls)
        )
        let nodeID = node
        let scheme = tls == nil ? "http" : "https"
        let app = server.application(bind: bind) { channel in
            let address = channel.localAddress.map { "\($0.ipAddress ?? bind.host):\($0.port ?? Int(bind.port))" } ?? "\(bind)"
            // One stable line on stdout that scripts and tests wait for.
            FileHandle.standardOutput.write(Data("vigil: node \(nodeID) listening on \(scheme)://\(address)\n".utf8))
        }
        let serve = self
        let reload = HangupReload(logger: logger) { [tls, logger] in
            do {
                let (fresh, _) = try serve.resolveConfiguration()
                access.replace(AccessPolicy(tokens: AccessTokens(fresh.http)))
                try tls?.reload()
                logger.notice("Reloaded", metadata: ["http.tls": "\(tls != nil)"])
            } catch {
                logger.error("Reload failed; the previous tokens and certificate stay in force", metadata: ["error": "\(error)"])
            }
        }
        // Graceful shutdown runs in reverse order: HTTP stops first (no heartbeat is acknowledged
        // that will not be gossiped), then the sweep, retention and store follower, then gossip
        // (which says goodbye to its peers); the store closes last, when `run` returns.
        let services: [(String, any Service)] = [
            ("gossip service", gossip),
            ("gossip event consumer", GossipEventConsumer(gossip: gossip, node: coordinator, logger: logger)),
            ("keyring service", KeyringService(node: coordinator, gossip: gossip, logger: logger, inForce: startKeyring)),
            ("store follower", StoreFollower(node: coordinator, store: store, cursor: restored.cursor, generation: generation, logger: logger)),
            ("retention service", RetentionService(node: coordinator, logger: logger)),
            ("sweep service", SweepService(node: coordinator, membership: clusterView)),
            ("probe service", ProbeService(node: coordinator)),
            ("reload on SIGHUP", reload),
            ("HTTP server", app),
        ]
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: EssentialService($0.0, $0.1)) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
            await sender.shutdown()
            await prober.shutdown()
        } catch {
            await sender.shutdown()
            await prober.shutdown()
            // One line that says why the node stopped, then a non-zero exit.
            FileHandle.standardError.write(Data("vigil: node \(nodeID) stopped: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// File, then environment, then flags.
    func resolveConfiguration() throws(ConfigurationError) -> (VigilConfiguration, HostPort) {
        var c = try ConfigurationLoader.load(path: config)
        c = try ConfigurationLoader.applyEnvironment(ProcessInfo.processInfo.environment, to: c)
        if let v = heartbeatTimeout { c.executions.heartbeatTimeout = try ConfigurationLoader.seconds(v, key: "--heartbeat-timeout") }
        if let v = checkInterval { c.executions.checkInterval = try ConfigurationLoader.seconds(v, key: "--check-interval") }
        if let v = maxStrikes { c.executions.maxStrikes = try ConfigurationLoader.strikes(v, key: "--max-strikes") }
        if let v = timezone { c.timezone = try ConfigurationLoader.timezone(v, key: "--timezone") }
        if let v = store { c.store.path = v }
        var bind = try c.node(node).http
        if let v = http {
            guard let hp = HostPort(v) else { throw ConfigurationError(key: "--http", problem: "must be host:port, got \"\(v)\"") }
            bind = hp
        }
        return (c, bind)
    }
}
