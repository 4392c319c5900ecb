import Logging
import ServiceLifecycle
import Store

/// Follows the other nodes' store files, so every node learns every durable fact: registrations,
/// completions and failure marks written elsewhere, the leader's strike counts, the pause flag
/// and leadership terms. Together with gossiped heartbeats this makes every node's view whole.
///
/// Each poll that reads every file to its end tells the node so (``CoordinatorNode/noteStoreRead(atMs:)``);
/// a new leader counts no strike before such a read has happened since it took over.
public struct StoreFollower<C: Clock>: Service where C.Duration == Duration {
    let node: CoordinatorNode
    let reader: StoreReader
    let start: StoreCursor
    let interval: Duration
    let logger: Logger
    let clock: C

    /// - Parameters:
    ///   - cursor: where the node's restore stopped reading.
    ///   - interval: time between polls (the delay with which other nodes' facts show up here).
    public init(node: CoordinatorNode, reader: StoreReader, cursor: StoreCursor, interval: Duration = .milliseconds(200), logger: Logger, clock: C = ContinuousClock()) {
        self.node = node
        self.reader = reader
        self.start = cursor
        self.interval = interval
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        var tail = StoreTail(cursor: start)
        var reported = Set<String>()
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            } catch {
                return
            }
            let started = node.judgeMs()
            do {
                let polled = try tail.poll(reader)
                var applied = 0
                for record in polled.records where record.node != node.id {
                    node.apply(peerRecord: record)
                    applied += 1
                }
                for damage in polled.damages where reported.insert(damage.description).inserted {
                    logger.warning("Store damage skipped while following peers", metadata: ["store.damage": "\(damage)"])
                }
                if applied > 0 { logger.debug("Applied peers' store records", metadata: ["store.records": "\(applied)"]) }
                node.noteStoreRead(atMs: started)
            } catch {
                logger.warning("Could not read peers' store files; retrying", metadata: ["error": "\(error)"])
            }
        }
    }
}
