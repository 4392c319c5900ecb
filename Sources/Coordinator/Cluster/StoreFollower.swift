import CoordinatorCore
import Logging
import NIOPosix
import ServiceLifecycle
import Store

/// Follows the other nodes' store files, so every node learns every durable fact: registrations,
/// completions and failure marks written elsewhere, the leader's strike counts and claims, the
/// pause flag. Together with gossiped heartbeats this makes every node's view whole. It also
/// applies this node's own records that reached the file although their append was reported
/// failed (``FileStore/takeLanded()``): every reader sees them, so this node must too.
///
/// Each poll that reads every file to its end tells the node so; a new leader counts no strike
/// before such a read has happened since it took over. A failed read is logged and retried.
///
/// Every `snapshotInterval` it also writes a snapshot of the node's state covering exactly what
/// it has applied (the cursor of its last poll), and deletes this node's segments that every
/// node's snapshot has passed and that are older than the retention: disk use and restart time
/// follow the live state, not the history.
///
/// Reading files, writing the snapshot index and deleting segments block, so they run on
/// `blockingPool` (NIO's thread pool), never on the cooperative pool; the snapshot record itself
/// is appended by the store's own writer thread.
public struct StoreFollower<C: Clock>: Service where C.Duration == Duration {
    let node: CoordinatorNode
    let store: FileStore
    let start: StoreCursor
    let generation: UInt64
    let interval: Duration
    let snapshotInterval: Duration
    let logger: Logger
    let clock: C
    let blockingPool: NIOThreadPool

    /// - Parameters:
    ///   - cursor: where the node's restore stopped reading.
    ///   - generation: this start's generation (kept in snapshots).
    ///   - interval: time between polls (the delay with which other nodes' facts show up here).
    public init(
        node: CoordinatorNode, store: FileStore, cursor: StoreCursor, generation: UInt64, interval: Duration = .milliseconds(200),
        logger: Logger, clock: C = ContinuousClock(), blockingPool: NIOThreadPool = .singleton
    ) {
        self.node = node
        self.store = store
        self.start = cursor
        self.generation = generation
        self.interval = interval
        self.snapshotInterval = node.configuration.store.snapshotInterval
        self.logger = logger
        self.clock = clock
        self.blockingPool = blockingPool
    }

    public func run() async throws {
        var tail = StoreTail(cursor: start)
        var reported = Set<String>()
        var nextSnapshot = clock.now.advanced(by: snapshotInterval)
        var lastStart = clock.now
        while !Task.isShuttingDownGracefully {
            // Polls start `interval` apart (a slow poll shortens the wait, to a quarter of the
            // interval at least, so a slow filesystem is not polled without a pause).
            let wait = max(interval - lastStart.duration(to: clock.now), interval / 4)
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: wait) }
            } catch {
                return
            }
            lastStart = clock.now
            let started = node.now().judge
            do {
                let (polled, advanced) = try await poll(tail)
                tail = advanced
                let peers = polled.records.filter { $0.node != node.id }.map(StoredRecord.init)
                // This node's own records that landed although their append was reported failed:
                // peers apply them, so must this node (taken after the poll, before any snapshot).
                let landed = store.takeLanded().map(StoredRecord.init)
                await node.apply(stored: landed + peers, readStartedAt: started)
                if !landed.isEmpty { logger.warning("Applied own store records whose append was reported failed", metadata: ["store.records": "\(landed.count)"]) }
                for damage in polled.damages where reported.insert(damage.description).inserted {
                    logger.warning("Store damage skipped while following peers", metadata: ["store.damage": "\(damage)"])
                }
                if !peers.isEmpty { logger.debug("Applied peers' store records", metadata: ["store.records": "\(peers.count)"]) }
            } catch {
                logger.warning("Could not read peers' store files; retrying", metadata: ["error": "\(error)"])
                node.storeReadFailed()
                continue
            }
            if clock.now >= nextSnapshot, await snapshot(cursor: tail.cursor) {
                nextSnapshot = clock.now.advanced(by: snapshotInterval)
            }
        }
    }

    /// Reads every file from `tail` to its end on the blocking pool, under the node's store
    /// deadline: a read step that hangs on a frozen mount stalls the store. Each finished step
    /// restarts the deadline, so a slow but answering network filesystem (a poll of dozens of
    /// 100 ms round trips) is not taken for a frozen one.
    private func poll(_ tail: StoreTail) async throws -> (records: (records: [StoreRecord], damages: [StoreDamage]), tail: StoreTail) {
        let reader = store.reader
        let node = self.node
        node.storeRead(since: node.now().judge)
        defer { node.storeRead(since: nil) }
        return try await blockingPool.runIfActive {
            var tail = tail
            let polled = try tail.poll(reader) { node.storeRead(since: node.now().judge) }
            return (polled, tail)
        }
    }
}

extension StoreFollower {
    /// Writes a snapshot covering `cursor` and deletes what every node's snapshot has passed.
    /// Returns `false` when the node had a write in flight (it is tried again after the next poll).
    public func snapshot(cursor: StoreCursor) async -> Bool {
        // A copy of the core costs nothing under the lock (copy-on-write); the snapshot is built
        // from it outside, so a large table never holds up heartbeats for the whole encoding.
        guard let core = node.read({ core -> NodeCore? in core.writesInFlight == 0 ? copy core : nil }),
            let state = core.snapshot(generation: generation)
        else { return false }
        let wall = node.now().wall
        let olderThan = wall.ms - node.configuration.executions.retention.wholeMilliseconds
        do {
            let written = try await store.appendSnapshot(state: state.encoded, cursor: cursor, timeMs: wall.ms)
            let store = self.store
            let deleted = try await blockingPool.runIfActive {
                try store.makeCurrent(snapshot: written)
                return try store.deleteCoveredSegments(olderThanUnixMs: olderThan)
            }
            logger.info("Store snapshot written", metadata: [
                "store.executions": "\(state.facts.count)", "store.segments_deleted": "\(deleted.count)",
            ])
        } catch {
            logger.warning("Could not write a store snapshot or delete old segments; retrying next interval", metadata: ["error": "\(error)"])
        }
        return true
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
