import Coordinator
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Logging
import NIOCore
import Synchronization
import Testing
import VigilTestSupport
import CoordinatorCore
import VigilJSON
import Gossip

/// A manual wall clock for router tests.
final class TestClock: Sendable {
    /// (judge ms, wall step ms): wall time is judge time plus a start and any step.
    private let state = Mutex<(judge: Int64, step: Int64)>((0, 0))
    var nowMs: Int64 { state.withLock { 1_700_000_000_000 + $0.judge + $0.step } }
    var judgeMs: Int64 { state.withLock { $0.judge } }
    /// Time passes (both clocks).
    func advance(seconds: Double) { state.withLock { $0.judge += Int64(seconds * 1000) } }
    /// The wall clock is stepped (NTP, an operator); the judge clock is not.
    func stepWall(seconds: Double) { state.withLock { $0.step += Int64(seconds * 1000) } }

    var clocks: NodeClocks { NodeClocks(wall: { WallTime(ms: self.nowMs) }, judge: { JudgeTime(ms: self.judgeMs) }) }
}

/// A node plus the router built exactly as `vigil serve` builds it.
struct TestNode {
    let node: CoordinatorNode
    let clock = TestClock()
    let app: Application<AccessGate<RouterResponder<IngestRequestContext>>>
    let server: IngestServer

    init(
        maxBodyBytes: Int = 65_536, http: HTTPSettings = .init(), notifications: NotificationSettings = .init(), notifier: (any NotificationSender)? = nil,
        kinds: [KindSettings] = []
    ) throws {
        var config = VigilConfiguration(nodes: [NodeAddress(id: "n1", http: HostPort("127.0.0.1:0")!, gossip: HostPort("127.0.0.1:0")!)])
        config.kinds = kinds
        config.http = http
        config.http.maxBodyBytes = maxBodyBytes
        config.notifications = notifications
        node = try CoordinatorNode(id: "n1", configuration: config, notifier: notifier, clocks: clock.clocks)
        let clock = self.clock
        server = IngestServer(node: node, logger: Logger(label: "test"), metricsText: { Array("vigil_test 1\n".utf8) }, nowMs: { clock.nowMs })
        app = Application(responder: server.responder())
    }

    /// Runs `body` with a client for the in-process router, or, with `live`, against the real
    /// server on a loopback socket (where heartbeats take the event-loop fast path).
    func test(live: Bool = false, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await whileRunning(node.driver.run) {
            if live {
                let liveApp = server.application(bind: HostPort(host: "127.0.0.1", port: 0))
                try await liveApp.test(.live) { client in try await body(client) }
            } else {
                try await app.test(.router) { client in try await body(client) }
            }
        }
    }
}

extension TestClientProtocol {
    /// POSTs `json` and returns status and parsed body.
    func post(_ uri: String, json: String, contentType: String? = "application/json") async throws -> (HTTPResponse.Status, JSONObject) {
        var headers: HTTPFields = [:]
        if let contentType { headers[.contentType] = contentType }
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json)) { response in
            (response.status, try parse(response.body))
        }
    }

    func get(_ uri: String) async throws -> (HTTPResponse.Status, JSONObject) {
        try await execute(uri: uri, method: .get) { response in (response.status, try parse(response.body)) }
    }
}

func parse(_ buffer: ByteBuffer) throws -> JSONObject {
    guard case .object(let o) = try JSONParser.parse(Array(buffer.readableBytesView)) else {
        Issue.record("response is not a JSON object: \(String(buffer: buffer))")
        return JSONObject()
    }
    return o
}

/// The seed 003 example body, with an optional override of any member.
func seedHeartbeat(id: String = "550e8400-e29b-41d4-a716-446655440000", _ overrides: [String: String] = [:]) -> String {
    var members: [(String, String)] = [
        ("execution_id", "\"\(id)\""),
        ("container_id", "\"crawler-container-abc123\""),
        ("status", "\"running\""),
        ("progress", #"{"total_urls":100,"crawled_urls":45,"successful_urls":42,"failed_urls":3,"current_url":"https://example.com/page45","current_stage":"爬取中 (45/100)","data_items":1250,"percentage":45.0,"runtime_seconds":1800,"start_time":"2024-01-01T10:00:00","error_count":0}"#),
        ("timestamp", "1640995200"),
    ]
    for (key, value) in overrides {
        if let i = members.firstIndex(where: { $0.0 == key }) { members[i].1 = value } else { members.append((key, value)) }
    }
    let kept = members.filter { $0.1 != "<omit>" }
    return "{" + kept.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
}
