#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The SWIM failure detector with Lifeguard's refinements, as a pure state machine.
///
/// Every `probeInterval` this node pings one member (a shuffled round robin, suspects first). With
/// no ack within `probeTimeout` it asks `k` others to ping-req the target; with still no ack by the
/// end of the period the target becomes *suspect*. A suspect that hears of it raises its
/// incarnation and is alive again (a refutation); otherwise, after the suspicion timeout, it is
/// *dead*. Claims travel piggybacked on every datagram, each sent λ·⌈log₁₀(N+1)⌉ times.
///
/// Lifeguard: the local health score (0…8) grows with failed probes, missing nacks and refuting
/// suspicions about ourselves, and multiplies probe interval and timeout; the suspicion timeout
/// starts at `max` and shrinks towards `min` with each independent confirmation (log scale); and
/// datagrams to a member carry what we believe about *it* first, so a suspect learns at once.
///
/// Deviations, on purpose:
/// - every datagram carries its sender's incarnation, so any datagram from a refuted suspect is
///   itself the refutation;
/// - hearing of a suspicion moves the suspect to the front of our probe order (faster
///   confirmation of a real crash, and one more chance to tell a live suspect);
/// - dead members are never removed: one of them (or an unanswered seed) is re-probed every
///   `deadProbeInterval`, so a partition of any length heals by itself (its pings tell it that it
///   was declared dead, and it refutes);
/// - Cassandra's guard: after a tick gap longer than `pauseThreshold` (this process was paused),
///   suspicion timers restart and nobody is suspected or convicted until a peer is heard from;
/// - identity is (id, generation): a higher generation replaces a member at once, even from a new
///   address; anything from a lower generation is stale.
public struct Membership: Sendable {
    /// The timings.
    public let settings: MembershipSettings
    /// This node.
    public let me: NodeIdentity
    /// This node's incarnation; raised only to refute a suspicion or death claim about itself.
    public private(set) var incarnation: UInt64 = 0
    /// This node's own gossip address, when the shell knows it.
    public private(set) var address: HostPort?
    /// Every member ever heard of except this node, by id (dead ones are kept forever).
    public private(set) var members: [String: Member] = [:]
    /// Lifeguard's local health score, 0 (healthy) … `maxLocalHealth`.
    public private(set) var localHealth: Int = 0
    /// Whether ``leave(now:)`` was called.
    public private(set) var hasLeft = false
    /// True after a detected pause, until a peer is heard from: no suspicion or conviction meanwhile.
    public private(set) var awaitingPeers = false
    /// Suspicions this node raised from its own failed probes.
    public private(set) var suspicionsRaised = 0
    /// Suspects seen coming back alive with a higher incarnation.
    public private(set) var suspicionsRefuted = 0
    /// When this node last refuted a claim about itself.
    public private(set) var lastRefutation: Moment?

    var suspicions: [String: Suspicion] = [:]
    var broadcasts = BroadcastQueue()
    var seeds: [HostPort]
    var probeOrder: [String] = []
    var probeCursor = 0
    var priorityProbes: [String] = []
    var probe: Probe?
    var relays: [UInt32: Relay] = [:]
    var sequence: UInt32 = 0
    var nextProbeAt: Moment
    var nextReprobeAt: Moment
    var reprobeCursor = 0
    var lastTick: Moment?

    /// The most ping-reqs relayed at once; more are refused, so a flood costs bounded memory.
    static let maxRelays = 64

    struct Suspicion: Sendable, Hashable {
        var incarnation: UInt64
        var start: Moment
        var suspectors: Set<String>
    }

    struct Probe: Sendable, Hashable {
        var target: String
        var seq: UInt32
        var indirectAt: Moment
        var deadline: Moment
        var indirectSent = false
        var expectedNacks = 0
        var nacks = 0
    }

    struct Relay: Sendable, Hashable {
        var requester: HostPort
        var requesterSeq: UInt32
        var deadline: Moment
    }

    /// A membership with no peer known yet; `seeds` are pinged at ``start(now:)`` and re-probed
    /// until a member answers from each.
    public init(me: NodeIdentity, seeds: [HostPort], settings: MembershipSettings = MembershipSettings(), now: Moment) {
        self.me = me
        self.settings = settings
        self.seeds = seeds
        self.nextProbeAt = now + settings.probeInterval
        self.nextReprobeAt = now + settings.deadProbeInterval
    }

