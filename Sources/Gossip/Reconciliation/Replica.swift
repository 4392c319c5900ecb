import VigilCodec

/// Settings of the replica.
public struct ReplicaSettings: Sendable, Hashable {
    /// How long a tombstone is kept (on each replica's own clock) before it is purged. A replica
    /// that falls further behind than this restarts the origin from a peer. Default 10 minutes.
    public var tombstoneHorizon: Duration = .seconds(600)

    public init() {}
}

/// A Scuttlebutt replica of per-origin key/value tables, as a pure value.
///
/// Each origin (a node) writes only its own table; every write takes the origin's next version.
/// A digest lists, per origin, the highest version held; a peer answers with the entries above it,
/// oldest version first, stalest origin first (the one the asker lags most on), cut to a byte
/// budget. A cut holds back every higher version of that origin, so a replica's version for an
/// origin always means "complete up to here" (Scuttlebutt's precise reconciliation with
/// scuttle-depth ordering, van Renesse et al. 2008).
///
/// Deviations: tombstones are purged after a horizon; the highest purged version travels as the
/// origin's *floor*, and a replica below it starts that origin afresh (it may hold keys whose
/// deletion it can no longer learn). A newer generation of an origin replaces its table at once.
public struct Replica: Sendable {
    /// This node: the only origin it writes.
    public let me: NodeIdentity
    public let settings: ReplicaSettings
    var tables: [String: OriginTable]
    /// Own versions up to here were already pushed to random peers.
    var pushedUpTo: UInt64 = 0
    /// The highest version of each origin seen in peers' digests (for the lag metric).
    var advertised: [String: DigestEntry] = [:]

    public init(me: NodeIdentity, settings: ReplicaSettings = ReplicaSettings()) {
        self.me = me
        self.settings = settings
        self.tables = [me.id: OriginTable(origin: me)]
    }

    // MARK: Reading

    /// This node's own version counter.
    public var ownVersion: UInt64 { tables[me.id]!.version }

    /// Every origin held, with its generation, sorted by id.
    public var origins: [NodeIdentity] { tables.values.map(\.origin).sorted() }

    /// The version held for origin `id` (complete up to it), or `nil` when the origin is unknown.
    public func version(of id: String) -> UInt64? { tables[id]?.version }

    /// The entries of origin `id`, tombstones included.
    public func entries(of id: String) -> [EntryKey: VersionedValue] { tables[id]?.entries ?? [:] }

    /// One entry of origin `id`.
    public func value(of id: String, key: EntryKey) -> VersionedValue? { tables[id]?.entries[key] }

    /// The digest: every origin with the highest version held, sorted by id.
    public func digest() -> [DigestEntry] {
        tables.values.map { DigestEntry(origin: $0.origin, version: $0.version) }.sorted { $0.origin.id < $1.origin.id }
    }

    /// How far this replica lags, per origin, behind the highest version seen in peers' digests.
    public func versionLag() -> [String: UInt64] {
        var lag: [String: UInt64] = [:]
        for (id, table) in tables where id != me.id {
            let seen = advertised[id].flatMap { $0.origin.generation == table.origin.generation ? $0.version : nil } ?? table.version
            lag[id] = seen > table.version ? seen - table.version : 0
        }
        return lag
    }

    /// Whether `digest` shows versions this replica does not hold.
    public func lacks(_ digest: [DigestEntry]) -> Bool {
        digest.contains { entry in
            guard entry.origin.id != me.id else { return false }
            guard let table = tables[entry.origin.id] else { return entry.version > 0 }
            return entry.origin.generation > table.origin.generation
                || (entry.origin.generation == table.origin.generation && entry.version > table.version)
        }
    }

