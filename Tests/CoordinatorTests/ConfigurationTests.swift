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
        #expect(c.executions.heartbeatTimeoutS == 300)
        #expect(c.executions.checkIntervalS == 120)
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
        #expect(c.executions.heartbeatTimeoutS == 0.2)
        #expect(c.executions.checkIntervalS == 0.05)
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
            ["HEARTBEAT_TIMEOUT": "2", "HEARTBEAT_CHECK_INTERVAL": "0.5", "HEARTBEAT_MAX_STRIKES": "4", "TIMEZONE": "UTC", "VIGIL_STORE_PATH": "/tmp/s"],
            to: base
        )
        #expect(c.executions.heartbeatTimeoutS == 2)
        #expect(c.executions.checkIntervalS == 0.5)
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
        #expect(n.channels[1].timeoutS == 10)
        let outbox = n.outbox
        #expect(outbox.horizonMs == 3_600_000)
        #expect(outbox.firstRetryMs == 500)
        #expect(outbox.maxRetryMs == 60_000)
        #expect(outbox.maxInFlight == 8)
        #expect(n.nodeDeadAfterS == 20)
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
