import Logging
import NIOCore
import NIOPosix

/// The shell of ``CrashEvidence``: looks at a suspect's TCP port (its HTTP listener) and reports
/// refused, accepted or no answer. One look is one connect, bounded by `timeout`; an accepted
/// connection is closed at once (nothing is sent).
struct CrashProbe: Sendable {
    /// The TCP address to look at, per member id (Vigil: each node's HTTP address).
    let ports: [String: HostPort]
    let timeout: TimeAmount
    let gap: Duration

    func look(at address: HostPort) async -> CrashEvidence.Look {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(timeout)
        do {
            let channel = try await bootstrap.connect(host: address.host, port: Int(address.port)).get()
            try? await channel.close()
            return .accepted
        } catch {
            return Self.isRefusal(error) ? .refused : .noAnswer
        }
    }

    /// ECONNREFUSED (a reset to our SYN), however NIO wraps it.
    static func isRefusal(_ error: any Error) -> Bool {
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        if let error = error as? NIOConnectionError { return !error.connectionErrors.isEmpty && error.connectionErrors.allSatisfy { isRefusal($0.error) } }
        return false
    }
}
