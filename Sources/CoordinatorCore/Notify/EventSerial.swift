/// The typed part of an event key that numbers an episode: what the outbox tracks to derive the
/// next keys (an open late episode's heartbeat stamp, a subject's change count), and whether the
/// event is a reminder of an earlier one.
///
/// The durable form of a key is its text (``NotificationEvent/key``), unchanged, so every record
/// and snapshot ever written reads the same. The serial is worked out once, when an event is
/// made, by matching the text against what the key builders make of the event's own kind,
/// execution and subject: never by splitting the text on `:` (a node named `reminder`, or one
/// whose name holds a `:`, is still read right).
public struct EventSerial: Sendable, Hashable {
    /// What numbers the episode.
    public enum Ordinal: Sendable, Hashable {
        /// `execution.late`, `execution.recovered`: the stamp (Unix ms) of the heartbeat the first
        /// strike judged stale, `nil` when there was none (`never` in the key).
        case stamp(Int64?)
        /// `node.*`, `monitor.*`: how many changes of that subject the store holds with this one.
        case sequence(UInt64)
    }

    public var ordinal: Ordinal
    /// The reminder's number, when the event reminds of the change ``ordinal`` names.
    public var reminder: Int64?

    public init(_ ordinal: Ordinal, reminder: Int64? = nil) {
        self.ordinal = ordinal
        self.reminder = reminder
    }

    /// The serial of a key built by ``NotificationEvent``'s key builders for this kind, execution
    /// and subject; `nil` for kinds without one, or a key the builders would not have made.
    public init?(key: String, kind: EventKind, executionID: ExecutionID?, subjectNode: String?) {
        switch kind {
        case .executionLate, .executionRecovered, .executionStalled, .executionUnstalled:
            guard let id = executionID, let rest = Self.suffix(of: key, after: "\(kind.rawValue):\(id):") else { return nil }
            let stamp: Int64? = rest == "never" ? nil : Int64(rest)
            guard NotificationEvent.key(kind, execution: id, stamp: stamp) == key else { return nil }
            self.init(.stamp(stamp))
        case .nodeDead, .nodeAlive:
            guard let node = subjectNode, let rest = Self.suffix(of: key, after: "\(kind.rawValue):\(node):") else { return nil }
            self.init(change: rest)
            guard self.rendered(kind: kind, executionID: executionID, subjectNode: subjectNode) == key else { return nil }
        case .monitorDegraded, .monitorRestored, .monitorMassFailure:
            guard let rest = Self.suffix(of: key, after: "\(kind.rawValue):") else { return nil }
            self.init(change: rest)
            guard self.rendered(kind: kind, executionID: executionID, subjectNode: subjectNode) == key else { return nil }
        case .executionFailed, .executionCompleted, .executionFenced, .notificationTest, .serviceDown, .serviceRepaired, .serviceRepairFailed,
            .serviceRepairExhausted, .serviceUp, .storeStalled, .storeRecovered:
            return nil
        }
    }

    /// `<n>` or `<n>:reminder:<m>`, the tail of a change's key (checked by rendering it back).
    private init?(change rest: Substring) {
        if let (change, number) = Self.cut(rest, at: ":reminder:") {
            guard let sequence = UInt64(change), let number = Int64(number) else { return nil }
            self.init(.sequence(sequence), reminder: number)
        } else {
            guard let sequence = UInt64(rest) else { return nil }
            self.init(.sequence(sequence))
        }
    }

    /// The key the builders make of this serial (`nil` when the kind and serial do not fit).
    func rendered(kind: EventKind, executionID: ExecutionID?, subjectNode: String?) -> String? {
        let base: String
        switch (ordinal, kind) {
        case (.stamp(let stamp), .executionLate), (.stamp(let stamp), .executionRecovered), (.stamp(let stamp), .executionStalled),
            (.stamp(let stamp), .executionUnstalled):
            guard let executionID else { return nil }
            base = NotificationEvent.key(kind, execution: executionID, stamp: stamp)
        case (.sequence(let sequence), .nodeDead), (.sequence(let sequence), .nodeAlive):
            guard let subjectNode else { return nil }
            base = NotificationEvent.key(kind, node: subjectNode, sequence: sequence)
        case (.sequence(let sequence), .monitorDegraded), (.sequence(let sequence), .monitorRestored), (.sequence(let sequence), .monitorMassFailure):
            base = NotificationEvent.key(kind, sequence: sequence)
        default:
            return nil
        }
        return reminder.map { NotificationEvent.reminderKey(of: base, number: $0) } ?? base
    }

    /// What comes before and after the first `marker` in `text`.
    private static func cut(_ text: Substring, at marker: String) -> (Substring, Substring)? {
        var i = text.startIndex
        while i < text.endIndex {
            if text[i...].hasPrefix(marker) { return (text[..<i], text[text.index(i, offsetBy: marker.count)...]) }
            i = text.index(after: i)
        }
        return nil
    }

    private static func suffix(of key: String, after prefix: String) -> Substring? {
        key.hasPrefix(prefix) ? key.dropFirst(prefix.count) : nil
    }
}
