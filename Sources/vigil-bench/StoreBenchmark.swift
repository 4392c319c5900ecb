import Coordinator
import CoordinatorCore
import Foundation
import Store

/// Store figures for `scripts/bench-store`: durable appends/s with 256 concurrent writers and
/// with one writer, replay of N records, and restart-to-ready with N records of history and a
/// snapshot.
enum StoreBenchmark {
    static func run(directory: String, replayRecords: Int) async throws {
        let payload = Array(String(repeating: "x", count: 64).utf8)

        // 1. 256 concurrent writers, group commit.
        let concurrentDir = directory + "/concurrent"
        let store = try FileStore(root: concurrentDir, node: "n1")
        let perWriter = 200
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<256 {
                group.addTask {
                    for i in 0..<perWriter { _ = try await store.append(RecordType(.registration), timeMs: Int64(w * perWriter + i), payload: payload) }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = seconds(ContinuousClock.now - start)
        let total = 256 * perWriter
        print(String(format: "store: 256 writers: %d durable appends in %.2f s = %.0f records/s, %d fsyncs (%.4f fsyncs/record)",
                     total, elapsed, Double(total) / elapsed, store.fsyncCount, Double(store.fsyncCount) / Double(total)))
        store.close()

        // 2. One writer: each append waits for its own fsync.
        let single = try FileStore(root: directory + "/single", node: "n1")
        let singleStart = ContinuousClock.now
        let singleCount = 500
        for i in 0..<singleCount { _ = try await single.append(RecordType(.registration), timeMs: Int64(i), payload: payload) }
        let singleElapsed = seconds(ContinuousClock.now - singleStart)
        print(String(format: "store: 1 writer: %.0f durable appends/s (%.2f ms per append = fsync latency)",
                     Double(singleCount) / singleElapsed, singleElapsed * 1000 / Double(singleCount)))
        single.close()

        // 3. Replay of N records.
        let historyDir = directory + "/history"
        let history = try FileStore(root: historyDir, node: "n1")
        var written = 0
        while written < replayRecords {
            let n = min(10_000, replayRecords - written)
            _ = try await history.append((0..<n).map { StoreEntry(RecordType(.registration), timeMs: Int64(written + $0), payload: payload) })
            written += n
        }
        let replayStart = ContinuousClock.now
        let replay = try StoreReader(root: historyDir).replay()
        let replayElapsed = seconds(ContinuousClock.now - replayStart)
        print(String(format: "store: replay of %d records: %.3f s (%d damages)", replay.records.count, replayElapsed, replay.damages.count))

        // 4. Restart with that history plus a snapshot and a few records after it.
        try await history.writeSnapshot(state: [UInt8](repeating: 7, count: 1 << 20), cursor: replay.cursor, timeMs: 0)
        for i in 0..<1_000 { _ = try await history.append(RecordType(.completion), timeMs: Int64(i), payload: payload) }
        history.close()
        let restartStart = ContinuousClock.now
        let reopened = try FileStore(root: historyDir, node: "n1")
        let restored = try reopened.restore()
        let restartElapsed = seconds(ContinuousClock.now - restartStart)
        print(String(format: "store: restart with %d records of history and a snapshot: %.3f s to ready (snapshot %d bytes, %d records replayed)",
                     replayRecords, restartElapsed, restored.snapshot?.count ?? 0, restored.records.count))
        reopened.close()
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
