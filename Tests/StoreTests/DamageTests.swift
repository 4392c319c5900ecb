import Foundation
import Store
import Testing
import VigilCodec

@Suite struct DamageTests {
    /// Writes `count` records for node n1 and returns the segment file and each record's start.
    func makeStore(_ t: TemporaryStore, count: Int) async throws -> (String, [Int]) {
        let store = try FileStore(root: t.root, node: "n1")
        var offsets: [Int] = []
        for i in 0..<count { offsets.append(try await store.append(.registration, timeMs: Int64(i), payload: payload(i)).position.offset) }
        store.close()
        return (t.segmentFiles("n1")[0], offsets)
    }

    @Test func tornTailAtEveryByteOfTheLastRecordIsRepaired() async throws {
        let t = TemporaryStore()
        let (file, offsets) = try await makeStore(t, count: 3)
        let whole = t.bytes(file)
        let lastStart = offsets[2]
        for cut in lastStart..<whole.count {
            t.write(Array(whole.prefix(cut)), to: file)
            let store = try FileStore(root: t.root, node: "n1")
            #expect(store.nextSequence == 3, "cut at \(cut)")
            #expect((store.repairedTail != nil) == (cut > lastStart))
            // Appending continues cleanly after the repair.
            _ = try await store.append(.completion, timeMs: 9, payload: [9])
            store.close()
            let replay = try StoreReader(root: t.root).replay()
            #expect(replay.damages.isEmpty, "cut at \(cut): \(replay.damages)")
            #expect(replay.records.map(\.sequence) == [1, 2, 3])
            #expect(replay.records.last?.type == .completion)
        }
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 6, 7])
    func flippedBitInTheMiddleIsSkippedAndReported(bit: Int) async throws {
        let t = TemporaryStore()
        let (file, offsets) = try await makeStore(t, count: 5)
        var bytes = t.bytes(file)
        let target = offsets[2] + 20 + bit  // inside record 3's header fields
        bytes[target] ^= UInt8(1 << bit)
        t.write(bytes, to: file)
        let replay = try StoreReader(root: t.root).replay()
        #expect(replay.records.map(\.sequence) == [1, 2, 4, 5])
        #expect(replay.damages.count == 1)
        #expect(replay.damages.first?.offset == offsets[2])
        #expect(replay.damages.first?.path == file)
        #expect(replay.damages.first?.reason == "checksum mismatch")
        let verified = try StoreVerifier.verify(root: t.root)
        #expect(verified.count == 1)
        #expect(verified[0].records == 4)
        #expect(verified[0].damages.count == 1)
    }

    @Test func zeroFilledTailIsCutAtOpen() async throws {
        let t = TemporaryStore()
        let (file, _) = try await makeStore(t, count: 4)
        t.write(t.bytes(file) + [UInt8](repeating: 0, count: 4_096), to: file)
        let store = try FileStore(root: t.root, node: "n1")
        #expect(store.repairedTail?.length == 4_096)
        store.close()
        #expect(try StoreReader(root: t.root).replay().records.count == 4)
        #expect(t.bytes(file).count < 4_096)
    }

    @Test func zerosInTheMiddleAreSkipped() async throws {
        let t = TemporaryStore()
        let (file, offsets) = try await makeStore(t, count: 6)
        var bytes = t.bytes(file)
        for i in offsets[1]..<offsets[3] { bytes[i] = 0 }
        t.write(bytes, to: file)
        let replay = try StoreReader(root: t.root).replay()
        #expect(replay.records.map(\.sequence) == [1, 4, 5, 6])
        #expect(replay.damages.count == 1)
        #expect(replay.damages[0].length == offsets[3] - offsets[1])
    }

    @Test func garbageFilesNeverCrashTheReader() throws {
        let t = TemporaryStore()
        try FileManager.default.createDirectory(atPath: t.root + "/junk", withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 3)
        for file in 0..<20 {
            let bytes = (0..<(file * 997 % 5_000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            t.write(bytes, to: t.root + "/junk/" + String(format: "%020d.log", file + 1))
        }
        let replay = try StoreReader(root: t.root).replay()
        #expect(replay.records.isEmpty)
        let reports = try StoreVerifier.verify(root: t.root)
        #expect(reports.count == 20)
        #expect(reports.filter { $0.bytes > 0 }.allSatisfy { !$0.damages.isEmpty })
    }

    @Test func unreadableFileIsReportedNotThrown() async throws {
        let t = TemporaryStore()
        _ = try await makeStore(t, count: 2)
        // A directory where a segment file should be: reading it fails even for root.
        try FileManager.default.createDirectory(atPath: t.root + "/n1/" + String(format: "%020d.log", 99), withIntermediateDirectories: true)
        let reports = try StoreVerifier.verify(root: t.root)
        #expect(reports.count == 2)
        #expect(reports[1].damages.first?.reason.contains("read") == true)
    }

    @Test func missingStoreDirectoryIsAClearError() {
        #expect(throws: StoreError.self) { try StoreReader(root: "/nonexistent/vigil-store").replay() }
    }
}
