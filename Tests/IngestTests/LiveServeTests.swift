import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilTestSupport
import CoordinatorCore

/// Runs the built `vigil serve` as a real process and talks to it over a real socket, the way
/// the seed 004 container does (a Python `requests` client).
@Suite(.serialized) struct LiveServeTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["VIGIL_BINARY"] { return URL(fileURLWithPath: path) }
        return repoRoot.appendingPathComponent(".build/debug/vigil")
    }

    static func writeConfig(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-live-\(UUID().uuidString).json")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func seedPythonClientWorksAgainstTheRealServer() async throws {
        let storePath = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-live-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: storePath) }
        let config = try Self.writeConfig(#"{"nodes":[{"id":"n1","http":"127.0.0.1:0","gossip":"127.0.0.1:0"}],"store":{"path":"\#(storePath)"}}"#)
        defer { try? FileManager.default.removeItem(at: config) }
        let server = try RunningServer(binary: Self.binary, arguments: ["serve", "--config", config.path, "--node", "n1"])
        defer { server.stop() }
        let base = try await server.waitForURL(timeout: .seconds(30))

        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["python3", Self.repoRoot.appendingPathComponent("Tests/live/seed_client.py").path, base]
        let errors = Pipe()
        client.standardError = errors
        try client.run()
        client.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(client.terminationStatus == 0, "seed client: \(stderr)")

        // SIGTERM shuts the node down gracefully, with exit status 0.
        let status = try await server.terminate(timeout: .seconds(10))
        #expect(status == 0)

        // What it acknowledged is in the store: a restarted node serves it.
        let again = try RunningServer(binary: Self.binary, arguments: ["serve", "--config", config.path, "--node", "n1"])
        defer { again.stop() }
        let url = try await again.waitForURL(timeout: .seconds(30))
        let (data, _) = try await URLSession.shared.data(from: URL(string: url + "/health/detailed")!)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""completed":1"#) && text.contains(#""failed":1"#), "\(text)")
        _ = try await again.terminate(timeout: .seconds(10))
    }

    /// A one-node cluster with short timings (timeout 1 s, checks every 0.25 s): a heartbeat
    /// that is never followed up is marked FAILED by the real process within timeout + 3 checks.
    @Test func silentExecutionIsMarkedFailedByARealNode() async throws {
        let storePath = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-live-sweep-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: storePath) }
        let config = try Self.writeConfig(#"{"nodes":[{"id":"n1","http":"127.0.0.1:0","gossip":"127.0.0.1:0"}],"store":{"path":"\#(storePath)"},"executions":{"heartbeat_timeout_s":1,"check_interval_s":0.25}}"#)
        defer { try? FileManager.default.removeItem(at: config) }
        let server = try RunningServer(binary: Self.binary, arguments: ["serve", "--config", config.path, "--node", "n1"])
        defer { server.stop() }
        let base = try await server.waitForURL(timeout: .seconds(30))
        let id = UUID().uuidString.lowercased()
        var request = URLRequest(url: URL(string: base + "/api/v1/monitoring/heartbeat")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"execution_id":"\#(id)","container_id":"c","timestamp":\#(Int(Date().timeIntervalSince1970))}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let sent = ContinuousClock.now
        var status = ""
        var reason = ""
        while ContinuousClock.now - sent < .seconds(6) {
            try await Task.sleep(for: .milliseconds(100))
            let (data, _) = try await URLSession.shared.data(from: URL(string: base + "/api/v1/executions/" + id)!)
            let text = String(decoding: data, as: UTF8.self)
            if text.contains(#""status":"failed""#) {
                status = "failed"
                reason = text
                break
            }
        }
        let latency = ContinuousClock.now - sent
        #expect(status == "failed", "not marked within 6 s")
        #expect(reason.contains("Heartbeat timed out 3 consecutive checks"))
        // never before timeout + 2 intervals (1.5 s); the upper bound leaves room for a loaded CI machine
        #expect(latency > .milliseconds(1_400) && latency < .seconds(4), "latency \(latency)")
        _ = try await server.terminate(timeout: .seconds(10))
    }

    @Test func invalidConfigExitsWithCode2AndOneLineNamingTheKey() async throws {
        let config = try Self.writeConfig(#"{"nodes":[{"id":"n1","http":"127.0.0.1:0","gossip":"127.0.0.1:0"}],"executions":{"max_strikes":"three"}}"#)
        defer { try? FileManager.default.removeItem(at: config) }
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--config", config.path, "--node", "n1"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 2)
        let lines = stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(stderr)")
        #expect(stderr.contains("executions.max_strikes"))
    }
}
