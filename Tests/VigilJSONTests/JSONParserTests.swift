import VigilJSON
import Testing
import VigilCodec

@Suite struct JSONParserTests {
    @Test func parsesTheSeedHeartbeat() throws {
        let text = """
            {"execution_id": "550e8400-e29b-41d4-a716-446655440000", "container_id": "crawler-container-abc123",
             "status": "running", "progress": {"total_urls": 100, "percentage": 45.0, "current_stage": "爬取中 (45/100)",
             "current_url": "https://example.com/page45", "ok": true, "none": null, "list": [1, -2, 3.5e2]},
             "timestamp": 1640995200}
            """
        guard case .object(let o) = try JSONParser.parse(text) else { Issue.record("not an object"); return }
        #expect(o["timestamp"] == .int(1_640_995_200))
        #expect(o["status"] == .string("running"))
        guard case .object(let p)? = o["progress"] else { Issue.record("no progress"); return }
        #expect(p["percentage"] == .double(45))
        #expect(p["current_stage"] == .string("爬取中 (45/100)"))
        #expect(p["ok"] == .bool(true))
        #expect(p["none"] == .null)
        #expect(p["list"] == .array([.int(1), .int(-2), .double(350)]))
    }

    @Test func decodesEscapes() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
        #expect(try JSONParser.parse(#""\ud800x""#) == .string("\u{FFFD}x"))  // lone surrogate
    }

    @Test func numbersAtTheEdges() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .int(.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(.min))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONParser.parse("0") == .int(0))
        #expect(try JSONParser.parse("-0.5e-3") == .double(-0.0005))
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1",
        "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"a\u{01}b\"", "1 2", "{\"a\":1}x", "1e999", "-1e999", "[",
        "NaN", "Infinity", "{\"a\":[}", "\u{FEFF}{}",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    @Test func boundsNesting() throws {
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        _ = try JSONParser.parse(ok)
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }

    @Test func writerRoundTrips() throws {
        let value: JSONValue = .object([
            "s": .string("quote \" backslash \\ newline \n control \u{01} 中文"), "i": .int(-42), "d": .double(45.5),
            "a": .array([.null, .bool(false)]), "o": .object([:]),
        ])
        #expect(try JSONParser.parse(value.jsonText) == value)
    }

    @Test func randomBytesNeverCrash() throws {
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("{}[]\":,.-+eE0123456789truefalsnl \\u\n".utf8)
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 40)
            let bytes = (0..<length).map { _ in rng.next() % 4 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            if let value = try? JSONParser.parse(bytes) {
                // Whatever parses must serialise and parse back to the same value.
                #expect(try JSONParser.parse(value.jsonText) == value)
            }
        }
    }
}
