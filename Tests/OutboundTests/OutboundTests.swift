import Coordinator
import Foundation
import Outbound
import Testing

/// Signing per the Standard Webhooks specification, and running command channels.
@Suite struct OutboundTests {
    @Test func signaturesMatchTheSpecificationsExample() throws {
        // The example of the Standard Webhooks specification (also what the Python library signs).
        let secret = try #require(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let headers = WebhookSignature.headers(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8), secret: secret)
        #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers[2].value == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil, "the whsec_ prefix is required")
        #expect(WebhookSecret("whsec_c2hvcnQ=") == nil, "too short a key")
    }

    @Test func aCommandGetsTheEventOnStdinAndItsExitStatusCounts() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("events.jsonl").path
        let runner = CommandRunner()
        let ok = try await runner.run(["/bin/sh", "-c", #"cat >> "$0"; echo >> "$0"; echo appended"#, out], input: Array(#"{"event":"execution.failed"}"#.utf8), timeout: .seconds(10))
        #expect(ok.succeeded)
        #expect(ok.outputTail == "appended\n")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "{\"event\":\"execution.failed\"}\n")
        let failed = try await runner.run(["/bin/sh", "-c", "echo no mail server >&2; exit 3"], input: [], timeout: .seconds(10))
        #expect(!failed.succeeded)
        #expect(failed.exitCode == 3)
        #expect(failed.description == "exited with status 3: no mail server")
        let started = ContinuousClock.now
        let slow = try await runner.run(["sleep", "30"], input: [], timeout: .milliseconds(300))
        #expect(slow.timedOut)
        #expect(!slow.succeeded)
        #expect(ContinuousClock.now - started < .seconds(10))
        await #expect(throws: (any Error).self) { try await runner.run(["/nonexistent/notify"], input: [], timeout: .seconds(1)) }
    }
}
