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
        let configuration: VigilConfiguration
        let bind: HostPort
        let timestamps: TimestampFormatter
        do {
            (configuration, bind) = try resolveConfiguration()
            timestamps = try configuration.timestamps()
        } catch {
            FileHandle.standardError.write(Data("vigil: invalid configuration: \(error)\n".utf8))
            throw ExitCode(2)
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        let registry = Self.bootstrapObservability(level: level)
        var logger = Logger(label: "vigil")
        logger[metadataKey: "node"] = "\(node)"
        do {
            try await serve(configuration, timestamps: timestamps, bind: bind, registry: registry, logger: logger)
        } catch let failure as StartupFailure {
            FileHandle.standardError.write(Data("vigil: \(failure.line)\n".utf8))
            throw ExitCode(failure.exitCode)
        }
    }

    /// Logging to stderr at `level`, metrics into a Prometheus registry (served at `/metrics`).
    static func bootstrapObservability(level: Logger.Level) -> PrometheusCollectorRegistry {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// Wires the node from its start-up steps and runs its services until shutdown.
    private func serve(_ configuration: VigilConfiguration, timestamps: TimestampFormatter, bind: HostPort, registry: PrometheusCollectorRegistry, logger: Logger) async throws {
        let restored = try StoreStartup.open(path: configuration.store.path, node: node, segmentBytes: configuration.store.segmentBytes, logger: logger)
        let store = restored.store
        defer { store.close() }
        let (gossip, generation) = try await Self.startGossip(node: node, configuration: configuration, restored: restored, logger: logger)
        let effects = NodeEffects(
            log: StoreLog(store), replication: GossipHeartbeatSink(gossip: gossip, logger: logger),
            notifier: ChannelSender(settings: configuration.notifications, body: NotificationBody(timestamps: timestamps, sender: node), wallClock: WallClock.unixMs),
            prober: HTTPServiceProber(wallClock: WallClock.unixMs)
        )
        let coordinator: CoordinatorNode
        let tls: ServerTLS?
        do {
            coordinator = try CoordinatorNode(
                id: node, configuration: configuration, timestamps: timestamps, effects: effects, store: store,
                cluster: GossipClusterView(gossip: gossip, configuration: configuration), logger: logger
            )
            coordinator.restore(restored.records.map(StoredRecord.init), from: restored.snapshot)
            logger.info("Restored from the store", metadata: ["store.records": "\(restored.records.count)", "store.path": "\(configuration.store.path)"])
            tls = try Self.preflight(coordinator, bind: bind, logger: logger)
        } catch {
            // The driver never ran: the outbound clients are shut down here instead.
            await effects.shutdown()
            throw error
        }
        let startKeyring = KeyringService.apply(coordinator.keyring, to: gossip, logger: logger) ? coordinator.keyring : nil
        let access = AccessControl(policy: AccessPolicy(tokens: AccessTokens(configuration.http)), logger: logger)
        let app = Self.http(coordinator, bind: bind, tls: tls, access: access, registry: registry, logger: logger)
        let serve = self
        let reload = HangupReload(logger: logger) { serve.reloadSecrets(access: access, tls: tls, logger: logger) }
        // Graceful shutdown runs in reverse order: HTTP stops first (no heartbeat is acknowledged
        // that will not be gossiped), then the probes, the sweep, retention and store follower,
        // then the driver (it finishes its effects in flight and shuts the outbound clients down),
        // then gossip (which says goodbye to its peers); the store closes last, when this returns.
        let services: [(String, any Service)] = [
            ("gossip service", gossip),
            ("gossip event consumer", GossipEventConsumer(gossip: gossip, node: coordinator, logger: logger)),
            ("keyring service", KeyringService(node: coordinator, gossip: gossip, logger: logger, inForce: startKeyring)),
            ("node driver", coordinator.driver),
            ("store follower", StoreFollower(node: coordinator, store: store, cursor: restored.cursor, generation: generation, interval: configuration.store.pollInterval, logger: logger)),
            ("retention service", RetentionService(node: coordinator, logger: logger)),
            ("sweep service", SweepService(node: coordinator, membership: GossipClusterView(gossip: gossip, configuration: configuration))),
            ("probe service", ProbeService(node: coordinator)),
            ("reload on SIGHUP", reload),
            ("HTTP server", app),
        ]
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: EssentialService($0.0, $0.1)) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
            )
        )
        let nodeID = node
        do {
            try await group.run()
        } catch {
            // One line that says why the node stopped, then a non-zero exit.
            throw StartupFailure("node \(nodeID) stopped: \(error)", exitCode: 1)
        }
    }

    /// The HTTP front, which prints the one `listening on` line scripts and tests wait for.
    static func http(
        _ node: CoordinatorNode, bind: HostPort, tls: ServerTLS?, access: AccessControl, registry: PrometheusCollectorRegistry, logger: Logger
    ) -> some Service {
        let server = IngestServer(
            node: node, logger: logger, metricsText: { registry.emitToBuffer() }, access: access, front: HTTPFront(settings: node.configuration.http, tls: tls)
        )
        let (nodeID, scheme) = (node.id, tls == nil ? "http" : "https")
        return server.application(bind: bind) { channel in
            let address = channel.localAddress.map { "\($0.ipAddress ?? bind.host):\($0.port ?? Int(bind.port))" } ?? "\(bind)"
            FileHandle.standardOutput.write(Data("vigil: node \(nodeID) listening on \(scheme)://\(address)\n".utf8))
        }
    }

    /// Claims this start's generation (durably) and makes the gossip service with it.
    static func startGossip(node: String, configuration: VigilConfiguration, restored: RestoredStore, logger: Logger) async throws(StartupFailure) -> (GossipService<ContinuousClock>, UInt64) {
        do {
            let generation = try await NodeGeneration.claim(
                node: node, restored: restored.records, atLeast: restored.snapshot?.generation ?? 0, store: restored.store, wallMs: WallClock.unixMs()
            )
            let gossip = try GossipService(configuration: try GossipConfiguration(node: node, generation: generation, configuration: configuration), logger: logger)
            return (gossip, generation)
        } catch {
            throw StartupFailure("cannot start gossip: \(error)", exitCode: 1)
        }
    }

    /// What must hold before serving: gossip off loopback has a key (the store's keyring counts),
    /// and the TLS files load. Logs the warnings. Returns the TLS context, if configured.
    static func preflight(_ node: CoordinatorNode, bind: HostPort, logger: Logger) throws(StartupFailure) -> ServerTLS? {
        let configuration = node.configuration
        do {
            let me = try configuration.node(node.id)
            try StartupChecks.gossip(node: me, sealed: node.keyring.isSealed, insecure: configuration.gossip.insecure)
            for warning in StartupChecks.warnings(node: me, http: configuration.http, bind: bind) { logger.warning("\(warning)") }
        } catch {
            throw StartupFailure("refusing to start: \(error)", exitCode: 2)
        }
        guard let files = configuration.http.tls else { return nil }
        do {
            return try ServerTLS(files: files)
        } catch {
            throw StartupFailure("invalid configuration: http.tls: \(error)", exitCode: 2)
        }
    }

    /// SIGHUP: the tokens and the TLS files are read again; on any error the old ones stay.
    func reloadSecrets(access: AccessControl, tls: ServerTLS?, logger: Logger) {
        do {
            let (fresh, _) = try resolveConfiguration()
            access.replace(AccessPolicy(tokens: AccessTokens(fresh.http)))
            try tls?.reload()
            logger.notice("Reloaded", metadata: ["http.tls": "\(tls != nil)"])
        } catch {
            logger.error("Reload failed; the previous tokens and certificate stay in force", metadata: ["error": "\(error)"])
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
