import Foundation
import Logging
import MetricsTestKit
import Store
import Synchronization
import Testing

@testable import Coordinator
import CoordinatorCore
import Gossip

/// The sweep shell on a hand-driven clock: marks are durable and explain themselves; pause and
/// a missing quorum stop it.
@Suite struct SweepServiceTests {
    final class Wall: Sendable {
        let ms = Mutex<Int64>(1_700_000_000_000)
    }

    struct Fixed: MembershipSource {
        var alive: Set<String>
        func aliveNodes() -> Set<String> { alive }
        func syncedWithAlivePeers() -> Bool { true }
    }

    func makeNode(nodes: [String], store: FileStore?) throws -> CoordinatorNode {
        var config = VigilConfiguration(nodes: nodes.enumerated().map {
            NodeAddress(id: $0.element, http: HostPort(host: "127.0.0.1", port: UInt16(8000 + $0.offset)), gossip: HostPort(host: "127.0.0.1", port: UInt16(9000 + $0.offset)))
        })
        config.executions = ExecutionSettings(heartbeatTimeoutS: 300, checkIntervalS: 120, maxStrikes: 3)
        return try CoordinatorNode(id: nodes[0], configuration: config, store: store)
    }

    /// Drives checks every 120 s of virtual time from `from` to `to` (ms since the heartbeat).
    func drive(_ service: SweepService<ContinuousClock>, wall: Wall, from: Int64, to: Int64) async {
        var duty = SweepDuty(
            me: service.node.id, configured: service.node.configuration.nodes.map(\.id), rule: SweepRule(service.node.configuration.executions)
        )
        var t = from
        let base = wall.ms.withLock { $0 }
        while t <= to {
            wall.ms.withLock { $0 = base + t }
            // The heartbeats were taken at judge time ~0 (the node just started).
            await service.check(nowMs: t, duty: &duty)
            t += 120_000
        }
    }

    @Test func silentExecutionIsMarkedDurablyWithAnExplanation() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-sweep-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try FileStore(root: root, node: "n1")
        let node = try makeNode(nodes: ["n1"], store: store)
        let wall = Wall()
        let id = ExecutionID(high: 5, low: 5)
        _ = try await node.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), nowMs: wall.ms.withLock { $0 })
        let metrics = TestMetrics()
        let service = SweepService(
            node: node, membership: StandaloneMembership(me: "n1"), logger: Logger(label: "t"), wallMs: { wall.ms.withLock { $0 } }, metricsFactory: metrics
        )
        await drive(service, wall: wall, from: 120_000, to: 840_000)
        let record = try #require(node.executions.record(id))
        #expect(record.status == .failed)
        #expect(try metrics.expectCounter("vigil_sweep_strikes_total").totalValue == 2)
        #expect(try metrics.expectCounter("vigil_sweep_marks_total", [("rule", "stale")]).totalValue == 1)
        #expect(try metrics.expectCounter("vigil_leadership_terms_started_total").totalValue == 1)
        #expect(try metrics.expectGauge("vigil_sweep_leader").lastValue == 1)
        let reason = try #require(record.terminal?.reason)
        #expect(reason.hasPrefix("Heartbeat timed out 3 consecutive checks (timeout 300 s, check every 120 s); lost"))
        #expect(reason.contains("marked by leader n1, term 1"))
        #expect(record.terminal?.source == .sweep)
        #expect(node.sweep.status.totalMarked == 1)
        store.close()
        let types = try StoreReader(root: root).replay().records.map(\.type)
        #expect(types == [.registration, .leadershipTerm, .strikeBatch, .strikeBatch, .failureMark])
    }

    @Test func pausedSweepingStrikesNobody() async throws {
        let node = try makeNode(nodes: ["n1"], store: nil)
        let wall = Wall()
        let id = ExecutionID(high: 6, low: 6)
        _ = try await node.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), nowMs: wall.ms.withLock { $0 })
        try await node.setSweepPaused(true, wallMs: 0)
        let service = SweepService(node: node, membership: StandaloneMembership(me: "n1"), logger: Logger(label: "t"), wallMs: { wall.ms.withLock { $0 } })
        await drive(service, wall: wall, from: 120_000, to: 1_200_000)
        #expect(node.executions.record(id)?.status == .running)
        #expect(node.executions.record(id)?.strikes == 0)
        #expect(node.sweep.status.sweeping == false)
    }

    @Test func minorityNeverSweeps() async throws {
        let node = try makeNode(nodes: ["n1", "n2", "n3"], store: nil)
        let wall = Wall()
        let id = ExecutionID(high: 7, low: 7)
        _ = try await node.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), nowMs: wall.ms.withLock { $0 })
        let alone = SweepService(node: node, membership: Fixed(alive: ["n1"]), logger: Logger(label: "t"), wallMs: { wall.ms.withLock { $0 } })
        await drive(alone, wall: wall, from: 120_000, to: 1_200_000)
        #expect(node.executions.record(id)?.status == .running)
        #expect(node.sweep.status.leader == nil)
        #expect(node.sweep.status.quorum == false)
    }
}
