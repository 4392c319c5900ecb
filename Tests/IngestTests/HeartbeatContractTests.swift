import Coordinator
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import NIOCore
import Testing
import Foundation
import CoordinatorCore
import VigilJSON

@Suite struct HeartbeatContractTests {
    @Test(arguments: [false, true])
    func seedHeartbeatIsAcceptedInTheSeedShape(live: Bool) async throws {
        let t = try TestNode()
        try await t.test(live: live) { client in
            let (status, body) = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat())
            #expect(status == .ok)
            #expect(body.members.map(\.key) == ["status", "timestamp", "execution_id"])
            #expect(body["status"] == .string("ok"))
            #expect(body["timestamp"] == .int(1_700_000_000))
            #expect(body["execution_id"] == .string("550e8400-e29b-41d4-a716-446655440000"))
        }
        let record = try #require(t.node.executions.record(ExecutionID("550e8400-e29b-41d4-a716-446655440000")!))
        #expect(record.containerID == "crawler-container-abc123")
        #expect(record.progress?.percentage == 45)
        #expect(record.clientTimestamp == 1_640_995_200)
    }

    @Test func minimalHeartbeatWithOnlyRequiredFields() async throws {
        let t = try TestNode()
        try await t.test { client in
            let json = #"{"execution_id":"550e8400-e29b-41d4-a716-446655440000","container_id":"c","timestamp":1640995200}"#
            let (status, _) = try await client.post("/api/v1/monitoring/heartbeat", json: json, contentType: "application/json; charset=utf-8")
            #expect(status == .ok)
        }
    }

    /// Every bad input: a 4xx in the seed's error shape, and no state change; through the
    /// Hummingbird router and through the live server's fast path alike.
    @Test(arguments: [false, true], [
        (seedHeartbeat(id: "test"), HTTPResponse.Status.badRequest, "Invalid execution_id format"),
        (seedHeartbeat(["execution_id": "42"]), .badRequest, "Invalid execution_id format"),
        (seedHeartbeat(["execution_id": "<omit>"]), .badRequest, "execution_id is required"),
        (seedHeartbeat(["container_id": "<omit>"]), .badRequest, "container_id is required"),
        (seedHeartbeat(["container_id": "\"\""]), .badRequest, "container_id must be a non-empty string"),
        (seedHeartbeat(["container_id": "7"]), .badRequest, "container_id must be a non-empty string"),
        (seedHeartbeat(["timestamp": "<omit>"]), .badRequest, "timestamp is required (integer Unix seconds)"),
        (seedHeartbeat(["timestamp": "\"1640995200\""]), .badRequest, "timestamp must be an integer (Unix seconds), got a string"),
        (seedHeartbeat(["timestamp": "1640995200.5"]), .badRequest, "timestamp must be an integer (Unix seconds), got a number"),
        (seedHeartbeat(["timestamp": "-5"]), .badRequest, "timestamp -5 is out of range; expected Unix seconds between 2000-01-01 and 2100-01-01"),
        (seedHeartbeat(["timestamp": "99999999999999999"]), .badRequest, "timestamp 99999999999999999 is out of range; expected Unix seconds between 2000-01-01 and 2100-01-01"),
        (seedHeartbeat(["timestamp": "1640995200000"]), .badRequest, "timestamp 1640995200000 looks like milliseconds; send whole Unix seconds"),
        (seedHeartbeat(["status": "\"paused\""]), .badRequest, "status must be one of running, completed, failed"),
        (seedHeartbeat(["status": "1"]), .badRequest, "status must be one of running, completed, failed"),
        (seedHeartbeat(["progress": "[1]"]), .badRequest, "progress must be an object, got an array"),
        (seedHeartbeat(["progress": #"{"percentage":"45%"}"#]), .badRequest, "progress.percentage must be a number from 0 to 100"),
        (seedHeartbeat(["progress": #"{"total_urls":-1}"#]), .badRequest, "progress.total_urls must be a non-negative integer, got an integer"),
        ("{\"execution_id\":", .badRequest, "Malformed JSON: unexpected end of input; expected a value (at byte 16)"),
        ("[]", .badRequest, "Request body must be a JSON object, got an array"),
        ("", .badRequest, "Malformed JSON: the body is empty; expected a JSON value (at byte 0)"),
    ])
    func badInputIsRejectedClearly(live: Bool, input: (String, HTTPResponse.Status, String)) async throws {
        let (json, status, message) = input
        let t = try TestNode()
        try await t.test(live: live) { client in
            let (got, body) = try await client.post("/api/v1/monitoring/heartbeat", json: json)
            #expect(got == status)
            #expect(body == ["status": .string("error"), "message": .string(message)])
        }
        #expect(t.node.executions.counts.total == 0)
    }

    @Test func oversizedProgressIsRejected() async throws {
        let t = try TestNode()
        let big = "{\"blob\":\"" + String(repeating: "x", count: 5_000) + "\"}"
        try await t.test { client in
            let (status, body) = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat(["progress": big]))
            #expect(status == .badRequest)
            guard case .string(let message)? = body["message"] else { Issue.record("no message"); return }
            #expect(message.hasPrefix("progress is too large"))
        }
        #expect(t.node.executions.counts.total == 0)
    }

    @Test(arguments: [false, true])
    func wrongContentTypeIs415(live: Bool) async throws {
        let t = try TestNode()
        try await t.test(live: live) { client in
            let (status, body) = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat(), contentType: "application/x-www-form-urlencoded")
            #expect(status == .unsupportedMediaType)
            #expect(body["status"] == .string("error"))
        }
        #expect(t.node.executions.counts.total == 0)
    }

    @Test(arguments: [false, true])
    func bodyOverTheLimitIs413(live: Bool) async throws {
        let t = try TestNode(maxBodyBytes: 1024)
        try await t.test(live: live) { client in
            let padding = String(repeating: "y", count: 2_000)
            let (status, body) = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat(["pad": "\"\(padding)\""]))
            #expect(status == .contentTooLarge)
            #expect(body["message"] == .string("Request body of \(seedHeartbeat(["pad": "\"\(padding)\""]).utf8.count) bytes exceeds the limit of 1024 bytes (http.max_body_bytes)"))
        }
        #expect(t.node.executions.counts.total == 0)
    }

    @Test(arguments: [false, true])
    func heartbeatAfterCompletionIs409AndChangesNothing(live: Bool) async throws {
        let t = try TestNode()
        try await t.test(live: live) { client in
            _ = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat())
            let completion = #"{"execution_id":"550e8400-e29b-41d4-a716-446655440000","container_id":"c","success":true,"result_data":{"processed_records":1000},"error_message":null}"#
            let (s1, b1) = try await client.post("/api/v1/monitoring/completion", json: completion)
            #expect(s1 == .ok)
            #expect(b1["execution_status"] == .string("completed"))
            let (s2, b2) = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat())
            #expect(s2 == .conflict)
            #expect(b2["message"] == .string("Execution 550e8400-e29b-41d4-a716-446655440000 is already completed; heartbeat ignored"))
            // Repeat of the same outcome: idempotent.
            let (s3, b3) = try await client.post("/api/v1/monitoring/completion", json: completion)
            #expect(s3 == .ok)
            #expect(b3["duplicate"] == .bool(true))
            // Conflicting outcome.
            let failure = #"{"execution_id":"550e8400-e29b-41d4-a716-446655440000","container_id":"c","success":false,"error_message":"boom"}"#
            let (s4, b4) = try await client.post("/api/v1/monitoring/completion", json: failure)
            #expect(s4 == .conflict)
            #expect(b4["status"] == .string("error"))
        }
        let record = try #require(t.node.executions.record(ExecutionID("550e8400-e29b-41d4-a716-446655440000")!))
        #expect(record.status == .completed)
        #expect(record.heartbeatCount == 1)
    }
}

