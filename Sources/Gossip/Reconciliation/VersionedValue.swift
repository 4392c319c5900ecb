/// One entry of an origin's table as replicated: the latest write of a key.
public struct VersionedValue: Sendable, Hashable {
    /// The origin's version counter at this write; versions of one origin never repeat.
    public var version: UInt64
    /// A time the writer chose (e.g. its receive time in ms); opaque to gossip, delta-encoded on
    /// the wire, so close values cost one or two bytes.
    public var stamp: Int64
    /// The opaque value, or `nil` for a tombstone (the key was deleted).
    public var value: [UInt8]?

    public init(version: UInt64, stamp: Int64, value: [UInt8]?) {
        self.version = version
        self.stamp = stamp
        self.value = value
    }

    /// Whether this is a deletion.
    public var isTombstone: Bool { value == nil }
}

/// One entry in flight: a key and its latest write.
public struct DeltaEntry: Sendable, Hashable {
    public var key: EntryKey
    public var value: VersionedValue

    public init(key: EntryKey, value: VersionedValue) {
        self.key = key
        self.value = value
    }
}

/// What a Scuttlebutt digest says of one origin: the highest version the sender holds, complete.
public struct DigestEntry: Sendable, Hashable {
    public var origin: NodeIdentity
    public var version: UInt64

    public init(origin: NodeIdentity, version: UInt64) {
        self.origin = origin
        self.version = version
    }
}

/// The entries of one origin above a base version, as sent to one peer.
///
/// `entries` are every current entry with a version in `base+1 ... upTo`, oldest first: a receiver
/// that holds `base` or more is complete up to `upTo` once it applied them. `floor` is the highest
/// version of a tombstone the sender already purged: a receiver below it may hold keys deleted by
/// writes it will never see, so it starts that origin afresh.
public struct OriginDelta: Sendable, Hashable {
    public var origin: NodeIdentity
    public var base: UInt64
    public var upTo: UInt64
    public var floor: UInt64
    /// The sender holds more above `upTo` (the block was cut): ask again at once.
    public var more: Bool
    public var entries: [DeltaEntry]

    public init(origin: NodeIdentity, base: UInt64, upTo: UInt64, floor: UInt64, more: Bool = false, entries: [DeltaEntry]) {
        self.origin = origin
        self.base = base
        self.upTo = upTo
        self.floor = floor
        self.more = more
        self.entries = entries
    }
}

/// A change applied to the local replica, published to the application.
public enum ReplicaChange: Sendable, Hashable {
    /// `key` of `origin` now holds `value` (a tombstone when deleted).
    case updated(origin: NodeIdentity, key: EntryKey, value: VersionedValue)
    /// Every entry of this origin id was dropped: a new generation replaced the old one, or this
    /// replica fell behind a purged tombstone and starts the origin afresh.
    case originCleared(origin: NodeIdentity)
}