    /// The live contents in one canonical byte string (origins by id, live entries by key), for
    /// comparing replicas: two replicas that converged produce identical bytes.
    public func canonicalBytes() -> [UInt8] {
        var out: [UInt8] = []
        for table in tables.values.sorted(by: { $0.origin.id < $1.origin.id }) {
            out += Array(table.origin.id.utf8)
            out.append(0)
            Varint.append(table.origin.generation, to: &out)
            Varint.append(table.version, to: &out)
            for (key, value) in table.entries.sorted(by: { $0.key < $1.key }) where !value.isTombstone {
                key.append(to: &out)
                Varint.append(value.version, to: &out)
                Varint.append(Varint.zigzag(value.stamp), to: &out)
                Varint.append(UInt64(value.value!.count), to: &out)
                out += value.value!
            }
        }
        return out
    }

    // MARK: Writing this node's own table

    /// Writes `value` (or a tombstone for `nil`) under `key` in this node's table, at its next version.
    public mutating func write(key: EntryKey, value: [UInt8]?, stamp: Int64, now: Moment) -> ReplicaChange {
        let stored = VersionedValue(version: ownVersion + 1, stamp: stamp, value: value)
        tables[me.id]!.version = stored.version
        tables[me.id]!.store(key, stored, now: now)
        return .updated(origin: me, key: key, value: stored)
    }

    /// Own entries written since the last push, oldest first, cut to `budget` bytes; marks them pushed.
    public mutating func takePush(budget: Int) -> OriginDelta? {
        guard let table = tables[me.id], table.version > pushedUpTo else { return nil }
        guard let delta = Self.delta(of: table, above: pushedUpTo, budget: budget) else { return nil }
        pushedUpTo = delta.upTo
        return delta
    }

    /// Whether own writes wait to be pushed.
    public var hasUnpushedWrites: Bool { ownVersion > pushedUpTo }

    /// Purges tombstones older than the horizon.
    public mutating func purge(now: Moment) {
        let cutoff = Moment(nanoseconds: now.nanoseconds &- settings.tombstoneHorizon.nanoseconds)
        for id in tables.keys where !(tables[id]!.tombstones.isEmpty) {
            _ = tables[id]!.purgeTombstones(writtenBefore: cutoff)
        }
    }

    // MARK: Reconciliation

    /// Learns from a peer's digest: a newer generation of an origin replaces its table at once.
    public mutating func observe(_ digest: [DigestEntry]) -> [ReplicaChange] {
        var changes: [ReplicaChange] = []
        for entry in digest where entry.origin.id != me.id {
            if let seen = advertised[entry.origin.id], (seen.origin.generation, seen.version) >= (entry.origin.generation, entry.version) {
                // nothing newer
            } else {
                advertised[entry.origin.id] = entry
            }
            if let table = tables[entry.origin.id], entry.origin.generation > table.origin.generation {
                changes += replaceOrigin(with: entry.origin)
            }
        }
        return changes
    }

    /// Replaces origin `identity.id` by a newer generation (an empty table); no-op unless newer.
    public mutating func replaceOrigin(with identity: NodeIdentity) -> [ReplicaChange] {
        guard identity.id != me.id, let table = tables[identity.id], identity.generation > table.origin.generation else { return [] }
        tables[identity.id] = OriginTable(origin: identity)
        return [.originCleared(origin: table.origin)]
    }

    /// The deltas a peer with `digest` lacks, stalest origin first, at most `budget` bytes
    /// (the block count included).
    public func deltas(for digest: [DigestEntry], budget: Int) -> [OriginDelta] {
        var peer: [String: DigestEntry] = [:]
        for entry in digest { peer[entry.origin.id] = entry }
        var candidates: [(lag: UInt64, table: OriginTable, base: UInt64)] = []
        for table in tables.values {
            let known = peer[table.origin.id]
            if let known, known.origin.generation > table.origin.generation { continue }
            let base = known.flatMap { $0.origin.generation == table.origin.generation ? $0.version : nil } ?? 0
            guard table.version > base else { continue }
            candidates.append((table.version - base, table, base))
        }
        candidates.sort { ($0.lag, $1.table.origin.id) > ($1.lag, $0.table.origin.id) }
        var remaining = budget - Varint.size(UInt64(candidates.count))
        var out: [OriginDelta] = []
        for candidate in candidates {
            guard let delta = Self.delta(of: candidate.table, above: candidate.base, budget: remaining) else { continue }
            remaining -= WireSize.originDelta(delta)
            out.append(delta)
        }
        return out
    }

