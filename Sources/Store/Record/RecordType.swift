/// What a record means. The store itself only interprets ``snapshot``; the others are the
/// Coordinator's facts, named here so `vigil store verify` can print them.
public struct RecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let registration = RecordType(rawValue: 1)
    public static let completion = RecordType(rawValue: 2)
    public static let failureMark = RecordType(rawValue: 3)
    public static let strikeBatch = RecordType(rawValue: 4)
    public static let leadershipTerm = RecordType(rawValue: 5)
    public static let pauseFlag = RecordType(rawValue: 6)
    public static let generation = RecordType(rawValue: 7)
    /// A node's derived state plus the store position it covers (see ``StoreCursor``).
    public static let snapshot = RecordType(rawValue: 8)
    /// A leader gave up its term on purpose.
    public static let leadershipReleased = RecordType(rawValue: 9)
    /// A notification event that no other record carries (recovered, fenced, node, monitor).
    public static let notificationEvent = RecordType(rawValue: 10)
    /// A notification was delivered to a channel, or given up as undeliverable.
    public static let notificationAck = RecordType(rawValue: 11)
    /// Notifications of one kind sent to a channel as one message.
    public static let notificationGroup = RecordType(rawValue: 12)
    /// A probed service's state.
    public static let serviceState = RecordType(rawValue: 13)
    /// A change of the cluster's gossip keyring (install, use, remove).
    public static let keyringChange = RecordType(rawValue: 14)

    public var description: String {
        switch self {
        case .registration: "registration"
        case .completion: "completion"
        case .failureMark: "failure_mark"
        case .strikeBatch: "strike_batch"
        case .leadershipTerm: "leadership_term"
        case .pauseFlag: "pause_flag"
        case .generation: "generation"
        case .snapshot: "snapshot"
        case .leadershipReleased: "leadership_released"
        case .notificationEvent: "notification_event"
        case .notificationAck: "notification_ack"
        case .notificationGroup: "notification_group"
        case .serviceState: "service_state"
        case .keyringChange: "keyring_change"
        default: "type_\(rawValue)"
        }
    }
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
