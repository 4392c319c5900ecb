import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Posts to one of several Vigil nodes: the current one first, the next when it does not
/// answer (connection refused, timeout, 5xx), so a dead coordinator loses no heartbeat.
public final class NodeFailoverClient: @unchecked Sendable {
    public let bases: [String]
    private let client: HTTPClient
    private let lock = NSLock()
    private var current = 0
    private let timeout: TimeAmount

    /// What a node answered.
    public enum Answer: Sendable, Equatable {
        /// A 2xx.
        case accepted(base: String)
        /// A 4xx: the node understood and refused (the same from every node).
        case refused(base: String, status: Int, message: String)
        /// No node answered.
        case unreachable(String)
    }

    public init(bases: [String], timeout: Duration = .seconds(5)) {
        self.bases = bases.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(10))
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
    }

    /// POSTs `body` to `path`, trying every node once, starting with the one that answered last.
    public func post(_ path: String, body: [UInt8]) async -> Answer {
        let start = lock.withLock { current }
        var errors: [String] = []
        for step in 0..<bases.count {
            let index = (start + step) % bases.count
            let base = bases[index]
            var request = HTTPClientRequest(url: base + path)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "user-agent", value: "vigil-run")
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await client.execute(request, timeout: timeout)
                var text = ""
                for try await part in response.body where text.utf8.count < 4096 { text += String(buffer: part) }
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    lock.withLock { current = index }
                    return .accepted(base: base)
                }
                if (400..<500).contains(status) {
                    lock.withLock { current = index }
                    return .refused(base: base, status: status, message: text)
                }
                errors.append("\(base) answered \(status)")
            } catch {
                errors.append("\(base): \(error)")
            }
        }
        lock.withLock { current = (start + 1) % max(1, bases.count) }
        return .unreachable(errors.joined(separator: "; "))
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}
