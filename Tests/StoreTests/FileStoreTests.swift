import Foundation
import Store
import Testing

@Suite struct FileStoreTests {
    @Test func roundTripKeepsOrderTypesAndPayloads() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1")
        var written: [(RecordType, [UInt8])] = []
        for i in 0..<50 {
            let type: RecordType = [.registration, .completion, .failureMark, .strikeBatch][i % 4]
            // Every fifth payload is large and compressible: exercises the LZ4 path.
            let body = i % 5 == 0 ? [UInt8](repeating: UInt8(i), count: 5_000) : payload(i)
            let result = try await store.append(type, term: UInt64(i / 10), timeMs: 1_000 + Int64(i), payload: body)
            #expect(result.sequence == UInt64(i + 1))
            written.append((type, body))
        }
        store.close()
        let replay = try StoreReader(root: t.root).replay()
        #expect(replay.damages.isEmpty)
        #expect(replay.records.count == 50)
        for (record, (type, body)) in zip(replay.records, written) {
            #expect(record.type == type)
            #expect(record.payload == body)
            #expect(record.node == "n1")
        }
        #expect(replay.records.map(\.sequence) == Array(1...50))
        // The large payloads really were compressed on disk.
        #expect(t.bytes(t.segmentFiles("n1")[0]).count < 10 * 5_000)
    }

    @Test func rotatesSegmentsAndContinuesAfterReopen() async throws {
        let t = TemporaryStore()
        var store = try FileStore(root: t.root, node: "n1", segmentBytes: 4_096)
        for i in 0..<100 { _ = try await store.append(.registration, timeMs: Int64(i), payload: payload(i, size: 100)) }
        store.close()
        #expect(t.segmentFiles("n1").count >= 3)
        store = try FileStore(root: t.root, node: "n1", segmentBytes: 4_096)
        #expect(store.nextSequence == 101)
        _ = try await store.append(.completion, timeMs: 200, payload: [1])
        store.close()
        let replay = try StoreReader(root: t.root).replay()
        #expect(replay.records.map(\.sequence) == Array(1...101))
        #expect(replay.damages.isEmpty)
    }

    @Test func multiNodeReplayMergesByTimeKeepingEachNodesOrder() async throws {
        let t = TemporaryStore()
        let a = try FileStore(root: t.root, node: "a")
        let b = try FileStore(root: t.root, node: "b")
        for (time, store) in [(10, a), (5, b), (20, a), (15, b), (12, a)] {
            _ = try await store.append(.registration, timeMs: Int64(time), payload: [UInt8(time)])
        }
        a.close()
        b.close()
        let records = try StoreReader(root: t.root).replay().records
        // a's own order (10, 20, 12) is kept even though 12 < 20.
        #expect(records.map { "\($0.node)\($0.timeMs)" } == ["b5", "a10", "b15", "a20", "a12"])
    }

    @Test func concurrentAppendsShareFsyncs() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1")
        let sequences = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for i in 0..<256 {
                group.addTask { try await store.append(.registration, timeMs: Int64(i), payload: payload(i)).sequence }
            }
            var all: [UInt64] = []
            for try await s in group { all.append(s) }
            return all
        }
        #expect(Set(sequences).count == 256)
        #expect(store.fsyncCount < 256)
        store.close()
        #expect(try StoreReader(root: t.root).replay().records.count == 256)
    }

    @Test func appendAfterCloseFails() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1")
        store.close()
        await #expect(throws: StoreError.self) { try await store.append(.registration, timeMs: 0, payload: []) }
    }

    /// `close` waits for the writer thread to finish what was queued: once it returns, every
    /// append it did not refuse is on disk, and nothing more is written.
    @Test func closeReturnsOnceEveryQueuedAppendIsDurable() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1")
        let (onDisk, accepted) = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<300 {
                group.addTask {
                    do {
                        _ = try await store.append(.registration, timeMs: Int64(i), payload: [UInt8](repeating: UInt8(i & 0xFF), count: 2_000))
                        return true
                    } catch let error as StoreError where error.code == .closed {
                        return false
                    }
                }
            }
            // One append is durable: the writer is at work, and more are queued or on their way.
            var accepted = try await group.next() == true ? 1 : 0
            store.close()
            let onDisk = try StoreReader(root: t.root).replay().records.count
            for try await ok in group where ok { accepted += 1 }
            return (onDisk, accepted)
        }
        #expect(accepted >= 1)
        #expect(onDisk == accepted, "close returned with \(onDisk) records on disk; \(accepted) appends succeeded")
        #expect(try StoreReader(root: t.root).replay().records.count == accepted)
        await #expect(throws: StoreError.self) { try await store.append(.registration, timeMs: 0, payload: []) }
    }

    @Test func tailFollowingSeesNewRecordsOnly() async throws {
        let t = TemporaryStore()
        let writer = try FileStore(root: t.root, node: "leader", segmentBytes: 2_048)
        let reader = StoreReader(root: t.root)
        var tail = StoreTail()
        for i in 0..<10 { _ = try await writer.append(.strikeBatch, timeMs: Int64(i), payload: payload(i, size: 200)) }
        let first = try tail.poll(reader)
        #expect(first.records.map(\.sequence) == Array(1...10))
        #expect(try tail.poll(reader).records.isEmpty)
        for i in 10..<25 { _ = try await writer.append(.strikeBatch, timeMs: Int64(i), payload: payload(i, size: 200)) }
        let second = try tail.poll(reader)
        #expect(second.records.map(\.sequence) == Array(11...25))  // across rotations
        #expect(second.damages.isEmpty)
        writer.close()
    }

    @Test func anotherNodesHalfWrittenRecordIsNotReadYet() async throws {
        let t = TemporaryStore()
        let other = try FileStore(root: t.root, node: "other")
        _ = try await other.append(.failureMark, timeMs: 1, payload: payload(1))
        other.close()
        let file = t.segmentFiles("other")[0]
        let whole = t.bytes(file)
        // Append a copy of the record, cut in half, as if its write were still in progress.
        let record = Array(whole)
        t.write(whole + record.prefix(record.count / 2), to: file)
        let reader = StoreReader(root: t.root)
        var tail = StoreTail()
        let polled = try tail.poll(reader)
        #expect(polled.records.count == 1)
        #expect(polled.damages.isEmpty)
        // The write completes: the next poll returns it.
        t.write(whole + record, to: file)
        let next = try tail.poll(reader)
        #expect(next.records.count == 1)
        #expect(next.damages.isEmpty)
    }

    @Test func snapshotRestoreReplaysOnlyWhatFollows() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1")
        for i in 0..<20 { _ = try await store.append(.registration, timeMs: Int64(i), payload: payload(i)) }
        let covered = try store.reader.replay()
        try await store.writeSnapshot(state: Array("state-after-20".utf8), cursor: covered.cursor, timeMs: 100)
        for i in 20..<25 { _ = try await store.append(.completion, timeMs: Int64(i), payload: payload(i)) }
        store.close()

        let reopened = try FileStore(root: t.root, node: "n1")
        let restored = try reopened.restore()
        #expect(restored.snapshot == Array("state-after-20".utf8))
        #expect(restored.records.map(\.sequence) == Array(22...26))  // 21 is the snapshot record
        #expect(restored.records.allSatisfy { $0.type == .completion })
        reopened.close()
    }

    @Test func retentionDeletesOnlySegmentsEveryNodeHasSnapshotted() async throws {
        let t = TemporaryStore()
        let a = try FileStore(root: t.root, node: "a", segmentBytes: 1_024)
        let b = try FileStore(root: t.root, node: "b", segmentBytes: 1_024)
        for i in 0..<40 { _ = try await a.append(.registration, timeMs: Int64(i), payload: payload(i, size: 100)) }
        let before = t.segmentFiles("a").count
        #expect(before >= 4)
        let cursorA = try a.reader.replay().cursor
        try await a.writeSnapshot(state: [1], cursor: cursorA, timeMs: 50)
        // b has files but no snapshot yet: a keeps everything b may still need.
        _ = try await b.append(.registration, timeMs: 0, payload: [0])
        #expect(try a.deleteCoveredSegments().isEmpty)
        try await b.writeSnapshot(state: [2], cursor: try b.reader.replay().cursor, timeMs: 60)
        let deleted = try a.deleteCoveredSegments()
        #expect(!deleted.isEmpty)
        #expect(deleted.count == before - 1)  // all but the segment the cursor (and snapshot) are in
        #expect(t.segmentFiles("a").count == 2)  // that one, and the new one the snapshot opened
        // A restart of a still works from its snapshot.
        a.close()
        b.close()
        let reopened = try FileStore(root: t.root, node: "a", segmentBytes: 1_024)
        let restored = try reopened.restore()
        #expect(restored.snapshot == [1])
        #expect(restored.damages.isEmpty)
        reopened.close()
    }

    @Test func rejectsNodeIdsThatAreNotDirectoryNames() {
        let t = TemporaryStore()
        for bad in ["", "../x", ".hidden", "a/b"] {
            #expect(throws: StoreError.self) { try FileStore(root: t.root, node: bad) }
        }
    }
}

extension FileStoreTests {
    /// The next segment's name is taken, so starting it fails after the record was made
    /// durable: the append still succeeds (the record is there), later appends go on, and the
    /// rotation is tried again.
    @Test func aRotationThatFailsAfterTheFsyncDoesNotFailTheAppend() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1", segmentBytes: 200)
        let taken = t.root + "/n1/" + String(repeating: "0", count: 19) + "2.log"
        #expect(FileManager.default.createFile(atPath: taken, contents: nil))
        let first = try await store.append(.registration, timeMs: 1, payload: payload(1, size: 300))
        #expect(first.sequence == 1)
        #expect(store.rotationFailures == 1)
        let second = try await store.append(.registration, timeMs: 2, payload: payload(2, size: 300))
        #expect(second.sequence == 2)
        _ = try await store.append(.registration, timeMs: 3, payload: payload(3, size: 300))
        store.close()
        let replay = try StoreReader(root: t.root).replay()
        #expect(replay.records.map(\.sequence) == [1, 2, 3])
        #expect(replay.damages.isEmpty)
    }
}
