import CoordinatorCore
import Foundation
import Gossip
import Logging
import Testing
import VigilJSON
import VigilTestSupport

@testable import Coordinator
@testable import Store

/// A node on a store whose filesystem reports writes failed after they landed (and, once,
/// lands one twice): the request is answered 503 as before, but the node ends with the state
/// its files hold — the same state its peers and its own restart read from them.
@Suite struct AmbiguousWriteTests {
    let id = ExecutionID(high: 71, low: 1)
    let other = ExecutionID(high: 71, low: 2)

    final class StoreDir {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-ambiguous-\(UUID().uuidString)").path
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func configuration() -> VigilConfiguration {
        VigilConfiguration(nodes: ["n1", "n2"].enumerated().map {
            NodeAddress(id: $0.element, http: HostPort(host: "127.0.0.1", port: UInt16(8100 + $0.offset)), gossip: HostPort(host: "127.0.0.1", port: UInt16(9100 + $0.offset)))
        })
    }

    func start(_ dir: StoreDir, as me: String = "n1") throws -> (CoordinatorNode, FileStore) {
        let store = try FileStore(root: dir.path, node: me)
        let node = try CoordinatorNode(id: me, configuration: configuration(), store: store)
        let restored = try store.restore()
        node.restore(restored.records.map(StoredRecord.init), from: restored.snapshot.flatMap(NodeSnapshot.init(decoding:)))
        return (node, store)
    }

    /// Waits (briefly, on real time) until `condition` holds.
    func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    func progress(_ percent: Int64) throws -> CoordinatorCore.Progress { try CoordinatorCore.Progress(validating: ["percentage": .int(percent)]) }

    @Test func aCompletionReportedFailedThatLandedIsTheNodesStateAndItsRestarts() async throws {
        let dir = StoreDir()
        let (node, store) = try start(dir)
        let wall = WallClock.unixMs()
        let follower = StoreFollower(node: node, store: store, cursor: StoreCursor(), generation: 1, interval: .milliseconds(20), logger: Logger(label: "t"))
        let view = try await whileRunning(node.driver.run) {
            for (i, percent) in [10, 20, 30].enumerated() {
                _ = try await node.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: wall / 1000, progress: try progress(Int64(percent))), nowMs: wall + Int64(i))
            }
            // The completion reaches the file; the filesystem says it did not.
            store.inject(InjectedFaults(writes: [.landThenFail]))
            await #expect(throws: StoreUnavailable.self) { _ = try await node.receive(Completion(executionID: id, containerID: "c", success: true), nowMs: wall + 10) }
            #expect(node.executions.record(id)?.status == .running, "the failed write applied nothing by itself")
            // The follower hands the node what its file holds.
            try await whileRunning(follower.run) {
                let applied = try await eventually { node.executions.record(id)?.status == .completed }
                #expect(applied)
            }
            // The container retries: already so, nothing more is written.
            let retried = try await node.receive(Completion(executionID: id, containerID: "c", success: true), nowMs: wall + 20)
            #expect(retried == .success(.unchanged))
            var tail = StoreTail()
            _ = try tail.poll(store.reader)
            #expect(await follower.snapshot(cursor: tail.cursor), "nothing waits any more, so a snapshot may be written")
            return try #require(node.executions.record(id))
        }
        store.close()
        #expect(view.heartbeatCount == 3)
        #expect(view.progress?.percentage == 30)
        let records = try StoreReader(root: dir.path).replay()
        #expect(records.damages.isEmpty)
        #expect(records.records.compactMap { DurableKind($0.type) } == [.registration, .completion])
        #expect(records.records.filter { DurableKind($0.type) != nil }.map(\.sequence) == [1, 2])

        // A peer and a restart read the same from the files.
        let (peer, peerStore) = try start(dir, as: "n2")
        peerStore.close()
        let (restarted, restartedStore) = try start(dir)
        restartedStore.close()
        for reader in [peer, restarted] {
            let record = try #require(reader.executions.record(id))
            #expect(record.status == .completed)
            #expect(record.heartbeatCount == view.heartbeatCount)
            #expect(record.lastHeartbeatMs == view.lastHeartbeatMs)
            #expect(record.progress == view.progress)
        }
    }

    @Test func aRegistrationThatLandedTwiceRegistersOnce() async throws {
        let dir = StoreDir()
        let (node, store) = try start(dir)
        let wall = WallClock.unixMs()
        let follower = StoreFollower(node: node, store: store, cursor: StoreCursor(), generation: 1, interval: .milliseconds(20), logger: Logger(label: "t"))
        try await whileRunning(node.driver.run) {
            store.inject(InjectedFaults(writes: [.landTwiceThenFail]))
            await #expect(throws: StoreUnavailable.self) { _ = try await node.receive(Heartbeat(executionID: other, containerID: "c", clientTimestamp: wall / 1000), nowMs: wall) }
            try await whileRunning(follower.run) {
                let applied = try await eventually { node.executions.record(other) != nil }
                #expect(applied)
            }
            // The retried first heartbeat is a refresh: no third registration.
            let retried = try await node.receive(Heartbeat(executionID: other, containerID: "c", clientTimestamp: wall / 1000), nowMs: wall + 5)
            #expect(retried == .success(.refreshed))
        }
        #expect(node.executions.counts.total == 1)
        #expect(node.executions.counts.running == 1)
        store.close()
        let records = try StoreReader(root: dir.path).replay()
        #expect(records.damages.isEmpty)
        #expect(records.records.map(\.sequence) == [1, 1], "the same record twice, read the same by every reader")
        let (restarted, restartedStore) = try start(dir)
        restartedStore.close()
        #expect(restarted.executions.counts.total == 1)
        #expect(restarted.executions.record(other)?.registeredAtMs == node.executions.record(other)?.registeredAtMs)
    }
}