    // MARK: Queries

    /// Members sorted by id.
    public var sortedMembers: [Member] { members.values.sorted { $0.identity.id < $1.identity.id } }

    /// The members that are alive or suspect.
    public var reachable: [Member] { sortedMembers.filter { $0.status.isReachable } }

    /// Nodes in the cluster as far as the detector counts them: this one plus reachable members.
    var clusterSize: Int { 1 + members.values.count(where: { $0.status.isReachable }) }

    /// How many times each piggybacked update is sent.
    var retransmitLimit: Int {
        settings.retransmitMultiplier * max(1, Int(Double(members.count + 2).log10Ceiling))
    }

    /// Whether updates are waiting to be piggybacked.
    public var hasPendingBroadcasts: Bool { !broadcasts.isEmpty }

    /// The earliest moment at which ``tick(now:using:)`` has something to do.
    public var nextWakeUp: Moment {
        var next = min(nextProbeAt, nextReprobeAt)
        if let probe { next = min(next, probe.indirectSent ? probe.deadline : probe.indirectAt) }
        for relay in relays.values { next = min(next, relay.deadline) }
        for (id, suspicion) in suspicions {
            next = min(next, suspicion.start + suspicionTimeout(confirmations: suspicion.suspectors.count - 1))
            _ = id
        }
        return next
    }

    /// Whether this node refuted a claim about itself within the longest suspicion timeout: it then
    /// gossips to every reachable member each round, so that every suspector hears the refutation
    /// in time even under heavy loss.
    public func isRefuting(now: Moment) -> Bool {
        guard let lastRefutation else { return false }
        return now < lastRefutation + suspicionTimeout(confirmations: 0)
    }

    /// Lifeguard's dynamic suspicion timeout: `max` with no confirmation, shrinking on a log scale
    /// to `min` once `k` independent confirmations arrived.
    public func suspicionTimeout(confirmations: Int) -> Duration {
        let n = clusterSize
        let minimum = settings.suspicionMinimum.scaled(by: max(1, log10(Double(n))))
        let maximum = minimum.scaled(by: max(1, settings.suspicionMaximumFactor))
        let expected = min(settings.indirectProbes, n - 2)
        guard expected >= 1 else { return minimum }
        let fraction = min(1, log(Double(max(0, confirmations) + 1)) / log(Double(expected + 1)))
        let timeout = maximum - (maximum - minimum).scaled(by: fraction)
        return max(minimum, timeout)
    }

    // MARK: Events

    /// Records the address peers reach this node at (announced in our own claims).
    public mutating func setAddress(_ address: HostPort) {
        self.address = address
    }

    /// Pings every seed once, to join.
    public mutating func start(now: Moment) -> [MembershipOutput] {
        seeds.filter { $0 != address }.map { seed in .send(.ping(seq: nextSequence()), to: seed, recipient: nil) }
    }

    /// What a datagram's sender header tells: the sender is alive at `incarnation`.
    public enum ContactOutcome: Sendable, Hashable {
        /// Accepted; publish these changes.
        case accepted([MembershipOutput])
        /// The sender is an older generation than a member we know: drop the datagram.
        case staleGeneration
        /// The datagram claims to come from this very node id.
        case fromSelf
    }

    /// Direct contact: a datagram arrived from `sender` at `address`.
    public mutating func contact(from sender: NodeIdentity, incarnation senderIncarnation: UInt64, address: HostPort, now: Moment) -> ContactOutcome {
        guard sender.id != me.id else { return .fromSelf }
        var outputs: [MembershipOutput] = []
        guard let known = members[sender.id] else {
            let member = Member(identity: sender, address: address, status: .alive, incarnation: senderIncarnation, lastHeard: now, since: now)
            members[sender.id] = member
            broadcasts.enqueue(claim(member))
            heardFromPeer(now: now)
            return .accepted([.changed(MemberChange(member: member, previous: nil))])
        }
        if sender.generation < known.identity.generation { return .staleGeneration }
        heardFromPeer(now: now)
        if sender.generation > known.identity.generation {
            let member = Member(identity: sender, address: address, status: .alive, incarnation: senderIncarnation, lastHeard: now, since: now)
            replace(member, previous: known.status, outputs: &outputs)
            return .accepted(outputs)
        }
        var member = known
        member.lastHeard = now
        member.address = address
        if senderIncarnation > member.incarnation, member.status != .left {
            member.incarnation = senderIncarnation
            if member.status != .alive {
                if member.status == .suspect { suspicionsRefuted += 1 }
                member.status = .alive
                member.since = now
                suspicions[sender.id] = nil
                broadcasts.enqueue(claim(member))
                outputs.append(.changed(MemberChange(member: member, previous: known.status)))
            }
        }
        members[sender.id] = member
        if member.status == .suspect || member.status == .dead {
            // It is alive enough to talk to us but does not know what we think: tell it (its
            // datagram leads with the claim about itself), so it refutes.
            outputs.append(.send(.gossip, to: address, recipient: sender.id))
        }
        return .accepted(outputs)
    }

