import DequeModule

/// One origin's key/value table as held by a replica, with an index by version.
///
/// `version` means "complete up to here": every write of the origin up to `version` is reflected.
/// The version index is an append-only log of (version, key) in increasing version order (stale
/// rows are skipped and compacted away), so "entries above v, oldest first" is a binary search.
struct OriginTable: Sendable {
    var origin: NodeIdentity
    var version: UInt64 = 0
    /// Highest version of a tombstone purged here.
    var floor: UInt64 = 0
    /// The sender's floor when this table was started afresh: it holds no key deleted at or below.
    var restartFloor: UInt64 = 0
    /// The floor reported to peers: below it, a replica may hold keys whose deletion it will never see.
    var reportedFloor: UInt64 { max(floor, restartFloor) }
    var entries: [EntryKey: VersionedValue] = [:]
    private(set) var log: [(version: UInt64, key: EntryKey)] = []
    /// Live tombstones in the order they were written here, with when, for purging.
    var tombstones: Deque<(at: Moment, key: EntryKey, version: UInt64)> = []

    init(origin: NodeIdentity) {
        self.origin = origin
    }

    /// Stores `value` under `key`; the caller guarantees versions arrive in increasing order.
    mutating func store(_ key: EntryKey, _ value: VersionedValue, now: Moment) {
        entries[key] = value
        log.append((value.version, key))
        if value.isTombstone { tombstones.append((now, key, value.version)) }
        if log.count > 64, log.count > 2 * entries.count { compact() }
    }

    /// Current entries with a version above `base`, oldest first.
    func entries(above base: UInt64) -> some Sequence<DeltaEntry> {
        var low = 0
        var high = log.count
        while low < high {
            let mid = (low + high) / 2
            if log[mid].version <= base { low = mid + 1 } else { high = mid }
        }
        return log[low...].lazy.compactMap { row -> DeltaEntry? in
            guard let value = entries[row.key], value.version == row.version else { return nil }
            return DeltaEntry(key: row.key, value: value)
        }
    }

    /// Drops tombstones written at or before `cutoff`; returns how many.
    mutating func purgeTombstones(writtenBefore cutoff: Moment) -> Int {
        var purged = 0
        while let first = tombstones.first, first.at <= cutoff {
            tombstones.removeFirst()
            if let current = entries[first.key], current.version == first.version {
                entries[first.key] = nil
                floor = max(floor, first.version)
                purged += 1
            }
        }
        if purged > 0, log.count > 64, log.count > 2 * entries.count { compact() }
        return purged
    }

    private mutating func compact() {
        log = log.filter { entries[$0.key]?.version == $0.version }
    }

    /// Checks the table's invariants; returns a description of the first broken one.
    func invariantViolation() -> String? {
        var previous: UInt64 = 0
        var live = 0
        for row in log {
            if row.version <= previous, previous != 0 { return "\(origin): version log out of order at \(row.version)" }
            previous = row.version
            if entries[row.key]?.version == row.version { live += 1 }
        }
        if live != entries.count { return "\(origin): \(entries.count) entries but \(live) indexed" }
        for value in entries.values where value.version > version { return "\(origin): entry version \(value.version) above table version \(version)" }
        if floor > version { return "\(origin): floor \(floor) above version \(version)" }
        return nil
    }
}
