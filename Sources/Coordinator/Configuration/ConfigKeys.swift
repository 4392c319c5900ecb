import VigilJSON

/// Every key of the cluster file, written once: the loader walks these tables, the environment
/// overrides through them, and the README's table is made from them
/// (``ConfigKeys/markdownTable()``). Lists of items (nodes, channels, services) have their own
/// small parsers, whose scalar keys are tables too (``channel``, ``service``, ``timing``, ``repair``).
public enum ConfigKeys {
    /// The file's keys, from its root, in the order they are read.
    public static let file: [ConfigKey<VigilConfiguration>] =
        cluster + store + executions + kinds + gossip + http + timeZone + notifications + probes

    static let cluster: [ConfigKey<VigilConfiguration>] = [
        .string("cluster", \.cluster, maxBytes: 64, "cluster name; packets from another cluster are dropped"),
        .structure(
            "nodes", #"`[{"id","http","gossip"}]`"#, required: #"is required: a non-empty array of {"id", "http", "gossip"}"#,
            "every coordinator: a unique `id` (1-32 of `A-Z a-z 0-9 - _`; the lowest alive id leads the sweep) and its addresses as `host:port` (`[::1]:8000` for IPv6); quorum is a majority of this list; n1's HTTP is 127.0.0.1:8000, the seed 004 client's default `API_BASE_URL`",
            read: { (c, value, key) throws(ConfigurationError) in c.nodes = try ConfigurationLoader.Reader(path: "").nodes(value, key) }
        ),
    ]

    static let store: [ConfigKey<VigilConfiguration>] = [
        .string("store.path", \.store.path, env: "VIGIL_STORE_PATH", "the shared append-only store's directory, one every node reaches (relative: to the working directory)"),
        .integer("store.segment_bytes", \.store.segmentBytes, 4096...(1 << 30), "size at which a segment file is closed and the next begun"),
        .seconds(
            "store.snapshot_interval_s", \.store.snapshotInterval,
            "how often each node snapshots its state (a restart starts from its newest; a segment every node's snapshot has passed and older than `executions.retention_s` is deleted)"
        ),
        .seconds(
            "store.poll_interval_s", \.store.pollInterval,
            "how often each node reads the other nodes' files (peers' completions, marks and claims reach it that way: a fact shows on every node within one interval plus a poll's own time)"
        ),
        .seconds(
            "store.stall_s", \.store.stallLimit,
            "an append unfinished this long makes the node's store stalled: it stops leading (the next node leads), refuses durable requests with 503 and fails `/health`; it leads again after its store has answered for twice this long"
        ),
    ]

    static let executions: [ConfigKey<VigilConfiguration>] = [
        .seconds("executions.heartbeat_timeout_s", \.executions.heartbeatTimeout, env: "HEARTBEAT_TIMEOUT", "a heartbeat older than this is a strike (seed 000)"),
        .seconds("executions.check_interval_s", \.executions.checkInterval, env: "SWEEP_CHECK_INTERVAL", "how often the leader sweeps"),
        .integer("executions.max_strikes", \.executions.maxStrikes, 1...255, env: "HEARTBEAT_MAX_STRIKES", "strikes in a row that mark an execution FAILED"),
        .seconds(
            "executions.retention_s", \.executions.retention, allowZero: true, env: "VIGIL_RETENTION",
            "how long finished executions stay in memory (the seed's daily cleanup); the store keeps their history"
        ),
        .share(
            "executions.mass_failure_share", \.executions.massFailureShare,
            "more than this share of running executions silent in one sweep (of at least 10) is a mass silence: judged by the rule when the monitor shows it is healthy (a `monitor.mass_failure` event), held back for `mass_failure_hold_s` when it cannot (`monitor.degraded`)"
        ),
        .seconds(
            "executions.mass_failure_hold_s", \.executions.massFailureHold, allowZero: true,
            "how long a silent execution's first strike is held, past its timeout, while the monitor may be blind (every execution silent, a coordinator not confirmed alive, the store failing); then it is judged by the rule. `vigil sweep release` judges now, `vigil pause` holds longer (see [Mass failures](#mass-failures))"
        ),
    ]

