import VigilCodec

/// A node's derived state, written to the store now and then so a restart starts from it
/// instead of replaying the whole history (and so old segments can be deleted).
///
/// It holds exactly what the store's records built: every execution still in memory as one
/// durable fact (its registration, or its terminal outcome with its ``HeartbeatHistory``, so a
/// finished execution keeps its last heartbeat, count and progress), the strike counts, every leadership
/// claim and release with the readers' cut, the recent failure marks a later claim may still
/// fence, the pause flag, and the shell's generation. A running execution's heartbeats are not
/// in it (they live in memory and gossip): a restored running execution counts its timeout from
/// the restart, as with a full replay.
public struct NodeSnapshot: Sendable, Equatable {
    /// The node's start generation (the generation records may be deleted with old segments).
    public var generation: UInt64
    public var facts: [ExecutionFact] = []
    public var strikes: [StrikeEntry] = []
    public var claims: [TermClaim] = []
    public var releases: [Release] = []
    public var readCut: [String: LogPosition] = [:]
    public var marks: [MarkSource] = []
    /// The pause flag's latest change, if any.
    public var pause: PauseChange?
    /// The notification outbox (``Outbox/snapshotPayload``); empty when no channel is configured.
    public var outbox: [UInt8] = []
    /// Probed services' durable states, with their records' term and time.
    public var services: [StoredServiceState] = []
    /// The gossip keyring (``KeyringBook/snapshotPayload``) once the store changed it; empty before.
    public var keyring: [UInt8] = []
    /// The latest release of the mass-failure guard's hold, if any.
    public var holdRelease: HoldReleaseStamp?
    /// Mass-failure episodes reported so far, and when the latest was (``Outbox/massFailure``).
    public var massFailureSequence: UInt64 = 0
    public var massFailureSinceMs: Int64 = 0

    public struct Release: Sendable, Equatable {
        public var term: UInt64
        public var node: String
    }

    /// Where an applied failure mark came from (a claim read later may void it).
    public struct MarkSource: Sendable, Equatable {
        public var term: UInt64
        public var id: ExecutionID
        public var writer: String
        public var position: LogPosition
    }

    public struct PauseChange: Sendable, Equatable {
        public var paused: Bool
        public var timeMs: Int64
        public var node: String
    }

    /// A release of the guard's hold: when (wall ms) and by whom.
    public struct HoldReleaseStamp: Sendable, Equatable {
        public var timeMs: Int64
        public var node: String

        public init(timeMs: Int64, node: String) {
            self.timeMs = timeMs
            self.node = node
        }
    }

    public init(generation: UInt64) {
        self.generation = generation
    }

    /// 2 added the outbox, 3 the probed services, 4 the keyring, 5 the hold release and the
    /// mass-failure episodes, 6 the executions' rules (issue 24: a registration fact may end
    /// with its ``ExecutionRule``, a terminal fact's history may carry it; formats up to 5 never
    /// hold one); older formats are still read.
    static let format: UInt8 = 6

    /// Compact binary: format, then each part as a count and its entries.
    public var encoded: [UInt8] {
        var out: [UInt8] = [Self.format]
        Varint.append(generation, to: &out)
        Varint.append(UInt64(facts.count), to: &out)
        for fact in facts {
            out.append(fact.kind.rawValue)
            Self.append(fact.payload, to: &out)
        }
        Self.append(StrikeBatch.encode(strikes), to: &out)
        Varint.append(UInt64(claims.count), to: &out)
        for claim in claims {
            Self.append(Array(claim.node.utf8), to: &out)
            Self.append(claim.payload, to: &out)
            out.append(claim.cut == nil ? 0 : 1)
        }
        Varint.append(UInt64(releases.count), to: &out)
        for release in releases {
            Varint.append(release.term, to: &out)
            Self.append(Array(release.node.utf8), to: &out)
        }
        Varint.append(UInt64(readCut.count), to: &out)
        for (node, position) in readCut.sorted(by: { $0.key < $1.key }) {
            Self.append(Array(node.utf8), to: &out)
            Self.append(position, to: &out)
        }
        Varint.append(UInt64(marks.count), to: &out)
        for mark in marks {
            Varint.append(mark.term, to: &out)
            out += mark.id.bytes
            Self.append(Array(mark.writer.utf8), to: &out)
            Self.append(mark.position, to: &out)
        }
        if let pause {
            out.append(pause.paused ? 2 : 1)
            Varint.append(Varint.zigzag(pause.timeMs), to: &out)
            Self.append(Array(pause.node.utf8), to: &out)
        } else {
            out.append(0)
        }
        Self.append(outbox, to: &out)
        Varint.append(UInt64(services.count), to: &out)
        for service in services {
            Varint.append(service.term, to: &out)
            Varint.append(Varint.zigzag(service.timeMs), to: &out)
            Self.append(service.state.payload, to: &out)
        }
        Self.append(keyring, to: &out)
        if let holdRelease {
            out.append(1)
            Varint.append(Varint.zigzag(holdRelease.timeMs), to: &out)
            Self.append(Array(holdRelease.node.utf8), to: &out)
        } else {
            out.append(0)
        }
        Varint.append(massFailureSequence, to: &out)
        Varint.append(Varint.zigzag(massFailureSinceMs), to: &out)
        return out
    }

