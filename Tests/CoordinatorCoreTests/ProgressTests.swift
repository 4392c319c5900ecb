import CoordinatorCore
import VigilJSON
import Testing

@Suite struct ProgressTests {
    @Test func keepsUnknownFieldsAndTypesKnownOnes() throws {
        let p = try Progress(validating: ["percentage": .int(45), "total_urls": .double(100), "my_field": .object(["x": .int(1)])])
        #expect(p.object["total_urls"] == .int(100))
        #expect(p.object["my_field"] == .object(["x": .int(1)]))
        #expect(p.percentage == 45)
    }

    @Test(arguments: [
        ("total_urls", JSONValue.string("100")), ("total_urls", .int(-1)), ("crawled_urls", .double(1.5)),
        ("percentage", .int(101)), ("percentage", .string("45%")), ("percentage", .double(-0.1)),
        ("current_url", .int(3)), ("start_time", .bool(true)), ("runtime_seconds", .int(-5)), ("error_count", .array([])),
    ])
    func rejectsWrongTypes(field: String, value: JSONValue) {
        #expect(throws: ProgressError.self) { try Progress(validating: JSONObject([.init(key: field, value: value)])) }
    }

    @Test func nullKnownFieldsAreAllowed() throws {
        _ = try Progress(validating: ["current_url": .null, "percentage": .null])
    }
}