    static let kinds: [ConfigKey<VigilConfiguration>] = [
        .structure(
            "kinds", #"`{"<name>": {…}}`"#,
            "named rules (issue 24): an execution that sends `\"kind\": \"<name>\"` is judged by its keys (below); a key left out is `executions`' (see [Kinds](#kinds-rules-per-job))",
            read: { (c, value, key) throws(ConfigurationError) in c.kinds = try ConfigurationLoader.Reader(path: "").kinds(value, key) }
        ),
        .structure(
            "default_kind", "a name in `kinds`",
            "the kind of executions that name none and send no `monitor` (seed clients); none: the `executions` rule",
            read: { (c, value, key) throws(ConfigurationError) in
                guard value != .null else { return }
                c.defaultKind = try ConfigurationLoader.Reader(path: "").itemName(value, as: key)
            }
        ),
    ]

    static let gossip: [ConfigKey<VigilConfiguration>] = [
        .bool("gossip.crash_probe", \.gossip.crashProbe, "convict a suspect at once when its HTTP port refuses connections twice (its process crashed on a live host)"),
        .bool(
            "gossip.insecure", \.gossip.insecure,
            "the operator means to run gossip unencrypted off loopback (without it, a node whose gossip address is not loopback refuses to start without a key)"
        ),
        .seconds("gossip.interval_s", \.gossip.interval, "time between gossip rounds"),
        .integer("gossip.fanout", \.gossip.fanout, 1...16, "peers each fresh update is pushed to at once"),
        .integer(
            "gossip.max_datagram_bytes", \.gossip.maxDatagramBytes, 512...65_507,
            "ceiling for one datagram, encryption included (1232 fits the IPv6 minimum MTU, so packets are never fragmented)"
        ),
        .gossipKey("gossip.key", \.gossip.keys, env: "VIGIL_GOSSIP_KEY", "the key that seals gossip (`vigil keygen`); `null`: none"),
        .gossipKeys(
            "gossip.keys", \.gossip.keys,
            "more keys, after `key`: the first seals, all open (rotation without downtime); once `vigil keyring` changed the keys, the store's keyring wins over these"
        ),
    ]

    static let http: [ConfigKey<VigilConfiguration>] = [
        .integer("http.max_body_bytes", \.http.maxBodyBytes, 1024...(64 << 20), env: "VIGIL_MAX_BODY_BYTES", "largest request body; larger gets 413"),
        .integer("http.max_progress_bytes", \.http.maxProgressBytes, 64...(1 << 20), "largest `progress` object (and `result_data`), as sent"),
        .token(
            "http.admin_token", \.http.adminToken, env: "VIGIL_ADMIN_TOKEN",
            "bearer token for `/admin/*` and every state-changing call that is not a container's own (`vigil keygen --token`); none: open (see [Security](#security))"
        ),
        .token("http.read_token", \.http.readToken, env: "VIGIL_READ_TOKEN", "bearer token for the read API, the dashboard and badges; none: open"),
        .tokens(
            "http.ingest_tokens", \.http.ingestTokens, env: "VIGIL_INGEST_TOKENS",
            "any one of these opens heartbeats and completions (comma-separated in the environment); none: open, so the seed client works unchanged"
        ),
        .bool("http.protect_health", \.http.protectHealth, "`/health*` needs the read token too (default: open, for load balancers)"),
        .bool("http.protect_metrics", \.http.protectMetrics, "`/metrics` needs the read token too (default: open, for scrapers)"),
        .integer("http.max_connections", \.http.maxConnections, 1...1_000_000, "connections open at once, all clients together (the next: 503 and closed)"),
        .integer(
            "http.max_connections_per_client", \.http.maxConnectionsPerClient, 1...1_000_000,
            "connections open at once from one client address (the next: 429 and closed)"
        ),
        .seconds("http.header_timeout_s", \.http.headerTimeout, "a request's head must arrive whole within this of its first byte (slowloris)"),
        .seconds("http.body_timeout_s", \.http.bodyTimeout, "a request's body must arrive whole within this of its head"),
        .seconds("http.idle_timeout_s", \.http.idleTimeout, "a keep-alive connection with no request for this long is closed"),
        .structure(
            "http.tls", #"`{"cert","key"}`"#, "serve HTTPS with these PEM files, a certificate chain and its private key (reloaded on SIGHUP)",
            read: { (c, value, key) throws(ConfigurationError) in c.http.tls = try ConfigurationLoader.Reader(path: "").tls(value, key) }
        ),
    ]

