import VigilJSON
import Foundation
import Store
import Synchronization
import Testing
import VigilTestSupport

@testable import Coordinator
import CoordinatorCore
import Gossip

/// Two coordinator nodes wired the way `vigil serve` wires them, with the network replaced by a
/// direct hand-off: heartbeats replicate into the other node's view, durable facts reach it
/// through the shared store, and a restarted peer's heartbeats are adopted.
@Suite struct ReplicationTests {
    /// Delivers what one node publishes straight into another node's view.
    final class Link: HeartbeatSink {
        let from: String
        let to = Mutex<CoordinatorNode?>(nil)
        let published = Mutex<[(ExecutionID, Int64)]>([])
        init(from: String) { self.from = from }
        let maxValueBytes = 526
        func publish(id: ExecutionID, value: [UInt8], stampMs: Int64) {
            let version = published.withLock {
                $0.append((id, stampMs))
                return UInt64($0.count)
            }
            // Through the wire form and the replica change, as gossip carries it.
            to.withLock { $0 }?.apply(.updated(
                origin: NodeIdentity(id: from, generation: 1), key: EntryKey(high: id.high, low: id.low),
                value: VersionedValue(version: version, stamp: stampMs, value: value)
            ))
        }
        func forget(id: ExecutionID) {}
    }

    static func configuration() -> VigilConfiguration {
        VigilConfiguration(nodes: ["n1", "n2"].enumerated().map {
            NodeAddress(id: $0.element, http: HostPort(host: "127.0.0.1", port: UInt16(8000 + $0.offset)), gossip: HostPort(host: "127.0.0.1", port: UInt16(9000 + $0.offset)))
        })
    }

    let id = ExecutionID("550e8400-e29b-41d4-a716-446655440000")!

    func progress(_ percentage: Double) throws -> CoordinatorCore.Progress {
        try CoordinatorCore.Progress(validating: ["percentage": .double(percentage), "current_stage": .string("爬取中")])
    }

    @Test func heartbeatEntryRoundTripsAndDropsOversizedProgress() throws {
        let entry = HeartbeatEntry(status: .running, registeredAtMs: 1_700_000_000_000, clientTimestamp: 1_700_000_001, containerID: "crawler-1", progress: try progress(45))
        let bytes = entry.encoded(stampMs: 1_700_000_005_000, maxBytes: 526)
        #expect(HeartbeatEntry(decoding: bytes, stampMs: 1_700_000_005_000) == entry)
        let small = entry.encoded(stampMs: 1_700_000_005_000, maxBytes: 24)
        #expect(small.count <= 24)
        #expect(HeartbeatEntry(decoding: small, stampMs: 1_700_000_005_000)?.progress == nil)
        #expect(HeartbeatEntry(decoding: [], stampMs: 0) == nil)
        #expect(HeartbeatEntry(decoding: [1, 0, 0, 0, 200], stampMs: 0) == nil)  // container longer than the rest
        #expect(HeartbeatEntry(decoding: bytes.dropLast(1).map { $0 }, stampMs: 0) == nil)  // cut progress
        // The hot path builds the same bytes straight from a record.
        var table = ExecutionTable()
        _ = table.apply(Heartbeat(executionID: id, containerID: "crawler-1", clientTimestamp: 1_700_000_001, progress: try progress(45)), nowMs: 1_700_000_000_000)
        let record = try #require(table[id])
        let fromRecord = try #require(record.gossipValue(maxBytes: 526))
        #expect(fromRecord.stampMs == 1_700_000_000_000)
        #expect(fromRecord.value == HeartbeatEntry(record).encoded(stampMs: fromRecord.stampMs, maxBytes: 526))
        #expect(HeartbeatEntry(decoding: fromRecord.value, stampMs: fromRecord.stampMs) == HeartbeatEntry(record))
    }

