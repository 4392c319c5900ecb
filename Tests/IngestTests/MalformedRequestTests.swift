import Gossip
import Hummingbird
import HummingbirdTesting
import Ingest
import Testing
import VigilTestSupport

/// Requests whose HTTP framing is broken get a clear 400 in the house error shape, never a 500
/// and never an empty body, over a real socket (where the framing is parsed).
@Suite struct MalformedRequestTests {
    static let cases: [(name: String, request: String)] = [
        ("broken chunk size", "POST /api/v1/monitoring/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n"),
        ("Content-Length not a number", "POST /api/v1/monitoring/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"),
        ("two Content-Lengths", "POST /api/v1/monitoring/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}"),
        ("header without a colon", "GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"),
        ("not HTTP", "GARBAGE\r\n\r\n"),
    ]

    @Test(arguments: Self.cases.map(\.name))
    func malformedFramingIsA400InTheHouseShape(name: String) async throws {
        let request = try #require(Self.cases.first { $0.name == name }).request
        let t = try TestNode()
        let app = t.server.application(bind: .init(host: "127.0.0.1", port: 0))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let response = RawHTTP.exchange(port: port, Array(request.utf8))
            #expect(response.hasPrefix("HTTP/1.1 400"), "\(name): \(response)")
            #expect(response.contains(#"{"status":"error","message":"Malformed HTTP request: "#), "\(name): \(response)")
            // The node is fine afterwards.
            let (status, _) = try await client.get("/health")
            #expect(status == .ok)
        }
    }
}
