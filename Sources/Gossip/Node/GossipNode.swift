import VigilCodec

/// One gossip node as a pure state machine: SWIM membership plus a Scuttlebutt replica, and
/// the rules that put both into datagrams that never exceed the budget.
///
/// Inputs are `tick(now:using:)` (call it at ``nextWakeUp`` or earlier), `receive(_:from:now:using:)`
/// for each decoded datagram, and the application's writes; each returns ``GossipAction``s. Each
/// round (`interval`) it sends its digest to one random alive peer (to `fanout` while membership
/// news is pending, to every reachable member while refuting a suspicion about itself). Its own
/// fresh writes are pushed to `fanout` random peers at once, at most once per `interval` (writes
/// made meanwhile are batched into the next push). A receiver that made progress on a block
/// marked `more` asks again at once, so catching up runs at round-trip pace. A digest is answered
/// with the deltas the asker lacks, plus our own digest when we lack something; that answer is
/// answered with deltas only, so an exchange is at most three datagrams.
///
/// Every datagram's body is filled to at most `bodyBudget` bytes: membership claims up to a
/// quarter, a digest up to a quarter, deltas with the rest.
public struct GossipNode: Sendable {
    public let settings: GossipSettings
    /// The failure detector.
    public private(set) var membership: Membership
    /// The replicated tables.
    public private(set) var replica: Replica
    /// The largest uncompressed body this node produces.
    public let bodyBudget: Int
    var nextGossipAt: Moment
    /// When fresh own writes are pushed next (`nil`: none pending). A write in a quiet moment
    /// is pushed at once; under load, pushes batch to one per `interval`.
    var nextPushAt: Moment?
    var lastPushAt: Moment?

    /// A node that knows only its seeds.
    public init(identity: NodeIdentity, seeds: [HostPort], settings: GossipSettings = GossipSettings(), now: Moment) {
        self.settings = settings
        self.membership = Membership(me: identity, seeds: seeds, settings: settings.membership, now: now)
        self.replica = Replica(me: identity, settings: settings.replica)
        self.bodyBudget = WireSize.bodyBudget(maxDatagramBytes: settings.maxDatagramBytes, sender: identity, sealed: settings.sealed)
        self.nextGossipAt = now + settings.interval
    }

    /// This node.
    public var me: NodeIdentity { membership.me }

    /// The largest value ``set(key:value:stamp:now:)`` accepts: one entry must always fit in the
    /// delta share of a datagram, or its origin would be held back forever.
    public var maxValueBytes: Int { bodyBudget / 2 - 64 - WireSize.string(me.id) }

    /// The earliest moment at which ``tick(now:using:)`` has something to do.
    public var nextWakeUp: Moment { min(membership.nextWakeUp, nextGossipAt, nextPushAt ?? nextGossipAt) }

    // MARK: Events

    /// Records this node's own address, as peers reach it.
    public mutating func setAddress(_ address: HostPort) {
        membership.setAddress(address)
    }

    /// Joins: pings every seed.
    public mutating func start(now: Moment) -> [GossipAction] {
        perform(membership.start(now: now))
    }

    /// Advances timers and runs the gossip round when due.
    public mutating func tick(now: Moment, using rng: inout some RandomNumberGenerator) -> [GossipAction] {
        guard !membership.hasLeft else { return [] }
        var actions = perform(membership.tick(now: now, using: &rng))
        replica.purge(now: now)
        let peers = membership.reachable.filter { $0.status == .alive }
        if let pushAt = nextPushAt, now >= pushAt {
            nextPushAt = nil
            if !peers.isEmpty, let push = replica.takePush(budget: bodyBudget - bodyBudget / 4 - 16) {
                lastPushAt = now
                for peer in peers.shuffled(using: &rng).prefix(settings.fanout) {
                    actions.append(.send(assemble(.gossip, recipient: peer.identity.id, digest: nil, deltas: [push]), to: peer.address))
                }
                if replica.hasUnpushedWrites { nextPushAt = now + settings.interval }
            }
        }
        guard now >= nextGossipAt else { return actions }
        nextGossipAt = now + settings.interval
        guard !peers.isEmpty else { return actions }
        let digest = wireDigest(using: &rng)
        let targets: [Member]
        if membership.isRefuting(now: now) {
            targets = membership.reachable
        } else {
            targets = Array(peers.shuffled(using: &rng).prefix(membership.hasPendingBroadcasts ? settings.fanout : 1))
        }
        for peer in targets {
            actions.append(.send(assemble(.gossip, recipient: peer.identity.id, digest: digest, deltas: []), to: peer.address))
        }
        return actions
    }

