import Coordinator
import CoordinatorCore
import Foundation
import Gossip
import Logging
import Store
import Testing

/// The start-up steps of `vigil serve` that decide something.
@Suite struct StartupTests {
    func root() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("vigil-startup-\(UUID().uuidString)").path
    }

    @Test func aSnapshotThatCannotBeDecodedStopsTheStartSayingWhichFileToMoveAside() async throws {
        let path = root()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileStore(root: path, node: "n1")
        try await store.writeSnapshot(state: [0xFF, 0x00, 0x13], cursor: StoreCursor(), timeMs: 0)
        store.close()
        #expect(throws: StartupFailure("the store's snapshot of node n1 cannot be read; move \(path)/n1/snapshot.idx aside to replay the full history", exitCode: 1)) {
            try StoreStartup.open(path: path, node: "n1", segmentBytes: 4_096, logger: Logger(label: "test"))
        }
    }

    @Test func aStoreThatCannotBeOpenedIsExitOne() throws {
        let file = root()
        FileManager.default.createFile(atPath: file, contents: Data("not a directory".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        do {
            _ = try StoreStartup.open(path: file, node: "n1", segmentBytes: 4_096, logger: Logger(label: "test"))
            Issue.record("a file as the store opened")
        } catch {
            #expect(error.exitCode == 1)
            #expect(error.line.hasPrefix("cannot open the store: "))
        }
    }

    @Test func anEmptyStoreRestoresNothing() throws {
        let path = root()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let restored = try StoreStartup.open(path: path, node: "n2", segmentBytes: 4_096, logger: Logger(label: "test"))
        defer { restored.store.close() }
        #expect(restored.snapshot == nil && restored.records.isEmpty)
    }

    func configuration(crashProbe: Bool) -> VigilConfiguration {
        var c = VigilConfiguration(nodes: [
            NodeAddress(id: "n1", http: HostPort("127.0.0.1:8001")!, gossip: HostPort("127.0.0.1:7001")!),
            NodeAddress(id: "n2", http: HostPort("127.0.0.1:8002")!, gossip: HostPort("127.0.0.1:7002")!),
            NodeAddress(id: "n3", http: HostPort("127.0.0.1:0")!, gossip: HostPort("127.0.0.1:7003")!),
        ])
        c.gossip.crashProbe = crashProbe
        c.gossip.interval = .milliseconds(150)
        c.gossip.fanout = 4
        return c
    }

    @Test func gossipSettingsForANode() throws {
        let g = try GossipConfiguration(node: "n1", generation: 7, configuration: configuration(crashProbe: true))
        #expect(g.identity == NodeIdentity(id: "n1", generation: 7))
        #expect(g.bindAddress == HostPort("127.0.0.1:7001")!)
        #expect(g.seeds == [HostPort("127.0.0.1:7002")!, HostPort("127.0.0.1:7003")!])
        #expect(g.settings.interval == .milliseconds(150) && g.settings.fanout == 4)
        // Its own port is never probed, nor a port picked at random (0).
        #expect(g.crashProbePorts == ["n2": HostPort("127.0.0.1:8002")!])
        #expect(try GossipConfiguration(node: "n1", generation: 7, configuration: configuration(crashProbe: false)).crashProbePorts.isEmpty)
        #expect(throws: ConfigurationError.self) { try GossipConfiguration(node: "n9", generation: 1, configuration: configuration(crashProbe: true)) }
    }
}
