import AsyncHTTPClient
import Coordinator
import CoordinatorCore
import Foundation
import NIOCore
import NIOHTTP1

/// Seed 002's probes and repairs: a GET of the service's URL through a pooled AsyncHTTPClient
/// (the service's timeout bounds connect and answer, so a service that accepts and never
/// answers is a failure after `timeout_s` and holds up no other probe), and a repair that runs
/// a command (``CommandRunner``: argv, or one shell line when asked; its exit status and
/// output tail kept) and/or POSTs a webhook (signed when a secret is set).
public final class HTTPServiceProber: ServiceProbing {
    private let client: HTTPClient
    private let runner = CommandRunner()
    private let wallClock: @Sendable () -> Int64
    /// Body bytes read for the health check at most.
    static let bodyCap = 65_536

    public init(wallClock: @escaping @Sendable () -> Int64) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.wallClock = wallClock
    }

    public func probe(_ service: ServiceSettings) async -> ProbeResult {
        let started = ContinuousClock.now
        func elapsedMs() -> Int64 {
            let d = (ContinuousClock.now - started).components
            return d.seconds * 1000 + d.attoseconds / 1_000_000_000_000_000
        }
        var request = HTTPClientRequest(url: service.url)
        request.headers.add(name: "user-agent", value: "vigil-prober")
        let timeout = TimeAmount(service.timing.timeout)
        do {
            let response = try await client.execute(request, timeout: timeout)
            var body: [UInt8] = []
            for try await part in response.body where body.count < Self.bodyCap {
                body += part.readableBytesView.prefix(Self.bodyCap - body.count)
            }
            let verdict = service.health.evaluate(status: Int(response.status.code), body: body)
            return ProbeResult(healthy: verdict.healthy, latencyMs: elapsedMs(), detail: verdict.detail)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return ProbeResult(healthy: false, latencyMs: elapsedMs(), detail: "timed out after \(ConfigurationLoader.secondsText(service.timing.timeout)) s")
        } catch {
            return ProbeResult(healthy: false, latencyMs: elapsedMs(), detail: Self.describe(error))
        }
    }

    public func repair(_ service: ServiceSettings, number: UInt64) async -> (succeeded: Bool, detail: String) {
        guard let repair = service.repair else { return (false, "no repair configured") }
        var parts: [String] = []
        var succeeded = true
        if let command = repair.command {
            let argv = repair.shell ? ["/bin/sh", "-c", command[0]] : command
            do {
                let outcome = try await runner.run(argv, input: [], timeout: repair.timeout)
                succeeded = succeeded && outcome.succeeded
                parts.append("command \(outcome.description)")
            } catch {
                succeeded = false
                parts.append("command \(argv[0]) could not be started: \(error)")
            }
        }
        if let url = repair.webhookURL {
            let body = Array(#"{"event":"service.repair","service":"\#(service.name)","repair":\#(number),"url":"\#(service.url)"}"#.utf8)
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            if let secret = repair.webhookSecret.flatMap(WebhookSecret.init) {
                for header in WebhookSignature.headers(id: "service.repair:\(service.name):\(number)", timestamp: wallClock() / 1000, body: body, secret: secret) {
                    request.headers.add(name: header.name, value: header.value)
                }
            }
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await client.execute(request, timeout: TimeAmount(repair.timeout))
                for try await _ in response.body {}
                let ok = (200..<300).contains(Int(response.status.code))
                succeeded = succeeded && ok
                parts.append("webhook HTTP \(response.status.code)")
            } catch {
                succeeded = false
                parts.append("webhook failed: \(Self.describe(error))")
            }
        }
        return (succeeded, succeeded && parts.count == 1 && repair.command != nil ? "ok: " + parts[0] : parts.joined(separator: "; "))
    }

    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text.count > 200 ? String(text.prefix(200)) : text
    }

    /// Closes the pooled connections.
    public func shutdown() async {
        try? await client.shutdown()
    }
}