    /// Applies one piggybacked claim, by SWIM's precedence rules.
    public mutating func apply(_ update: MemberUpdate, now: Moment) -> [MembershipOutput] {
        if update.identity.id == me.id {
            refuteIfNeeded(update, now: now)
            return []
        }
        var outputs: [MembershipOutput] = []
        guard let known = members[update.identity.id] else {
            let member = Member(identity: update.identity, address: update.address, status: update.status, incarnation: update.incarnation, lastHeard: nil, since: now)
            members[member.identity.id] = member
            if member.status == .suspect { startSuspicion(of: member, by: update.suspector ?? me.id, now: now) }
            broadcasts.enqueue(update)
            outputs.append(.changed(MemberChange(member: member, previous: nil)))
            return outputs
        }
        if update.identity.generation < known.identity.generation { return [] }
        if update.identity.generation > known.identity.generation {
            let member = Member(identity: update.identity, address: update.address, status: update.status, incarnation: update.incarnation, lastHeard: nil, since: now)
            replace(member, previous: known.status, outputs: &outputs)
            if member.status == .suspect { startSuspicion(of: member, by: update.suspector ?? me.id, now: now) }
            return outputs
        }
        switch update.status {
        case .alive: applyAlive(update, known: known, now: now, outputs: &outputs)
        case .suspect: applySuspect(update, known: known, now: now, outputs: &outputs)
        case .dead: applyDead(update, known: known, now: now, outputs: &outputs)
        case .left: applyLeft(update, known: known, now: now, outputs: &outputs)
        }
        return outputs
    }

    /// A refutation or a newer incarnation: alive again (a suspicion ends).
    private mutating func applyAlive(_ update: MemberUpdate, known: Member, now: Moment, outputs: inout [MembershipOutput]) {
        guard update.incarnation > known.incarnation, known.status != .left else { return }
        var member = known
        member.incarnation = update.incarnation
        if known.status != .alive {
            if known.status == .suspect { suspicionsRefuted += 1 }
            member.status = .alive
            member.since = now
            suspicions[member.identity.id] = nil
            outputs.append(.changed(MemberChange(member: member, previous: known.status)))
        }
        members[member.identity.id] = member
        broadcasts.enqueue(update)
    }

    /// A suspicion: new at this incarnation, or one more independent suspector (Lifeguard).
    private mutating func applySuspect(_ update: MemberUpdate, known: Member, now: Moment, outputs: inout [MembershipOutput]) {
        let suspector = update.suspector ?? update.identity.id
        if (known.status == .alive && update.incarnation >= known.incarnation) || (known.status == .suspect && update.incarnation > known.incarnation) {
            var member = known
            member.status = .suspect
            member.incarnation = update.incarnation
            member.since = now
            members[member.identity.id] = member
            startSuspicion(of: member, by: suspector, now: now)
            broadcasts.enqueue(update)
            if !priorityProbes.contains(member.identity.id) { priorityProbes.append(member.identity.id) }
            outputs.append(.changed(MemberChange(member: member, previous: known.status)))
        } else if known.status == .suspect, update.incarnation == known.incarnation {
            if suspicions[known.identity.id]?.suspectors.insert(suspector).inserted == true {
                broadcasts.enqueue(update)
            }
        }
    }

    /// A conviction: overrides any reachable state at this incarnation or newer.
    private mutating func applyDead(_ update: MemberUpdate, known: Member, now: Moment, outputs: inout [MembershipOutput]) {
        let overrides = known.status.isReachable ? update.incarnation >= known.incarnation : (known.status == .dead && update.incarnation > known.incarnation)
        guard overrides else { return }
        var member = known
        member.incarnation = update.incarnation
        if known.status != .dead {
            member.status = .dead
            member.since = now
            outputs.append(.changed(MemberChange(member: member, previous: known.status)))
        }
        suspicions[member.identity.id] = nil
        members[member.identity.id] = member
        broadcasts.enqueue(update)
    }