    static let timeZone: [ConfigKey<VigilConfiguration>] = [
        .timeZone("timezone", \.timezone, env: "TIMEZONE", "IANA zone for times shown to people (API, CLI, dashboard); never used for liveness"),
    ]

    static let notifications: [ConfigKey<VigilConfiguration>] = [
        .seconds("notifications.horizon_s", \.notifications.horizon, "retries of one delivery stop this long after its event (then: undeliverable)"),
        .seconds("notifications.first_retry_s", \.notifications.firstRetry, "the first retry after this; each further one doubles (with jitter)"),
        .seconds("notifications.max_retry_s", \.notifications.maxRetry, "the longest wait between two retries (not below `first_retry_s`)"),
        .integer("notifications.max_in_flight", \.notifications.maxInFlight, 1...4096, "attempts in flight at once, per channel"),
        .seconds(
            "notifications.node_dead_after_s", \.notifications.nodeDeadAfter,
            "the leader reports `node.dead` once a node has been out of the membership this long"
        ),
        .seconds(
            "notifications.repeat_interval_s", \.notifications.repeatInterval, allowZero: true,
            "a reminder this often while a node stays dead or the monitor degraded; 0: none"
        ),
        .structure(
            "notifications.channels", #"`[{"name","type","events",…}]`"#,
            "where events go: a `name`, a `type` (`webhook` with `url` and `secret`, `command` with `argv`, or `postgres` with `dsn` and `statement`), the `events` it wants, optionally a `container_prefix`, `kinds` (execution events of those kinds only) and the keys below (see [Notifications](#notifications))",
            read: { (c, value, key) throws(ConfigurationError) in c.notifications.channels = try ConfigurationLoader.Reader(path: "").channels(value, key) }
        ),
    ]

    static let probes: [ConfigKey<VigilConfiguration>] =
        [
            .bool("probes.enabled", \.probes.enabled, env: "HEARTBEAT_ENABLED", "seed 002's prober; false: nothing is probed"),
            .bool("probes.auto_start", \.probes.autoStart, env: "HEARTBEAT_AUTO_START", "false: the prober waits for `POST /admin/heartbeat/start`"),
            .bool("probes.watch_nodes", \.probes.watchNodes, "every Vigil node is a probed service too (`vigil-<id>`, its own `/health`)"),
        ] + timing.map { $0.mounted(at: "probes", \VigilConfiguration.probes.defaults) } + [
            .structure(
                "probes.node_repair", #"`{"command","shell","timeout_s","webhook"}`"#,
                "how to mend a Vigil node, as a service's `repair`; `{node}` in the command or URL becomes its id (e.g. `[\"systemctl\", \"restart\", \"vigil@{node}\"]`)",
                read: { (c, value, key) throws(ConfigurationError) in c.probes.nodeRepair = try ConfigurationLoader.Reader(path: "").repair(value, key) }
            ),
            .structure(
                "services", #"`[{"name","url",…}]`"#,
                "probed services: a `name`, a `url`, optionally `healthy`, `repair`, the keys below and any timing key of `probes`, which then wins over `probes` and the environment (see [Service probes](#service-probes-seed-002))",
                read: { (c, value, key) throws(ConfigurationError) in
                    c.probes.services = try ConfigurationLoader.Reader(path: "").services(value, key, defaults: c.probes.defaults)
                }
            ),
        ]
}

