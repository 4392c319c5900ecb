import Coordinator
import CoordinatorCore
import Foundation
import Gossip
import Hummingbird
import HummingbirdTesting
import Ingest
import Logging
import Store
import Testing
import VigilJSON
import VigilTestSupport

/// A finished execution is part of its history: a node restarted on the same store (from its
/// records, or from a snapshot) answers `GET /api/v1/executions/{id}` with the same body for
/// completed and failed executions — but for the ages, which count from now.
@Suite struct HistoryRestartTests {
    let completed = "11111111-1111-4111-8111-111111111111"
    let failedByHeartbeat = "22222222-2222-4222-8222-222222222222"
    let failedByNotice = "33333333-3333-4333-8333-333333333333"
    let marked = "44444444-4444-4444-8444-444444444444"
    var ids: [String] { [completed, failedByHeartbeat, failedByNotice, marked] }

    final class StoreDir {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-history-\(UUID().uuidString)").path
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    struct Started {
        let node: CoordinatorNode
        let store: FileStore
        let app: Application<AccessGate<RouterResponder<IngestRequestContext>>>
    }

    /// A node on `dir` restored as `vigil serve` restores it (snapshot, then the records after it).
    func start(_ dir: StoreDir, clock: TestClock) throws -> Started {
        var config = VigilConfiguration(nodes: [NodeAddress(id: "n1", http: HostPort("127.0.0.1:0")!, gossip: HostPort("127.0.0.1:0")!)])
        config.executions = ExecutionSettings(heartbeatTimeout: .seconds(10), checkInterval: .seconds(5), maxStrikes: 3)
        let store = try FileStore(root: dir.path, node: "n1")
        let node = try CoordinatorNode(id: "n1", configuration: config, store: store, clocks: clock.clocks)
        let restored = try store.restore()
        node.restore(restored.records.map(StoredRecord.init), from: restored.snapshot.flatMap(NodeSnapshot.init(decoding:)))
        let server = IngestServer(node: node, logger: Logger(label: "test"), nowMs: { clock.nowMs })
        return Started(node: node, store: store, app: Application(responder: server.responder()))
    }

    func beat(_ id: String, percent: Int, status: String = "running", clock: TestClock) -> String {
        seedHeartbeat(id: id, [
            "status": "\"\(status)\"", "timestamp": "\(clock.nowMs / 1000 - 2)", "container_id": "\"host-\(id.prefix(4))\"",
            "progress": #"{"percentage":\#(percent),"crawled_urls":\#(percent),"current_url":"https://example.org/\#(percent)"}"#,
        ])
    }

    /// The body without what counts from now.
    func body(_ client: some TestClientProtocol, _ id: String) async throws -> JSONObject {
        let (status, object) = try await client.get("/api/v1/executions/\(id)")
        #expect(status == .ok)
        return JSONObject(object.members.filter { $0.key != "heartbeat_age_s" })
    }

    /// Four executions end four ways (completed, failed by a heartbeat, failed by a notice,
    /// marked by the sweep); returns their bodies.
    func finishFourWays(_ started: Started, clock: TestClock, snapshot: Bool) async throws -> [JSONObject] {
        let node = started.node
        let store = started.store
        return try await whileRunning(node.driver.run) {
            try await started.app.test(.router) { client in
                for percent in [10, 20, 30] {
                    for id in ids { #expect(try await client.post("/api/v1/monitoring/heartbeat", json: beat(id, percent: percent, clock: clock)).0 == .ok) }
                    clock.advance(seconds: 2)
                }
                let done = #"{"execution_id":"\#(completed)","container_id":"host-1111","success":true,"result_data":{"items":30}}"#
                #expect(try await client.post("/api/v1/monitoring/completion", json: done).0 == .ok)
                #expect(try await client.post("/api/v1/monitoring/heartbeat", json: beat(failedByHeartbeat, percent: 35, status: "failed", clock: clock)).0 == .ok)
                let failed = #"{"execution_id":"\#(failedByNotice)","container_id":"host-3333","success":false,"error_message":"disk full"}"#
                #expect(try await client.post("/api/v1/monitoring/completion", json: failed).0 == .ok)
                // `marked` goes silent: the sweep strikes it three times, then marks it.
                for _ in 0..<40 where node.executions.record(ExecutionID(marked)!)?.status == .running {
                    clock.advance(seconds: 2.5)
                    await node.apply(stored: [], readStartedAt: node.now().judge)
                    await node.tick(alive: ["n1"], synced: true)
                }
                #expect(node.executions.record(ExecutionID(marked)!)?.terminal?.source == .sweep)
                if snapshot {
                    var tail = StoreTail()
                    _ = try tail.poll(store.reader)
                    let follower = StoreFollower(node: node, store: store, cursor: tail.cursor, generation: 1, logger: Logger(label: "t"))
                    #expect(await follower.snapshot(cursor: tail.cursor))
                }
                var bodies: [JSONObject] = []
                for id in ids { bodies.append(try await body(client, id)) }
                return bodies
            }
        }
    }

    @Test(arguments: [false, true])
    func finishedExecutionsAnswerTheSameAfterARestart(fromSnapshot: Bool) async throws {
        let dir = StoreDir()
        let clock = TestClock()
        let first = try start(dir, clock: clock)
        let before = try await finishFourWays(first, clock: clock, snapshot: fromSnapshot)
        first.store.close()
        clock.advance(seconds: 600)

        let second = try start(dir, clock: clock)
        defer { second.store.close() }
        if fromSnapshot { #expect(try second.store.latestSnapshot() != nil) }
        let after = try await whileRunning(second.node.driver.run) {
            try await second.app.test(.router) { client in
                var bodies: [JSONObject] = []
                for id in ids { bodies.append(try await body(client, id)) }
                return bodies
            }
        }
        for (id, (was, now)) in zip(ids, zip(before, after)) {
            #expect(was == now, "\(id): before \(was), after \(now)")
            #expect(now["last_heartbeat"] != .null && now["progress"] != .null, "\(id) shows its last heartbeat and progress")
        }
        #expect(after[0]["heartbeat_count"] == .int(3))
        #expect(after[1]["heartbeat_count"] == .int(4))
        #expect(after[3]["strikes"] == .int(3))
        #expect(after[3]["finished_by"] == .string("sweep"))
    }
}
