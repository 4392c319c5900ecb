import Coordinator
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import NIOCore
import Testing
import VigilJSON

@Suite struct AccessPolicyTests {
    let policy = AccessPolicy(tokens: AccessTokens(admin: "admin-token-0123456789", read: "read-token-0123456789", ingest: ["ingest-a-0123456789", "ingest-b-0123456789"]))

    @Test func everyRouteHasTheClassTheIssueNames() throws {
        let node = try TestNode()
        var seen: [String: AccessClass] = [:]
        for route in node.server.routeList() {
            let path = route.path.replacingOccurrences(of: "{}", with: "x")
            seen["\(route.method) \(route.path)"] = policy.classify(method: HTTPRequest.Method(route.method)!, path: Substring(path))
        }
        #expect(seen["POST /api/v1/monitoring/heartbeat"] == .ingest)
        #expect(seen["POST /api/v1/monitoring/completion"] == .ingest)
        #expect(seen["POST /api/v1/executions"] == .admin)
        #expect(seen["POST /admin/heartbeat/stop"] == .admin)
        #expect(seen["GET /admin/heartbeat/status"] == .admin)
        #expect(seen["POST /admin/sweep/release"] == .admin)
        #expect(seen["POST /admin/notifications/test"] == .admin)
        #expect(seen["GET /api/v1/executions"] == .read)
        #expect(seen["GET /"] == .read)
        #expect(seen["GET /badge/{}"] == .read)
        #expect(seen["GET /health"] == .open)
        #expect(seen["GET /health/detailed"] == .open)
        #expect(seen["GET /metrics"] == .open)
        // Nothing but reads, health and metrics is reachable with GET and no admin token.
        for (route, access) in seen where !route.hasPrefix("GET ") {
            #expect(access == .admin || access == .ingest, "\(route) is \(access)")
        }
    }

    @Test func healthAndMetricsCanBeProtected() {
        let strict = AccessPolicy(tokens: AccessTokens(read: "read-token-0123456789", protectHealth: true, protectMetrics: true))
        #expect(strict.classify(method: .get, path: "/health") == .read)
        #expect(strict.classify(method: .get, path: "/health/detailed") == .read)
        #expect(strict.classify(method: .get, path: "/metrics") == .read)
        #expect(strict.classify(method: .get, path: "/openapi.json") == .open)
    }

    @Test func tokenPrefixIsTakenOffThePath() {
        #expect(AccessPolicy.target("/k/abc/api/v1/monitoring/heartbeat") == .init(path: "/api/v1/monitoring/heartbeat", pathToken: "abc"))
        #expect(AccessPolicy.target("/k/abc") == .init(path: "/", pathToken: "abc"))
        #expect(AccessPolicy.target("/api/v1/x") == .init(path: "/api/v1/x", pathToken: nil))
        #expect(AccessPolicy.target("/kx/abc/y") == .init(path: "/kx/abc/y", pathToken: nil))
    }

    @Test func bearerHeaderIsParsed() {
        #expect(AccessPolicy.bearer("Bearer abc") == "abc")
        #expect(AccessPolicy.bearer("bearer   abc  ") == "abc")
        #expect(AccessPolicy.bearer("Basic abc") == nil)
        #expect(AccessPolicy.bearer("Bearer") == nil)
        #expect(AccessPolicy.bearer(nil) == nil)
    }

    @Test func decisions() {
        #expect(policy.decide(.open, token: nil) == .allow)
        #expect(policy.decide(.ingest, token: nil) == .missing(.ingest))
        #expect(policy.decide(.ingest, token: "ingest-b-0123456789") == .allow)
        #expect(policy.decide(.ingest, token: "admin-token-0123456789") == .allow)
        #expect(policy.decide(.ingest, token: "read-token-0123456789") == .wrong(.ingest))
        #expect(policy.decide(.read, token: "read-token-0123456789") == .allow)
        #expect(policy.decide(.read, token: "ingest-a-0123456789") == .wrong(.read))
        #expect(policy.decide(.admin, token: "read-token-0123456789") == .wrong(.admin))
        #expect(policy.decide(.admin, token: "admin-token-012345678") == .wrong(.admin))
        #expect(policy.decide(.admin, token: "admin-token-0123456789x") == .wrong(.admin))
        #expect(policy.decide(.admin, token: "") == .missing(.admin))
        // Defaults: everything open (the seed client works unchanged).
        let open = AccessPolicy()
        for access in AccessClass.allCases { #expect(open.decide(access, token: nil) == .allow) }
    }

    @Test func refusalsAreLoggedOncePerClientPerMinute() {
        var limiter = ComplaintLimiter(windowMs: 60_000, capacity: 3)
        #expect(limiter.shouldLog("10.0.0.1", nowMs: 0) == (true, 0))
        #expect(limiter.shouldLog("10.0.0.1", nowMs: 1_000).log == false)
        #expect(limiter.shouldLog("10.0.0.1", nowMs: 59_999).log == false)
        #expect(limiter.shouldLog("10.0.0.2", nowMs: 2_000) == (true, 0))
        #expect(limiter.shouldLog("10.0.0.1", nowMs: 60_000) == (true, 2))
        // Bounded memory: many addresses never grow it past its capacity.
        for i in 0..<100 { _ = limiter.shouldLog("10.1.0.\(i)", nowMs: 70_000) }
        #expect(limiter.shouldLog("10.1.0.99", nowMs: 70_001).log == false)
    }
}

@Suite struct AccessRouteTests {
    static let admin = "admin-token-0123456789"
    static let read = "read-token-0123456789"
    static let ingest = "ingest-token-0123456789"

