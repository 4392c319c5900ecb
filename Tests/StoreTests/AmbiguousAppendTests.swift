import Foundation
import Testing
import VigilCodec

@testable import Store

/// An append a network filesystem reports failed may have reached the file. The writer re-reads
/// its tail before it writes again: whole records that landed are kept (and handed out once),
/// a torn one is cut, numbering continues after what was kept, and every reader — a replay, a
/// follower that read the record before the failure was known, a reopened store — reads the
/// same records with no damage.
@Suite struct AmbiguousAppendTests {
    func entry(_ i: Int) -> StoreEntry { StoreEntry(.completion, timeMs: 1_700_000_000_000 + Int64(i), payload: payload(i)) }

    func appendFails(_ store: FileStore, _ entries: [StoreEntry]) async -> Bool {
        do {
            _ = try await store.append(entries)
            return false
        } catch {
            return true
        }
    }

    func replay(_ root: String) throws -> (sequences: [UInt64], payloads: [[UInt8]], damages: [StoreDamage]) {
        let replay = try StoreReader(root: root).replay()
        return (replay.records.map(\.sequence), replay.records.map(\.payload), replay.damages)
    }

    @Test func aWriteReportedFailedThatLandedIsKeptAndNumberingContinues() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1")
        _ = try await store.append([entry(1)])
        var follower = StoreTail()
        #expect(try follower.poll(store.reader).records.count == 1)
        store.inject(InjectedFaults(writes: [.landThenFail]))
        #expect(await appendFails(store, [entry(2)]))
        // A follower reads it before anyone knows (as a peer would).
        #expect(try follower.poll(store.reader).records.map(\.payload) == [payload(2)])
        let landed = store.takeLanded()
        #expect(landed.map(\.sequence) == [2])
        #expect(landed.map(\.payload) == [payload(2)])
        #expect(store.takeLanded().isEmpty, "each landed record is handed out once")
        let next = try await store.append([entry(3)])
        #expect(next.map(\.sequence) == [3])
        let after = try follower.poll(store.reader)
        #expect(after.records.map(\.payload) == [payload(3)])
        #expect(after.damages.isEmpty)
        #expect(try replay(t.root).sequences == [1, 2, 3])
        #expect(try replay(t.root).damages.isEmpty)
        store.close()
        let reopened = try FileStore(root: t.root, node: "n1")
        defer { reopened.close() }
        #expect(reopened.repairedTail == nil)
        #expect(reopened.nextSequence == 4)
    }

    @Test func aWriteThatLandedTwiceIsKeptTwiceAndReadTheSameEverywhere() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1")
        _ = try await store.append([entry(1)])
        store.inject(InjectedFaults(writes: [.landTwiceThenFail]))
        #expect(await appendFails(store, [entry(2), entry(3)]))
        #expect(store.takeLanded().map(\.sequence) == [2, 3, 2, 3])
        #expect(try await store.append([entry(4)]).map(\.sequence) == [4])
        let read = try replay(t.root)
        #expect(read.sequences == [1, 2, 3, 2, 3, 4])
        #expect(read.damages.isEmpty)
        var tail = StoreTail()
        #expect(try tail.poll(store.reader).records.map(\.sequence) == read.sequences)
        store.close()
        let reopened = try FileStore(root: t.root, node: "n1")
        defer { reopened.close() }
        #expect(try reopened.restore().records.map(\.sequence) == read.sequences)
        #expect(reopened.nextSequence == 5)
    }

    @Test func aTornWriteIsCutAndTheWholeRecordsBeforeItKept() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1")
        _ = try await store.append([entry(1)])
        let sizeBefore = t.bytes(t.segmentFiles("n1")[0]).count
        let recordBytes = 40 + 2 + 24  // header, node id, payload
        store.inject(InjectedFaults(writes: [.tearThenFail(bytes: recordBytes + 10)]))
        #expect(await appendFails(store, [entry(2), entry(3)]))
        #expect(store.takeLanded().map(\.sequence) == [2], "the whole first record landed; the torn second did not")
        #expect(t.bytes(t.segmentFiles("n1")[0]).count == sizeBefore + recordBytes, "the torn part is cut at once")
        #expect(try await store.append([entry(4)]).map(\.sequence) == [4])
        let read = try replay(t.root)
        #expect(read.sequences == [1, 2, 4])
        #expect(read.damages.isEmpty)
        store.close()
    }

    @Test func nothingIsWrittenUntilTheTailCanBeReRead() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1")
        _ = try await store.append([entry(1)])
        var follower = StoreTail()
        _ = try follower.poll(store.reader)
        // The mount stays down: the torn write cannot be looked at, now or at the next append.
        store.inject(InjectedFaults(writes: [.tearThenFail(bytes: 17)], failingTailReads: 2))
        #expect(await appendFails(store, [entry(2)]))
        let torn = t.bytes(t.segmentFiles("n1")[0]).count
        #expect(await appendFails(store, [entry(3)]))
        #expect(t.bytes(t.segmentFiles("n1")[0]).count == torn, "no byte written after an unsettled tail")
        // A follower meanwhile sees an unfinished tail, not damage.
        #expect(try follower.poll(store.reader).damages.isEmpty)
        // The mount is back: the next append settles the tail first, then writes.
        #expect(try await store.append([entry(4)]).map(\.sequence) == [4])
        #expect(store.takeLanded().isEmpty)
        let polled = try follower.poll(store.reader)
        #expect(polled.records.map(\.sequence) == [4])
        #expect(polled.damages.isEmpty)
        #expect(try replay(t.root).sequences == [1, 4])
        store.close()
    }

    @Test func noSnapshotIsWrittenWhileLandedRecordsWaitToBeApplied() async throws {
        let t = TemporaryStore()
        let store = try FileStore(root: t.root, node: "n1")
        defer { store.close() }
        store.inject(InjectedFaults(writes: [.landThenFail]))
        #expect(await appendFails(store, [entry(1)]))
        var tail = StoreTail()
        _ = try tail.poll(store.reader)
        await #expect(throws: StoreError.self) {
            try await store.writeSnapshot(state: [1, 2, 3], cursor: tail.cursor, timeMs: 1_700_000_000_100)
        }
        #expect(try store.latestSnapshot() == nil)
        // Other appends are not held up meanwhile.
        #expect(try await store.append([entry(2)]).count == 1)
        #expect(store.takeLanded().map(\.payload) == [payload(1)])
        try await store.writeSnapshot(state: [1, 2, 3], cursor: tail.cursor, timeMs: 1_700_000_000_200)
        #expect(try store.latestSnapshot()?.state == [1, 2, 3])
    }
}
