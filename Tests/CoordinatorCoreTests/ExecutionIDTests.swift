import CoordinatorCore
import VigilJSON
import Testing

@Suite struct ExecutionIDTests {
    @Test func parsesCanonicalFormAnyCase() throws {
        let id = try #require(ExecutionID("550E8400-e29b-41d4-A716-446655440000"))
        #expect(id.description == "550e8400-e29b-41d4-a716-446655440000")
        #expect(ExecutionID(bytes: id.bytes) == id)
        #expect(id.bytes.count == 16)
    }

    @Test(arguments: [
        "", "test", "550e8400e29b41d4a716446655440000", "550e8400-e29b-41d4-a716-44665544000", "550e8400-e29b-41d4-a716-4466554400000",
        "550e8400-e29b-41d4-a716_446655440000", "g50e8400-e29b-41d4-a716-446655440000", "{550e8400-e29b-41d4-a716-446655440000}",
        " 550e8400-e29b-41d4-a716-44665544000", "550e8400-e29b-41d4-a716-44665544000é",
    ])
    func rejectsEverythingElse(_ text: String) {
        #expect(ExecutionID(text) == nil)
    }

    @Test func ordersLikeItsText() {
        let texts = ["00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0001-000000000000", "ffffffff-0000-0000-0000-000000000000"]
        let ids = texts.compactMap(ExecutionID.init)
        #expect(ids.sorted().map(\.description) == texts)
    }
}
