import VigilTestSupport
import Coordinator
import CoordinatorCore
import Foundation
import Gossip
import Logging
import MetricsTestKit
import Outbound

/// How many probes per second one leader sustains: COUNT services, each probed every second
/// over HTTP (pooled AsyncHTTPClient) against a local server, for SECONDS seconds; prints
/// probes per second and how late probes started against their schedule.
enum ProbeBenchmark {
    static func run(count: Int, seconds: Int) async throws {
        let receiver = try CountingReceiver.start()
        var config = VigilConfiguration(nodes: [NodeAddress(id: "n1", http: HostPort("127.0.0.1:0")!, gossip: HostPort("127.0.0.1:0")!)])
        config.probes.watchNodes = false
        var timing = ServiceSettings.Timing()
        timing.interval = .seconds(1)
        timing.timeout = .seconds(2)
        config.probes.services = (0..<count).map { ServiceSettings(name: "s\($0)", url: "http://127.0.0.1:\(receiver.port)/s\($0)", timing: timing) }
        let metrics = TestMetrics()
        let prober = HTTPServiceProber(wallClock: WallClock.unixMs)
        var logger = Logger(label: "vigil-bench")
        logger.logLevel = .warning
        let node = try CoordinatorNode(id: "n1", configuration: config, serviceProber: prober, logger: logger, metricsFactory: metrics)
        try await whileRunning(node.driver.run) {
        await node.tick(alive: ["n1"], synced: true)
        await node.apply(stored: [], readStartedAt: node.now().judge)
        await node.tick(alive: ["n1"], synced: true)
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(seconds) {
            let wait = node.probeStep().map { max(1, min(250, $0.ms - node.now().judge.ms)) } ?? 250
            try await Task.sleep(for: .milliseconds(wait))
        }
        let probes = receiver.total
        let late = ((try? metrics.expectTimer("vigil_probe_lateness_seconds").values) ?? []).map { $0 / 1_000_000 }.sorted()
        // The first round starts each service at its spread offset: count from the second second on.
        let overTenPercent = late.filter { $0 > 100 }.count
        func pct(_ p: Double) -> Int64 { late.isEmpty ? 0 : late[min(late.count - 1, Int(Double(late.count) * p))] }
        print("probes: services \(count) interval 1 s for \(seconds) s: \(probes) probes = \(probes / max(1, seconds)) per s (target \(count) per s)")
        print("probes: start lateness ms p50 \(pct(0.5)) p99 \(pct(0.99)) max \(late.last ?? 0); later than 10% of the interval: \(overTenPercent) of \(late.count)")
        await prober.shutdown()
        try await receiver.stop()
        }
    }
}