    /// Decodes ``encoded``; `nil` when the bytes are not a snapshot of this format.
    public init?(decoding bytes: [UInt8]) {
        var r = ByteReader(bytes[...])
        guard let format = r.readByte(), (1...Self.format).contains(format), let generation = r.readVarint(), let factCount = r.readVarint(), factCount <= UInt64(r.remaining) else { return nil }
        self.init(generation: generation)
        facts.reserveCapacity(Int(factCount))
        for _ in 0..<factCount {
            guard let raw = r.readByte(), let kind = DurableKind(rawValue: raw), let payload = Self.bytes(&r),
                let fact = ExecutionFact(kind: kind, payload: payload)
            else { return nil }
            facts.append(fact)
        }
        guard let strikeBytes = Self.bytes(&r), let strikes = StrikeBatch.decode(strikeBytes) else { return nil }
        self.strikes = strikes
        guard let claimCount = r.readVarint(), claimCount <= UInt64(r.remaining) else { return nil }
        for _ in 0..<claimCount {
            guard let node = Self.string(&r), let payload = Self.bytes(&r), var claim = TermClaim(node: node, payload: payload), let hasCut = r.readByte()
            else { return nil }
            if hasCut == 0 { claim.cut = nil } else if claim.cut == nil { claim.cut = [:] }
            claims.append(claim)
        }
        guard let releaseCount = r.readVarint(), releaseCount <= UInt64(r.remaining) else { return nil }
        for _ in 0..<releaseCount {
            guard let term = r.readVarint(), let node = Self.string(&r) else { return nil }
            releases.append(Release(term: term, node: node))
        }
        guard let cutCount = r.readVarint(), cutCount <= UInt64(r.remaining) else { return nil }
        for _ in 0..<cutCount {
            guard let node = Self.string(&r), let position = Self.position(&r) else { return nil }
            readCut[node] = position
        }
        guard let markCount = r.readVarint(), markCount <= UInt64(r.remaining) else { return nil }
        for _ in 0..<markCount {
            guard let term = r.readVarint(), let idBytes = r.readBytes(16), let id = ExecutionID(bytes: idBytes), let writer = Self.string(&r),
                let position = Self.position(&r)
            else { return nil }
            marks.append(MarkSource(term: term, id: id, writer: writer, position: position))
        }
        guard let pauseFlag = r.readByte() else { return nil }
        if pauseFlag != 0 {
            guard let time = r.readVarint(), let node = Self.string(&r) else { return nil }
            pause = PauseChange(paused: pauseFlag == 2, timeMs: Varint.unzigzag(time), node: node)
        }
        guard readAdditions(format: format, from: &r), r.isAtEnd else { return nil }
    }

    /// The parts later formats added: the outbox (2), the probed services (3), the keyring (4),
    /// the hold release and the mass-failure episodes (5).
    private mutating func readAdditions(format: UInt8, from r: inout ByteReader) -> Bool {
        if format >= 2 {
            guard let outbox = Self.bytes(&r) else { return false }
            self.outbox = outbox
        }
        if format >= 3 {
            guard let count = r.readVarint(), count <= UInt64(r.remaining) else { return false }
            for _ in 0..<count {
                guard let term = r.readVarint(), let time = r.readVarint(), let bytes = Self.bytes(&r), let state = ServiceState(payload: bytes) else { return false }
                services.append(StoredServiceState(state: state, term: term, timeMs: Varint.unzigzag(time)))
            }
        }
        if format >= 4 {
            guard let keyring = Self.bytes(&r) else { return false }
            self.keyring = keyring
        }
        if format >= 5 {
            guard let hasRelease = r.readByte() else { return false }
            if hasRelease != 0 {
                guard let time = r.readVarint(), let node = Self.string(&r) else { return false }
                holdRelease = HoldReleaseStamp(timeMs: Varint.unzigzag(time), node: node)
            }
            guard let sequence = r.readVarint(), let since = r.readVarint() else { return false }
            massFailureSequence = sequence
            massFailureSinceMs = Varint.unzigzag(since)
        }
        return true
    }

