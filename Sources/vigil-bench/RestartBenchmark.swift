import VigilTestSupport
import Coordinator
import CoordinatorCore
import Foundation
import Gossip
import Logging
import Store

/// The node's own restart and disk figures, on the real store and node (issue 10's table):
///
/// - `restart DIR HISTORY LIVE`: a store with HISTORY records of finished executions (a
///   registration and a completion each) and LIVE running ones, snapshotted as the store
///   follower does; then the time from opening the store to a restored node (newest snapshot,
///   plus what followed it), and, for comparison, a full replay of the history.
/// - `retention DIR EXECUTIONS`: EXECUTIONS executions registered and completed through the
///   node, past the retention (0 s here), two snapshot cycles; the bytes left on disk.
enum RestartBenchmark {
    static func configuration(root: String, retention: Duration) -> VigilConfiguration {
        var config = VigilConfiguration(nodes: [NodeAddress(id: "n1", http: HostPort("127.0.0.1:0")!, gossip: HostPort("127.0.0.1:0")!)])
        config.store.path = root
        config.executions.retention = retention
        return config
    }

    static func restart(directory: String, history: Int, live: Int) async throws {
        try? FileManager.default.removeItem(atPath: directory)
        let wall = WallClock.unixMs()
        // The history is within the retention: it stays on disk; the restart must not read it.
        let config = configuration(root: directory, retention: .seconds(86_400))
        let store = try FileStore(root: directory, node: "n1")
        // History: finished executions, written in large batches (the node writes them one by one).
        var batch: [StoreEntry] = []
        batch.reserveCapacity(20_000)
        let written = ContinuousClock.now
        for i in 0..<(history / 2) {
            let id = ExecutionID(high: 1, low: UInt64(i))
            batch.append(StoreEntry(RecordType(.registration), timeMs: wall, payload: ExecutionFact.registered(id: id, registeredAtMs: wall, containerID: "crawler-\(i % 1000)").payload))
            batch.append(StoreEntry(RecordType(.completion), timeMs: wall, payload: ExecutionFact.finished(
                id: id, status: .completed, source: .completion, finishedAtMs: wall, reason: nil, resultData: nil, errorMessage: nil
            ).payload))
            if batch.count >= 20_000 {
                _ = try await store.append(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { _ = try await store.append(batch) }
        // The live executions, through the node.
        let node = try CoordinatorNode(id: "n1", configuration: config, store: store)
        try await whileRunning(node.driver.run) {
        for i in 0..<live {
            _ = try await node.receive(Heartbeat(executionID: ExecutionID(high: 2, low: UInt64(i)), containerID: "crawler-\(i)", clientTimestamp: wall / 1000), nowMs: wall)
        }
        print(String(format: "restart: wrote %d history records and %d live executions in %.1f s", history, live, seconds(ContinuousClock.now - written)))
        var tail = StoreTail()
        _ = try tail.poll(store.reader)
        let follower = StoreFollower(node: node, store: store, cursor: tail.cursor, generation: 1, logger: Logger(label: "bench"))
        guard await follower.snapshot(cursor: tail.cursor) else { fatalError("snapshot refused") }
        store.close()

        var times: [Double] = []
        for _ in 0..<5 {
            let started = ContinuousClock.now
            let reopened = try FileStore(root: directory, node: "n1")
            let restored = try reopened.restore()
            guard let snapshot = restored.snapshot.flatMap(NodeSnapshot.init(decoding:)) else { fatalError("no snapshot") }
            let again = try CoordinatorNode(id: "n1", configuration: config, store: reopened)
            again.restore(restored.records.map(StoredRecord.init), from: snapshot)
            times.append(seconds(ContinuousClock.now - started))
            guard again.executions.counts.running == live else { fatalError("restored \(again.executions.counts) instead of \(live) running") }
            reopened.close()
        }
        times.sort()
        print(String(format: "restart: to ready from the snapshot: median %.3f s (min %.3f, max %.3f) with %d records of history, %d live (target <= 1 s)",
                     times[2], times[0], times[4], history, live))
        let replayStarted = ContinuousClock.now
        let replay = try StoreReader(root: directory).replay()
        print(String(format: "restart: for comparison, reading all %d records without the snapshot: %.3f s", replay.records.count, seconds(ContinuousClock.now - replayStarted)))
        }
    }

    static func retention(directory: String, executions: Int) async throws {
        try? FileManager.default.removeItem(atPath: directory)
        let config = configuration(root: directory, retention: .zero)
        let store = try FileStore(root: directory, node: "n1")
        let node = try CoordinatorNode(id: "n1", configuration: config, store: store)
        try await whileRunning(node.driver.run) {
        let wall = WallClock.unixMs()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<64 {
                group.addTask {
                    for i in stride(from: worker, to: executions, by: 64) {
                        let id = ExecutionID(high: 3, low: UInt64(i))
                        _ = try await node.receive(Heartbeat(executionID: id, containerID: "crawler-\(i % 1000)", clientTimestamp: wall / 1000), nowMs: wall)
                        _ = try await node.receive(Completion(executionID: id, containerID: "crawler-\(i % 1000)", success: true), nowMs: wall)
                    }
                }
            }
            try await group.waitForAll()
        }
        let before = bytes(directory)
        node.expireFinished()
        var tail = StoreTail()
        let follower = StoreFollower(node: node, store: store, cursor: StoreCursor(), generation: 1, logger: Logger(label: "bench"))
        for _ in 0..<2 {
            _ = try tail.poll(store.reader)
            guard await follower.snapshot(cursor: tail.cursor) else { fatalError("snapshot refused") }
        }
        store.close()
        print("retention: executions \(executions) bytes_before \(before) bytes_after \(bytes(directory)) segments \(try StoreReader(root: directory).segments(of: "n1").count)")
        }
    }

    static func bytes(_ directory: String) -> Int {
        guard let files = FileManager.default.enumerator(atPath: directory) else { return 0 }
        var total = 0
        for case let file as String in files {
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + file)
            if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? Int) ?? 0 }
        }
        return total
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
