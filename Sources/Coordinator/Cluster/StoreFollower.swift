import CoordinatorCore
import Logging
import ServiceLifecycle
import Store

/// Follows the other nodes' store files, so every node learns every durable fact: registrations,
/// completions and failure marks written elsewhere, the leader's strike counts and claims, the
/// pause flag. Together with gossiped heartbeats this makes every node's view whole.
///
/// Each poll that reads every file to its end tells the node so; a new leader counts no strike
/// before such a read has happened since it took over. A failed read is logged and retried.
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
            let started = node.now().judge
            do {
                let polled = try tail.poll(reader)
                let peers = polled.records.filter { $0.node != node.id }.map(StoredRecord.init)
                await node.apply(stored: peers, readStartedAt: started)
                for damage in polled.damages where reported.insert(damage.description).inserted {
                    logger.warning("Store damage skipped while following peers", metadata: ["store.damage": "\(damage)"])
                }
                if !peers.isEmpty { logger.debug("Applied peers' store records", metadata: ["store.records": "\(peers.count)"]) }
            } catch {
                logger.warning("Could not read peers' store files; retrying", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension StoredRecord {
    /// The core's form of a record read from the store.
    public init(_ record: StoreRecord) {
        self.init(
            node: record.node, position: LogPosition(segment: record.position.segment, offset: record.position.offset),
            kind: DurableKind(record.type), term: record.term, time: WallTime(ms: record.timeMs), payload: record.payload
        )
    }
}
