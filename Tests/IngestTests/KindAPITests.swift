import Coordinator
import CoordinatorCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Testing
import VigilJSON

/// `kind` and `monitor` on heartbeats and registrations (issue 24): 400 naming the field, the
/// rule fixed by the registering request, shown with the stall in the API and its filters.
@Suite struct KindAPITests {
    let id = "550e8400-e29b-41d4-a716-446655440000"
    let other = "550e8400-e29b-41d4-a716-446655440001"

    static var kinds: [KindSettings] {
        var crawler = KindSettings(name: "crawler")
        crawler.progressTimeout = .seconds(2)
        crawler.heartbeatTimeout = .seconds(60)
        return [crawler]
    }

    func beat(_ id: String, _ extra: String) -> String {
        #"{"execution_id":"\#(id)","container_id":"c","timestamp":1700000000\#(extra)}"#
    }

    @Test(arguments: [
        (#","kind":"nope""#, "kind names no configured kind: \"nope\" (known: crawler)"),
        (#","kind":5"#, "kind must be a non-empty string (a name in the cluster's kinds)"),
        (#","monitor":{"max_strikes":0}"#, "monitor.max_strikes must be an integer from 1 to 255"),
        (#","monitor":{"heartbeat_timeout_s":0}"#, "monitor.heartbeat_timeout_s must be a number of seconds above 0 to 31622400 (a year)"),
        (#","monitor":{"progress_timeout_s":-1}"#, "monitor.progress_timeout_s must be a number of seconds from 0 (off) to 31622400 (a year)"),
        (#","monitor":{"timeout":3}"#, "monitor.timeout is not a monitor field (expected one of: heartbeat_timeout_s, max_strikes, progress_timeout_s, max_runtime_s, fail_when_stalled)"),
        (#","monitor":[]"#, "monitor must be an object, got an array"),
    ])
    func aBadRuleIsA400NamingTheField(extra: String, message: String) async throws {
        let t = try TestNode(kinds: Self.kinds)
        let body = beat(id, extra)
        try await t.test { client in
            let (status, json) = try await client.post("/api/v1/monitoring/heartbeat", json: body)
            #expect(status == .badRequest)
            #expect(json["message"] == .string(message))
        }
    }

    @Test func theRegisteringRequestFixesTheRuleAndTheAPIShowsIt() async throws {
        let t = try TestNode(kinds: Self.kinds)
        let (id, other) = (self.id, self.other)
        let first = beat(id, #","kind":"crawler","monitor":{"max_strikes":5},"progress":{"crawled_urls":1}"#)
        let later = beat(id, #","monitor":{"max_strikes":1},"progress":{"crawled_urls":1}"#)
        let seed = beat(other, "")
        try await t.test { client in
            #expect(try await client.post("/api/v1/monitoring/heartbeat", json: first).0 == .ok)
            #expect(try await client.post("/api/v1/monitoring/heartbeat", json: later).0 == .ok)
            #expect(try await client.post("/api/v1/monitoring/heartbeat", json: seed).0 == .ok)
            let (_, record) = try await client.get("/api/v1/executions/\(id)")
            #expect(record["kind"] == .string("crawler"))
            #expect(record["rule"] == .object([
                "heartbeat_timeout_s": .int(60), "max_strikes": .int(5), "progress_timeout_s": .int(2), "max_runtime_s": .null, "fail_when_stalled": .bool(false),
            ]))
            #expect(record["stalled"] == .bool(false))
            let (_, plain) = try await client.get("/api/v1/executions/\(other)")
            #expect(plain["kind"] == .null && plain["rule"]?["heartbeat_timeout_s"] == .int(300) && plain["rule"]?["max_strikes"] == .int(3))
            // Heartbeats go on with the same progress: stalled after 2 s, on this node's clock.
            t.clock.advance(seconds: 1.5)
            #expect(try await client.post("/api/v1/monitoring/heartbeat", json: later).0 == .ok)
            t.clock.advance(seconds: 1)
            let (_, stalled) = try await client.get("/api/v1/executions/\(id)")
            #expect(stalled["stalled"] == .bool(true) && stalled["stalled_since_ms"] == stalled["registered_at_ms"])
            let (_, list) = try await client.get("/api/v1/executions?status=stalled")
            #expect(list["executions"]?.arrayValue.map { $0["execution_id"] } == [.string(id)])
            let (_, byKind) = try await client.get("/api/v1/executions?kind=crawler")
            #expect(byKind["count"] == .int(1))
        }
    }
}
