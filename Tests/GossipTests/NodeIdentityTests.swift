import Gossip
import Testing

@Suite struct NodeIdentityTests {
    @Test func higherGenerationOfSameNodeSupersedes() {
        let old = NodeIdentity(id: "n2", generation: 3)
        #expect(NodeIdentity(id: "n2", generation: 4).supersedes(old))
        #expect(!old.supersedes(old))
        #expect(!NodeIdentity(id: "n3", generation: 9).supersedes(old))
        #expect(!NodeIdentity(id: "n2", generation: 2).supersedes(old))
    }

    @Test func ordersByIdThenGeneration() {
        let sorted = [NodeIdentity(id: "n2", generation: 1), NodeIdentity(id: "n1", generation: 5), NodeIdentity(id: "n1", generation: 2)].sorted()
        #expect(sorted.map(\.description) == ["n1#2", "n1#5", "n2#1"])
    }
}
