import Coordinator
import CoordinatorCore
import Foundation
import Testing

/// The key descriptions themselves: they drive the README, the environment and the errors.
@Suite struct ConfigKeysTests {
    static let minimal = ConfigurationTests.minimal

    static func parse(_ extra: String) throws(ConfigurationError) -> VigilConfiguration {
        try ConfigurationLoader.parse(Array(#"{"nodes":[{"id":"n1","http":"127.0.0.1:8000","gossip":"127.0.0.1:7946"}]\#(extra)}"#.utf8))
    }

    @Test func everySeedVariableIsDescribedOnce() {
        let names = (ConfigKeys.file.compactMap(\.environment) + ConfigKeys.timing.compactMap(\.environment)).sorted()
        let seed = [
            "HEARTBEAT_TIMEOUT", "SWEEP_CHECK_INTERVAL", "HEARTBEAT_MAX_STRIKES", "VIGIL_RETENTION", "TIMEZONE", "VIGIL_STORE_PATH",
            "VIGIL_MAX_BODY_BYTES", "VIGIL_GOSSIP_KEY", "VIGIL_ADMIN_TOKEN", "VIGIL_READ_TOKEN", "VIGIL_INGEST_TOKENS", "HEARTBEAT_ENABLED",
            "HEARTBEAT_AUTO_START", "HEARTBEAT_CHECK_INTERVAL", "HEARTBEAT_MAX_RETRIES", "HEARTBEAT_RESTART_COOLDOWN",
        ]
        // The timing keys are in both tables (the file's copies live under `probes`).
        let timing = ConfigKeys.timing.compactMap(\.environment)
        #expect(Set(names) == Set(seed))
        #expect(names.count == seed.count + timing.count)
        #expect(Set(ConfigKeys.file.map(\.path)).count == ConfigKeys.file.count, "a key is described twice")
    }

    @Test func anExplicitServiceValueWinsOverTheEnvironmentDefault() throws {
        // Service a sets the built-in defaults explicitly; b leaves them to `probes` and the environment.
        let base = try Self.parse(#"""
            ,"probes":{"timeout_s":4},
             "services":[{"name":"a","url":"http://x/health","interval_s":30,"max_retries":3,"restart_cooldown_s":300},
                         {"name":"b","url":"http://y/health"}]
            """#)
        #expect(base.probes.services[0].explicitTiming == ["interval_s", "max_retries", "restart_cooldown_s"])
        let c = try ConfigurationLoader.applyEnvironment(
            ["HEARTBEAT_CHECK_INTERVAL": "10", "HEARTBEAT_MAX_RETRIES": "5", "HEARTBEAT_RESTART_COOLDOWN": "60"], to: base
        )
        let a = c.probes.services[0].timing
        let b = c.probes.services[1].timing
        #expect(a.interval == .seconds(30) && a.maxRetries == 3 && a.restartCooldown == .seconds(300), "the file's own value wins")
        #expect(b.interval == .seconds(10) && b.maxRetries == 5 && b.restartCooldown == .seconds(60))
        #expect(a.timeout == .seconds(4) && b.timeout == .seconds(4), "both inherit probes.timeout_s")
        #expect(c.probes.defaults.interval == .seconds(10))
        #expect(c.probes.effectiveServices(nodes: c.nodes).last?.timing.interval == .seconds(10), "a node's probe takes the default")
    }

    @Test func theEnvironmentOverridesADefaultTheFileSetInProbes() throws {
        let base = try Self.parse(#","probes":{"interval_s":5},"services":[{"name":"a","url":"http://x/health"}]"#)
        #expect(base.probes.services[0].timing.interval == .seconds(5))
        let c = try ConfigurationLoader.applyEnvironment(["HEARTBEAT_CHECK_INTERVAL": "10"], to: base)
        #expect(c.probes.defaults.interval == .seconds(10) && c.probes.services[0].timing.interval == .seconds(10))
    }

    @Test func errorsNameTheKeyAndStateTheRange() {
        let cases: [(String, ConfigurationError)] = [
            (#","executions":{"heartbeat_timeout_s":0}"#, .init(key: "executions.heartbeat_timeout_s", problem: "must be a positive number of seconds (fractions allowed)")),
            (#","executions":{"retention_s":-1}"#, .init(key: "executions.retention_s", problem: "must be a non-negative number of seconds (fractions allowed)")),
            (#","executions":{"max_strikes":256}"#, .init(key: "executions.max_strikes", problem: "must be an integer from 1 to 255")),
            (#","executions":{"mass_failure_share":2}"#, .init(key: "executions.mass_failure_share", problem: "must be a number in (0, 1]")),
            (#","gossip":{"insecure":"yes"}"#, .init(key: "gossip.insecure", problem: "must be true or false, got a string")),
            (#","gossip":[]"#, .init(key: "gossip", problem: "must be an object, got an array")),
            (#","cluster":"\#(String(repeating: "c", count: 65))""#, .init(key: "cluster", problem: "must be at most 64 bytes")),
            (#","probes":{"max_retries":0}"#, .init(key: "probes.max_retries", problem: "must be an integer from 1 to 1000")),
            (#","services":[{"name":"a","url":"http://x","timeout_s":0}]"#, .init(key: "services[0].timeout_s", problem: "must be a positive number of seconds (fractions allowed)")),
            (#","notifications":{"channels":[{"name":"a","type":"webhook","format":"xml"}]}"#, .init(key: "notifications.channels[0].format", problem: "must be one of json, slack, text, got \"xml\"")),
            (#","probes":{"node_repair":{"command":["x"],"timeout_s":"1"}}"#, .init(key: "probes.node_repair.timeout_s", problem: "must be a positive number of seconds (fractions allowed)")),
        ]
        for (extra, expected) in cases {
            #expect(throws: expected, "\(extra)") { try Self.parse(extra) }
        }
        #expect(throws: ConfigurationError(key: "VIGIL_RETENTION", problem: "must be a non-negative number of seconds (fractions allowed), got \"-1\"")) {
            try ConfigurationLoader.applyEnvironment(["VIGIL_RETENTION": "-1"], to: try Self.parse(""))
        }
        #expect(throws: ConfigurationError(key: "VIGIL_MAX_BODY_BYTES", problem: "must be an integer from 1024 to 67108864, got \"10\"")) {
            try ConfigurationLoader.applyEnvironment(["VIGIL_MAX_BODY_BYTES": "10"], to: try Self.parse(""))
        }
        #expect(throws: ConfigurationError(key: "VIGIL_STORE_PATH", problem: "must not be empty")) {
            try ConfigurationLoader.applyEnvironment(["VIGIL_STORE_PATH": ""], to: try Self.parse(""))
        }
    }

    @Test func anUnknownKeyListsTheDescribedOnes() {
        #expect(throws: ConfigurationError(key: "store.paths", problem: "unknown key (expected one of: path, poll_interval_s, segment_bytes, snapshot_interval_s, stall_s)")) {
            try Self.parse(#","store":{"paths":"x"}"#)
        }
    }

    @Test func durationsReachTheCoreInMilliseconds() throws {
        let c = try Self.parse(#"""
            ,"executions":{"heartbeat_timeout_s":0.29,"check_interval_s":1.5},
             "notifications":{"first_retry_s":0.25,"repeat_interval_s":90},
             "services":[{"name":"a","url":"http://x","interval_s":0.1,"repair":{"command":["x"],"timeout_s":2}}]
            """#)
        let rule = SweepRule(c.executions)
        #expect(rule.heartbeatTimeoutMs == 290 && rule.checkIntervalMs == 1_500)
        #expect(c.notifications.outbox.firstRetryMs == 250 && c.notifications.outbox.repeatIntervalMs == 90_000)
        #expect(c.probes.services[0].rule.intervalMs == 100 && c.probes.services[0].rule.repairTimeoutMs == 7_000)
        #expect(Duration.seconds(Int64.max).wholeMilliseconds == .max)
        #expect(Duration.milliseconds(-1_500).wholeMilliseconds == -1_500)
    }

    @Test func flagsParseSecondsIntoDurations() throws {
        #expect(try ConfigurationLoader.seconds("0.25", key: "--check-interval") == .milliseconds(250))
        #expect(try ConfigurationLoader.seconds(" 300 ", key: "--heartbeat-timeout") == .seconds(300))
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.seconds("0", key: "--check-interval") }
        #expect(ConfigurationLoader.secondsText(.seconds(300)) == "300" && ConfigurationLoader.secondsText(.milliseconds(200)) == "0.2")
    }

    @Test func everyDefaultReadsBackAsItself() throws {
        // Each key's default, written as the README shows it, is a value the key accepts.
        var configuration = VigilConfiguration(nodes: [])
        let defaults = configuration
        for row in ConfigKeys.rows where row.environment != nil {
            let key = try #require(ConfigKeys.file.first { $0.environment == row.environment })
            guard let text = row.defaultValue else { continue }
            configuration = try ConfigurationLoader.applyEnvironment([row.environment!: text], to: configuration)
            #expect(configuration == defaults, "\(key.path) = \(text)")
        }
    }
}