    func node() throws -> TestNode {
        try TestNode(http: HTTPSettings(adminToken: Self.admin, readToken: Self.read, ingestTokens: [Self.ingest]))
    }

    /// (method, path, body, the token that opens it)
    static let protected: [(HTTPRequest.Method, String, String?, String)] = [
        (.post, "/api/v1/monitoring/heartbeat", seedHeartbeat(), ingest),
        (.post, "/api/v1/monitoring/completion", #"{"execution_id":"550e8400-e29b-41d4-a716-446655440000","status":"completed"}"#, ingest),
        (.post, "/api/v1/executions", #"{"execution_id":"550e8400-e29b-41d4-a716-446655440001"}"#, admin),
        (.post, "/admin/heartbeat/stop", nil, admin),
        (.post, "/admin/heartbeat/start", nil, admin),
        (.get, "/admin/heartbeat/status", nil, admin),
        (.post, "/admin/sweep/release", nil, admin),
        (.post, "/admin/notifications/test", #"{"channel":"none"}"#, admin),
        (.get, "/api/v1/executions", nil, read),
        (.get, "/api/v1/executions/550e8400-e29b-41d4-a716-446655440000", nil, read),
        (.get, "/api/v1/marks", nil, read),
        (.get, "/api/v1/cluster/members", nil, read),
        (.get, "/api/v1/notifications", nil, read),
        (.get, "/api/v1/services", nil, read),
        (.get, "/api/v1/dashboard", nil, read),
        (.get, "/", nil, read),
        (.get, "/badge/cluster.svg", nil, read),
    ]

    @Test func everyProtectedRouteWithoutWithAWrongAndWithTheRightToken() async throws {
        let node = try node()
        try await node.test { client in
            for (method, path, body, token) in Self.protected {
                let buffer = body.map { ByteBuffer(string: $0) }
                let json: HTTPFields = body == nil ? [:] : [.contentType: "application/json"]
                try await client.execute(uri: path, method: method, headers: json, body: buffer) { response in
                    #expect(response.status == .unauthorized, "\(method) \(path) without a token")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer realm=\"vigil\"") == true)
                    let object = try parse(response.body)
                    #expect(object["status"] == .string("error"))
                }
                var wrong = json
                wrong[.authorization] = "Bearer not-the-right-token-000"
                try await client.execute(uri: path, method: method, headers: wrong, body: buffer) { response in
                    #expect(response.status == .unauthorized, "\(method) \(path) with a wrong token")
                    #expect(response.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
                    #expect(!String(buffer: response.body).contains("not-the-right"), "the token is never echoed")
                }
                var right = json
                right[.authorization] = "Bearer \(token)"
                try await client.execute(uri: path, method: method, headers: right, body: buffer) { response in
                    #expect(response.status != .unauthorized, "\(method) \(path) with the right token")
                }
                // The admin token opens everything.
                var admin = json
                admin[.authorization] = "Bearer \(Self.admin)"
                try await client.execute(uri: path, method: method, headers: admin, body: buffer) { response in
                    #expect(response.status != .unauthorized, "\(method) \(path) with the admin token")
                }
            }
            // Open routes stay open.
            for path in ["/health", "/health/detailed", "/metrics"] {
                try await client.execute(uri: path, method: .get) { response in #expect(response.status != .unauthorized, "\(path)") }
            }
        }
    }

    @Test func aTokenInThePathPrefixWorksAndTheQueryStringIsNotAPlaceForOne() async throws {
        let node = try node()
        try await node.test { client in
            let (ok, body) = try await client.post("/k/\(Self.ingest)/api/v1/monitoring/heartbeat", json: seedHeartbeat())
            #expect(ok == .ok)
            #expect(body["status"] == .string("ok"))
            let (wrong, _) = try await client.post("/k/wrong-token-000000000/api/v1/monitoring/heartbeat", json: seedHeartbeat())
            #expect(wrong == .unauthorized)
            let (query, _) = try await client.post("/api/v1/monitoring/heartbeat?token=\(Self.ingest)", json: seedHeartbeat())
            #expect(query == .unauthorized)
            // The prefix works on reads too, and keeps the query string.
            let (status, page) = try await client.get("/k/\(Self.read)/api/v1/executions?limit=1")
            #expect(status == .ok)
            #expect(page["count"] == .int(1))
        }
    }

    @Test func theFastPathAsksForTheIngestTokenToo() async throws {
        let node = try node()
        try await node.test(live: true) { client in
            // The first heartbeat registers (durable path); later ones take the fast path.
            for round in 0..<3 {
                let (none, _) = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat())
                #expect(none == .unauthorized, "round \(round)")
                let (prefixed, _) = try await client.post("/k/\(Self.ingest)/api/v1/monitoring/heartbeat", json: seedHeartbeat())
                #expect(prefixed == .ok, "round \(round)")
                let (wrong, _) = try await client.post("/k/\(Self.read)/api/v1/monitoring/heartbeat", json: seedHeartbeat())
                #expect(wrong == .unauthorized, "round \(round)")
                let bearer = try await client.execute(
                    uri: "/api/v1/monitoring/heartbeat", method: .post,
                    headers: [.contentType: "application/json", .authorization: "Bearer \(Self.ingest)"], body: ByteBuffer(string: seedHeartbeat())
                ) { $0.status }
                #expect(bearer == .ok, "round \(round)")
            }
        }
    }

    @Test func defaultsLeaveEverythingOpen() async throws {
        let node = try TestNode()
        try await node.test(live: true) { client in
            let (beat, _) = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat())
            #expect(beat == .ok)
            let (pause, _) = try await client.post("/admin/heartbeat/stop", json: "")
            #expect(pause == .ok)
        }
    }
}
