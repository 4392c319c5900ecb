import Coordinator
import CoordinatorCore
import Gossip
import Synchronization
import Testing
import VigilTestSupport

/// The node driver's own behaviour: effects run as its children, shutdown drains them, and a
/// write asked for when it can no longer run fails at once instead of leaving the request waiting.
@Suite struct NodeDriverTests {
    /// A log whose appends wait until released, counting how many were made.
    final class GatedLog: DurableLog {
        let appended = Mutex(0)
        let gate = Mutex<[CheckedContinuation<Void, Never>]>([])
        let open = Mutex(false)

        func append(_ writes: [DurableWrite]) async -> Result<[LogPosition], WriteFailure> {
            await withCheckedContinuation { continuation in
                let waits = open.withLock { !$0 }
                if waits { gate.withLock { $0.append(continuation) } } else { continuation.resume() }
            }
            let first = appended.withLock { count in
                defer { count += writes.count }
                return count
            }
            return .success(writes.indices.map { LogPosition(segment: 1, offset: first + $0) })
        }

        func release() {
            open.withLock { $0 = true }
            for waiter in gate.withLock({ gate in defer { gate = [] }; return gate }) { waiter.resume() }
        }
    }

    func node(log: any DurableLog) throws -> CoordinatorNode {
        let config = VigilConfiguration(nodes: [NodeAddress(id: "n1", http: HostPort("127.0.0.1:0")!, gossip: HostPort("127.0.0.1:0")!)])
        return try CoordinatorNode(id: "n1", configuration: config, timestamps: try config.timestamps(), effects: NodeEffects(log: log), store: nil)
    }

    func heartbeat(_ low: UInt64) -> Heartbeat {
        Heartbeat(executionID: ExecutionID(high: 1, low: low), containerID: "c", clientTimestamp: 1_700_000_000)
    }

    @Test func aWriteAskedForAfterTheDriverStoppedIsRefusedAtOnce() async throws {
        let node = try node(log: InMemoryLog())
        try await whileRunning(node.driver.run) {
            _ = try await node.receive(heartbeat(1), nowMs: 1_700_000_000_000)
        }
        await #expect(throws: StoreUnavailable(WriteFailure(.shuttingDown, detail: "the node is shutting down"))) {
            try await node.receive(self.heartbeat(2), nowMs: 1_700_000_000_000)
        }
        #expect(node.executions.record(ExecutionID(high: 1, low: 1)) != nil)
        #expect(node.executions.record(ExecutionID(high: 1, low: 2)) == nil)
        #expect(node.driver.effectsInFlight == 0)
    }

    @Test func aRequestWaitsForItsAppendAsAChildOfTheDriver() async throws {
        let log = GatedLog()
        let node = try node(log: log)
        try await whileRunning(node.driver.run) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await node.receive(self.heartbeat(3), nowMs: 1_700_000_000_000) }
                // The append runs as the driver's child and holds the request until the log answers.
                while node.driver.effectsInFlight == 0 { await Task.yield() }
                #expect(node.executions.record(ExecutionID(high: 1, low: 3)) == nil)
                log.release()
                try await group.waitForAll()
            }
            #expect(node.executions.record(ExecutionID(high: 1, low: 3))?.heartbeatCount == 1)
            #expect(log.appended.withLock { $0 } == 1)
        }
    }
}
