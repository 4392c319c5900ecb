import Gossip
import Coordinator
import Foundation
import CoordinatorCore
import Testing

@Suite struct ConfigurationTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let minimal = #"{"nodes":[{"id":"n1","http":"127.0.0.1:8000","gossip":"127.0.0.1:7946"}]}"#

    @Test func exampleFileLoadsWithSeedDefaults() throws {
        let c = try ConfigurationLoader.load(path: Self.repoRoot.appendingPathComponent("cluster.example.json").path)
        #expect(c.nodes.first?.id == "n1")
        #expect(c.nodes.first?.http == HostPort(host: "127.0.0.1", port: 8000))
        #expect(c.executions.heartbeatTimeout == .seconds(300))
        #expect(c.executions.checkInterval == .seconds(120))
        #expect(c.executions.maxStrikes == 3)
        #expect(c.timezone == "Asia/Shanghai")
        #expect(c.gossip.maxDatagramBytes == 1232)
        #expect(c.gossip.keys.isEmpty)
    }

    @Test func defaultsApplyToAMinimalFile() throws {
        let c = try ConfigurationLoader.parse(Array(Self.minimal.utf8))
        #expect(c == VigilConfiguration(nodes: [NodeAddress(id: "n1", http: HostPort("127.0.0.1:8000")!, gossip: HostPort("127.0.0.1:7946")!)]))
    }

    @Test func fractionalDurationsAreAccepted() throws {
        let text = #"{"nodes":[{"id":"n1","http":"[::1]:0","gossip":"127.0.0.1:0"}],"executions":{"heartbeat_timeout_s":0.2,"check_interval_s":0.05}}"#
        let c = try ConfigurationLoader.parse(Array(text.utf8))
        #expect(c.executions.heartbeatTimeout == .milliseconds(200))
        #expect(c.executions.checkInterval == .milliseconds(50))
        #expect(c.nodes[0].http == HostPort(host: "::1", port: 0))
    }

    @Test(arguments: [
        ("{", "config"),
        ("[]", "config"),
        ("{}", "nodes"),
        (#"{"nodes":[]}"#, "nodes"),
        (#"{"nodes":[{"id":"n1","http":"127.0.0.1:8000"}]}"#, "nodes[0].gossip"),
        (#"{"nodes":[{"id":"n 1","http":"127.0.0.1:8000","gossip":"127.0.0.1:1"}]}"#, "nodes[0].id"),
        (#"{"nodes":[{"id":"n1","http":"127.0.0.1:99999","gossip":"127.0.0.1:1"}]}"#, "nodes[0].http"),
        (#"{"nodes":[{"id":"n1","http":"localhost","gossip":"127.0.0.1:1"}]}"#, "nodes[0].http"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"},{"id":"n1","http":"a:3","gossip":"a:4"}]}"#, "nodes[1].id"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"},{"id":"n2","http":"a:1","gossip":"a:4"}]}"#, "nodes[1].http"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2","extra":1}]}"#, "nodes[0].extra"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"}],"executions":{"heartbeat_timeout_s":-1}}"#, "executions.heartbeat_timeout_s"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"}],"executions":{"heartbeat_timeout_s":"300"}}"#, "executions.heartbeat_timeout_s"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"}],"executions":{"max_strikes":0}}"#, "executions.max_strikes"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"}],"executions":{"max_strike":3}}"#, "executions.max_strike"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"}],"gossip":{"key":"c2hvcnQ="}}"#, "gossip.key"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"}],"gossip":{"max_datagram_bytes":100}}"#, "gossip.max_datagram_bytes"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"}],"http":{"max_body_bytes":1}}"#, "http.max_body_bytes"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"}],"timezone":"Mars/Base"}"#, "timezone"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"}],"store":{"path":""}}"#, "store.path"),
        (#"{"nodes":[{"id":"n1","http":"a:1","gossip":"a:2"}],"unknown":true}"#, "unknown"),
    ])
    func invalidFilesNameTheKey(text: String, key: String) {
        do {
            _ = try ConfigurationLoader.parse(Array(text.utf8))
            Issue.record("accepted invalid config \(text)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(!error.problem.isEmpty)
        }
    }

    @Test func environmentOverridesUseTheSeedNames() throws {
        let base = try ConfigurationLoader.parse(Array(Self.minimal.utf8))
        let c = try ConfigurationLoader.applyEnvironment(
            ["HEARTBEAT_TIMEOUT": "2", "SWEEP_CHECK_INTERVAL": "0.5", "HEARTBEAT_MAX_STRIKES": "4", "TIMEZONE": "UTC", "VIGIL_STORE_PATH": "/tmp/s"],
            to: base
        )
        #expect(c.executions.heartbeatTimeout == .seconds(2))
        #expect(c.executions.checkInterval == .milliseconds(500))
        #expect(c.executions.maxStrikes == 4)
        #expect(c.timezone == "UTC")
        #expect(c.store.path == "/tmp/s")
        #expect(throws: ConfigurationError(key: "HEARTBEAT_TIMEOUT", problem: "must be a positive number of seconds (fractions allowed), got \"soon\"")) {
            try ConfigurationLoader.applyEnvironment(["HEARTBEAT_TIMEOUT": "soon"], to: base)
        }
    }

    @Test func unknownNodeIsAnError() throws {
        let c = try ConfigurationLoader.parse(Array(Self.minimal.utf8))
        #expect(throws: ConfigurationError.self) { try c.node("n9") }
    }

    @Test func missingFileIsAnError() {
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.load(path: "/nonexistent/cluster.json") }
    }
}

@Suite struct NotificationConfigurationTests {
    static let secret = "whsec_" + Data(repeating: 3, count: 32).base64EncodedString()

    static func parse(_ notifications: String) throws(ConfigurationError) -> VigilConfiguration {
        let text = #"{"nodes":[{"id":"n1","http":"127.0.0.1:8000","gossip":"127.0.0.1:7946"}],"notifications":\#(notifications)}"#
        return try ConfigurationLoader.parse(Array(text.utf8))
    }

    @Test func channelsAndPacingAreRead() throws {
        let c = try Self.parse(#"""
            {"horizon_s":3600,"first_retry_s":0.5,"max_retry_s":60,"max_in_flight":8,"node_dead_after_s":20,"channels":[
              {"name":"ops","type":"webhook","url":"https://hooks.example/x","secret":"\#(Self.secret)","events":["execution.failed","node.*"],
               "container_prefix":"crawler-","timeout_s":5,"format":"slack"},
              {"name":"mail","type":"command","argv":["/usr/local/bin/mail-alert","--to","ops"],"events":["*"]}]}
            """#)
        let n = c.notifications
        #expect(n.channels.map(\.name) == ["ops", "mail"])
        #expect(n.channels[0].kind == .webhook(url: "https://hooks.example/x", secret: Self.secret))
        #expect(n.channels[0].format == .slack)
        #expect(n.channels[0].containerPrefix == "crawler-")
        #expect(n.channels[1].kind == .command(argv: ["/usr/local/bin/mail-alert", "--to", "ops"]))
        #expect(n.channels[1].timeout == .seconds(10))
        let outbox = n.outbox
        #expect(outbox.horizonMs == 3_600_000)
        #expect(outbox.firstRetryMs == 500)
        #expect(outbox.maxRetryMs == 60_000)
        #expect(outbox.maxInFlight == 8)
        #expect(n.nodeDeadAfter == .seconds(20))
    }

    @Test(arguments: [
        (#"{"channels":[{"name":"a","type":"webhook","url":"http://x/","secret":"abc","events":["*"]}]}"#, "notifications.channels[0].secret"),
        (#"{"channels":[{"name":"a","type":"webhook","secret":"SECRET","events":["*"]}]}"#, "notifications.channels[0].url"),
        (#"{"channels":[{"name":"a","type":"webhook","url":"ftp://x","secret":"SECRET","events":["*"]}]}"#, "notifications.channels[0].url"),
        (#"{"channels":[{"name":"a","type":"command","argv":[],"events":["*"]}]}"#, "notifications.channels[0].argv"),
        (#"{"channels":[{"name":"a","type":"command","argv":["x"],"events":["execution.fail"]}]}"#, "notifications.channels[0].events[0]"),
        (#"{"channels":[{"name":"a","type":"command","argv":["x"]}]}"#, "notifications.channels[0].events"),
        (#"{"channels":[{"name":"a","type":"pager","events":["*"]}]}"#, "notifications.channels[0].type"),
        (#"{"channels":[{"name":"a","type":"command","argv":["x"],"events":["*"]},{"name":"a","type":"command","argv":["y"],"events":["*"]}]}"#, "notifications.channels[1].name"),
        (#"{"channels":[{"name":"a","type":"command","argv":["x"],"events":["*"],"format":"slack"}]}"#, "notifications.channels[0].format"),
        (#"{"first_retry_s":10,"max_retry_s":1}"#, "notifications.max_retry_s"),
        (#"{"retries":3}"#, "notifications.retries"),
    ])
    func mistakesNameTheKey(json: String, key: String) {
        let text = json.replacingOccurrences(of: "SECRET", with: Self.secret)
        #expect(throws: ConfigurationError.self) { try Self.parse(text) }
        do {
            _ = try Self.parse(text)
        } catch {
            #expect(error.key == key, "\(error)")
        }
    }
}

@Suite struct ProbeConfigurationTests {
    static func parse(_ extra: String) throws(ConfigurationError) -> VigilConfiguration {
        let text = #"{"nodes":[{"id":"n1","http":"127.0.0.1:8000","gossip":"127.0.0.1:7946"},{"id":"n2","http":"0.0.0.0:8001","gossip":"127.0.0.1:7947"}]\#(extra)}"#
        return try ConfigurationLoader.parse(Array(text.utf8))
    }

    @Test func seed002DefaultsAndEveryNodeWatched() throws {
        let c = try Self.parse("")
        #expect(c.probes.enabled && c.probes.autoStart && c.probes.watchNodes)
        let services = c.probes.effectiveServices(nodes: c.nodes)
        #expect(services.map(\.name) == ["vigil-n1", "vigil-n2"])
        #expect(services.map(\.url) == ["http://127.0.0.1:8000/health", "http://127.0.0.1:8001/health"])
        let rule = services[0].rule
        #expect(rule.intervalMs == 30_000 && rule.maxRetries == 3 && rule.cooldownMs == 300_000 && rule.successThreshold == 2)
        #expect(!rule.repairable)
    }

    @Test func servicesTheirHealthAndRepairAreRead() throws {
        let c = try Self.parse(#"""
            ,"probes":{"interval_s":5,"node_repair":{"command":["systemctl","restart","vigil@{node}"]}},
             "services":[{"name":"main_service","url":"http://127.0.0.1:5000/health","description":"API","critical":true,"timeout_s":2,
               "healthy":{"status":[200,204],"body_contains":"ok","json_field":"db.status","json_equals":"up"},
               "repair":{"command":["systemctl restart app && sleep 1"],"shell":true,"timeout_s":30,"webhook":{"url":"http://ops/repair"}}},
              {"name":"login","url":"http://127.0.0.1:5000/login","critical":false,"max_retries":5}]
            """#)
        let services = c.probes.effectiveServices(nodes: c.nodes)
        #expect(services.map(\.name) == ["main_service", "login", "vigil-n1", "vigil-n2"])
        let main = services[0]
        #expect(main.timing.interval == .seconds(5) && main.timing.timeout == .seconds(2))
        #expect(main.health.statuses == [200, 204])
        #expect(main.repair?.shell == true && main.repair?.webhookURL == "http://ops/repair")
        #expect(services[1].timing.maxRetries == 5 && !services[1].critical)
        #expect(services[2].repair?.command == ["systemctl", "restart", "vigil@n1"])
        // The health rule: status, then the body, then the JSON field.
        #expect(main.health.evaluate(status: 200, body: Array(#"{"db":{"status":"up"},"ok":1}"#.utf8)).healthy)
        #expect(main.health.evaluate(status: 200, body: Array(#"{"db":{"status":"down"},"ok":1}"#.utf8)).detail.contains("db.status is \"down\""))
        #expect(main.health.evaluate(status: 500, body: []).detail == "HTTP 500")
        #expect(!main.health.evaluate(status: 204, body: Array("nope".utf8)).healthy)
    }

    @Test func seed002EnvironmentNamesSetTheProber() throws {
        let base = try Self.parse(#","services":[{"name":"a","url":"http://x/health"},{"name":"b","url":"http://y/health","interval_s":7}]"#)
        let c = try ConfigurationLoader.applyEnvironment(
            ["HEARTBEAT_ENABLED": "True", "HEARTBEAT_AUTO_START": "False", "HEARTBEAT_CHECK_INTERVAL": "10", "HEARTBEAT_MAX_RETRIES": "4",
             "HEARTBEAT_RESTART_COOLDOWN": "60"], to: base)
        #expect(!c.probes.autoStart)
        #expect(c.executions.checkInterval == .seconds(120), "HEARTBEAT_CHECK_INTERVAL is seed 002's probe interval, not the sweep's")
        #expect(c.probes.services[0].timing.interval == .seconds(10))
        #expect(c.probes.services[1].timing.interval == .seconds(7), "a service's own setting wins")
        #expect(c.probes.services[0].timing.maxRetries == 4 && c.probes.services[0].timing.restartCooldown == .seconds(60))
        let off = try ConfigurationLoader.applyEnvironment(["HEARTBEAT_ENABLED": "false"], to: base)
        #expect(off.probes.effectiveServices(nodes: off.nodes).isEmpty)
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.applyEnvironment(["HEARTBEAT_ENABLED": "maybe"], to: base) }
    }

    @Test(arguments: [
        (#","services":[{"url":"http://x"}]"#, "services[0].name"),
        (#","services":[{"name":"a"}]"#, "services[0].url"),
        (#","services":[{"name":"a","url":"x"}]"#, "services[0].url"),
        (#","services":[{"name":"a","url":"http://x","repair":{}}]"#, "services[0].repair.command"),
        (#","services":[{"name":"a","url":"http://x","repair":{"command":["a","b"],"shell":true}}]"#, "services[0].repair.shell"),
        (#","services":[{"name":"a","url":"http://x","healthy":{"json_field":"s"}}]"#, "services[0].healthy.json_field"),
        (#","services":[{"name":"a","url":"http://x","healthy":{"status":[99]}}]"#, "services[0].healthy.status[0]"),
        (#","services":[{"name":"a","url":"http://x"},{"name":"a","url":"http://y"}]"#, "services[1].name"),
        (#","probes":{"retries":3}"#, "probes.retries"),
        (#","probes":{"enabled":"yes"}"#, "probes.enabled"),
    ])
    func mistakesNameTheKey(extra: String, key: String) {
        do {
            _ = try Self.parse(extra)
            Issue.record("accepted \(extra)")
        } catch {
            #expect(error.key == key, "\(error)")
        }
    }
}