    /// The outcome of applying one origin block.
    public enum ApplyOutcome: Sendable, Hashable {
        /// Applied (possibly nothing new).
        case applied([ReplicaChange])
        /// The block starts above what we hold (a lost earlier block); ignored, anti-entropy repairs it.
        case gap([ReplicaChange])
        /// The block is from an older generation than the one we hold.
        case staleGeneration
    }

    /// Applies one origin block from a peer. The caller checked that the origin is a known member.
    public mutating func apply(_ delta: OriginDelta, now: Moment) -> ApplyOutcome {
        if delta.origin.id == me.id {
            return delta.origin.generation < me.generation ? .staleGeneration : .applied([])
        }
        var changes: [ReplicaChange] = []
        if let held = tables[delta.origin.id], delta.origin.generation < held.origin.generation { return .staleGeneration }
        // Moved out of the dictionary so that it is mutated in place, not copied.
        var table = tables.removeValue(forKey: delta.origin.id) ?? OriginTable(origin: delta.origin)
        if delta.origin.generation > table.origin.generation {
            changes.append(.originCleared(origin: table.origin))
            table = OriginTable(origin: delta.origin)
        }
        if delta.floor > table.version, delta.floor > table.restartFloor {
            if !table.entries.isEmpty || table.version > 0 { changes.append(.originCleared(origin: table.origin)) }
            table = OriginTable(origin: delta.origin)
            table.restartFloor = delta.floor
        }
        guard table.version >= delta.base else {
            tables[delta.origin.id] = table
            return .gap(changes)
        }
        for entry in delta.entries where entry.value.version > table.version {
            table.store(entry.key, entry.value, now: now)
            changes.append(.updated(origin: table.origin, key: entry.key, value: entry.value))
        }
        table.version = max(table.version, delta.upTo)
        tables[delta.origin.id] = table
        return .applied(changes)
    }

    /// The entries of `table` above `base`, oldest first, cut so that the block takes at most
    /// `budget` bytes; `nil` when not even the block header (and one entry, if any) fits.
    static func delta(of table: OriginTable, above base: UInt64, budget: Int) -> OriginDelta? {
        let floor = table.reportedFloor
        let span = table.version - base
        // Upper bounds for the header fields only known at the end (span, count).
        let maxCount = max(0, budget / (EntryKey.byteCount + 3))
        let header = WireSize.originHeader(origin: table.origin, base: base, span: span, floor: floor, count: maxCount)
        guard header <= budget else { return nil }
        var used = header
        var entries: [DeltaEntry] = []
        var version = base
        var stamp: Int64 = 0
        var complete = true
        for entry in table.entries(above: base) {
            let size = WireSize.entry(entry, previousVersion: version, previousStamp: stamp)
            if used + size > budget {
                complete = false
                break
            }
            used += size
            entries.append(entry)
            version = entry.value.version
            stamp = entry.value.stamp
        }
        if !complete, entries.isEmpty { return nil }
        return OriginDelta(origin: table.origin, base: base, upTo: complete ? table.version : version, floor: floor, more: !complete, entries: entries)
    }

    // MARK: Invariants

    /// Checks the replica's invariants; returns a description of the first broken one.
    public func invariantViolation() -> String? {
        guard let own = tables[me.id], own.origin == me else { return "own table missing or of another generation" }
        if pushedUpTo > own.version { return "pushed beyond own version" }
        for (id, table) in tables {
            if table.origin.id != id { return "table \(id) stored under the wrong key" }
            if let violation = table.invariantViolation() { return violation }
        }
        return nil
    }

    /// Traps with a description when an invariant is broken (tests call it after every step).
    public func checkInvariants() {
        if let violation = invariantViolation() { preconditionFailure("Replica invariant: \(violation)") }
    }
}
