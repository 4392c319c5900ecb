import VigilTestSupport
import Coordinator
import CoordinatorCore
import Foundation
import Gossip
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Outbound
import Store
import Synchronization

/// How fast one leader drains its outbox into a local webhook receiver: COUNT completions made
/// durable in a real store, then the deliveries (signed, pooled AsyncHTTPClient connections) and
/// their durable acknowledgements. Prints deliveries per second and the delivery latency
/// (completion durable → receiver got it) percentiles.
enum NotifyBenchmark {
    static func run(directory: String, count: Int) async throws {
        let receiver = try CountingReceiver.start()
        var config = VigilConfiguration(nodes: [NodeAddress(id: "n1", http: HostPort("127.0.0.1:0")!, gossip: HostPort("127.0.0.1:0")!)])
        config.store.path = directory
        var channel = ChannelSettings(
            name: "bench", kind: .webhook(url: "http://127.0.0.1:\(receiver.port)/hook", secret: "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()),
            events: [EventPattern("execution.completed")!]
        )
        channel.timeout = .seconds(10)
        config.notifications = NotificationSettings(channels: [channel])
        config.notifications.maxInFlight = 64
        let store = try FileStore(root: directory, node: "n1")
        defer { store.close() }
        let sender = ChannelSender(settings: config.notifications, body: NotificationBody(timestamps: .utc, sender: "n1"), wallClock: WallClock.unixMs)
        var logger = Logger(label: "vigil-bench")
        logger.logLevel = .warning
        let node = try CoordinatorNode(id: "n1", configuration: config, store: store, notifier: sender, logger: logger)
        try await whileRunning(node.driver.run) {
        // Lead first (term durable, store read), so deliveries start as completions land.
        await node.tick(alive: ["n1"], synced: true)
        await node.apply(stored: [], readStartedAt: node.now().judge)
        await node.tick(alive: ["n1"], synced: true)
        let started = ContinuousClock.now
        let durableAt = CountingReceiver.Times()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var i = worker
                    while i < count {
                        let id = ExecutionID(high: 77, low: UInt64(i) + 1)
                        _ = try? await node.receive(Completion(executionID: id, containerID: "bench-\(i)", success: true), nowMs: WallClock.unixMs())
                        let now = WallClock.unixMs()
                        durableAt.value.withLock { $0[NotificationEvent.key(.executionCompleted, execution: id)] = now }
                        i += 16
                    }
                }
            }
            group.addTask {
                while receiver.received < count, ContinuousClock.now - started < .seconds(300) {
                    await node.tick(alive: ["n1"], synced: true)
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
        }
        let deliveredAt = ContinuousClock.now
        while node.notifications.pending.count > 0, ContinuousClock.now - started < .seconds(330) {
            await node.tick(alive: ["n1"], synced: true)
            try? await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = (deliveredAt - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let latencies = durableAt.value.withLock { durable in receiver.arrivals.compactMap { id, at in durable[id].map { at - $0 } } }.sorted()
        func pct(_ p: Double) -> Int64 { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        print("notify: deliveries \(receiver.received) of \(count) in \(String(format: "%.2f", seconds)) s = \(Int(Double(receiver.received) / seconds)) per s (completions, deliveries and acknowledgements concurrent)")
        print("notify: acknowledged_pending_left \(node.notifications.pending.count) duplicate_keys \(receiver.duplicates) bad_signatures 0-unchecked")
        print("notify: completion durable -> receiver got it, ms: p50 \(pct(0.5)) p99 \(pct(0.99)) max \(latencies.last ?? 0) (under full load)")
        // Paced: 2,000 completions at 500 per second, each timed from durable to received.
        let paced = 2_000
        let pacedStart = ContinuousClock.now
        let before = receiver.received
        let ticker = Task {
            while !Task.isCancelled {
                await node.tick(alive: ["n1"], synced: true)
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        let pacedTimes = CountingReceiver.Times()
        for i in 0..<paced {
            let id = ExecutionID(high: 78, low: UInt64(i) + 1)
            _ = try? await node.receive(Completion(executionID: id, containerID: "paced-\(i)", success: true), nowMs: WallClock.unixMs())
            let now = WallClock.unixMs()
            pacedTimes.value.withLock { $0[NotificationEvent.key(.executionCompleted, execution: id)] = now }
            try? await Task.sleep(until: pacedStart + .milliseconds(2 * (i + 1)))
        }
        while receiver.received < before + paced, ContinuousClock.now - pacedStart < .seconds(60) { try? await Task.sleep(for: .milliseconds(20)) }
        ticker.cancel()
        let pacedLatencies = pacedTimes.value.withLock { durable in receiver.arrivals.compactMap { id, at in durable[id].map { at - $0 } } }.sorted()
        if !pacedLatencies.isEmpty {
            print("notify: paced 500/s: \(pacedLatencies.count) delivered, completion durable -> receiver got it, ms: p50 \(pacedLatencies[pacedLatencies.count / 2]) p99 \(pacedLatencies[pacedLatencies.count * 99 / 100]) max \(pacedLatencies.last!)")
        }
        await sender.shutdown()
        try await receiver.stop()
        }
    }
}

/// A local webhook receiver on an ephemeral loopback port: answers 204 to every POST and counts
/// them, noting the wall time each arrived and the `webhook-id` it carried.
final class CountingReceiver: Sendable {
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let state = Mutex<(ids: [String: Int], arrivals: [String: Int64])>(([:], [:]))

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup) {
        self.port = port
        self.channel = channel
        self.group = group
    }

    static func start() throws -> CountingReceiver {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = Box()
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(Handler(box: box)) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        let receiver = CountingReceiver(port: channel.localAddress!.port!, channel: channel, group: group)
        box.receiver.withLock { $0 = receiver }
        return receiver
    }

    var received: Int { state.withLock { $0.arrivals.count } }
    /// Requests answered, however many per id.
    var total: Int { state.withLock { $0.ids.values.reduce(0, +) } }
    var duplicates: Int { state.withLock { $0.ids.values.filter { $0 > 1 }.count } }
    /// First arrival (wall ms) per `webhook-id`.
    var arrivals: [String: Int64] { state.withLock { $0.arrivals } }

    func note(id: String) {
        let now = WallClock.unixMs()
        state.withLock {
            $0.ids[id, default: 0] += 1
            if $0.arrivals[id] == nil { $0.arrivals[id] = now }
        }
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    /// Wall ms per key (a class: a Mutex cannot be captured by the tasks).
    final class Times: Sendable {
        let value = Mutex<[String: Int64]>([:])
    }

    final class Box: Sendable {
        let receiver = Mutex<CountingReceiver?>(nil)
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let box: Box
        var id = ""
        init(box: Box) { self.box = box }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                id = head.headers.first(name: "webhook-id") ?? ""
            case .body:
                break
            case .end:
                box.receiver.withLock { $0?.note(id: id) }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "0")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .noContent, headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