    /// A graceful leave: final for this generation.
    private mutating func applyLeft(_ update: MemberUpdate, known: Member, now: Moment, outputs: inout [MembershipOutput]) {
        guard known.status != .left else { return }
        var member = known
        member.status = .left
        member.incarnation = max(known.incarnation, update.incarnation)
        member.since = now
        suspicions[member.identity.id] = nil
        members[member.identity.id] = member
        broadcasts.enqueue(update)
        outputs.append(.changed(MemberChange(member: member, previous: known.status)))
    }


    /// Handles the probe-level part of a datagram from `sender` at `address`.
    public mutating func handle(_ kind: PacketKind, from sender: NodeIdentity, address: HostPort, now: Moment) -> [MembershipOutput] {
        switch kind {
        case .ping(let seq):
            return [.send(.ack(seq: seq), to: address, recipient: sender.id)]
        case .ack(let seq):
            if let current = probe, current.seq == seq {
                probe = nil
                localHealth = max(0, localHealth - 1)
                return []
            }
            if let relay = relays.removeValue(forKey: seq) {
                return [.send(.ack(seq: relay.requesterSeq), to: relay.requester, recipient: nil)]
            }
            return []
        case .nack(let seq):
            if probe?.seq == seq { probe?.nacks += 1 }
            return []
        case .pingRequest(let seq, let target, let targetAddress):
            guard relays.count < Self.maxRelays, target.id != me.id else { return [] }
            let mine = nextSequence()
            let window = (settings.probeInterval - settings.probeTimeout).scaled(by: 0.8)
            relays[mine] = Relay(requester: address, requesterSeq: seq, deadline: now + window)
            return [.send(.ping(seq: mine), to: targetAddress, recipient: target.id)]
        case .gossip:
            return []
        case .leave:
            guard let known = members[sender.id], known.identity == sender, known.status != .left else { return [] }
            var member = known
            member.status = .left
            member.since = now
            suspicions[sender.id] = nil
            members[sender.id] = member
            broadcasts.enqueue(claim(member))
            return [.changed(MemberChange(member: member, previous: known.status))]
        }
    }

    /// Advances timers: probe phases, relay nacks, suspicion expiry, the next probe and re-probes.
    public mutating func tick(now: Moment, using rng: inout some RandomNumberGenerator) -> [MembershipOutput] {
        guard !hasLeft else { return [] }
        if let last = lastTick, now - last > settings.pauseThreshold {
            // This process was paused: our own timers are meaningless, our view is stale.
            awaitingPeers = true
            probe = nil
            relays = [:]
            for id in suspicions.keys { suspicions[id]?.start = now }
            nextProbeAt = min(nextProbeAt, now)
        }
        lastTick = now
        var outputs: [MembershipOutput] = []
        advanceProbe(now: now, outputs: &outputs, using: &rng)
        for (seq, relay) in relays where now >= relay.deadline {
            relays[seq] = nil
            outputs.append(.send(.nack(seq: relay.requesterSeq), to: relay.requester, recipient: nil))
        }
        if !awaitingPeers {
            for (id, suspicion) in suspicions.sorted(by: { $0.key < $1.key }) {
                guard now >= suspicion.start + suspicionTimeout(confirmations: suspicion.suspectors.count - 1) else { continue }
                declareDead(id, now: now, outputs: &outputs)
            }
        }
        if probe == nil, now >= nextProbeAt {
            nextProbeAt = now + settings.probeInterval.scaled(by: Double(localHealth + 1))
            if let target = nextProbeTarget(using: &rng), let member = members[target] {
                let seq = nextSequence()
                probe = Probe(
                    target: target,
                    seq: seq,
                    indirectAt: now + settings.probeTimeout.scaled(by: Double(localHealth + 1)),
                    deadline: nextProbeAt
                )
                outputs.append(.send(.ping(seq: seq), to: member.address, recipient: target))
            }
        }
        if now >= nextReprobeAt {
            nextReprobeAt = now + settings.deadProbeInterval
            let reachableAddresses = Set(members.values.filter { $0.status.isReachable }.map(\.address))
            var candidates = members.values.filter { $0.status == .dead }.sorted { $0.identity.id < $1.identity.id }.map { ($0.address, Optional($0.identity.id)) }
            candidates += seeds.filter { !reachableAddresses.contains($0) && $0 != address && !candidates.map(\.0).contains($0) }.map { ($0, String?.none) }
            if !candidates.isEmpty {
                let (target, recipient) = candidates[reprobeCursor % candidates.count]
                reprobeCursor &+= 1
                outputs.append(.send(.ping(seq: nextSequence()), to: target, recipient: recipient))
            }
        }
        return outputs
    }

