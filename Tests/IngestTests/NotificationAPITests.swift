import Coordinator
import CoordinatorCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import NIOCore
import Synchronization
import Testing
import VigilJSON

/// `GET /api/v1/notifications` and `POST /admin/notifications/test` in process, with a sender
/// that records what it is asked to deliver.
@Suite struct NotificationAPITests {
    let id = "550e8400-e29b-41d4-a716-446655440000"

    final class RecordingSender: NotificationSender {
        let attempts = Mutex<[NotificationAttempt]>([])
        func deliver(_ attempt: NotificationAttempt) async -> DeliveryResult {
            attempts.withLock { $0.append(attempt) }
            return attempt.target.channel == "broken" ? .failed("HTTP 502: bad gateway") : .delivered
        }
    }

    static func settings() -> NotificationSettings {
        let secret = "whsec_" + Data(repeating: 1, count: 32).base64EncodedString()
        return NotificationSettings(channels: [
            ChannelSettings(name: "hook", kind: .webhook(url: "http://127.0.0.1:9/hook", secret: secret), events: [EventPattern("execution.*")!]),
            ChannelSettings(name: "broken", kind: .command(argv: ["/bin/false"]), events: [EventPattern("execution.completed")!]),
        ])
    }

    @Test func theOutboxIsListedPendingThenDeliveredWithAttemptsAndErrors() async throws {
        let sender = RecordingSender()
        let t = try TestNode(notifications: Self.settings(), notifier: sender)
        try await t.test { client in
            let completion = #"{"execution_id":"\#(id)","container_id":"crawler-1","success":true,"result_data":{"rows":1}}"#
            #expect(try await client.post("/api/v1/monitoring/completion", json: completion).0 == .ok)
            // Not leading yet: owed, not sent.
            var (status, list) = try await client.get("/api/v1/notifications?state=pending")
            #expect(status == .ok)
            #expect(list["delivering"] == .bool(false))
            #expect(list["pending"] == .int(2))
            let first = list["notifications"]?.arrayValue.first
            #expect(first?["key"] == .string("execution.completed:\(id)"))
            #expect(first?["state"] == .string("pending"))
            // Leading, term durable, store read: it sends.
            await t.node.tick(alive: ["n1"], synced: true)
            await t.node.apply(stored: [], readStartedAt: t.node.now().judge)
            await t.node.tick(alive: ["n1"], synced: true)
            for _ in 0..<100 where t.node.notifications.finished.isEmpty || t.node.notifications.pending.first?.attempts == 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            (status, list) = try await client.get("/api/v1/notifications")
            #expect(list["delivering"] == .bool(true))
            let items = list["notifications"]?.arrayValue ?? []
            let delivered = items.first { $0["state"] == .string("delivered") }
            #expect(delivered?["channel"] == .string("hook"))
            #expect(delivered?["attempts"] == .int(1))
            let retrying = items.first { $0["state"] == .string("pending") }
            #expect(retrying?["channel"] == .string("broken"))
            #expect(retrying?["last_error"] == .string("HTTP 502: bad gateway"))
            (status, list) = try await client.get("/api/v1/notifications?state=undeliverable")
            #expect(list["notifications"]?.arrayValue.isEmpty == true)
        }
        let sent = sender.attempts.withLock { $0 }
        #expect(sent.first { $0.target.channel == "hook" }?.execution?.containerID == "crawler-1")
    }

    @Test(arguments: ["/api/v1/notifications?state=late", "/api/v1/notifications?limit=0", "/api/v1/notifications?limit=x"])
    func badQueriesAre400(uri: String) async throws {
        let t = try TestNode(notifications: Self.settings())
        try await t.test { client in
            let (status, json) = try await client.get(uri)
            #expect(status == .badRequest)
            #expect(json["status"] == .string("error"))
        }
    }

    @Test func aTestSendGoesToTheNamedChannelOnlyAndSaysHowItWent() async throws {
        let sender = RecordingSender()
        let t = try TestNode(notifications: Self.settings(), notifier: sender)
        try await t.test { client in
            var (status, json) = try await client.post("/admin/notifications/test", json: #"{"channel":"hook"}"#)
            #expect(status == .ok)
            #expect(json["delivered"] == .bool(true))
            (status, json) = try await client.post("/admin/notifications/test", json: #"{"channel":"broken"}"#)
            #expect(status == .ok)
            #expect(json["delivered"] == .bool(false))
            #expect(json["error"] == .string("HTTP 502: bad gateway"))
            (status, json) = try await client.post("/admin/notifications/test", json: #"{"channel":"nope"}"#)
            #expect(status == .notFound)
            #expect(json["message"].map { "\($0)".contains("hook, broken") } == true)
            (status, _) = try await client.post("/admin/notifications/test", json: #"{}"#)
            #expect(status == .badRequest)
        }
        let sent = sender.attempts.withLock { $0 }
        #expect(sent.map(\.event.kind) == [.notificationTest, .notificationTest])
        #expect(t.node.notifications.pending.isEmpty, "a test send records nothing")
    }
}
