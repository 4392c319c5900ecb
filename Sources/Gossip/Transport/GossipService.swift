import VigilCodec
import Logging
import Metrics
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The UDP shell around ``GossipNode``: a ServiceLifecycle `Service` that binds a datagram socket
/// with SwiftNIO, feeds the core received datagrams and ticks from an injected clock, and carries
/// out its actions (send, publish, count). All protocol decisions live in the core.
///
/// On graceful shutdown the node tells its peers it leaves, then closes the socket.
public final class GossipService<C: Clock>: Service, Sendable where C.Duration == Duration {
    public let configuration: GossipConfiguration
    /// The codec in force: replaced whole when the keyring changes (``setKeys(_:sealing:acceptsPlaintext:)``).
    private let codecBox: Mutex<WireCodec>
    var codec: WireCodec { codecBox.withLock { $0 } }
    let clock: C
    let start: C.Instant
    let logger: Logger
    let metrics: GossipMetrics
    let state: Mutex<State>
    let eventContinuation: AsyncStream<GossipEvent>.Continuation

    /// Changes of membership and replica, in order, buffered up to ``eventBufferLimit``. A
    /// consumer that falls further behind loses events: it learns so from
    /// ``takeEventOverflow()`` and then re-reads the replica (``entries(of:)``).
    public let events: AsyncStream<GossipEvent>

    /// Events held for a slow consumer before newer ones are dropped.
    public static var eventBufferLimit: Int { 65_536 }

    struct State: Sendable {
        var core: GossipNode
        var rng: SplitMix64
        var bound: HostPort?
        var boundWaiters: [CheckedContinuation<HostPort, Never>] = []
        var keyMismatchReported: Set<String> = []
        /// An event was dropped since the consumer last asked.
        var eventsOverflowed = false
        var suspicionsRaised = 0
        var suspicionsRefuted = 0
        var addresses: [HostPort: SocketAddress] = [:]
        /// Suspects whose ports are being looked at (id and incarnation).
        var crashChecks: Set<String> = []
        /// Host names being resolved on the blocking pool.
        var resolving: Set<HostPort> = []
    }

    /// Work the service does beside its loops, as child tasks of its own ``run()``.
    enum Errand: Sendable {
        /// Look at a new suspect's port (``CrashEvidence``).
        case crashCheck(Member)
        /// Resolve a host name once, off the cooperative pool, into the address cache.
        case resolve(HostPort)
    }

    let errands: AsyncStream<Errand>
    let errandQueue: AsyncStream<Errand>.Continuation