    /// Convicts a suspect before its suspicion times out, on evidence the shell gathered that
    /// its process is gone (``CrashEvidence``: its ports refused connections twice). Only a
    /// member still suspect at `incarnation` is convicted: one that refuted in the meantime, or
    /// was never suspect, is left alone.
    public mutating func convict(_ id: String, incarnation: UInt64, now: Moment) -> [MembershipOutput] {
        guard !hasLeft, let member = members[id], member.status == .suspect, member.incarnation == incarnation else { return [] }
        var outputs: [MembershipOutput] = []
        declareDead(id, now: now, outputs: &outputs)
        return outputs
    }

    private mutating func declareDead(_ id: String, now: Moment, outputs: inout [MembershipOutput]) {
        guard var member = members[id] else { return }
        let previous = member.status
        member.status = .dead
        member.since = now
        members[id] = member
        suspicions[id] = nil
        broadcasts.enqueue(claim(member))
        outputs.append(.changed(MemberChange(member: member, previous: previous)))
    }

    /// Leaves for good: tells every reachable member, and stops probing.
    public mutating func leave(now: Moment) -> [MembershipOutput] {
        guard !hasLeft else { return [] }
        hasLeft = true
        probe = nil
        relays = [:]
        return reachable.map { .send(.leave, to: $0.address, recipient: $0.identity.id) }
    }

    /// Claims to piggyback on a datagram to `recipient`: what we believe about the recipient first
    /// when it is suspect or dead (Lifeguard's "tell the suspect"), then queued updates, least-sent
    /// first, while `fits` accepts them.
    public mutating func piggyback(for recipient: String?, fits: (MemberUpdate) -> Bool) -> [MemberUpdate] {
        var taken: [MemberUpdate] = []
        var about: String?
        if let recipient, let member = members[recipient], member.status == .suspect || member.status == .dead {
            let update = claim(member)
            if fits(update) {
                taken.append(update)
                about = recipient
            }
        }
        taken += broadcasts.take(limit: retransmitLimit, excluding: about, fits: fits)
        return taken
    }

    /// The generation of member `id` as known here (this node included), or `nil` if never heard of.
    public func knownGeneration(of id: String) -> UInt64? {
        id == me.id ? me.generation : members[id]?.identity.generation
    }

    // MARK: Invariants

    /// Checks the structure's invariants; returns a description of the first broken one.
    public func invariantViolation() -> String? {
        if members[me.id] != nil { return "this node is listed among its members" }
        for (id, member) in members where member.identity.id != id { return "member \(id) is stored under the wrong key" }
        for (id, member) in members where (member.status == .suspect) != (suspicions[id] != nil) {
            return "member \(id) is \(member.status) but suspicion timer present: \(suspicions[id] != nil)"
        }
        for (id, suspicion) in suspicions {
            if suspicion.suspectors.isEmpty { return "suspicion of \(id) has no suspector" }
            if suspicion.incarnation != members[id]?.incarnation { return "suspicion of \(id) is for another incarnation" }
        }
        if !(0...settings.maxLocalHealth).contains(localHealth) { return "local health \(localHealth) out of range" }
        if let probe, members[probe.target] == nil { return "probing unknown member \(probe.target)" }
        if relays.count > Self.maxRelays { return "too many relays" }
        if hasLeft, probe != nil { return "probing after leaving" }
        return nil
    }

    /// Traps with a description when an invariant is broken (tests call it after every step).
    public func checkInvariants() {
        if let violation = invariantViolation() { preconditionFailure("Membership invariant: \(violation)") }
    }

    // MARK: Internals