@Suite struct FastPathTests {
    /// Requests the fast path does not take (here `Connection: close`) reach Hummingbird's route
    /// and get the same answer.
    @Test func ineligibleHeartbeatsFallBackToTheRouter() async throws {
        let t = try TestNode()
        try await t.test(live: true) { client in
            let response = try await client.execute(
                uri: "/api/v1/monitoring/heartbeat", method: .post,
                headers: [.contentType: "application/json", .connection: "close"], body: ByteBuffer(string: seedHeartbeat())
            )
            #expect(response.status == .ok)
            #expect(try parse(response.body)["status"] == .string("ok"))
        }
        #expect(t.node.executions.counts.running == 1)
    }

    /// Many heartbeats over one keep-alive connection, interleaved with routed requests.
    @Test func keepAliveMixOfFastAndRoutedRequests() async throws {
        let t = try TestNode()
        try await t.test(live: true) { client in
            for i in 0..<50 {
                let id = String(format: "00000000-0000-4000-8000-%012d", i)
                let (status, body) = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat(id: id))
                #expect(status == .ok)
                #expect(body["execution_id"] == .string(id))
                let (getStatus, record) = try await client.get("/api/v1/executions/\(id)")
                #expect(getStatus == .ok)
                #expect(record["heartbeat_count"] == .int(1))
            }
        }
        #expect(t.node.executions.counts.running == 50)
    }
}