    /// - Throws: ``GossipConfigurationError`` when a key or setting is unusable.
    public init(
        configuration: GossipConfiguration,
        clock: C = ContinuousClock(),
        logger: Logger = Logger(label: "vigil.gossip"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) throws(GossipConfigurationError) {
        var settings = configuration.settings
        // Room for the seal in every datagram, sealed or not: a key installed at run time must
        // never make an already packed datagram too long.
        settings.sealed = true
        try settings.validate()
        guard configuration.identity.id.utf8.count <= NodeIdentity.maxIDBytes, !configuration.identity.id.isEmpty else {
            throw GossipConfigurationError(code: .invalidSetting, detail: "node id must be 1...\(NodeIdentity.maxIDBytes) bytes")
        }
        let keyring = configuration.keys.isEmpty ? nil : try GossipKeyring(base64Keys: configuration.keys, cipher: configuration.cipher)
        self.configuration = configuration
        self.codecBox = Mutex(WireCodec(cluster: ClusterID(name: configuration.clusterName), keyring: keyring, maxDatagramBytes: settings.maxDatagramBytes))
        self.clock = clock
        self.start = clock.now
        self.logger = logger
        self.metrics = GossipMetrics(factory: metricsFactory)
        let core = GossipNode(identity: configuration.identity, seeds: configuration.seeds, settings: settings, now: .zero)
        var seed = SystemRandomNumberGenerator()
        self.state = Mutex(State(core: core, rng: SplitMix64(seed: seed.next())))
        (self.events, self.eventContinuation) = AsyncStream.makeStream(of: GossipEvent.self, bufferingPolicy: .bufferingOldest(Self.eventBufferLimit))
        (self.errands, self.errandQueue) = AsyncStream.makeStream(of: Errand.self, bufferingPolicy: .bufferingOldest(Self.cacheLimit))
    }

    // MARK: Application API

    /// Writes `value` under `key` in this node's own table; it reaches peers within a few rounds.
    ///
    /// - Parameter announce: also publish the change on ``events`` (a writer that needs no echo
    ///   of its own writes passes `false`: on a hot path the wake-up per write is the main cost).
    /// - Throws: ``GossipError`` when the value is larger than the node's `maxValueBytes`.
    public func set(key: EntryKey, value: [UInt8], stamp: Int64, announce: Bool = true) throws(GossipError) {
        let now = moment()
        let change = try state.withLock { state throws(GossipError) in try state.core.set(key: key, value: value, stamp: stamp, now: now) }
        if announce { publish(.replica(change)) }
    }

    /// Deletes `key` from this node's own table (a tombstone, purged after the horizon).
    public func delete(key: EntryKey, stamp: Int64) {
        let now = moment()
        if let change = state.withLock({ $0.core.delete(key: key, stamp: stamp, now: now) }) {
            publish(.replica(change))
        }
    }

    /// Replaces the keys datagrams are sealed and opened with, at once (no restart, no lost
    /// datagram: a node keeps opening with every key it holds). `keys` empty: plain datagrams.
    ///
    /// - Throws: ``GossipConfigurationError`` when a key is not base64 of 32 bytes (nothing changes).
    public func setKeys(_ keys: [String], sealing: Bool, acceptsPlaintext: Bool) throws(GossipConfigurationError) {
        let keyring = keys.isEmpty ? nil : try GossipKeyring(base64Keys: keys, cipher: configuration.cipher)
        codecBox.withLock { codec in
            codec = WireCodec(
                cluster: codec.cluster, keyring: keyring, sealing: sealing, acceptsPlaintext: acceptsPlaintext, maxDatagramBytes: codec.maxDatagramBytes
            )
        }
        state.withLock { $0.keyMismatchReported = [] }
    }

    /// Convicts a suspect at once (see ``CrashEvidence``): dead here now; the claim spreads with
    /// the next gossip rounds. Returns whether it was convicted (it may have refuted meanwhile).
    @discardableResult
    public func convict(_ id: String, incarnation: UInt64) -> Bool {
        let now = moment()
        let actions = state.withLock { state in state.core.convict(id, incarnation: incarnation, now: now) }
        for action in actions {
            switch action {
            case .memberChanged(let change): publish(.member(change))
            case .replicaChanged(let change): publish(.replica(change))
            case .send, .dropped: break  // a conviction sends nothing itself
            }
        }
        return !actions.isEmpty
    }

    /// The member `id` as this node sees it.
    public func member(_ id: String) -> Member? { state.withLock { $0.core.membership.members[id] } }

    /// The largest value ``set(key:value:stamp:)`` accepts.
    public var maxValueBytes: Int { state.withLock { $0.core.maxValueBytes } }

    /// Every known member except this node, sorted by id.
    public func members() -> [Member] { state.withLock { $0.core.membership.sortedMembers } }

    /// This node's own identity and incarnation.
    public var me: NodeIdentity { configuration.identity }

    /// How far this node's copy of each peer origin's table lags the newest version peers have
    /// advertised (0 = in sync).
    public func versionLag() -> [String: UInt64] { state.withLock { $0.core.replica.versionLag() } }

    /// The origins held (this node included).
    public func origins() -> [NodeIdentity] { state.withLock { $0.core.replica.origins } }

    /// One entry of origin `id`'s table.
    public func entry(_ key: EntryKey, of id: String) -> VersionedValue? { state.withLock { $0.core.replica.value(of: id, key: key) } }

    /// The entries of origin `id` (tombstones included).
    public func entries(of id: String) -> [EntryKey: VersionedValue] { state.withLock { $0.core.replica.entries(of: id) } }

    /// The bound address (waits until the socket is bound).
    public func boundAddress() async -> HostPort {
        await withCheckedContinuation { continuation in
            let bound = state.withLock { state -> HostPort? in
                if let bound = state.bound { return bound }
                state.boundWaiters.append(continuation)
                return nil
            }
            if let bound { continuation.resume(returning: bound) }
        }
    }

    // MARK: Service

    /// Runs until graceful shutdown. A socket that fails (a NIC flap, an address that went away,
    /// a network restart) never ends the service: the error is logged and counted, the socket is
    /// closed and bound again with backoff, and the node's membership and tables carry on, so
    /// it rejoins as soon as the network is back.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.runErrands() }
            await runSockets()
            errandQueue.finish()
            group.cancelAll()
        }
        eventContinuation.finish()
    }

    /// Binds the socket and runs it, binding again after failures, until shutdown.
    private func runSockets() async {
        var failures = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let startedAt = clock.now
            let closedBy: any Error
            do {
                closedBy = try await runSocket() ?? SocketClosed()
            } catch is CancellationError {
                break
            } catch {
                closedBy = error
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            // A socket that lived a while was healthy: the backoff starts afresh. One that fails
            // to bind, or closes right after binding (a link that is still down), backs off.
            failures = startedAt.duration(to: clock.now) >= .seconds(5) ? 1 : failures + 1
            metrics.socketFailures.increment()
            logger.warning("gossip socket failed; binding it again", metadata: [
                "gossip.address": "\(configuration.bindAddress)", "error": "\(closedBy)", "gossip.attempt": "\(failures)",
            ])
            let delay = Self.rebindDelay(failures: failures)
            do {
                try await cancelWhenGracefulShutdown { try await self.clock.sleep(for: delay) }
            } catch {
                break
            }
        }
    }

    /// The socket closed with no error reported.
    struct SocketClosed: Error, CustomStringConvertible {
        var description: String { "the socket closed" }
    }

    /// Backoff between binding attempts: 100 ms doubling to 5 s.
    static func rebindDelay(failures: Int) -> Duration {
        .milliseconds(min(5_000, 100 << min(max(0, failures - 1), 6)))
    }

    /// One socket's life: bind, run the tick and receive loops until the socket fails or the
    /// node shuts down (then say goodbye to peers).
    /// - Returns: the error that closed the socket, when NIO reported one (a failed send closes
    ///   a UDP socket, e.g. ENETUNREACH while the link is down).
    private func runSocket() async throws -> (any Error)? {
        let bind = configuration.bindAddress
        let capacity = max(2048, codec.maxDatagramBytes + 1)
        let lastError = LastErrorHandler()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: capacity))
            .bind(host: bind.host, port: Int(bind.port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(lastError)
                    return try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        let local = channel.channel.localAddress
        let bound = HostPort(host: local?.ipAddress ?? bind.host, port: UInt16(local?.port ?? Int(bind.port)))
        let advertised = configuration.advertisedAddress ?? bound
        let (waiters, firstBind) = state.withLock { state in
            let first = state.bound == nil
            state.bound = bound
            state.core.setAddress(advertised)
            defer { state.boundWaiters = [] }
            return (state.boundWaiters, first)
        }
        for waiter in waiters { waiter.resume(returning: bound) }
        logger.info(firstBind ? "gossip listening" : "gossip socket bound again", metadata: [
            "gossip.address": "\(bound)", "gossip.node": "\(configuration.identity)",
        ])

        try await channel.executeThenClose { inbound, outbound in
            if firstBind {
                let startActions = self.state.withLock { $0.core.start(now: self.moment()) }
                await self.perform(startActions, outbound: outbound)
            }
            do {
                try await cancelWhenGracefulShutdown {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await self.tickLoop(outbound: outbound) }
                        group.addTask {
                            for try await envelope in inbound {
                                await self.receive(envelope, outbound: outbound)
                            }
                        }
                        // Either loop ending means this socket is done (the receive loop ends
                        // when the socket fails); the other is cancelled.
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch is CancellationError where Task.isShuttingDownGracefully || Task.isCancelled {
                // Graceful shutdown or cancellation: fall through.
            }
            // Graceful shutdown cancels only the loops: say goodbye. A cancelled task stops
            // without one, like a crash (peers then detect it as dead).
            guard Task.isShuttingDownGracefully, !Task.isCancelled else { return }
            let leave = self.state.withLock { $0.core.leave(now: self.moment()) }
            await self.perform(leave, outbound: outbound)
        }
        return lastError.error
    }

    // MARK: Internals

    /// Whether events were dropped since the last call (the consumer must then re-read the
    /// replica to be whole again); resets the flag.
    public func takeEventOverflow() -> Bool {
        state.withLock { state in
            defer { state.eventsOverflowed = false }
            return state.eventsOverflowed
        }
    }

    private func publish(_ event: GossipEvent) {
        if case .dropped = eventContinuation.yield(event) {
            metrics.eventsDropped.increment()
            state.withLock { $0.eventsOverflowed = true }
        }
    }

    /// Caches of per-peer facts stay this small, whatever peers (or forged datagrams) claim.
    static var cacheLimit: Int { 1_024 }

    /// Now on the service's timeline (the one ``Member/lastHeard`` uses).
    public func moment() -> Moment {
        Moment(nanoseconds: start.duration(to: clock.now).nanoseconds)
    }

    private func tickLoop(outbound: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>) async throws {
        let cap = configuration.settings.interval / 4
        while !Task.isCancelled {
            let wake = state.withLock { $0.core.nextWakeUp }
            let now = moment()
            let delay = min(max(.zero, wake - now), cap)
            if delay > .zero { try await clock.sleep(until: start.advanced(by: .nanoseconds(now.nanoseconds) + delay), tolerance: nil) }
            let actions = state.withLock { state in
                let now = moment()
                return state.core.tick(now: now, using: &state.rng)
            }
            await perform(actions, outbound: outbound)
            recordGauges()
        }
    }

    private func receive(_ envelope: AddressedEnvelope<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>) async {
        let bytes = Array(envelope.data.readableBytesView)
        metrics.packetsIn.increment()
        metrics.bytesIn.increment(by: bytes.count)
        let from = HostPort(host: envelope.remoteAddress.ipAddress ?? "?", port: UInt16(envelope.remoteAddress.port ?? 0))
        let packet: Packet
        do {
            packet = try codec.decode(bytes)
        } catch {
            drop(error.reason, from: from, sender: error.sender)
            return
        }
        let actions = state.withLock { state in
            state.core.receive(packet, from: from, now: moment(), using: &state.rng)
        }
        await perform(actions, outbound: outbound)
    }

    private func drop(_ reason: DropReason, from: HostPort, sender: NodeIdentity?) {
        metrics.drops[reason]?.increment()
        logger.debug("gossip datagram dropped", metadata: ["gossip.peer": "\(from)", "gossip.sender": "\(sender.map(\.description) ?? "-")", "gossip.reason": "\(reason)"])
        guard reason == .keyMismatch || reason == .unsealed || reason == .unexpectedSeal, let sender else { return }
        let first = state.withLock { state in
            state.keyMismatchReported.count < Self.cacheLimit && state.keyMismatchReported.insert(sender.id).inserted
        }
        guard first else { return }
        logger.info(
            "gossip peer uses a different cluster key: its datagrams are dropped until gossip.key matches on both nodes",
            metadata: ["gossip.peer": "\(sender.id)", "gossip.address": "\(from)", "gossip.reason": "\(reason)"]
        )
        publish(.keyMismatch(peer: sender, address: from))
    }

    private func perform(_ actions: [GossipAction], outbound: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>) async {
        for action in actions {
            switch action {
            case .send(let packet, let address):
                let datagram = codec.encode(packet)
                guard let remote = socketAddress(address) else { continue }
                metrics.packetsOut.increment()
                metrics.bytesOut.increment(by: datagram.count)
                do {
                    try await outbound.write(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: datagram)))
                } catch {
                    logger.debug("gossip send failed", metadata: ["gossip.peer": "\(address)", "error": "\(error)"])
                }
            case .memberChanged(let change):
                logger.debug("gossip member changed", metadata: ["gossip.peer": "\(change.member.identity)", "gossip.state": "\(change.member.status)"])
                publish(.member(change))
                if change.member.status == .suspect { checkForCrash(change.member) }
            case .replicaChanged(let change):
                publish(.replica(change))
            case .dropped(let reason, let from, let sender):
                drop(reason, from: from, sender: sender)
            }
        }
    }

    private func recordGauges() {
        let (membership, lag, raised, refuted) = state.withLock { state in
            let membership = state.core.membership
            let raised = membership.suspicionsRaised - state.suspicionsRaised
            let refuted = membership.suspicionsRefuted - state.suspicionsRefuted
            state.suspicionsRaised = membership.suspicionsRaised
            state.suspicionsRefuted = membership.suspicionsRefuted
            return (membership, state.core.replica.versionLag(), raised, refuted)
        }
        if raised > 0 { metrics.suspicionsRaised.increment(by: raised) }
        if refuted > 0 { metrics.suspicionsRefuted.increment(by: refuted) }
        metrics.record(membership: membership, lag: lag)
    }
}

/// Remembers the last error NIO reported on the gossip socket, so the log can say why it closed.
private final class LastErrorHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let last = Mutex<(any Error)?>(nil)

    var error: (any Error)? { last.withLock { $0 } }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        last.withLock { $0 = error }
        context.fireErrorCaught(error)
    }
}
