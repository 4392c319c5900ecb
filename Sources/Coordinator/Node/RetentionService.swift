import Logging
import ServiceLifecycle

/// Drops finished executions from memory once they are older than the retention period (the
/// seed's daily cleanup), along with their replicated gossip entries. The store keeps their history.
public struct RetentionService<C: Clock>: Service where C.Duration == Duration {
    let node: CoordinatorNode
    let logger: Logger
    let clock: C

    public init(node: CoordinatorNode, logger: Logger, clock: C = ContinuousClock()) {
        self.node = node
        self.logger = logger
        self.clock = clock
    }

    /// How often to look: a tenth of the retention, between 1 s and 60 s.
    var period: Duration { min(.seconds(60), max(.seconds(1), node.configuration.executions.retention / 10)) }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: period) }
            } catch {
                return  // shutting down
            }
            let dropped = node.expireFinished()
            if dropped > 0 { logger.info("Expired finished executions", metadata: ["executions.expired": "\(dropped)"]) }
        }
    }
}