    @Test func heartbeatsAndFactsReachTheOtherNode() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-repl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let s1 = try FileStore(root: root, node: "n1"), s2 = try FileStore(root: root, node: "n2")
        defer { s1.close(); s2.close() }
        let l1 = Link(from: "n1"), l2 = Link(from: "n2")
        let n1 = try CoordinatorNode(id: "n1", configuration: Self.configuration(), store: s1, replication: l1)
        let n2 = try CoordinatorNode(id: "n2", configuration: Self.configuration(), store: s2, replication: l2)
        l1.to.withLock { $0 = n2 }
        l2.to.withLock { $0 = n1 }
        try await whileRunning(n1.driver.run) { try await whileRunning(n2.driver.run) {

        // Registered on n1 (durable first), refreshed on n1 (the fast path), seen on n2.
        let now: Int64 = 1_700_000_000_000
        _ = try await n1.receive(Heartbeat(executionID: id, containerID: "c1", clientTimestamp: 1_700_000_000, progress: try progress(10)), nowMs: now)
        _ = n1.refresh(Heartbeat(executionID: id, containerID: "c1", clientTimestamp: 1_700_000_001, progress: try progress(20)), nowMs: now + 1_000)
        #expect(n2.executions.record(id)?.lastHeartbeatMs == now + 1_000)
        #expect(n2.executions.record(id)?.progress == (try progress(20)))
        #expect(n2.executions.lastOrigin(of: n2.executions.record(id)!) == "n1")
        // The container moves to n2: latest heartbeat wins on both.
        _ = try await n2.receive(Heartbeat(executionID: id, containerID: "c1", clientTimestamp: 1_700_000_002), nowMs: now + 2_000)
        #expect(n1.executions.record(id)?.lastHeartbeatMs == now + 2_000)
        #expect(n1.executions.record(id)?.heartbeatCount == 3)

        // The completion is durable on n2; n1 learns it from the store (StoreFollower's poll).
        _ = try await n2.receive(Completion(executionID: id, containerID: "c1", success: true, resultData: nil, errorMessage: nil), nowMs: now + 3_000)
        var tail = StoreTail()
        let peers = try tail.poll(s1.reader).records.filter { $0.node != "n1" }.map(StoredRecord.init)
        await n1.apply(stored: peers, readStartedAt: n1.now().judge)
        #expect(n1.executions.record(id)?.status == .completed)
        // Terminal beats running: a late running entry merged from gossip changes nothing.
        n1.apply(Self.change(HeartbeatEntry(status: .running, registeredAtMs: now, clientTimestamp: nil, containerID: "c1", progress: nil), id: id, origin: "n2", stampMs: now + 9_000))
        #expect(n1.executions.record(id)?.status == .completed)
        } }
    }

    @Test func aRestartedPeersHeartbeatsAreAdopted() async throws {
        let l2 = Link(from: "n2")
        let n2 = try CoordinatorNode(id: "n2", configuration: Self.configuration(), replication: l2)
        let stamp: Int64 = 1_700_000_000_000
        n2.apply(Self.change(HeartbeatEntry(status: .running, registeredAtMs: stamp, clientTimestamp: nil, containerID: "c", progress: nil), id: id, origin: "n1", stampMs: stamp))
        #expect(n2.adoptOrphans(of: "n1") == 1)
        #expect(l2.published.withLock { $0.map(\.1) } == [stamp])  // republished with its original stamp
        #expect(n2.adoptOrphans(of: "n3") == 0)
        // The same through gossip's event: the origin's table was cleared.
        n2.apply(.originCleared(origin: NodeIdentity(id: "n1", generation: 2)))
        #expect(l2.published.withLock { $0.count } == 2)
    }

    /// A gossip replica change carrying `entry` from `origin`.
    static func change(_ entry: HeartbeatEntry, id: ExecutionID, origin: String, stampMs: Int64) -> ReplicaChange {
        .updated(
            origin: NodeIdentity(id: origin, generation: 1), key: EntryKey(high: id.high, low: id.low),
            value: VersionedValue(version: 1, stamp: stampMs, value: entry.encoded(stampMs: stampMs, maxBytes: 526))
        )
    }

    @Test func aHeartbeatFromBeforeTheNodeStartedAgesFromItsStamp() {
        // Started at wall 10,000; the heartbeat was stamped at 4,000, now is 12,000 (judge 2,000).
        let now = NodeNow(wall: 12_000, judge: 2_000)
        #expect(SeenTime.forRemote(stamp: 4_000, started: 10_000, now: now) == -6_000)
        // One received while this node runs counts from when it arrived here.
        #expect(SeenTime.forRemote(stamp: 11_000, started: 10_000, now: now) == 2_000)
        // A stamp from the future (skew) never makes the age negative.
        #expect(SeenTime.forRemote(stamp: 9_999, started: 10_000, now: NodeNow(wall: 9_000, judge: 2_000)) == 2_000)
    }
}

extension ReplicationTests {
    /// Two nodes change the pause flag at about the same time and read each other's change in
    /// either order: both end with the later change.
    @Test func pauseFlagIsTheLatestChangeWhicheverOrderItIsRead() {
        var a = PauseFlag(), b = PauseFlag()
        a.apply(true, at: 1_000, by: "n1")
        b.apply(false, at: 1_001, by: "n2")
        a.apply(false, at: 1_001, by: "n2")  // n1 reads n2's later resume
        b.apply(true, at: 1_000, by: "n1")  // n2 reads n1's earlier pause: ignored
        #expect(a.paused == false && b.paused == false)
        let applied = a.apply(true, at: 1_001, by: "n3")  // same time: the node id breaks the tie
        #expect(applied)
        #expect(a.paused)
        #expect(a.nextStamp(now: 500) == 1_002)  // a local change after it, even with a slow clock
    }
}

extension ReplicationTests {
    /// Under steady load a replica is never exactly level with its peers; a few pushes in flight
    /// still count as caught up (a new leader must not wait out its whole grace for zero lag).
    @Test func catchingUpToleratesAFewPushesInFlight() {
        #expect(GossipReplicaBridge.synced(lag: [:]))
        #expect(GossipReplicaBridge.synced(lag: ["n2": 0, "n3": 256]))
        #expect(!GossipReplicaBridge.synced(lag: ["n2": 0, "n3": 257]))
        #expect(!GossipReplicaBridge.synced(lag: ["n2": 10_000]))
    }
}
