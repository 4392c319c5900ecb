import VigilJSON
import Coordinator
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Logging
import NIOCore
import Store
import Testing
import VigilTestSupport
import CoordinatorCore
import Gossip

/// Registrations and terminal outcomes are durable before they are acknowledged, and a node
/// restarted on the same store knows them.
@Suite struct DurabilityTests {
    let id = "550e8400-e29b-41d4-a716-446655440000"

    final class StoreDir {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-durable-\(UUID().uuidString)").path
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func node(_ dir: StoreDir) async throws -> (CoordinatorNode, FileStore, Application<AccessGate<RouterResponder<IngestRequestContext>>>) {
        let config = VigilConfiguration(nodes: [NodeAddress(id: "n1", http: HostPort("127.0.0.1:0")!, gossip: HostPort("127.0.0.1:0")!)])
        let store = try FileStore(root: dir.path, node: "n1")
        let node = try CoordinatorNode(id: "n1", configuration: config, store: store)
        node.restore(try store.restore().records.map(StoredRecord.init))
        let app = Application(responder: IngestServer(node: node, logger: Logger(label: "test")).responder())
        return (node, store, app)
    }

    @Test(arguments: [false, true])
    func acknowledgedFactsSurviveARestart(live: Bool) async throws {
        let dir = StoreDir()
        let (first, store, app) = try await node(dir)
        let running = "650e8400-e29b-41d4-a716-446655440000"
        let id = self.id
        let body: @Sendable (any TestClientProtocol) async throws -> Void = { client in
            let first = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat(id: id)).0
            let second = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat(id: running)).0
            let completion = #"{"execution_id":"\#(id)","container_id":"c","success":false,"error_message":"disk full"}"#
            let third = try await client.post("/api/v1/monitoring/completion", json: completion).0
            #expect([first, second, third] == [.ok, .ok, .ok])
        }
        try await whileRunning(first.driver.run) {
            if live {
                try await IngestServer(node: first, logger: Logger(label: "test")).application(bind: HostPort(host: "127.0.0.1", port: 0)).test(.live) { try await body($0) }
            } else {
                try await app.test(.router) { try await body($0) }
            }
        }
        store.close()

        let (second, store2, _) = try await node(dir)
        defer { store2.close() }
        let done = try #require(second.executions.record(ExecutionID(id)!))
        #expect(done.status == .failed)
        #expect(done.terminal?.errorMessage == "disk full")
        #expect(second.executions.record(ExecutionID(running)!)?.status == .running)
        #expect(second.executions.counts.total == 2)
        let records = try StoreReader(root: dir.path).replay().records
        #expect(records.map { DurableKind($0.type) } == [.registration, .registration, .completion])
    }

    @Test func storeFailureIs503AndChangesNothing() async throws {
        let dir = StoreDir()
        let (node, store, app) = try await node(dir)
        store.close()  // every append now fails
        try await whileRunning(node.driver.run) { try await app.test(.router) { client in
            let (status, body) = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat(id: self.id))
            #expect(status == .serviceUnavailable)
            #expect(body["status"] == .string("error"))
            let completion = #"{"execution_id":"\#(self.id)","container_id":"c","success":true}"#
            #expect(try await client.post("/api/v1/monitoring/completion", json: completion).0 == .serviceUnavailable)
        } }
        #expect(node.executions.counts.total == 0)
    }

    @Test func concurrentConflictingCompletionsRecordExactlyOneOutcome() async throws {
        let dir = StoreDir()
        let (node, store, app) = try await node(dir)
        try await whileRunning(node.driver.run) { try await app.test(.router) { client in
            _ = try await client.post("/api/v1/monitoring/heartbeat", json: seedHeartbeat(id: self.id))
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let json = #"{"execution_id":"\#(self.id)","container_id":"c","success":\#(i % 2 == 0)}"#
                        return try await client.post("/api/v1/monitoring/completion", json: json).0
                    }
                }
                var all: [HTTPResponse.Status] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.allSatisfy { $0 == .ok || $0 == .conflict })
            #expect(statuses.contains(.conflict))
        } }
        store.close()
        let records = try StoreReader(root: dir.path).replay().records.filter { DurableKind($0.type) == .completion }
        let outcomes = Set(records.compactMap { ExecutionFact(type: $0.type, payload: $0.payload) }.compactMap { fact -> ExecutionStatus? in
            if case .finished(_, let status, _, _, _, _, _, _) = fact { return status }
            return nil
        })
        #expect(outcomes.count == 1)
        #expect(outcomes.first == node.executions.record(ExecutionID(id)!)?.status)
    }
}
