import Synchronization

/// Counts open HTTP connections, in all and per client address, and refuses those over the
/// caps (``HTTPSettings/maxConnections``, ``HTTPSettings/maxConnectionsPerClient``), so a flood
/// of new connections from one place cannot take every slot from well-behaved containers.
public final class ConnectionLimiter: Sendable {
    /// Why a connection was refused.
    public enum Refusal: Sendable, Equatable {
        /// The node holds `maxConnections` already.
        case nodeFull(limit: Int)
        /// This client address holds `maxConnectionsPerClient` already.
        case clientFull(limit: Int)
    }

    public let maxConnections: Int
    public let maxPerClient: Int
    private let counts = Mutex<(total: Int, perClient: [String: Int])>((0, [:]))

    public init(maxConnections: Int, maxPerClient: Int) {
        self.maxConnections = maxConnections
        self.maxPerClient = maxPerClient
    }

    /// Takes a slot for a connection from `client`, or says why not. Every admitted connection
    /// must be ``release(_:)``d once, when it closes.
    public func admit(_ client: String) -> Refusal? {
        counts.withLock { counts in
            if counts.total >= maxConnections { return .nodeFull(limit: maxConnections) }
            let mine = counts.perClient[client, default: 0]
            if mine >= maxPerClient { return .clientFull(limit: maxPerClient) }
            counts.total += 1
            counts.perClient[client] = mine + 1
            return nil
        }
    }

    /// Gives back the slot of a closed connection.
    public func release(_ client: String) {
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.perClient[client, default: 1] - 1
            counts.perClient[client] = left > 0 ? left : nil
        }
    }

    /// Connections open now.
    public var open: Int { counts.withLock { $0.total } }
}