// MARK: The keys of one item

extension ConfigKeys {
    /// A service's pacing and thresholds: in `probes` every service's default, in a service its own.
    public static let timing: [ConfigKey<ServiceSettings.Timing>] = [
        .seconds("interval_s", \.interval, env: "HEARTBEAT_CHECK_INTERVAL", "time between two probes of a service (seed 002's probe interval, not the sweep's)"),
        .seconds("timeout_s", \.timeout, "a probe fails after this long"),
        .integer("max_retries", \.maxRetries, 1...1000, env: "HEARTBEAT_MAX_RETRIES", "failed probes in a row that make a service down and start its repair"),
        .seconds(
            "restart_cooldown_s", \.restartCooldown, allowZero: true, env: "HEARTBEAT_RESTART_COOLDOWN", "no repair within this long of the previous repair's start"
        ),
        .seconds("restart_cooldown_max_s", \.restartCooldownMax, allowZero: true, "a repair that did not help doubles the cooldown, up to this"),
        .seconds("startup_grace_s", \.startupGrace, allowZero: true, "failed probes this soon after a repair do not count (the service boots)"),
        .integer("max_repairs", \.maxRepairs, 1...1000, "at most this many repairs within `repair_window_s`; then repairing stops"),
        .seconds("repair_window_s", \.repairWindow, "the window `max_repairs` counts in"),
        .integer("success_threshold", \.successThreshold, 1...1000, "passed probes in a row that make a down service up"),
    ]

    /// A kind's keys (`kinds.<name>.…`).
    public static let kind: [ConfigKey<KindSettings>] = [
        .seconds("heartbeat_timeout_s", \.heartbeatTimeout, allowZero: true, "a heartbeat older than this is a strike; 0: `executions.heartbeat_timeout_s`"),
        .integer("max_strikes", \.maxStrikes, 0...255, "strikes in a row that mark FAILED; 0: `executions.max_strikes`"),
        .seconds(
            "progress_timeout_s", \.progressTimeout, allowZero: true,
            "heartbeats whose `progress` has not changed for this long make the execution stalled (`execution.stalled`); 0: off"
        ),
        .seconds("max_runtime_s", \.maxRuntime, allowZero: true, "a running execution older than this (since registration) is FAILED, rule `max_runtime`; 0: off"),
        .bool("fail_when_stalled", \.failWhenStalled, "a stall marks the execution FAILED (rule `stalled_progress`) instead of only warning"),
    ]

    /// A notification channel's scalar keys (its name, type and events have their own parser).
    public static let channel: [ConfigKey<ChannelSettings>] = [
        .seconds("timeout_s", \.timeout, "a webhook's request, or a command's run, fails after this long"),
        .seconds("group_window_s", \.groupWindow, allowZero: true, "events of one kind due within this window go out as one message; 0: each alone"),
        .integer("group_max", \.groupMax, 2...10_000, "the most events in one grouped message"),
        .choice("format", \.format, "a webhook's body: Vigil's event, `{\"text\": …}` (Slack, Mattermost, Rocket.Chat), or one line of text"),
    ]

    /// A service's scalar keys besides its timing (its name, URL, health rule and repair have
    /// their own parser).
    public static let service: [ConfigKey<ServiceSettings>] = [
        .string("description", \.description, "what the service is, shown with it"),
        .bool("critical", \.critical, "seed 002's field: a critical service's failure makes `/health/detailed` degraded"),
    ]

    /// What a service's parser reads through tables: ``service`` and ``timing``.
    static let serviceItem: [ConfigKey<ServiceSettings>] = service + timing.map { $0.mounted(at: "", \ServiceSettings.timing) }

    /// A repair's scalar keys (its command and webhook have their own parser).
    public static let repair: [ConfigKey<ServiceSettings.Repair>] = [
        .bool("shell", \.shell, "run `command` through `/bin/sh -c` (its one element is a shell line)"),
        .seconds("timeout_s", \.timeout, "the command's run, or the webhook's request, fails after this long"),
    ]
}
