import Coordinator
import CoordinatorCore
import Foundation
import Store
import Testing
import VigilJSON

@testable import vigil

/// The store keeps an opaque type byte; the coordinator names it. This ties the two: every
/// ``DurableKind`` survives the store as its byte, and `vigil store verify` prints its name.
@Suite struct StoreRecordNamesTests {
    @Test func everyDurableKindRoundTripsThroughTheStoreAndVerifyPrintsItsName() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-names-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try FileStore(root: root, node: "n1")
        for kind in DurableKind.allCases { _ = try await store.append(RecordType(kind), timeMs: 1_000, payload: [kind.rawValue]) }
        store.close()

        let records = try StoreReader(root: root).replay().records
        #expect(records.map { DurableKind($0.type) } == DurableKind.allCases.map { Optional($0) })
        #expect(records.map(\.payload) == DurableKind.allCases.map { [$0.rawValue] })
        // No kind takes the store's own snapshot byte, and no two share a name.
        #expect(!DurableKind.allCases.contains { RecordType($0) == .snapshot })
        #expect(Set(DurableKind.allCases.map(\.name)).count == DurableKind.allCases.count)
        #expect(RecordType.snapshot.name == "snapshot")
        #expect(RecordType(rawValue: 200).name == "type_200")

        let reports = try StoreVerifier.verify(root: root)
        let json = try JSONParser.parse(StoreCommand.Verify.render(reports, format: .json))
        let types = try #require(json["files"]?.arrayValue.first?["types"])
        for kind in DurableKind.allCases { #expect(types[kind.name] == .int(1), "\(kind) as \(kind.name)") }
        let text = StoreCommand.Verify.render(reports, format: .text)
        for kind in DurableKind.allCases { #expect(text.contains(" \(kind.name)=1"), "\(kind) as \(kind.name)") }
        #expect(text.hasSuffix("ok: 1 file(s), \(DurableKind.allCases.count) records, no damage"))
    }
}
