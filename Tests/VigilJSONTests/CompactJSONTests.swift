import VigilJSON
import Testing
import VigilCodec

@Suite struct CompactJSONTests {
    static let seedProgress: JSONValue = .object([
        "total_urls": .int(100), "crawled_urls": .int(45), "successful_urls": .int(42), "failed_urls": .int(3),
        "current_url": .string("https://example.com/page45"), "current_stage": .string("爬取中 (45/100)"),
        "data_items": .int(1250), "percentage": .double(45.0), "runtime_seconds": .int(1800),
        "start_time": .string("2024-01-01T10:00:00"), "error_count": .int(0), "custom_field": .array([.int(-1), .null, .bool(true)]),
    ])

    @Test func roundTripsAndIsSmallerThanJSON() throws {
        let compact = CompactJSON.encode(Self.seedProgress)
        #expect(try CompactJSON.decode(compact) == Self.seedProgress)
        #expect(compact.count * 2 < Self.seedProgress.jsonText.utf8.count)
    }

    @Test func everyTruncationIsRejectedOrShorter() {
        let compact = CompactJSON.encode(Self.seedProgress)
        for cut in 0..<compact.count {
            #expect(throws: CompactJSONError.self) { try CompactJSON.decode(Array(compact.prefix(cut))) }
        }
    }

    @Test func garbageNeverCrashes() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<20_000 {
            let bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next() % 12) }
            _ = try? CompactJSON.decode(bytes)
        }
        // A count that claims more elements than there are bytes is refused before allocating.
        #expect(throws: CompactJSONError.self) { try CompactJSON.decode([7, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) }
    }
}
