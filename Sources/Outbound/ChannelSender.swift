import AsyncHTTPClient
import Coordinator
import CoordinatorCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Delivers notification attempts to the configured channels: webhooks through one shared
/// AsyncHTTPClient (pooled connections, no redirects, a timeout per request, response bodies
/// capped) and command channels through ``CommandRunner``.
public final class ChannelSender: NotificationSender {
    private let channels: [String: ChannelSettings]
    private let secrets: [String: WebhookSecret]
    private let body: NotificationBody
    private let client: HTTPClient
    private let runner = CommandRunner()
    private let wallClock: @Sendable () -> Int64
    /// PostgresNIO's own log lines (debug and trace only) are not wanted in the node's log.
    private let postgresLogger = Logger(label: "vigil.notify.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Response bytes read at most (for the error message); the rest is discarded.
    static let responseCap = 4_096

    /// - Parameter wallClock: Unix ms now (the `webhook-timestamp`).
    public init(settings: NotificationSettings, body: NotificationBody, wallClock: @escaping @Sendable () -> Int64) {
        var channels: [String: ChannelSettings] = [:]
        var secrets: [String: WebhookSecret] = [:]
        for channel in settings.channels {
            channels[channel.name] = channel
            if case .webhook(_, let secret) = channel.kind { secrets[channel.name] = WebhookSecret(secret) }
        }
        self.channels = channels
        self.secrets = secrets
        self.body = body
        self.wallClock = wallClock
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, settings.maxInFlight))
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func deliver(_ attempt: NotificationAttempt) async -> DeliveryResult {
        guard let channel = channels[attempt.target.channel] else { return .failed("no channel named \(attempt.target.channel) is configured on this node") }
        switch channel.kind {
        case .webhook(let url, _):
            guard let secret = secrets[channel.name] else { return .failed("the channel's secret is not a whsec_ secret") }
            return await post(attempt, to: url, secret: secret, channel: channel)
        case .postgres(let dsn, let statement):
            let channel = PostgresChannel(dsn: dsn, statement: statement, timeout: channel.timeout, logger: postgresLogger)
            return await channel.deliver(body.json(attempt))
        case .command(let argv):
            do {
                let outcome = try await runner.run(argv, input: body.body(attempt, format: .json), timeout: channel.timeout)
                return outcome.succeeded ? .delivered : .failed("command \(argv[0]) \(outcome.description)")
            } catch {
                return .failed("command \(argv[0]) could not be started: \(error)")
            }
        }
    }

    private func post(_ attempt: NotificationAttempt, to url: String, secret: WebhookSecret, channel: ChannelSettings) async -> DeliveryResult {
        let payload = body.body(attempt, format: channel.format)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: channel.format == .text ? "text/plain; charset=utf-8" : "application/json")
        request.headers.add(name: "user-agent", value: "vigil-notifier")
        for header in WebhookSignature.headers(id: attempt.event.key, timestamp: wallClock() / 1000, body: payload, secret: secret) {
            request.headers.add(name: header.name, value: header.value)
        }
        request.body = .bytes(ByteBuffer(bytes: payload))
        do {
            let response = try await client.execute(request, timeout: TimeAmount(channel.timeout))
            var collected = ByteBuffer()
            for try await var part in response.body {
                if collected.readableBytes < Self.responseCap {
                    var slice = part.readSlice(length: min(part.readableBytes, Self.responseCap - collected.readableBytes)) ?? ByteBuffer()
                    collected.writeBuffer(&slice)
                }
            }
            if (200..<300).contains(response.status.code) { return .delivered }
            let text = String(buffer: collected).trimmingCharacters(in: .whitespacesAndNewlines)
            return .failed("HTTP \(response.status.code)\(text.isEmpty ? "" : ": " + String(text.prefix(200)))")
        } catch {
            return .failed("\(error)")
        }
    }

    /// Closes the pooled connections.
    public func shutdown() async {
        try? await client.shutdown()
    }
}
