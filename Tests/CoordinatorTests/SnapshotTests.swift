import CoordinatorCore
import Foundation
import Gossip
import Logging
import Store
import Testing
import VigilTestSupport

@testable import Coordinator

/// Snapshots on a real store: a restart starts from the newest one, and segments every node's
/// snapshot has passed (and older than the retention) are deleted, so disk use follows the live
/// state instead of the history.
@Suite struct SnapshotTests {
    func configuration(retention: Duration) -> VigilConfiguration {
        var config = VigilConfiguration(nodes: [NodeAddress(id: "n1", http: HostPort("127.0.0.1:0")!, gossip: HostPort("127.0.0.1:0")!)])
        config.executions.retention = retention
        config.store.segmentBytes = 4_096
        return config
    }

    @Test func aRestartStartsFromTheSnapshotAndOldSegmentsAreDeleted() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-snap-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = configuration(retention: .zero)
        let store = try FileStore(root: root, node: "n1", segmentBytes: 4_096)
        let node = try CoordinatorNode(id: "n1", configuration: config, store: store)
        try await whileRunning(node.driver.run) {
        let wall = WallClock.unixMs()
        // 300 executions registered, 200 of them completed: many segments of history.
        for i in 0..<300 {
            let id = ExecutionID(high: 77, low: UInt64(i))
            _ = try await node.receive(Heartbeat(executionID: id, containerID: "container-\(i)", clientTimestamp: wall / 1000), nowMs: wall)
            if i < 200 { _ = try await node.receive(Completion(executionID: id, containerID: "container-\(i)", success: true), nowMs: wall) }
        }
        // Finished executions leave memory (retention 0): the live state is the 100 running.
        #expect(node.expireFinished() == 200)
        let segmentsBefore = try store.reader.segments(of: "n1").count
        #expect(segmentsBefore > 5)
        var tail = StoreTail()
        _ = try tail.poll(store.reader)
        let follower = StoreFollower(node: node, store: store, cursor: tail.cursor, generation: 3, logger: Logger(label: "t"))
        #expect(await follower.snapshot(cursor: tail.cursor))
        // The snapshot closed its segment; the next one deletes what the first covered.
        _ = try tail.poll(store.reader)
        #expect(await follower.snapshot(cursor: tail.cursor))
        let segmentsAfter = try store.reader.segments(of: "n1").count
        #expect(segmentsAfter <= 2, "segments before \(segmentsBefore), after \(segmentsAfter)")
        }
        store.close()

        let reopened = try FileStore(root: root, node: "n1", segmentBytes: 4_096)
        defer { reopened.close() }
        let restored = try reopened.restore()
        let snapshot = try #require(restored.snapshot.flatMap(NodeSnapshot.init(decoding:)))
        #expect(snapshot.generation == 3)
        #expect(restored.records.count < 10)  // only what followed the snapshot
        let again = try CoordinatorNode(id: "n1", configuration: config, store: reopened)
        again.restore(restored.records.map(StoredRecord.init), from: snapshot)
        #expect(again.executions.counts.running == 100)
        #expect(again.executions.counts.total == 100)
        #expect(again.executions.record(ExecutionID(high: 77, low: 250))?.containerID == "container-250")
    }

    @Test func historyYoungerThanTheRetentionIsKept() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-snap-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try FileStore(root: root, node: "n1", segmentBytes: 4_096)
        defer { store.close() }
        let node = try CoordinatorNode(id: "n1", configuration: configuration(retention: .seconds(86_400)), store: store)
        try await whileRunning(node.driver.run) {
        let wall = WallClock.unixMs()
        for i in 0..<200 {
            _ = try await node.receive(Heartbeat(executionID: ExecutionID(high: 78, low: UInt64(i)), containerID: "container-\(i)", clientTimestamp: wall / 1000), nowMs: wall)
        }
        let before = try store.reader.segments(of: "n1").count
        var tail = StoreTail()
        _ = try tail.poll(store.reader)
        let follower = StoreFollower(node: node, store: store, cursor: tail.cursor, generation: 1, logger: Logger(label: "t"))
        #expect(await follower.snapshot(cursor: tail.cursor))
        #expect(try store.reader.segments(of: "n1").count >= before)
        }
    }
}