    private static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        Varint.append(UInt64(bytes.count), to: &out)
        out += bytes
    }

    private static func append(_ position: LogPosition, to out: inout [UInt8]) {
        Varint.append(position.segment, to: &out)
        Varint.append(UInt64(position.offset), to: &out)
    }

    private static func bytes(_ r: inout ByteReader) -> [UInt8]? {
        guard let length = r.readVarint(), length <= UInt64(r.remaining), let bytes = r.readBytes(Int(length)) else { return nil }
        return Array(bytes)
    }

    private static func string(_ r: inout ByteReader) -> String? {
        bytes(&r).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func position(_ r: inout ByteReader) -> LogPosition? {
        guard let segment = r.readVarint(), let offset = r.readVarint(), offset <= UInt64(Int.max) else { return nil }
        return LogPosition(segment: segment, offset: Int(offset))
    }
}

extension NodeCore {
    /// The state to snapshot, or `nil` while a durable write is in flight (its record may be in
    /// the file but not yet in the state; the shell tries again later).
    public func snapshot(generation: UInt64) -> NodeSnapshot? {
        guard writes.count == 0 else { return nil }
        var snapshot = NodeSnapshot(generation: generation)
        snapshot.facts.reserveCapacity(table.count)
        for record in table.allRecords {
            if let terminal = record.terminal {
                snapshot.facts.append(.finished(
                    id: record.id, status: record.status, source: terminal.source, finishedAtMs: terminal.finishedAtMs,
                    reason: terminal.reason, resultData: terminal.resultData, errorMessage: terminal.errorMessage, history: table.history(of: record)
                ))
            } else {
                snapshot.facts.append(.registered(
                    id: record.id, registeredAtMs: record.registeredAtMs, containerID: record.containerID, rule: table.rule(of: record)
                ))
                if record.strikes > 0 {
                    snapshot.strikes.append(StrikeEntry(
                        executionID: record.id, strikes: Int(record.strikes), lastHeartbeatMs: record.lastHeartbeatMs, strikeTimesMs: table.strikeTimes(record.id)
                    ))
                }
            }
        }
        snapshot.strikes += table.pendingStrikes.values
        snapshot.claims = ledger.claims
        snapshot.releases = ledger.released.map { NodeSnapshot.Release(term: $0.term, node: $0.node) }
        snapshot.readCut = ledger.readCut
        for (term, marks) in appliedMarks {
            for mark in marks { snapshot.marks.append(NodeSnapshot.MarkSource(term: term, id: mark.id, writer: mark.writer, position: mark.position)) }
        }
        if pause.version.ms != .min { snapshot.pause = NodeSnapshot.PauseChange(paused: pause.paused, timeMs: pause.version.ms, node: pause.version.node) }
        if outbox.isActive { snapshot.outbox = outbox.snapshotPayload }
        snapshot.services = prober.storedStates
        if keyring.changed { snapshot.keyring = keyring.snapshotPayload }
        if let ms = holdRelease.latestMs, let node = holdRelease.latestNode { snapshot.holdRelease = NodeSnapshot.HoldReleaseStamp(timeMs: ms, node: node) }
        snapshot.massFailureSequence = outbox.massFailure.sequence
        snapshot.massFailureSinceMs = outbox.massFailure.sinceMs
        return snapshot
    }

    /// Start-up from a snapshot, then the records written after it (oldest first).
    public mutating func restore(_ snapshot: NodeSnapshot, then records: [StoredRecord], now: NodeNow) -> [NodeAction] {
        for fact in snapshot.facts { table.apply(fact: fact, seen: seen(of: fact, now: now)) }
        for claim in snapshot.claims {
            ledger.add(claim)
            if claim.node == me { ownClaim = max(ownClaim ?? 0, claim.term) }
        }
        for release in snapshot.releases { ledger.release(term: release.term, node: release.node) }
        for (node, position) in snapshot.readCut { ledger.read(node: node, at: position) }
        for mark in snapshot.marks { remember(mark: mark.id, writer: mark.writer, term: mark.term, at: mark.position) }
        if let change = snapshot.pause { pause.apply(change.paused, at: WallTime(ms: change.timeMs), by: change.node) }
        status.paused = pause.paused
        if !snapshot.outbox.isEmpty, outbox.isActive { _ = outbox.restore(snapshot: snapshot.outbox, now: now) }
        for service in snapshot.services { prober.apply(stored: service.state, term: service.term, timeMs: service.timeMs) }
        if !snapshot.keyring.isEmpty, let restored = KeyringBook(snapshotPayload: snapshot.keyring) { keyring = restored }
        if let release = snapshot.holdRelease { holdRelease.apply(at: WallTime(ms: release.timeMs), by: release.node, now: now) }
        if snapshot.massFailureSequence > outbox.massFailure.sequence {
            outbox.massFailure = Outbox.NodeChange(dead: false, sequence: snapshot.massFailureSequence, sinceMs: snapshot.massFailureSinceMs)
        }
        // Strike counts wait for the heartbeat they judged (gossip brings it), as after a replay.
        table.apply(strikes: snapshot.strikes, seen: now.judge)
        return restore(records, now: now)
    }
}
