import VigilJSON
import Coordinator
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import NIOCore
import Testing
import CoordinatorCore

@Suite struct APITests {
    let id = "550e8400-e29b-41d4-a716-446655440000"

    @Test func completionContract() async throws {
        let t = try TestNode()
        try await t.test { client in
            // Seed 004's failure path: success=false, no result_data, an error message.
            let body = #"{"execution_id":"\#(id)","container_id":"task-1","success":false,"result_data":{},"error_message":"模拟任务执行错误"}"#
            let (status, json) = try await client.post("/api/v1/monitoring/completion", json: body)
            #expect(status == .ok)
            #expect(json["status"] == .string("ok"))
            #expect(json["execution_status"] == .string("failed"))
            let (_, record) = try await client.get("/api/v1/executions/\(id)")
            #expect(record["status"] == .string("failed"))
            #expect(record["error_message"] == .string("模拟任务执行错误"))
            #expect(record["failure_reason"] == .string("模拟任务执行错误"))
            #expect(record["finished_by"] == .string("completion"))
        }
    }

    @Test(arguments: [
        (#"{"container_id":"c","success":true}"#, "execution_id is required"),
        (#"{"execution_id":"nope","container_id":"c","success":true}"#, "Invalid execution_id format"),
        (#"{"execution_id":"550e8400-e29b-41d4-a716-446655440000","container_id":"c"}"#, "success is required and must be true or false"),
        (#"{"execution_id":"550e8400-e29b-41d4-a716-446655440000","container_id":"c","success":"yes"}"#, "success is required and must be true or false"),
        (#"{"execution_id":"550e8400-e29b-41d4-a716-446655440000","container_id":"c","success":true,"result_data":[1]}"#, "result_data must be an object, got an array"),
        (#"{"execution_id":"550e8400-e29b-41d4-a716-446655440000","container_id":"c","success":false,"error_message":5}"#, "error_message must be a string or null"),
    ])
    func badCompletions(json: String, message: String) async throws {
        let t = try TestNode()
        try await t.test { client in
            let (status, body) = try await client.post("/api/v1/monitoring/completion", json: json)
            #expect(status == .badRequest)
            #expect(body == ["status": .string("error"), "message": .string(message)])
        }
        #expect(t.node.executions.counts.total == 0)
    }

    @Test func registrationThenListing() async throws {
        let t = try TestNode()
        try await t.test { client in
            let (s1, b1) = try await client.post("/api/v1/executions", json: #"{"execution_id":"\#(id)","container_id":"c1","started_at":1700000000}"#)
            #expect(s1 == .created)
            #expect(b1["registered"] == .bool(true))
            let (s2, _) = try await client.post("/api/v1/executions", json: #"{"execution_id":"\#(id)"}"#)
            #expect(s2 == .ok)
            let (_, record) = try await client.get("/api/v1/executions/\(id)")
            #expect(record["last_heartbeat"] == .null)
            #expect(record["registered_at"] == .string("2023-11-15T06:13:20.000+08:00"))
            #expect(record["status"] == .string("running"))
        }
    }

    @Test func executionViewShowsTimesInTheConfiguredZoneAndSkew() async throws {
        let t = try TestNode()
        try await t.test { client in
            _ = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat(["timestamp": "1699999998"]))
            t.clock.advance(seconds: 12.5)
            let (status, r) = try await client.get("/api/v1/executions/\(id.uppercased())")
            #expect(status == .ok)
            #expect(r["last_heartbeat"] == .string("2023-11-15T06:13:20.000+08:00"))
            #expect(r["last_heartbeat_ms"] == .int(1_700_000_000_000))
            #expect(r["heartbeat_age_s"] == .double(12.5))
            #expect(r["apparent_skew_ms"] == .int(2_000))
            // The age is the one the sweep judges by: a wall clock stepped back 5 minutes
            // changes the times shown, not the age.
            t.clock.stepWall(seconds: -300)
            let (_, stepped) = try await client.get("/api/v1/executions/\(id)")
            #expect(stepped["heartbeat_age_s"] == .double(12.5))
            #expect(r["strikes"] == .int(0))
            guard case .object(let progress)? = r["progress"] else { Issue.record("no progress"); return }
            #expect(progress["current_stage"] == .string("爬取中 (45/100)"))
        }
    }

    @Test func listingFiltersAndPages() async throws {
        let t = try TestNode()
        let ids = (0..<7).map { "00000000-0000-0000-0000-00000000000\($0)" }
        try await t.test { client in
            for id in ids { _ = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat(id: id)) }
            _ = try await client.post("/api/v1/monitoring/completion", json: #"{"execution_id":"\#(ids[3])","container_id":"c","success":true}"#)
            let (_, page1) = try await client.get("/api/v1/executions?limit=4")
            #expect(page1["count"] == .int(4))
            #expect(page1["next_after"] == .string(ids[3]))
            let (_, page2) = try await client.get("/api/v1/executions?limit=4&after=\(ids[3])")
            #expect(page2["count"] == .int(3))
            #expect(page2["next_after"] == .null)
            let (_, done) = try await client.get("/api/v1/executions?status=completed")
            guard case .array(let list)? = done["executions"] else { Issue.record("no list"); return }
            #expect(list.count == 1)
            for query in ["status=paused", "limit=0", "limit=abc", "limit=100000", "after=xyz"] {
                let (status, body) = try await client.get("/api/v1/executions?\(query)")
                #expect(status == .badRequest, "\(query)")
                #expect(body["status"] == .string("error"))
            }
        }
    }

    @Test func unknownExecutionIs404AndBadIdIs400() async throws {
        let t = try TestNode()
        try await t.test { client in
            let (s1, b1) = try await client.get("/api/v1/executions/\(id)")
            #expect(s1 == .notFound)
            #expect(b1["status"] == .string("error"))
            let (s2, b2) = try await client.get("/api/v1/executions/not-a-uuid")
            #expect(s2 == .badRequest)
            #expect(b2["message"] == .string("Invalid execution_id format"))
        }
    }

    @Test func unknownRouteIs404AndWrongMethodIs405() async throws {
        let t = try TestNode()
        try await t.test { client in
            let (s1, b1) = try await client.get("/api/v2/nothing")
            #expect(s1 == .notFound)
            #expect(b1 == ["status": .string("error"), "message": .string("No route for GET /api/v2/nothing")])
            let response = try await client.execute(uri: "/api/v1/monitoring/heartbeat", method: .get)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "POST")
            #expect(try parse(response.body)["status"] == .string("error"))
            try await client.execute(uri: "/health", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
            }
        }
    }

    @Test func healthEndpoints() async throws {
        let t = try TestNode()
        try await t.test { client in
            _ = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat())
            let (s1, h) = try await client.get("/health")
            #expect(s1 == .ok)
            #expect(h["status"] == .string("ok"))
            let (_, d) = try await client.get("/health/detailed")
            #expect(d["node_id"] == .string("n1"))
            #expect(d["executions"] == .object(["running": .int(1), "completed": .int(0), "failed": .int(0), "total": .int(1)]))
            let (s3, svc) = try await client.get("/health/service/main_service")
            #expect(s3 == .ok)
            #expect(svc["service"] == .string("main_service"))
            let (s4, unknown) = try await client.get("/health/service/redis")
            #expect(s4 == .notFound)
            #expect(unknown["status"] == .string("error"))
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "vigil_test 1\n")
            }
        }
    }

    /// `vigil sweep release`: durable, answered with the sweep status and the guard's fields.
    @Test func sweepReleaseAnswersTheSweepStatus() async throws {
        let t = try TestNode()
        try await t.test { client in
            let (status, body) = try await client.post("/admin/sweep/release", json: "")
            #expect(status == .ok)
            #expect(body["status"] == .string("ok"))
            #expect(body["held"] == .int(0))
            #expect(body["degraded"] == .null && body["mass_failure"] == .null)
            #expect(body["mass_failure_hold_s"] == .double(600))
            let (again, _) = try await client.get("/admin/heartbeat/status")
            #expect(again == .ok)
        }
    }
}