    /// Handles one decoded datagram that arrived from `address`.
    public mutating func receive(_ packet: Packet, from address: HostPort, now: Moment, using rng: inout some RandomNumberGenerator) -> [GossipAction] {
        guard !membership.hasLeft else { return [] }
        var actions: [GossipAction] = []
        switch membership.contact(from: packet.sender, incarnation: packet.incarnation, address: address, now: now) {
        case .fromSelf:
            return [.dropped(.fromSelf, from: address, sender: packet.sender)]
        case .staleGeneration:
            return [.dropped(.staleGeneration, from: address, sender: packet.sender)]
        case .accepted(let outputs):
            actions += perform(outputs)
        }
        for update in packet.updates {
            actions += perform(membership.apply(update, now: now))
        }
        actions += perform(membership.handle(packet.kind, from: packet.sender, address: address, now: now))
        var continueExchange = false
        for delta in packet.deltas {
            guard let known = membership.knownGeneration(of: delta.origin.id) else {
                actions.append(.dropped(.unknownOrigin, from: address, sender: packet.sender))
                continue
            }
            guard delta.origin.generation >= known else {
                actions.append(.dropped(.staleGeneration, from: address, sender: packet.sender))
                continue
            }
            let before = replica.version(of: delta.origin.id)
            switch replica.apply(delta, now: now) {
            case .applied(let changes):
                actions += changes.map(GossipAction.replicaChanged)
                if delta.more, replica.version(of: delta.origin.id) != before { continueExchange = true }
            case .gap(let changes):
                actions += changes.map(GossipAction.replicaChanged)
                actions.append(.dropped(.versionGap, from: address, sender: packet.sender))
            case .staleGeneration:
                actions.append(.dropped(.staleGeneration, from: address, sender: packet.sender))
            }
        }
        if let digest = packet.digest {
            actions += replica.observe(digest).map(GossipAction.replicaChanged)
            let ours = replica.lacks(digest) ? wireDigest(using: &rng) : nil
            let snapshot = replica
            let reply = assemble(.gossip, recipient: packet.sender.id, digest: ours) { budget in snapshot.deltas(for: digest, budget: budget) }
            if !reply.deltas.isEmpty || ours != nil {
                actions.append(.send(reply, to: address))
            }
        } else if continueExchange {
            // The sender cut its answer and we made progress: ask for the rest at once, so a
            // replica far behind catches up at the pace of round trips rather than of rounds.
            actions.append(.send(assemble(.gossip, recipient: packet.sender.id, digest: wireDigest(using: &rng), deltas: []), to: address))
        }
        return actions
    }

    /// Writes `value` under `key` in this node's own table.
    ///
    /// - Throws: ``GossipError`` when the value exceeds ``maxValueBytes`` or the node has left.
    public mutating func set(key: EntryKey, value: [UInt8], stamp: Int64, now: Moment) throws(GossipError) -> ReplicaChange {
        guard !membership.hasLeft else { throw GossipError(code: .left, detail: "this gossip node has left the cluster") }
        guard value.count <= maxValueBytes else {
            throw GossipError(code: .valueTooLarge, detail: "a gossip value is at most \(maxValueBytes) bytes, got \(value.count)")
        }
        schedulePush(now: now)
        return replica.write(key: key, value: value, stamp: stamp, now: now)
    }

