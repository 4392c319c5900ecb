/// What a record means, as one opaque byte the writer chooses: the store keeps it with the
/// record and gives it back, and interprets only its own ``snapshot``. The names of the others
/// belong to whoever writes them (the coordinator's `DurableKind`, which also names them for
/// `vigil store verify`).
public struct RecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A node's derived state plus the store position it covers (see ``StoreCursor``): the one
    /// type the store itself writes and reads.
    public static let snapshot = RecordType(rawValue: 8)

    /// `snapshot`, or `type_<byte>` for a type the store does not interpret.
    public var description: String { self == .snapshot ? "snapshot" : "type_\(rawValue)" }
}

/// One record as read back from the store.
public struct StoreRecord: Sendable, Equatable {
    /// The node whose files hold it (its only writer).
    public var node: String
    /// Where it is: the segment's first sequence number and the byte offset in that segment.
    public var position: StorePosition
    /// Per-node sequence number, increasing in write order.
    public var sequence: UInt64
    public var type: RecordType
    /// The leadership term the writer was in (0 when none).
    public var term: UInt64
    /// Writer's wall clock, Unix ms (for people, not for ordering decisions).
    public var timeMs: Int64
    public var payload: [UInt8]

    public init(node: String, position: StorePosition, sequence: UInt64, type: RecordType, term: UInt64, timeMs: Int64, payload: [UInt8]) {
        self.node = node
        self.position = position
        self.sequence = sequence
        self.type = type
        self.term = term
        self.timeMs = timeMs
        self.payload = payload
    }
}

/// A byte position in one node's log: segment (named by its first sequence) and offset.
public struct StorePosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var segment: UInt64
    public var offset: Int

    public init(segment: UInt64, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (a: StorePosition, b: StorePosition) -> Bool { (a.segment, a.offset) < (b.segment, b.offset) }
    public var description: String { "\(SegmentName.fileName(segment))@\(offset)" }
}

/// Segment file names: the first sequence number, zero-padded, `.log`.
enum SegmentName {
    static func fileName(_ firstSequence: UInt64) -> String {
        let digits = String(firstSequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    static func parse(_ name: String) -> UInt64? {
        guard name.hasSuffix(".log"), name.count == 24 else { return nil }
        return UInt64(name.dropLast(4))
    }
}
