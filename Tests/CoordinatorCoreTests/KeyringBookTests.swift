import CoordinatorCore
import Testing

@Suite struct KeyringBookTests {
    static let a = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
    static let b = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="
    func name(_ key: KeyringBook.Key) -> String { key.description }

    @Test func aClusterWithoutKeysHoldsPlaintextAndTurnsEncryptionOnInThreeSteps() throws {
        var book = KeyringBook(configured: [])
        #expect(book.keys == [.plaintext])
        #expect(!book.isSealed)
        let k = KeyringBook.Key.key(Self.a)
        book.apply(.install(k))
        #expect(book.primary == .plaintext)
        book.apply(.use(k))
        #expect(book.keys == [k, .plaintext])
        #expect(!book.isSealed)
        book.apply(.remove(.plaintext))
        #expect(book.keys == [k])
        #expect(book.isSealed)
        #expect(book.secretKeys == [Self.a])
    }

    @Test func changesAreIdempotentAndTheKeyInUseIsNeverRemoved() {
        var book = KeyringBook(configured: [Self.a])
        let (a, b) = (KeyringBook.Key.key(Self.a), KeyringBook.Key.key(Self.b))
        book.apply(.install(b))
        book.apply(.install(b))
        #expect(book.keys == [a, b])
        book.apply(.remove(a))
        #expect(book.keys == [a, b], "the key in use stays")
        book.apply(.use(b))
        book.apply(.use(b))
        book.apply(.remove(a))
        #expect(book.keys == [b])
        book.apply(.remove(b))
        #expect(book.keys == [b], "the last key stays")
    }

    @Test func useWaitsForEveryLiveNodeAndRemoveForEveryUser() {
        var book = KeyringBook(configured: [Self.a])
        let (a, b) = (KeyringBook.Key.key(Self.a), KeyringBook.Key.key(Self.b))
        #expect(throws: KeyringBook.Refusal.notInstalled(b)) { try book.check(.use(b), live: [:], name: name) }
        book.apply(.install(b))
        let halfway: KeyringBook.LiveRings = ["n1": [Self.a, Self.b], "n2": [Self.a, Self.b], "n3": [Self.a]]
        #expect(throws: KeyringBook.Refusal.notOnEveryNode(b, holders: 2, alive: 3)) { try book.check(.use(b), live: halfway, name: name) }
        let everywhere: KeyringBook.LiveRings = ["n1": [Self.a, Self.b], "n2": [Self.a, Self.b], "n3": [Self.a, Self.b]]
        #expect(throws: Never.self) { try book.check(.use(b), live: everywhere, name: name) }
        #expect(throws: KeyringBook.Refusal.removingKeyInUse(a)) { try book.check(.remove(a), live: everywhere, name: name) }
        book.apply(.use(b))
        let lagging: KeyringBook.LiveRings = ["n1": [Self.b, Self.a], "n2": [Self.a, Self.b]]
        #expect(throws: KeyringBook.Refusal.stillUsedByNodes(a, users: 1)) { try book.check(.remove(a), live: lagging, name: name) }
    }

    @Test func recordsAndSnapshotsRoundTrip() {
        for change in [KeyringBook.Change.install(.key(Self.a)), .use(.plaintext), .remove(.key(Self.b))] {
            #expect(KeyringBook.change(payload: KeyringBook.payload(change)) == change)
        }
        #expect(KeyringBook.change(payload: []) == nil)
        #expect(KeyringBook.change(payload: [9]) == nil)
        var book = KeyringBook(configured: [Self.a])
        book.apply(.install(.plaintext))
        #expect(KeyringBook(snapshotPayload: book.snapshotPayload) == book)
        #expect(KeyringBook(snapshotPayload: [5, 1]) == nil)
    }

    @Test func theStoreOutranksTheConfigurationOnceChanged() throws {
        var core = NodeCore(settings: .init(me: "n1", configured: ["n1"], started: WallTime(ms: 0)))
        core.configureKeyring([Self.a])
        #expect(core.keyring.keys == [KeyringBook.Key.key(Self.a)])
        let record = StoredRecord(node: "n2", position: LogPosition(segment: 1, offset: 0), kind: .keyringChange, term: 0, time: WallTime(ms: 1), payload: KeyringBook.payload(.install(.key(Self.b))))
        _ = core.apply(stored: record, now: NodeNow(wall: WallTime(ms: 1), judge: JudgeTime(ms: 1)))
        #expect(core.keyring.keys == [KeyringBook.Key.key(Self.a), .key(Self.b)])
        core.configureKeyring([])
        #expect(core.keyring.keys == [KeyringBook.Key.key(Self.a), .key(Self.b)], "a restart with another configuration keeps the store's ring")
        let snapshot = try #require(core.snapshot(generation: 1).flatMap { NodeSnapshot(decoding: $0.encoded) })
        var restored = NodeCore(settings: .init(me: "n1", configured: ["n1"], started: WallTime(ms: 0)))
        restored.configureKeyring([])
        _ = restored.restore(snapshot, then: [], now: NodeNow(wall: WallTime(ms: 2), judge: JudgeTime(ms: 2)))
        #expect(restored.keyring == core.keyring)
    }
}
