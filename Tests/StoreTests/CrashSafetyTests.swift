import Foundation
import Store
import Testing
import VigilCodec

/// A child process appends and prints each acknowledged sequence number; it is SIGKILLed at
/// random moments, 200 times; after each kill every acknowledged record must be there, the
/// store must have no damage, and appending must continue.
@Suite struct CrashSafetyTests {
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["VIGIL_BENCH_BINARY"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/vigil-bench").path
    }()

    @Test func acknowledgedAppendsSurviveSIGKILL() async throws {
        let t = TemporaryStore()
        var rng = SplitMix64(seed: 2026)
        var acknowledged = Set<UInt64>()
        var killsAfterProgress = 0
        for round in 0..<200 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: Self.binary)
            child.arguments = ["store-crash-child", t.root]
            let out = Pipe()
            child.standardOutput = out
            child.standardError = FileHandle.nullDevice
            try child.run()
            // Let it run 2-40 ms after it is ready, then kill it without warning.
            let reader = out.fileHandleForReading
            var text = ""
            let deadline = ContinuousClock.now + .seconds(10)
            while !text.contains("ready"), ContinuousClock.now < deadline {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            try await Task.sleep(for: .milliseconds(Int(2 + rng.next() % 39)))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            text += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
            let acks = text.split(separator: "\n").compactMap { line in line.hasPrefix("ack ") ? UInt64(line.dropFirst(4)) : nil }
            if !acks.isEmpty { killsAfterProgress += 1 }
            acknowledged.formUnion(acks)

            // Restart: repair, then every acknowledged record is present and nothing is corrupt.
            let store = try FileStore(root: t.root, node: "victim", segmentBytes: 16_384)
            let replay = try store.reader.replay()
            store.close()
            #expect(replay.damages.isEmpty, "round \(round): \(replay.damages)")
            let present = Set(replay.records.map(\.sequence))
            let missing = acknowledged.subtracting(present)
            #expect(missing.isEmpty, "round \(round): acknowledged but missing \(missing.sorted().prefix(5))")
            let sequences = replay.records.map(\.sequence)
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 }, "round \(round): out of order")
            if !missing.isEmpty || !replay.damages.isEmpty { return }
        }
        #expect(killsAfterProgress >= 150, "too few kills landed mid-append: \(killsAfterProgress)")
        #expect(acknowledged.count > 1_000)
    }
}

/// A full disk (simulated with RLIMIT_FSIZE in a child process): the failing append is
/// reported as an error, never as success, and leaves no partial record behind.
@Suite struct FullDiskTests {
    @Test func failedAppendIsAnErrorAndLeavesNothingBehind() throws {
        let t = TemporaryStore()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CrashSafetyTests.binary)
        child.arguments = ["store-full-child", t.root, "65536"]
        let out = Pipe()
        child.standardOutput = out
        try child.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        let lines = text.split(separator: "\n")
        let acks = lines.compactMap { $0.hasPrefix("ack ") ? UInt64($0.dropFirst(4)) : nil }
        let error = lines.first { $0.hasPrefix("error ") }.map(String.init) ?? ""
        #expect(acks.count > 10)
        #expect(error.contains("File too large"), "\(text.suffix(300))")
        #expect(error.contains("/full/"), "the error names the file: \(error)")
        let replay = try StoreReader(root: t.root).replay()
        #expect(replay.damages.isEmpty, "\(replay.damages)")
        #expect(replay.records.map(\.sequence) == acks)
        #expect(t.bytes(t.segmentFiles("full")[0]).count <= 65_536)
    }
}
