import Coordinator
import Foundation
import Gossip
import Testing

@Suite struct SecurityConfigurationTests {
    static func parse(_ extra: String) throws(ConfigurationError) -> VigilConfiguration {
        try ConfigurationLoader.parse(Array(#"{"nodes":[{"id":"n1","http":"127.0.0.1:8000","gossip":"127.0.0.1:7946"}],\#(extra)}"#.utf8))
    }

    static let token = "tok-0123456789abcdef"

    @Test func tokensLimitsAndTLSAreRead() throws {
        let c = try Self.parse(#"""
            "http": {"admin_token": "\#(Self.token)", "read_token": "r-0123456789abcdef", "ingest_tokens": ["i-0123456789abcdef", "j-0123456789abcdef"],
                     "protect_metrics": true, "max_connections": 100, "max_connections_per_client": 10, "header_timeout_s": 2,
                     "body_timeout_s": 3, "idle_timeout_s": 4, "tls": {"cert": "/c.pem", "key": "/k.pem"}},
            "gossip": {"insecure": true}
            """#)
        #expect(c.http.adminToken == Self.token)
        #expect(c.http.ingestTokens.count == 2)
        #expect(c.http.protectMetrics && !c.http.protectHealth)
        #expect(c.http.maxConnections == 100 && c.http.maxConnectionsPerClient == 10)
        #expect(c.http.headerTimeout == .seconds(2) && c.http.bodyTimeout == .seconds(3) && c.http.idleTimeout == .seconds(4))
        #expect(c.http.tls == TLSFiles(certificatePath: "/c.pem", keyPath: "/k.pem"))
        #expect(c.gossip.insecure)
        // Defaults: everything open, sensible limits, no TLS.
        let d = try Self.parse(#""timezone": "UTC""#)
        #expect(d.http.adminToken == nil && d.http.readToken == nil && d.http.ingestTokens.isEmpty && d.http.tls == nil)
        #expect(d.http.headerTimeout == .seconds(10) && d.http.maxConnections == 4096)
    }

    @Test func badTokensNameTheKeyAndNeverEchoTheToken() {
        for (extra, key) in [
            (#""http": {"admin_token": "short"}"#, "http.admin_token"),
            (#""http": {"read_token": "has a space in it here"}"#, "http.read_token"),
            (#""http": {"ingest_tokens": ["ok-0123456789abcdef", "bad/slash-0123456789"]}"#, "http.ingest_tokens[1]"),
            (#""http": {"tls": {"cert": "/c.pem"}}"#, "http.tls.key"),
        ] {
            #expect {
                _ = try Self.parse(extra)
            } throws: { error in
                guard let error = error as? ConfigurationError else { return false }
                return error.key == key && !error.description.contains("bad/slash") && !error.description.contains("has a space")
            }
        }
    }

    @Test func environmentTokens() throws {
        let base = try Self.parse(#""timezone": "UTC""#)
        let c = try ConfigurationLoader.applyEnvironment(
            ["VIGIL_ADMIN_TOKEN": Self.token, "VIGIL_INGEST_TOKENS": "a-0123456789abcdef, b-0123456789abcdef"], to: base
        )
        #expect(c.http.adminToken == Self.token)
        #expect(c.http.ingestTokens == ["a-0123456789abcdef", "b-0123456789abcdef"])
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.applyEnvironment(["VIGIL_READ_TOKEN": "x"], to: base) }
    }

    @Test func theComposeClusterFileLoads() throws {
        let root = ConfigurationTests.repoRoot
        let c = try ConfigurationLoader.load(path: root.appendingPathComponent("deploy/cluster.compose.json").path)
        #expect(c.nodes.map(\.id) == ["n1", "n2", "n3"])
        #expect(c.nodes.allSatisfy { !$0.gossip.isLoopback }, "off loopback: it needs VIGIL_GOSSIP_KEY, which compose.yaml requires")
    }

    @Test func gossipOffLoopbackNeedsAKeyOrInsecure() throws {
        let loopback = NodeAddress(id: "n1", http: HostPort("127.0.0.1:8000")!, gossip: HostPort("127.0.0.1:7946")!)
        let lan = NodeAddress(id: "n1", http: HostPort("10.0.0.5:8000")!, gossip: HostPort("10.0.0.5:7946")!)
        #expect(throws: Never.self) { try StartupChecks.gossip(node: loopback, sealed: false, insecure: false) }
        #expect(throws: Never.self) { try StartupChecks.gossip(node: lan, sealed: true, insecure: false) }
        #expect(throws: Never.self) { try StartupChecks.gossip(node: lan, sealed: false, insecure: true) }
        #expect {
            try StartupChecks.gossip(node: lan, sealed: false, insecure: false)
        } throws: { error in
            "\(error)".contains("vigil keygen") && "\(error)".contains("gossip.insecure")
        }
        #expect(StartupChecks.warnings(node: lan, http: HTTPSettings(), bind: lan.http).count == 1)
        #expect(StartupChecks.warnings(node: lan, http: HTTPSettings(adminToken: Self.token), bind: lan.http).isEmpty)
        #expect(HostPort("[::1]:1")!.isLoopback && HostPort("localhost:1")!.isLoopback && !HostPort("0.0.0.0:1")!.isLoopback)
    }
}
