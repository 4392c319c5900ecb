import Logging
import ServiceLifecycle

/// Drops finished executions from memory once they are older than the retention period (the
/// seed's daily cleanup), along with their replicated gossip entries. The store keeps their history.
public struct RetentionService<C: Clock>: Service where C.Duration == Duration {
    let node: CoordinatorNode
    let retentionS: Double
    let logger: Logger
    let clock: C
    let nowMs: @Sendable () -> Int64

    public init(
        node: CoordinatorNode, retentionS: Double, logger: Logger, clock: C = ContinuousClock(),
        nowMs: @escaping @Sendable () -> Int64 = WallClock.unixMs
    ) {
        self.node = node
        self.retentionS = retentionS
        self.logger = logger
        self.clock = clock
        self.nowMs = nowMs
    }

    /// How often to look: a tenth of the retention, between 1 s and 60 s.
    var period: Duration { .milliseconds(Int64(min(60, max(1, retentionS / 10)) * 1000)) }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: period) }
            } catch {
                return  // shutting down
            }
            let dropped = node.executions.expireFinished(olderThan: Int64(retentionS * 1000), nowMs: nowMs())
            node.forget(dropped)
            if !dropped.isEmpty { logger.info("Expired finished executions", metadata: ["executions.expired": "\(dropped.count)"]) }
        }
    }
}