    /// Our claim about `member` as it currently stands.
    func claim(_ member: Member) -> MemberUpdate {
        MemberUpdate(
            identity: member.identity,
            address: member.address,
            status: member.status,
            incarnation: member.incarnation,
            suspector: member.status == .suspect ? (suspicions[member.identity.id]?.suspectors.min() ?? me.id) : nil
        )
    }

    /// Our claim about ourselves.
    public var selfClaim: MemberUpdate {
        MemberUpdate(identity: me, address: address ?? HostPort(host: "0.0.0.0", port: 0), status: hasLeft ? .left : .alive, incarnation: incarnation)
    }

    private mutating func nextSequence() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    private mutating func heardFromPeer(now: Moment) {
        guard awaitingPeers else { return }
        awaitingPeers = false
        for id in suspicions.keys { suspicions[id]?.start = now }
    }

    private mutating func replace(_ member: Member, previous: MemberStatus, outputs: inout [MembershipOutput]) {
        members[member.identity.id] = member
        suspicions[member.identity.id] = nil
        broadcasts.enqueue(claim(member))
        outputs.append(.changed(MemberChange(member: member, previous: previous)))
    }

    private mutating func refuteIfNeeded(_ update: MemberUpdate, now: Moment) {
        guard update.identity.generation == me.generation, !hasLeft else { return }
        guard update.status != .alive, update.incarnation >= incarnation else { return }
        incarnation = update.incarnation + 1
        lastRefutation = now
        localHealth = min(settings.maxLocalHealth, localHealth + 1)
        broadcasts.enqueue(selfClaim)
    }

    private mutating func startSuspicion(of member: Member, by suspector: String, now: Moment) {
        suspicions[member.identity.id] = Suspicion(incarnation: member.incarnation, start: now, suspectors: [suspector])
    }

    private mutating func advanceProbe(now: Moment, outputs: inout [MembershipOutput], using rng: inout some RandomNumberGenerator) {
        guard var current = probe else { return }
        guard let target = members[current.target], target.status.isReachable else {
            probe = nil
            return
        }
        if !current.indirectSent, now >= current.indirectAt {
            current.indirectSent = true
            let helpers = members.values.filter { $0.status == .alive && $0.identity.id != current.target }
                .sorted { $0.identity.id < $1.identity.id }
                .shuffled(using: &rng)
                .prefix(settings.indirectProbes)
            current.expectedNacks = helpers.count
            for helper in helpers {
                outputs.append(.send(.pingRequest(seq: current.seq, target: target.identity, address: target.address), to: helper.address, recipient: helper.identity.id))
            }
        }
        guard now >= current.deadline else {
            probe = current
            return
        }
        probe = nil
        let penalty = current.expectedNacks > 0 ? current.expectedNacks - current.nacks : 1
        localHealth = min(settings.maxLocalHealth, localHealth + max(0, penalty))
        guard !awaitingPeers else { return }
        if target.status == .alive {
            var member = target
            member.status = .suspect
            member.since = now
            members[member.identity.id] = member
            startSuspicion(of: member, by: me.id, now: now)
            suspicionsRaised += 1
            broadcasts.enqueue(claim(member))
            outputs.append(.changed(MemberChange(member: member, previous: .alive)))
            // Lifeguard: tell the suspect directly (its piggyback leads with the claim about it).
            outputs.append(.send(.ping(seq: nextSequence()), to: member.address, recipient: member.identity.id))
        } else if suspicions[target.identity.id]?.suspectors.insert(me.id).inserted == true {
            // Our own failed probe confirms the suspicion: say so under our name.
            var confirmation = claim(target)
            confirmation.suspector = me.id
            broadcasts.enqueue(confirmation)
        }
    }

    private mutating func nextProbeTarget(using rng: inout some RandomNumberGenerator) -> String? {
        while let first = priorityProbes.first {
            priorityProbes.removeFirst()
            if members[first]?.status.isReachable == true { return first }
        }
        for _ in 0..<2 {
            while probeCursor < probeOrder.count {
                let id = probeOrder[probeCursor]
                probeCursor += 1
                if members[id]?.status.isReachable == true { return id }
            }
            probeOrder = members.values.filter { $0.status.isReachable }.map(\.identity.id).sorted().shuffled(using: &rng)
            probeCursor = 0
        }
        return nil
    }
}

extension Double {
    /// ⌈log₁₀(self)⌉ for self ≥ 1.
    var log10Ceiling: Double { log10(self).rounded(.up) }
}
