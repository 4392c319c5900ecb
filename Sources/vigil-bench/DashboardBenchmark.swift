import VigilTestSupport
import Coordinator
import CoordinatorCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Gossip
import Hummingbird
import Ingest
import Logging

/// The dashboard with COUNT executions in a node's view: medians of 9 requests each for the
/// page, its data, a container search and the LATE filter, over real HTTP on loopback.
enum DashboardBenchmark {
    static func run(count: Int) async throws {
        var config = VigilConfiguration(nodes: [NodeAddress(id: "n1", http: HostPort("127.0.0.1:0")!, gossip: HostPort("127.0.0.1:0")!)])
        config.probes.enabled = false
        var logger = Logger(label: "vigil-bench")
        logger.logLevel = .warning
        let node = try CoordinatorNode(id: "n1", configuration: config, logger: logger)
        try await whileRunning(node.driver.run) {
        let now = WallClock.unixMs()
        for i in 0..<count {
            let heartbeat = Heartbeat(
                executionID: ExecutionID(high: UInt64(i) &* 0x9E37_79B9_7F4A_7C15, low: UInt64(i)), containerID: "crawler-\(i)",
                clientTimestamp: now / 1000, progress: MemoryBenchmark.seedProgress(i)
            )
            _ = try await node.receive(heartbeat, nowMs: now)
        }
        let port = Int.random(in: 20_000...60_000)
        let app = IngestServer(node: node, logger: logger).application(bind: HostPort(host: "127.0.0.1", port: UInt16(port)))
        let server = Task { try await app.runService() }
        try await Task.sleep(for: .milliseconds(500))
        for (name, path) in [
            ("page /", "/"), ("data", "/api/v1/dashboard"), ("search container", "/api/v1/dashboard?q=crawler-999999"),
            ("search id prefix", "/api/v1/dashboard?q=0000"), ("filter LATE", "/api/v1/dashboard?status=late"), ("badge", "/badge/cluster.svg"),
        ] {
            var times: [Double] = []
            var bytes = 0
            for _ in 0..<9 {
                let started = ContinuousClock.now
                let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
                let d = (ContinuousClock.now - started).components
                times.append(Double(d.seconds) * 1000 + Double(d.attoseconds) / 1e15)
                bytes = data.count
            }
            times.sort()
            print("dashboard: executions \(count) \(name): median \(String(format: "%.1f", times[4])) ms, max \(String(format: "%.1f", times[8])) ms, \(bytes) bytes")
        }
        server.cancel()
        }
    }
}
