import CoordinatorCore
import Synchronization

/// Where a node's durable writes go: appended in order, durable (fsynced) before the result.
/// Production uses ``StoreLog`` over the shared file store; a node without a store (tests)
/// uses ``InMemoryLog``; the simulation plugs in its own.
public protocol DurableLog: Sendable {
    /// Appends `writes` contiguously; on success, one position per write.
    func append(_ writes: [DurableWrite]) async -> Result<[LogPosition], WriteFailure>
}

/// Positions handed out in memory: every write "succeeds" at once (tests, a node without a store).
public final class InMemoryLog: DurableLog {
    private let next = Mutex(0)

    public init() {}

    public func append(_ writes: [DurableWrite]) async -> Result<[LogPosition], WriteFailure> {
        .success(next.withLock { next in
            writes.map { _ in
                next += 1
                return LogPosition(segment: 0, offset: next)
            }
        })
    }
}

/// The IO a ``NodeDriver`` carries the core's effects out with, injected at init.
public struct NodeEffects: Sendable {
    /// Durable writes.
    public var log: any DurableLog
    /// Where accepted heartbeats are replicated (gossip); `nil`: nowhere (a node alone).
    public var replication: (any HeartbeatSink)?
    /// Carries notification attempts; `nil`: every attempt fails (and is retried).
    public var notifier: (any NotificationSender)?
    /// Probes services and runs repairs; `nil`: every probe fails.
    public var prober: (any ServiceProbing)?

    public init(
        log: any DurableLog = InMemoryLog(), replication: (any HeartbeatSink)? = nil, notifier: (any NotificationSender)? = nil,
        prober: (any ServiceProbing)? = nil
    ) {
        self.log = log
        self.replication = replication
        self.notifier = notifier
        self.prober = prober
    }

    /// Shuts the outbound clients down: the driver does when its ``NodeDriver/run()`` ends; a
    /// start-up that fails before the driver runs does it instead.
    public func shutdown() async {
        await notifier?.shutdown()
        await prober?.shutdown()
    }
}
