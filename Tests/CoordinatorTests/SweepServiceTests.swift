import Foundation
import Logging
import MetricsTestKit
import Store
import Synchronization
import Testing
import VigilTestSupport

@testable import Coordinator
import CoordinatorCore
import Gossip

/// The sweep shell on hand-driven clocks: marks are durable and explain themselves; pause and
/// a missing quorum stop it; a leader whose term cannot be made durable decides nothing.
@Suite struct SweepServiceTests {
    /// Wall and judge clocks a test moves.
    final class ManualClocks: Sendable {
        let wallMs = Mutex<Int64>(1_700_000_000_000)
        let judgeMs = Mutex<Int64>(0)

        var clocks: NodeClocks {
            NodeClocks(wall: { WallTime(ms: self.wallMs.withLock { $0 }) }, judge: { JudgeTime(ms: self.judgeMs.withLock { $0 }) })
        }

        func advance(to ms: Int64) {
            judgeMs.withLock { $0 = ms }
            wallMs.withLock { $0 = 1_700_000_000_000 + ms }
        }
    }

    struct Fixed: MembershipSource {
        var alive: Set<String>
        func aliveNodes() -> Set<String> { alive }
        func syncedWithAlivePeers() -> Bool { true }
    }

    func makeNode(nodes: [String], store: FileStore?, clocks: ManualClocks, metrics: TestMetrics = TestMetrics()) throws -> CoordinatorNode {
        var config = VigilConfiguration(nodes: nodes.enumerated().map {
            NodeAddress(id: $0.element, http: HostPort(host: "127.0.0.1", port: UInt16(8000 + $0.offset)), gossip: HostPort(host: "127.0.0.1", port: UInt16(9000 + $0.offset)))
        })
        config.executions = ExecutionSettings(heartbeatTimeout: .seconds(300), checkInterval: .seconds(120), maxStrikes: 3)
        return try CoordinatorNode(id: nodes[0], configuration: config, store: store, clocks: clocks.clocks, metricsFactory: metrics)
    }

    /// Checks every 120 s of virtual time from `from` to `to` (ms since the node started);
    /// each check is two ticks, so a claim made in the first is durable for the second.
    func drive(_ service: SweepService<ContinuousClock>, clocks: ManualClocks, from: Int64, to: Int64) async {
        var t = from
        while t <= to {
            clocks.advance(to: t)
            await service.check()
            await service.check()
            t += 120_000
        }
    }

    @Test func silentExecutionIsMarkedDurablyWithAnExplanation() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-sweep-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try FileStore(root: root, node: "n1")
        let clocks = ManualClocks()
        let metrics = TestMetrics()
        let node = try makeNode(nodes: ["n1"], store: store, clocks: clocks, metrics: metrics)
        try await whileRunning(node.driver.run) {
        let id = ExecutionID(high: 5, low: 5)
        _ = try await node.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), nowMs: clocks.wallMs.withLock { $0 })
        let service = SweepService(node: node, membership: StandaloneMembership(me: "n1"))
        await drive(service, clocks: clocks, from: 120_000, to: 840_000)
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
        #expect(node.sweepStatus.totalMarked == 1)
        store.close()
        let types = try StoreReader(root: root).replay().records.map { DurableKind($0.type) }
        #expect(types == [.registration, .leadershipTerm, .strikeBatch, .strikeBatch, .failureMark])
        }
    }

    @Test func pausedSweepingStrikesNobody() async throws {
        let clocks = ManualClocks()
        let node = try makeNode(nodes: ["n1"], store: nil, clocks: clocks)
        try await whileRunning(node.driver.run) {
        let id = ExecutionID(high: 6, low: 6)
        _ = try await node.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), nowMs: clocks.wallMs.withLock { $0 })
        try await node.setSweepPaused(true, wallMs: clocks.wallMs.withLock { $0 })
        let service = SweepService(node: node, membership: StandaloneMembership(me: "n1"))
        await drive(service, clocks: clocks, from: 120_000, to: 1_200_000)
        #expect(node.executions.record(id)?.status == .running)
        #expect(node.executions.record(id)?.strikes == 0)
        #expect(node.sweepStatus.sweeping == false)
        }
    }

    @Test func minorityNeverSweeps() async throws {
        let clocks = ManualClocks()
        let node = try makeNode(nodes: ["n1", "n2", "n3"], store: nil, clocks: clocks)
        try await whileRunning(node.driver.run) {
        let id = ExecutionID(high: 7, low: 7)
        _ = try await node.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), nowMs: clocks.wallMs.withLock { $0 })
        let alone = SweepService(node: node, membership: Fixed(alive: ["n1"]))
        await drive(alone, clocks: clocks, from: 120_000, to: 1_200_000)
        #expect(node.executions.record(id)?.status == .running)
        #expect(node.sweepStatus.leader == nil)
        #expect(node.sweepStatus.quorum == false)
        }
    }

    /// The store refuses the leadership term (it was closed): the leader strikes and marks
    /// nobody, says so in its status, and, its store failing, steps down (a failing store is
    /// unfit to lead: ``StoreHealth/failing(now:recoveryMs:)``).
    @Test func aLeaderWhoseTermIsNotDurableDecidesNothingAndStepsDown() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-sweep-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try FileStore(root: root, node: "n1")
        let clocks = ManualClocks()
        let node = try makeNode(nodes: ["n1"], store: store, clocks: clocks)
        try await whileRunning(node.driver.run) {
        let id = ExecutionID(high: 8, low: 8)
        _ = try await node.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), nowMs: clocks.wallMs.withLock { $0 })
        store.close()  // every later append fails
        let service = SweepService(node: node, membership: StandaloneMembership(me: "n1"))
        await drive(service, clocks: clocks, from: 120_000, to: 1_200_000)
        let record = try #require(node.executions.record(id))
        #expect(record.status == .running)
        #expect(record.strikes == 0)
        let status = node.sweepStatus
        #expect(status.leader == nil)
        #expect(status.sweeping == false)
        #expect(status.lastError?.contains("leadership term") == true)
        }
    }
}
