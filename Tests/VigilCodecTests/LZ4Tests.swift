import Testing
import VigilCodec

@Suite struct LZ4Tests {
    @Test func roundTripsRepetitiveData() throws {
        let input = Array(String(repeating: "heartbeat running crawler-container ", count: 200).utf8)
        let compressed = try LZ4.compress(input)
        #expect(compressed.count < input.count / 4)
        let output = try LZ4.decompress(compressed, maxOutputSize: input.count)
        #expect(output == input)
    }

    @Test(arguments: [0, 1, 7, 64, 1232, 65_536])
    func roundTripsRandomData(count: Int) throws {
        var rng = SplitMix64(seed: UInt64(count) &+ 17)
        let input = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let compressed = try LZ4.compress(input)
        #expect(compressed.count <= LZ4.compressBound(count)!)
        #expect(try LZ4.decompress(compressed, maxOutputSize: count) == input)
    }

    @Test func refusesToExpandBeyondTheLimit() throws {
        let input = [UInt8](repeating: 0x41, count: 100_000)
        let compressed = try LZ4.compress(input)
        #expect(compressed.count < 1_000)  // a small "bomb"
        #expect(throws: LZ4Error.self) { try LZ4.decompress(compressed, maxOutputSize: 99_999) }
        #expect(try LZ4.decompress(compressed, maxOutputSize: 100_000).count == 100_000)
    }

    @Test func rejectsGarbageWithoutCrashing() throws {
        var rng = SplitMix64(seed: 42)
        var failures = 0
        for length in 1...2_000 {
            let garbage = (0..<(length % 300 + 1)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            do {
                let out = try LZ4.decompress(garbage, maxOutputSize: 4_096)
                #expect(out.count <= 4_096)
            } catch {
                #expect(error.code == .malformed)
                failures += 1
            }
        }
        #expect(failures > 1_000)  // random bytes are almost never a valid block
    }

    @Test func rejectsTruncatedBlocks() throws {
        let input = Array(String(repeating: "abcdefgh12345678", count: 64).utf8)
        let compressed = try LZ4.compress(input)
        for cut in 1..<compressed.count {
            if let out = try? LZ4.decompress(compressed.prefix(cut), maxOutputSize: input.count) {
                #expect(out != input)
            }
        }
    }

    @Test func rejectsInvalidLimits() {
        #expect(throws: LZ4Error(code: .invalidLimit, detail: "maximum output size -1 is outside 0...\(LZ4.maxInputSize)")) {
            try LZ4.decompress([1, 2, 3], maxOutputSize: -1)
        }
        #expect(LZ4.compressBound(-1) == nil)
    }
}
