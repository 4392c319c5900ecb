import CoordinatorCore
import Gossip
import Logging
import ServiceLifecycle

/// Puts the keyring the store holds into force in the gossip transport, and gossips this node's
/// report (``KeyringReport``): at start, and within ``interval`` of every change a node made or
/// read from the store. Datagrams keep flowing throughout: a node opens with every key it holds.
public struct KeyringService<C: Clock>: Service where C.Duration == Duration {
    let node: CoordinatorNode
    let gossip: GossipService<C>
    let logger: Logger
    let interval: Duration
    /// The keyring already in force when the service starts (`serve` applies it before gossip runs).
    let initial: KeyringBook?

    public init(node: CoordinatorNode, gossip: GossipService<C>, logger: Logger, interval: Duration = .milliseconds(100), inForce initial: KeyringBook? = nil) {
        self.node = node
        self.gossip = gossip
        self.logger = logger
        self.interval = interval
        self.initial = initial
    }

    public func run() async throws {
        var inForce = initial
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let book = node.keyring
            if book != inForce {
                if Self.apply(book, to: gossip, logger: logger) { inForce = book }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Applies `book` to the transport and publishes the report; `false` (logged) when a key
    /// is unusable.
    @discardableResult
    public static func apply(_ book: KeyringBook, to gossip: GossipService<C>, logger: Logger) -> Bool {
        do {
            try gossip.setKeys(book.secretKeys, sealing: book.primary != .plaintext, acceptsPlaintext: book.keys.contains(.plaintext))
        } catch {
            logger.error("The keyring holds an unusable key; the previous keys stay in force", metadata: ["error": "\(error)"])
            return false
        }
        do {
            try gossip.set(key: KeyringReport.entryKey, value: KeyringReport.value(book), stamp: WallClock.unixMs())
        } catch {
            logger.warning("Cannot gossip this node's keyring report", metadata: ["error": "\(error)"])
        }
        logger.notice(
            "Gossip keyring in force",
            metadata: ["gossip.keys": "\(book.keys.map(KeyringReport.name).joined(separator: ","))", "gossip.sealing": "\(KeyringReport.name(book.primary))"]
        )
        return true
    }
}