    private mutating func schedulePush(now: Moment) {
        guard nextPushAt == nil else { return }
        nextPushAt = max(now, lastPushAt.map { $0 + settings.interval } ?? now)
    }

    /// Deletes `key` from this node's own table (a tombstone); `nil` when there is nothing to delete.
    public mutating func delete(key: EntryKey, stamp: Int64, now: Moment) -> ReplicaChange? {
        guard !membership.hasLeft, let current = replica.value(of: me.id, key: key), !current.isTombstone else { return nil }
        schedulePush(now: now)
        return replica.write(key: key, value: nil, stamp: stamp, now: now)
    }

    /// Leaves the cluster for good: every reachable member is told.
    /// Convicts a suspect on evidence that its process is gone (``Membership/convict(_:incarnation:now:)``).
    public mutating func convict(_ id: String, incarnation: UInt64, now: Moment) -> [GossipAction] {
        perform(membership.convict(id, incarnation: incarnation, now: now))
    }

    public mutating func leave(now: Moment) -> [GossipAction] {
        perform(membership.leave(now: now))
    }

    // MARK: Invariants

    /// Checks every invariant; returns a description of the first broken one.
    public func invariantViolation() -> String? {
        if let violation = membership.invariantViolation() { return violation }
        if let violation = replica.invariantViolation() { return violation }
        if replica.me != membership.me { return "replica and membership disagree on identity" }
        return nil
    }

    /// Traps with a description when an invariant is broken (tests call it after every step).
    public func checkInvariants() {
        if let violation = invariantViolation() { preconditionFailure("GossipNode invariant: \(violation)") }
    }

    // MARK: Internals

    private mutating func perform(_ outputs: [MembershipOutput]) -> [GossipAction] {
        var actions: [GossipAction] = []
        for output in outputs {
            switch output {
            case .send(let kind, let address, let recipient):
                actions.append(.send(assemble(kind, recipient: recipient, digest: nil, deltas: []), to: address))
            case .changed(let change):
                actions.append(.memberChanged(change))
                actions += replica.replaceOrigin(with: change.member.identity).map(GossipAction.replicaChanged)
            }
        }
        return actions
    }

    /// Our digest, cut to a quarter of the budget (a random rotation when it does not fit whole).
    private func wireDigest(using rng: inout some RandomNumberGenerator) -> [DigestEntry] {
        let full = replica.digest()
        let limit = bodyBudget / 4
        guard WireSize.digest(full) > limit else { return full }
        let start = Int.random(in: 0..<full.count, using: &rng)
        var cut: [DigestEntry] = []
        var size = 1 + Varint.size(UInt64(full.count))
        for offset in 0..<full.count {
            let entry = full[(start + offset) % full.count]
            size += WireSize.digestEntry(entry)
            if size > limit { break }
            cut.append(entry)
        }
        return cut
    }

    private mutating func assemble(_ kind: PacketKind, recipient: String?, digest: [DigestEntry]?, deltas: [OriginDelta]) -> Packet {
        assemble(kind, recipient: recipient, digest: digest) { _ in deltas }
    }

    /// Builds a packet: fixed fields, then claims (at most a quarter of the budget, or all of what
    /// remains when there are no deltas), then deltas filling what is left.
    private mutating func assemble(_ kind: PacketKind, recipient: String?, digest: [DigestEntry]?, deltas: (Int) -> [OriginDelta]) -> Packet {
        var packet = Packet(sender: me, kind: kind, incarnation: membership.incarnation, updates: [], digest: digest, deltas: [])
        let fixed = WireSize.kind(kind) + Varint.size(packet.incarnation) + WireSize.digest(digest) + 1
        var claims = 0
        let claimLimit = kind == .gossip ? bodyBudget / 4 : bodyBudget - fixed - 1
        packet.updates = membership.piggyback(for: recipient) { update in
            let size = WireSize.update(update)
            guard claims + size <= claimLimit else { return false }
            claims += size
            return true
        }
        packet.deltas = deltas(bodyBudget - fixed - claims - Varint.size(UInt64(packet.updates.count)))
        return packet
    }
}
